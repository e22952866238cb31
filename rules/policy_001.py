"""POLICY-001: every document is valid IAM policy grammar."""
from __future__ import annotations

from auditor.engine import LINT, SCAN, RuleMeta, Unavailable, errored, failed, rule

from ._common import location

META = RuleMeta(
    id="POLICY-001", name="policy-grammar", title="Policy documents are valid IAM policy grammar",
    severity="high", steps=(1, 4),
    description="The document is a JSON object with a Statement (object or list); each statement "
                "has Effect Allow or Deny, exactly one of Action/NotAction, exactly one of "
                "Resource/NotResource (identity policies) or Principal/NotPrincipal (trust "
                "policies), and known condition operators. Version should be 2012-10-17.",
    remediation="Fix the document so IAM accepts it; set \"Version\": \"2012-10-17\".",
    handles_unknowns=True,   # grammar: a value known only at deploy is a value, checked as one
)


def _findings(label, policy, error, unreadable=False):
    if unreadable:
        yield errored(f"{label} could not be read: {error}", location=location(label))
        return
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
    yield from _findings(doc.label, doc.policy, doc.error, doc.unreadable)


@rule(META, SCAN)
def check_profile_documents(view, settings):
    documents, unread = view.all_documents()
    for reason in unread:
        # Catalogue v1.1: ERROR, never PASS, over documents that were not read.
        yield errored(f"not every document was checked: {reason}", location=location("unread"))
    for document in documents:
        yield from _findings(document.label, document.policy, None)
    if not documents and not unread:
        raise Unavailable("SKIP", "no policy document to check (the role and the user do not exist)")
