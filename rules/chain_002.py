"""CHAIN-002: the role's trust policy lets the user assume it."""
from __future__ import annotations

from auditor.engine import SCAN, RuleMeta, failed, passed, rule
from auditor.evaluation import RequestContext, Verdict, decide

from ._common import ASSUME_ROLE, EXTERNAL_ID_KEY, decision_evidence

META = RuleMeta(
    id="CHAIN-002", name="trust-allows-user", title="The role's trust policy admits the user",
    severity="high", steps=(4,),
    description="The role's trust policy allows sts:AssumeRole for the user: by the user's ARN, or "
                "by its account (root ARN or bare account ID, which TRUST-001 flags); a matching "
                "Deny wins; a missing role FAILs here.",
    remediation="Add the user's ARN to Principal.AWS of the role's trust policy (step 4).",
)


@rule(META, SCAN)
def check(view, settings):
    if view.role_missing:
        yield failed(f"the role {view.profile.role_arn} does not exist",
                     remediation="Create the role (step 2) or fix `role_arn` in the profile")
        return
    trust = view.trust
    user_arn, account = view.caller()
    # The external ID is CHAIN-003's question: here it is taken as given.
    context = RequestContext(values={EXTERNAL_ID_KEY: (view.profile.external_id,)})
    decision = decide([trust.policy], ASSUME_ROLE, view.role_arn, caller=(user_arn, account),
                      context=context)
    if decision.verdict == Verdict.NOT_ALLOWED:
        loose = decide([trust.policy], ASSUME_ROLE, view.role_arn, caller=(user_arn, account),
                       context=RequestContext())
        if loose.allowed:
            decision = loose  # admitted, but not with this external ID: CHAIN-003 reports it
    evidence = decision_evidence(decision, [trust])
    if decision.verdict == Verdict.ALLOWED or decision.verdict == Verdict.CONDITIONAL:
        how = "its account" if all(
            any(p.is_account_root or p.is_public for p in s.principals or ()) and
            not any(p.value == user_arn for p in s.principals or ()) for s in decision.allows) else "its ARN"
        note = " under conditions the auditor cannot check" if decision.verdict == Verdict.CONDITIONAL \
            and not _only_external_id(decision) else ""
        yield passed(f"the trust policy admits {user_arn} by {how}{note}", evidence=evidence)
    elif decision.verdict == Verdict.DENIED:
        yield failed(f"a Deny in the trust policy stops {user_arn} from assuming the role",
                     evidence=evidence)
    else:
        yield failed(f"the trust policy does not name {user_arn} (nor its account)",
                     evidence=evidence)


def _only_external_id(decision) -> bool:
    return all(c.key == EXTERNAL_ID_KEY for s in decision.allows + decision.denies for c in s.conditions)
