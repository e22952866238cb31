"""TRUST-005: only the configured user may assume the role."""
from __future__ import annotations

from auditor.engine import LINT, SCAN, RuleMeta, failed, rule
from auditor.evaluation import principal_matches

from ._common import assume_allows, location, principal_labels
from ._lint import trust_only

META = RuleMeta(
    id="TRUST-005", name="trust-extra-principals",
    title="Only the configured user may assume the role",
    severity="low", steps=(2, 4),
    description="The trust policy lets principals other than the configured user assume the role, "
                "e.g. ec2.amazonaws.com left from creating the role with the EC2 use case, or other "
                "users. In lint, a trust policy that names more than one principal.",
    remediation="Remove every principal but the product's IAM user from the trust policy.",
)


def trusted_principals(document) -> list[tuple[object, str]]:
    """(statement, principal label) for every principal an Allow lets assume the role."""
    return [(statement, label) for statement in assume_allows(document.policy)
            for label in principal_labels(statement)]


@rule(META, LINT)
@trust_only
def check_document(doc, settings):
    trusted = trusted_principals(doc)
    labels = list(dict.fromkeys(label for _, label in trusted))
    if len(labels) > 1:
        yield failed(f"{doc.label} lets {len(labels)} principals assume the role: "
                     + ", ".join(labels), location=location(doc.label),
                     evidence={"principals": labels})


@rule(META, SCAN)
def check_role_trust(view, settings):
    user_arn, account = view.caller()
    extra = []
    for statement in assume_allows(view.trust.policy):
        if statement.not_principals is not None:
            extra.append((statement, "NotPrincipal (everyone else)"))
            continue
        for principal in statement.principals or ():
            if principal.kind == "AWS" and not principal.is_public \
                    and principal_matches(principal, user_arn, account):
                continue
            extra.append((statement, principal.value if principal.kind in ("AWS", "*")
                          else f"{principal.kind}:{principal.value}"))
    for statement, who in extra:
        yield failed(f"trust-policy {statement.location_label} also lets {who} assume the role",
                     location=location("trust-policy", statement, principal=who),
                     remediation=f"Remove {who} from {statement.location_label} of the trust policy",
                     evidence={"principal": who, "configured_user": user_arn})
