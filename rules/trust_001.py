"""TRUST-001: the trust policy must not let everyone, or a whole account, assume the role."""
from __future__ import annotations

from auditor.engine import LINT, SCAN, RuleMeta, failed, rule

from ._common import assume_allows, location
from ._lint import trust_only

META = RuleMeta(
    id="TRUST-001", name="trust-principal-too-broad",
    title="The trust policy names the user, not everyone or a whole account",
    severity="high", steps=(4,),
    description="An Allow for sts:AssumeRole (or sts:*, *) whose principal is \"*\" or "
                "{\"AWS\": \"*\"} (critical, whatever the conditions), an account root ARN or bare "
                "account ID (high), or that uses NotPrincipal (high).",
    remediation="Name the IAM user's ARN in Principal.AWS instead.",
)


def broad_principals(document):
    """(statement, severity, what) for each too-broad principal grant in a trust policy."""
    for statement in assume_allows(document.policy):
        if statement.not_principals is not None:
            yield statement, "high", "NotPrincipal (everyone but the principals listed)"
            continue
        public = [p for p in statement.principals or () if p.is_public]
        roots = [p.value for p in statement.principals or () if p.is_account_root]
        if public:
            conditioned = " even with its conditions" if statement.conditions else ""
            yield statement, "critical", f"every AWS principal (\"*\"){conditioned}"
        elif roots:
            accounts = ", ".join(p.split(":")[4] for p in roots)
            yield statement, "high", (f"the whole account {accounts} (any principal there whose own "
                                      "policies allow sts:AssumeRole)")


def findings(document):
    for statement, severity, what in broad_principals(document):
        yield failed(f"{document.label} {statement.location_label} lets {what} assume the role",
                     location=location(document.label, statement), severity=severity,
                     evidence={"principals": [p.value for p in statement.principals or statement.not_principals or ()]})


@rule(META, LINT)
@trust_only
def check_document(doc, settings):
    yield from findings(doc)


@rule(META, SCAN)
def check_role_trust(view, settings):
    yield from findings(view.trust)
