"""CHAIN-001: the user's effective permissions allow sts:AssumeRole on the role."""
from __future__ import annotations

from auditor.engine import SCAN, RuleMeta, failed, passed, rule
from auditor.evaluation import Verdict, decide

from ._common import ASSUME_ROLE, decision_evidence

META = RuleMeta(
    id="CHAIN-001", name="user-can-assume-role", title="The user may assume the role",
    severity="high", steps=(3,),
    description="The user's effective permissions (inline, attached, group inline and attached; "
                "an explicit Deny wins; a permissions boundary applies) allow sts:AssumeRole on "
                "the role ARN.",
    remediation="Attach to the user a policy allowing sts:AssumeRole on the role's ARN, and remove "
                "any Deny or boundary that blocks it.",
    subject="user",
)


@rule(META, SCAN)
def check(view, settings):
    if view.user_missing:
        yield failed(f"the user {view.profile.user} does not exist",
                     remediation="Create the user (step 3 of the set-up) or fix `user` in the profile")
        return
    view.require_user()
    role_arn = view.profile.role_arn
    decision = decide([d.policy for d in view.user_documents], ASSUME_ROLE, role_arn,
                      boundary=[d.policy for d in view.user_boundary] if view.user_boundary else None)
    evidence = decision_evidence(decision, view.user_documents + (view.user_boundary or []))
    if decision.verdict == Verdict.ALLOWED:
        yield passed(f"the user's policies allow sts:AssumeRole on {role_arn}", evidence=evidence)
    elif decision.verdict == Verdict.CONDITIONAL:
        yield passed(f"the user's policies allow sts:AssumeRole on {role_arn} only under conditions "
                     "the auditor cannot check (see evidence)", evidence=evidence)
    elif decision.verdict == Verdict.DENIED:
        yield failed(f"an explicit Deny stops the user from assuming {role_arn}", evidence=evidence)
    else:
        why = " (the permissions boundary does not allow it)" if decision.notes else ""
        yield failed(f"no policy of the user allows sts:AssumeRole on {role_arn}{why}",
                     evidence=evidence)
