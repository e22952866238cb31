"""TRUST-002: assuming the role requires an external ID."""
from __future__ import annotations

from auditor.engine import LINT, SCAN, RuleMeta, failed, rule
from auditor.evaluation import statement_covers_action

from ._common import EXTERNAL_ID_KEY, assume_allows, lets_aws_principals_in, location, principal_labels
from ._lint import trust_only

META = RuleMeta(
    id="TRUST-002", name="external-id-required", title="Trust policy requires an external ID",
    severity="high", steps=(4,),
    description="Every Allow statement that lets an AWS principal (user, role, account) assume "
                "the role carries an sts:ExternalId condition.",
    remediation="Add \"Condition\": {\"StringEquals\": {\"sts:ExternalId\": \"<id>\"}} to the statement.",
)


def _deny_without_external_id(policy) -> bool:
    """A Deny of sts:AssumeRole to everyone unless the external ID matches also enforces it."""
    for statement in policy.statements:
        if statement.is_allow or not statement.conditions:
            continue
        if not (statement.principals and any(p.is_public for p in statement.principals)):
            continue
        if all(c.key == EXTERNAL_ID_KEY and not c.if_exists and c.qualifier is None and (
                c.operator == "StringNotEquals" or (c.operator == "Null" and c.values == ("true",)))
               for c in statement.conditions):
            if statement_covers_action(statement, "sts:AssumeRole"):
                return True
    return False


def missing_external_id(document):
    if _deny_without_external_id(document.policy):
        return
    for statement in assume_allows(document.policy):
        if lets_aws_principals_in(statement) and not statement.conditions_on(EXTERNAL_ID_KEY):
            yield statement


def findings(document):
    for statement in missing_external_id(document):
        who = ", ".join(principal_labels(statement))
        yield failed(f"{document.label} {statement.location_label} lets {who} assume the role "
                     "without sts:ExternalId",
                     location=location(document.label, statement),
                     remediation="Add \"Condition\": {\"StringEquals\": {\"sts:ExternalId\": \"<id>\"}} "
                                 f"to {statement.location_label}")


@rule(META, LINT)
@trust_only
def check_document(doc, settings):
    yield from findings(doc)


@rule(META, SCAN)
def check_role_trust(view, settings):
    yield from findings(view.trust)
