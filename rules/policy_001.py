"""POLICY-001: every document is valid IAM policy grammar."""
from __future__ import annotations

from auditor.engine import LINT, SCAN, RuleMeta, failed, rule

from ._common import location

META = RuleMeta(
    id="POLICY-001", name="policy-grammar", title="Policy documents are valid IAM policy grammar",
    severity="high", steps=(1, 4),
    description="The document is a JSON object with a Statement (object or list); each statement "
                "has Effect Allow or Deny, exactly one of Action/NotAction, exactly one of "
                "Resource/NotResource (identity policies) or Principal/NotPrincipal (trust "
                "policies), and known condition operators. Version should be 2012-10-17.",
    remediation="Fix the document so IAM accepts it; set \"Version\": \"2012-10-17\".",
)


def _findings(label, policy, error):
    if error is not None:
        yield failed(f"{label} could not be read: {error}", location=location(label), severity="high")
        return
    for number, problem in enumerate(policy.problems):
        where = location(label, problem=number)
        if problem.statement is not None:
            where.update(statement=problem.statement, sid=problem.sid)
        yield failed(f"{label}: {problem.message}", location=where, severity=problem.severity)


@rule(META, LINT)
def check_document(doc, settings):
    yield from _findings(doc.label, doc.policy, doc.error)


@rule(META, SCAN)
def check_profile_documents(view, settings):
    for document in view.all_documents():
        yield from _findings(document.label, document.policy, None)
