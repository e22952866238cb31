"""GetAccountAuthorizationDetails' answer as the snapshot's roles and users.

The live discover downloads the answer page by page; `discover --authorization-details` reads
it from a file the AWS CLI saved. Both turn it into RoleState/UserState here: managed policies
resolved by ARN to their default version, groups' policies added to their members.
"""
from __future__ import annotations

from typing import Any

from .snapshot import OTHER, CallError, NamedPolicy, RoleState, UserState


def _default_document(policy: dict) -> Any:
    for version in policy.get("PolicyVersionList", ()):
        if version.get("IsDefaultVersion"):
            return version.get("Document")
    return None


NOT_IN_DUMP = "NotInAnswer"


def gaad_documents(details) -> dict[str, Any]:
    """Each managed policy's default document, by ARN."""
    return {p["Arn"]: _default_document(p) for p in details["Policies"]}


class _Attached:
    """Managed policies by ARN; with `strict`, one that the answer lacks is a CallError of the
    entity (its policies could not be read: ERROR, never a PASS on fewer policies)."""

    def __init__(self, documents: dict[str, Any], strict: bool):
        self.documents, self.strict = documents, strict

    def managed(self, items, source, errors: list) -> list[NamedPolicy]:
        out = []
        for attached in items:
            document = self.documents.get(attached["PolicyArn"])
            if document is not None:
                out.append(NamedPolicy(attached["PolicyName"], "managed", source, document,
                                       attached["PolicyArn"]))
            elif self.strict:
                errors.append(self.missing(attached["PolicyArn"]))
        return out

    def boundary(self, item, errors: list) -> tuple[bool, NamedPolicy | None]:
        arn = (item.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if not arn:
            return False, None
        document = self.documents.get(arn)
        if document is None and self.strict:
            errors.append(self.missing(arn))
        return True, (NamedPolicy(arn.rsplit("/", 1)[-1], "managed", "boundary", document, arn)
                      if document is not None else None)

    @staticmethod
    def missing(arn: str) -> CallError:
        return CallError("iam:GetPolicyVersion", OTHER, NOT_IN_DUMP,
                         "the answer holds no default version of it", entity=f"policy {arn}")


def gaad_users(details, documents: dict[str, Any], *, strict: bool = False) -> dict[str, UserState]:
    """Every user with its own, its groups' and its boundary's policies (by ARN)."""
    attached = _Attached(documents, strict)
    groups = {}
    for group in details["GroupDetailList"]:
        source = f"group:{group['GroupName']}"
        errors: list = []
        groups[group["GroupName"]] = (attached.managed(group.get("AttachedManagedPolicies", ()), source, errors) + [
            NamedPolicy(p["PolicyName"], "inline", source, p["PolicyDocument"])
            for p in group.get("GroupPolicyList", ())], errors)
    users = {}
    for user in details["UserDetailList"]:
        errors = []
        group_names = tuple(user.get("GroupList", ()))
        policies = attached.managed(user.get("AttachedManagedPolicies", ()), "user", errors) + [
            NamedPolicy(p["PolicyName"], "inline", "user", p["PolicyDocument"])
            for p in user.get("UserPolicyList", ())]
        for name in group_names:
            group_policies, group_errors = groups.get(name, ([], []))
            policies += group_policies
            errors += group_errors
        has_boundary, bound = attached.boundary(user, errors)
        users[user["Arn"]] = UserState(user["UserName"], user["Arn"], True, group_names,
                                       tuple(policies), bound, has_boundary, errors=tuple(errors))
    return users


def gaad_roles(details, documents: dict[str, Any], max_sessions: dict[str, int | None], *,
               strict: bool = False) -> dict[str, RoleState]:
    attached = _Attached(documents, strict)
    roles = {}
    for role in details["RoleDetailList"]:
        errors: list = []
        policies = attached.managed(role.get("AttachedManagedPolicies", ()), "role", errors) + [
            NamedPolicy(p["PolicyName"], "inline", "role", p["PolicyDocument"])
            for p in role.get("RolePolicyList", ())]
        has_boundary, bound = attached.boundary(role, errors)
        roles[role["Arn"]] = RoleState(role["RoleName"], role["Arn"], True, max_sessions.get(role["Arn"]),
                                       role.get("AssumeRolePolicyDocument"), tuple(policies), bound,
                                       has_boundary, errors=tuple(errors))
    return roles
