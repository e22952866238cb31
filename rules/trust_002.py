"""TRUST-002: assuming the role requires an external ID."""
from __future__ import annotations

from auditor.engine import LINT, SCAN, RuleMeta, failed, rule
from auditor.evaluation import principal_matches, statement_covers_action

from ._common import (ASSUME_ROLE, EXTERNAL_ID_KEY, assume_allows, lets_aws_principals_in, location,
                      principal_labels)
from ._lint import trust_only

META = RuleMeta(
    id="TRUST-002", name="external-id-required", title="Trust policy requires an external ID",
    severity="high", steps=(4,),
    description="Every Allow statement that lets an AWS principal (user, role, account) assume "
                "the role carries an sts:ExternalId condition.",
    remediation="Add \"Condition\": {\"StringEquals\": {\"sts:ExternalId\": \"<id>\"}} to the statement.",
)


def _enforcing(statement) -> bool:
    """Is this a Deny of sts:AssumeRole unless the external ID matches? Its conditions must all be
    on sts:ExternalId: StringNotEquals (with or without IfExists: both deny a caller who sends no
    ID) or Null true. Evaluation logic: the Deny wins over any Allow for the principals it names."""
    if statement.is_allow or not statement.conditions or not statement_covers_action(statement, ASSUME_ROLE):
        return False
    return all(c.key == EXTERNAL_ID_KEY and c.qualifier is None and (
        c.operator == "StringNotEquals" or (c.operator == "Null" and c.values == ("true",) and not c.if_exists))
        for c in statement.conditions)


def _covers(deny, principal) -> bool:
    """Does the Deny apply to every caller `principal` (of an Allow) designates?"""
    if deny.principals is None:
        return False   # NotPrincipal: left alone (it would have to exclude nobody of the Allow)
    if principal.is_public:
        return any(p.is_public for p in deny.principals)
    return any(principal_matches(p, principal.value, principal.account_id) for p in deny.principals)


def missing_external_id(document):
    denies = [s for s in document.policy.statements if _enforcing(s)]
    for statement in assume_allows(document.policy):
        if not lets_aws_principals_in(statement) or statement.conditions_on(EXTERNAL_ID_KEY):
            continue
        if statement.principals is not None and denies:
            callers = [p for p in statement.principals if p.kind in ("AWS", "*")]
            if all(any(_covers(d, p) for d in denies) for p in callers):
                continue
        elif statement.not_principals is not None and any(
                p.is_public for d in denies for p in d.principals or ()):
            continue
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
