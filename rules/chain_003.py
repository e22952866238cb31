"""CHAIN-003: the configured external ID satisfies the trust policy's condition."""
from __future__ import annotations

from auditor.engine import SCAN, RuleMeta, failed, passed, rule, skipped
from auditor.evaluation import (RequestContext, Tri, Verdict, decide, evaluate_conditions,
                                statement_covers_principal)
from auditor.masking import mask

from ._common import ASSUME_ROLE, EXTERNAL_ID_KEY, assume_allows, decision_evidence, location

META = RuleMeta(
    id="CHAIN-003", name="external-id-accepted",
    title="The configured external ID is the one the trust policy expects",
    severity="high", steps=(4, 5),
    description="The configured external ID satisfies the trust statement's sts:ExternalId "
                "condition, evaluated by its operator (StringEquals exact, StringLike glob, "
                "IgnoreCase...); PASS when there is no such condition (TRUST-002 flags that).",
    remediation="Enter in the product's profile exactly the external ID of the trust policy's "
                "condition (or fix the condition).",
)


@rule(META, SCAN)
def check(view, settings):
    trust = view.trust
    user_arn, account = view.caller()
    statements = [s for s in assume_allows(trust.policy)
                  if statement_covers_principal(s, user_arn, account)]
    if not statements:
        yield skipped("the trust policy does not admit the user (CHAIN-002)")
        return
    external_id = view.profile.external_id
    conditioned = [s for s in statements if s.conditions_on(EXTERNAL_ID_KEY)]
    if not conditioned:
        yield passed("the trust policy has no sts:ExternalId condition for the user (TRUST-002 "
                     "flags that)")
        return
    context = RequestContext(values={EXTERNAL_ID_KEY: (external_id,)})
    decision = decide([trust.policy], ASSUME_ROLE, view.role_arn, caller=(user_arn, account),
                      context=context)
    evidence = {**decision_evidence(decision, [trust]), "external_id": mask(external_id)}
    if decision.verdict == Verdict.DENIED:
        yield failed(f"with the external ID {mask(external_id)} a Deny of the trust policy applies",
                     evidence=evidence)
    elif decision.allowed:
        yield passed(f"the external ID {mask(external_id)} satisfies the trust policy's condition",
                     evidence=evidence)
    else:
        blamed = False
        for statement in conditioned:
            if evaluate_conditions(statement.conditions_on(EXTERNAL_ID_KEY), context) is Tri.FALSE:
                blamed = True
                operators = ", ".join(sorted({c.raw_operator for c in statement.conditions_on(EXTERNAL_ID_KEY)}))
                yield failed(f"the configured external ID {mask(external_id)} does not satisfy the "
                             f"{operators} sts:ExternalId condition of trust-policy "
                             f"{statement.location_label}: AssumeRole will fail",
                             location=location("trust-policy", statement), evidence=evidence)
        if not blamed:  # never a silent PASS: the role cannot be assumed with this external ID
            yield failed(f"with the external ID {mask(external_id)} the trust policy does not let "
                         "the user assume the role (see evidence)", evidence=evidence)
