"""TRUST-004: the external ID is well-formed and hard to guess."""
from __future__ import annotations


from auditor.engine import LINT, SCAN, RuleMeta, Unavailable, failed, rule
from auditor.evaluation import has_wildcard, statement_covers_action
from auditor.masking import mask
from auditor.redact import ExternalIdFacts
from auditor.unknown import is_unknown

from ._common import ASSUME_ROLE, EXTERNAL_ID_KEY, assume_allows, has_external_id_condition, location
from ._lint import trust_only

META = RuleMeta(
    id="TRUST-004", name="external-id-strength", title="The external ID is strong",
    severity="medium", steps=(4,),
    description="The external ID (configured, or each value in the trust policy, in its Allow "
                "or in a Deny-unless-it-matches statement) follows AWS's "
                "format (2-1224 characters of [A-Za-z0-9_+=,.@:/-]; high otherwise), is at least "
                "min_external_id_length characters long, is not of very low variety (digits only, "
                "like an account number; a repeated character), and is not shared by two profiles.",
    remediation="Use a random external ID of 32 characters or more, e.g. a UUID4 or "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`, unique per integration.",
)



def weaknesses(value: str, min_length: int) -> list[tuple[str, str]]:
    """(severity, why) for each weakness of one external ID (a literal, or a snapshot's token);
    the value itself is never quoted."""
    facts = ExternalIdFacts.of(value)
    if not facts.format_ok:
        return [("high", f"breaks AWS's format (2-1224 characters of A-Z a-z 0-9 _+=,.@:/-; "
                         f"it has {facts.length} characters)")]
    out = []
    if facts.length < min_length:
        out.append(("medium", f"is {facts.length} characters long (minimum {min_length})"))
    if facts.digits_only:
        out.append(("medium", "is digits only" + (", like an AWS account number" if facts.length == 12 else "")))
    elif facts.distinct == 1:
        out.append(("medium", "repeats one character"))
    elif facts.distinct <= 3:
        out.append(("medium", f"uses only {facts.distinct} distinct characters"))
    return out


def _id_conditions(document):
    """(statement, condition) whose values are external IDs: String conditions of the Allows
    of sts:AssumeRole, and the StringNot conditions of a Deny of sts:AssumeRole (the "deny
    unless the external ID matches" pattern TRUST-002 accepts keeps the ID there)."""
    for statement in assume_allows(document.policy):
        for condition in statement.conditions_on(EXTERNAL_ID_KEY):
            if condition.operator.startswith("String"):
                yield statement, condition  # Null's true/false are no IDs: TRUST-003 reports them
    for statement in document.policy.statements:
        if statement.is_allow or not statement_covers_action(statement, ASSUME_ROLE):
            continue
        for condition in statement.conditions_on(EXTERNAL_ID_KEY):
            if condition.operator.startswith("StringNot"):
                yield statement, condition


def trust_policy_values(document):
    """(statement, condition, index, value) for each literal external ID in the trust policy."""
    for statement, condition in _id_conditions(document):
        for index, value in enumerate(condition.values):
            if "Like" in condition.operator and has_wildcard(value):
                continue  # a pattern, not an ID: TRUST-003 reports it
            if is_unknown(value):
                continue  # known only at deploy (a template parameter): nothing to judge
            yield statement, condition, index, value


def findings(document, min_length, configured=False):
    """FAILs for weak IDs of the trust policy; SKIP when it holds no ID to judge and no ID is
    configured (a trust policy without an external-ID condition: TRUST-002 reports it)."""
    values = list(trust_policy_values(document))
    deploy_time = [v for _, condition in _id_conditions(document) for v in condition.values if is_unknown(v)]
    if not values and not configured and deploy_time:
        raise Unavailable("SKIP", f"{document.label}: the external ID is {deploy_time[0]}, known only at "
                                  "deploy: its strength cannot be judged here")
    if not values and not configured:
        what = ("only patterns" if has_external_id_condition(document.policy)
                else "no sts:ExternalId condition")
        raise Unavailable("SKIP", f"{document.label} has {what}: no external ID to judge "
                                  "(TRUST-002 and TRUST-003 report that)")
    for statement, condition, index, value in values:
        problems = weaknesses(value, min_length)
        if not problems:
            continue
        severity = "high" if any(s == "high" for s, _ in problems) else "medium"
        facts = ExternalIdFacts.of(value)
        yield failed(f"{document.label} {statement.location_label}: the external ID {facts.masked} "
                     + "; ".join(why for _, why in problems),
                     location=location(document.label, statement,
                                       value=index),
                     severity=severity, evidence={"external_id": facts.masked, "length": facts.length})


@rule(META, LINT)
@trust_only
def check_document(doc, settings):
    yield from findings(doc, settings.min_external_id_length)


def _configured(view, settings):
    profile = view.profile
    value = profile.external_id
    if value is None:
        return  # account-wide discovery: no configured ID, only the trust policy's values
    problems = weaknesses(value, settings.min_external_id_length)
    shared = [p.name for p in view.peers if p.name != profile.name and p.external_id == value]
    if shared:
        problems.append(("medium", "is also used by profile " + ", ".join(shared)))
    if problems:
        severity = "high" if any(s == "high" for s, _ in problems) else "medium"
        yield failed(f"the configured external ID {mask(value)} "
                     + "; ".join(why for _, why in problems),
                     location={"document": "profile", "key": "external_id"}, severity=severity,
                     evidence={"external_id": mask(value), "length": len(value)})


@rule(META, SCAN)
def check_profile_and_trust(view, settings):
    configured = list(_configured(view, settings))
    yield from configured
    trust = view.trust
    if not configured and not has_external_id_condition(trust.policy):
        raise Unavailable("SKIP", "the trust policy has no sts:ExternalId condition, so the role "
                                  "does not check the configured ID (TRUST-002 reports that)")
    yield from findings(trust, settings.min_external_id_length, configured=view.profile.external_id is not None)
