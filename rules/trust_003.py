"""TRUST-003: the external-ID condition uses exactly StringEquals."""
from __future__ import annotations

from auditor.engine import LINT, SCAN, RuleMeta, Unavailable, failed, rule
from auditor.evaluation import has_wildcard

from ._common import EXTERNAL_ID_KEY, assume_allows, has_external_id_condition, location
from ._lint import trust_only

META = RuleMeta(
    id="TRUST-003", name="external-id-operator",
    title="The external-ID condition uses StringEquals",
    severity="high", steps=(4,),
    description="The sts:ExternalId condition uses exactly StringEquals. High where the operator "
                "lets a caller through without the right ID (an ...IfExists operator, a "
                "ForAllValues: qualifier, StringLike with a wildcard, a Not... operator); medium "
                "for StringEqualsIgnoreCase, StringLike without a wildcard, or ForAnyValue:.",
    remediation="Use \"StringEquals\": {\"sts:ExternalId\": \"<id>\"}.",
)

_NEGATED_PREFIXES = ("StringNot", "ArnNot", "NumericNot", "DateNot", "NotIpAddress")


def weaknesses(condition) -> list[tuple[str, str]]:
    """(severity, why) for each way the condition's operator falls short of StringEquals."""
    out = []
    if condition.if_exists:
        out.append(("high", "IfExists passes when the caller sends no external ID"))
    if condition.qualifier == "ForAllValues":
        out.append(("high", "ForAllValues: passes when the caller sends no external ID"))
    elif condition.qualifier == "ForAnyValue":
        out.append(("medium", "ForAnyValue: is a set operator on a single-valued key"))
    operator = condition.operator
    if operator.startswith(_NEGATED_PREFIXES):
        out.append(("high", f"{operator} admits every external ID but the listed ones"))
    elif operator == "StringLike":
        if any(has_wildcard(v) for v in condition.values):
            out.append(("high", "StringLike with a wildcard admits external IDs the caller can guess"))
        else:
            out.append(("medium", "StringLike without a wildcard: use StringEquals"))
    elif operator == "StringEqualsIgnoreCase":
        out.append(("medium", "StringEqualsIgnoreCase weakens the ID: use StringEquals"))
    elif operator == "Null":
        if "false" in {v.lower() for v in condition.values}:
            out.append(("high", "Null only checks that some external ID is sent, not which"))
        else:
            out.append(("high", "Null does not check the external ID's value"))
    elif operator != "StringEquals":
        out.append(("high", f"{operator} does not compare the external ID as a string"))
    return out


def _strong(condition) -> bool:
    return condition.operator == "StringEquals" and not condition.if_exists and condition.qualifier is None


def findings(document):
    if not has_external_id_condition(document.policy):
        raise Unavailable("SKIP", f"{document.label} has no sts:ExternalId condition to judge "
                                  "(TRUST-002 reports a missing one)")
    for statement in assume_allows(document.policy):
        conditions = statement.conditions_on(EXTERNAL_ID_KEY)
        # Operators in one Condition are ANDed: beside a StringEquals on the key, a weaker
        # operator lets nobody in without the exact ID; it is only redundant.
        anded_with_exact = any(_strong(c) for c in conditions)
        for condition in conditions:
            problems = weaknesses(condition)
            if not problems:
                continue
            if anded_with_exact:
                severity = "low"
                why = ("redundant: the StringEquals beside it in the same statement still requires "
                       "the exact ID (" + "; ".join(why for _, why in problems) + ")")
            else:
                severity = "high" if any(s == "high" for s, _ in problems) else "medium"
                why = "; ".join(why for _, why in problems)
            yield failed(
                f"{document.label} {statement.location_label}: the sts:ExternalId condition uses "
                f"{condition.raw_operator}: {why}",
                location=location(document.label, statement, operator=condition.raw_operator),
                severity=severity,
                remediation=(f"In {statement.location_label}, remove the \"{condition.raw_operator}\" "
                             "condition on sts:ExternalId; the StringEquals one is enough") if anded_with_exact
                else (f"In {statement.location_label}, replace \"{condition.raw_operator}\" "
                      "with \"StringEquals\" and give the exact external ID"),
                evidence={"operator": condition.raw_operator})


@rule(META, LINT)
@trust_only
def check_document(doc, settings):
    yield from findings(doc)


@rule(META, SCAN)
def check_role_trust(view, settings):
    yield from findings(view.trust)
