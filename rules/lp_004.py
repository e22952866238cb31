"""LP-004: the user may do nothing but assume the role."""
from __future__ import annotations

from auditor.engine import SCAN, RuleMeta, failed, rule

from ._common import location
from ._effective import AccessSet, effective_excess

META = RuleMeta(
    id="LP-004", name="user-excess-permissions", title="The user only assumes the role",
    severity="medium", steps=(3,),
    description="The user may do more than sts:AssumeRole on the configured role "
                "(sts:GetCallerIdentity aside), or has a console password (login profile).",
    remediation="Leave the user one policy allowing sts:AssumeRole on the role, and delete its "
                "console password.",
    subject="user",
)

ALLOWED = frozenset({"sts:assumerole", "sts:getcalleridentity"})


@rule(META, SCAN)
def check(view, settings):
    user = view.require_user()
    access = AccessSet(view.user_documents, view.user_boundary)
    for document in view.user_documents:
        for statement in document.policy.statements:
            if not statement.is_allow:
                continue
            excess = effective_excess(access, statement, ALLOWED)
            if excess is not None:
                yield failed(f"{document.label} {statement.location_label} {excess.describe()}",
                             location=location(document.label, statement), severity="medium",
                             evidence=excess.evidence())
    if user.has_login_profile:
        yield failed(f"the user {user.name} has a console password: the product needs only its "
                     "access key", location={"document": "login-profile"},
                     remediation=f"aws iam delete-login-profile --user-name {user.name}")
    elif user.has_login_profile is None and any(e.operation == "iam:GetLoginProfile" for e in user.errors):
        error = next(e for e in user.errors if e.operation == "iam:GetLoginProfile")
        raise_unavailable(error)


def raise_unavailable(error):
    from auditor.engine import Unavailable

    raise Unavailable("ERROR", f"could not check the console password: {error.describe()}")
