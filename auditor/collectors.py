"""Collectors: read the live IAM state of every profile into a `Snapshot` (boto3, read-only).

Each role and user is fetched once per scan however many profiles share it, managed policy
documents once per ARN, and entities are collected concurrently on a bounded thread pool.
A failed call is recorded on its entity (never raised), so the report stays complete.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Iterable

from .aws import CallFailed, Clients, call, pages, reading, worker_pool
from .report import utc_now
from .masking import mask
from .snapshot import (NO_SUCH_ENTITY, OTHER, AccessKey, CallError, NamedPolicy, RoleState, Snapshot,
                       UserState, entity_key)

MAX_WORKERS = 8


def _account_of(arn: str | None) -> str | None:
    parts = (arn or "").split(":")
    return parts[4] if len(parts) > 5 and parts[0] == "arn" else None


def _wrong_account(operation: str, configured: str, returned: str | None, setting: str) -> CallError | None:
    """IAM names are per account: a same-named entity read with the wrong credentials is not the
    configured one. Never audit it in its place."""
    want, got = _account_of(configured), _account_of(returned)
    if want and got and want != got:
        return CallError(operation, OTHER, "WrongAccount",
                         f"the credentials read account {got}, but {configured} is in account "
                         f"{want}: set {setting} to a profile of account {want}")
    return None


def _iso(value) -> str | None:
    """A timestamp as ISO 8601 text ending in Z (wire text is kept; a datetime is formatted)."""
    if value is None:
        return None
    if isinstance(value, (int, float)):            # epoch seconds (JSON protocols, wire format)
        from datetime import datetime, timezone

        value = datetime.fromtimestamp(value, timezone.utc)
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text.replace("+00:00", "Z")


class _Once:
    """A value computed by one thread and waited for by the others."""

    def __init__(self):
        self.done = threading.Event()
        self.value: Any = None


class Collector:
    def __init__(self, clients: Clients):
        self.clients = clients
        self._managed: dict[tuple[str | None, str], Any] = {}
        self._managed_lock = threading.Lock()
        self._groups: dict[tuple[str | None, str], threading.Event] = {}
        self._group_results: dict[tuple[str | None, str], tuple[list, list]] = {}

    # -- managed policies: fetched once per ARN --------------------------------------------
    def managed_document(self, aws_profile: str | None, arn: str) -> Any:
        """The policy's default version, fetched once per ARN even when several threads ask at
        the same moment (the first fetches, the others wait for its answer)."""
        key = (aws_profile, arn)
        with self._managed_lock:
            entry = self._managed.get(key)
            fetching = entry is None
            if fetching:
                entry = self._managed[key] = _Once()
        if fetching:
            try:
                iam = self.clients.get(aws_profile, "iam")
                entity = f"policy {arn}"
                policy = call(iam, "iam:GetPolicy", "get_policy", entity=entity, need="Policy",
                              PolicyArn=arn)["Policy"]
                with reading("iam:GetPolicy", entity):
                    version_id = policy["DefaultVersionId"]
                version = call(iam, "iam:GetPolicyVersion", "get_policy_version", entity=entity,
                               need="PolicyVersion", PolicyArn=arn, VersionId=version_id)["PolicyVersion"]
                with reading("iam:GetPolicyVersion", entity):
                    entry.value = version["Document"]
            except BaseException as failure:  # noqa: BLE001 - handed to every waiter, then raised
                entry.value = failure
            finally:
                entry.done.set()
        else:
            entry.done.wait()
        if isinstance(entry.value, BaseException):
            raise entry.value
        return entry.value

    def _attached(self, aws_profile, list_method, list_op, source, errors, **params) -> list[NamedPolicy]:
        iam = self.clients.get(aws_profile, "iam")
        entity = _entity(source, params)
        out = []
        try:
            attached = pages(iam, list_op, list_method, "AttachedPolicies", entity=entity, **params)
            with reading(list_op, entity):
                attached = [(item["PolicyName"], item["PolicyArn"]) for item in attached]
        except CallFailed as failure:
            errors.append(failure.error)
            return out
        for name, arn in attached:
            try:
                document = self.managed_document(aws_profile, arn)
            except CallFailed as failure:
                errors.append(failure.error)
                continue
            out.append(NamedPolicy(name, "managed", source, document, arn))
        return out

    def _inline(self, aws_profile, list_method, list_op, get_method, get_op, source, errors,
                **params) -> list[NamedPolicy]:
        iam = self.clients.get(aws_profile, "iam")
        entity = _entity(source, params)
        out = []
        try:
            names = pages(iam, list_op, list_method, "PolicyNames", entity=entity, **params)
        except CallFailed as failure:
            errors.append(failure.error)
            return out
        for name in names:
            try:
                document = call(iam, get_op, get_method, entity=f"{entity}'s inline policy {name}",
                                need="PolicyDocument", PolicyName=name, **params)["PolicyDocument"]
            except CallFailed as failure:
                errors.append(failure.error)
                continue
            out.append(NamedPolicy(name, "inline", source, document))
        return out

    def _boundary(self, aws_profile, info: dict, errors) -> tuple[bool, NamedPolicy | None]:
        arn = (info.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if not arn:
            return False, None
        try:
            document = self.managed_document(aws_profile, arn)
        except CallFailed as failure:
            errors.append(failure.error)
            return True, None
        return True, NamedPolicy(arn.rsplit("/", 1)[-1], "managed", "boundary", document, arn)

    def group(self, aws_profile: str | None, group: str) -> tuple[list[NamedPolicy], list[CallError]]:
        """A group's attached and inline policies, read once per scan however many users share it."""
        key = (aws_profile, group)
        with self._managed_lock:
            event = self._groups.get(key)
            owner = event is None
            if owner:
                event = self._groups[key] = threading.Event()
        if not owner:
            event.wait()
            return self._group_results[key]
        errors: list[CallError] = []
        policies: list[NamedPolicy] = []
        try:
            policies = self._attached(aws_profile, "list_attached_group_policies",
                                      "iam:ListAttachedGroupPolicies", f"group:{group}", errors,
                                      GroupName=group)
            policies += self._inline(aws_profile, "list_group_policies", "iam:ListGroupPolicies",
                                     "get_group_policy", "iam:GetGroupPolicy", f"group:{group}",
                                     errors, GroupName=group)
        finally:  # waiters never hang, whatever happened
            self._group_results[key] = (policies, errors)
            event.set()
        return policies, errors

    # -- entities ---------------------------------------------------------------------------
    def role(self, aws_profile: str | None, role_arn: str) -> RoleState:
        name = role_arn.rsplit("/", 1)[-1]
        iam = self.clients.get(aws_profile, "iam")
        errors: list[CallError] = []
        try:
            info = call(iam, "iam:GetRole", "get_role", entity=f"role {name}", need="Role",
                        RoleName=name)["Role"]
        except CallFailed as failure:
            exists = False if failure.error.kind == NO_SUCH_ENTITY else None
            return RoleState(name, role_arn, exists, errors=(failure.error,))
        wrong = _wrong_account("iam:GetRole", role_arn, info.get("Arn"), "aws_profile")
        if wrong:
            return RoleState(name, role_arn, None, errors=(wrong,))
        policies = self._attached(aws_profile, "list_attached_role_policies",
                                  "iam:ListAttachedRolePolicies", "role", errors, RoleName=name)
        policies += self._inline(aws_profile, "list_role_policies", "iam:ListRolePolicies",
                                 "get_role_policy", "iam:GetRolePolicy", "role", errors, RoleName=name)
        has_boundary, boundary = self._boundary(aws_profile, info, errors)
        return RoleState(name, info.get("Arn", role_arn), True, info.get("MaxSessionDuration"),
                         info.get("AssumeRolePolicyDocument"), tuple(policies), boundary,
                         has_boundary, tuple(errors))

    def user(self, aws_profile: str | None, user: str) -> UserState:
        name = user.rsplit("/", 1)[-1] if user.startswith("arn:") else user
        iam = self.clients.get(aws_profile, "iam")
        errors: list[CallError] = []
        try:
            info = call(iam, "iam:GetUser", "get_user", entity=f"user {name}", need="User",
                        UserName=name)["User"]
        except CallFailed as failure:
            exists = False if failure.error.kind == NO_SUCH_ENTITY else None
            return UserState(name, user if user.startswith("arn:") else None, exists,
                             errors=(failure.error,))
        wrong = _wrong_account("iam:GetUser", user, info.get("Arn"), "user_aws_profile")
        if wrong:
            return UserState(name, user, None, errors=(wrong,))
        policies = self._attached(aws_profile, "list_attached_user_policies",
                                  "iam:ListAttachedUserPolicies", "user", errors, UserName=name)
        policies += self._inline(aws_profile, "list_user_policies", "iam:ListUserPolicies",
                                 "get_user_policy", "iam:GetUserPolicy", "user", errors, UserName=name)
        groups: list[str] = []
        try:
            listed = pages(iam, "iam:ListGroupsForUser", "list_groups_for_user", "Groups",
                           entity=f"user {name}", UserName=name)
            with reading("iam:ListGroupsForUser", f"user {name}"):
                groups = [g["GroupName"] for g in listed]
        except CallFailed as failure:
            errors.append(failure.error)
        for group in groups:
            group_policies, group_errors = self.group(aws_profile, group)
            policies += group_policies
            errors += group_errors
        has_boundary, boundary = self._boundary(aws_profile, info, errors)
        keys = self._access_keys(iam, name, errors)
        login = login_profile(iam, name, errors)
        return UserState(name, info.get("Arn"), True, tuple(groups), tuple(policies), boundary,
                         has_boundary, keys, login, tuple(errors))

    def _access_keys(self, iam, name: str, errors: list) -> tuple[AccessKey, ...] | None:
        entity = f"user {name}"
        try:
            listed = pages(iam, "iam:ListAccessKeys", "list_access_keys", "AccessKeyMetadata",
                           entity=entity, UserName=name)
            with reading("iam:ListAccessKeys", entity):
                listed = [(item["AccessKeyId"], item.get("Status", "Active"), _iso(item.get("CreateDate")))
                          for item in listed]
        except CallFailed as failure:
            errors.append(failure.error)
            return None
        keys = []
        for key_id, status, created in listed:
            last_used = None
            key_entity = f"{entity}'s access key {mask(key_id, 4)}"
            try:
                used = call(iam, "iam:GetAccessKeyLastUsed", "get_access_key_last_used",
                            entity=key_entity, need="AccessKeyLastUsed",
                            AccessKeyId=key_id)["AccessKeyLastUsed"]
                with reading("iam:GetAccessKeyLastUsed", key_entity):
                    last_used = _iso(used.get("LastUsedDate"))
            except CallFailed as failure:
                errors.append(failure.error)
            keys.append(AccessKey(key_id, status, created, last_used))
        return tuple(keys)

    def caller(self, aws_profile: str | None) -> dict:
        sts = self.clients.get(aws_profile, "sts")
        identity = call(sts, "sts:GetCallerIdentity", "get_caller_identity",
                        entity=f"AWS profile {aws_profile or '(default)'}", need="Account")
        return {"account": identity.get("Account"), "arn": identity.get("Arn")}


def login_profile(iam, name: str, errors: list) -> bool | None:
    """Whether the user has a console password; None (and an error) when it could not be read."""
    try:
        call(iam, "iam:GetLoginProfile", "get_login_profile", entity=f"user {name}",
             need="LoginProfile", UserName=name)
        return True
    except CallFailed as failure:
        if failure.error.kind == NO_SUCH_ENTITY:
            return False
        errors.append(failure.error)
        return None


def _entity(source: str, params: dict) -> str:
    """"role X", "user X" or "group X" from a collector's source and its call's parameters."""
    for key, kind in (("RoleName", "role"), ("UserName", "user"), ("GroupName", "group")):
        if key in params:
            return f"{kind} {params[key]}"
    return source


def collect(profiles: Iterable[Any], region: str | None = None, *,
            default_aws_profile: str | None = None, max_workers: int = MAX_WORKERS,
            progress: Callable[[str], None] | None = None) -> Snapshot:
    """Fetch every distinct role, user and caller identity the profiles need, concurrently."""
    from .actions import catalogue

    from .collectors_secrets import SecretReader, secret_state_key

    profiles = list(profiles)
    clients = Clients(region or (profiles[0].region if profiles else None))
    collector = Collector(clients)
    secret_reader = SecretReader(clients)
    tasks: dict[tuple[str, str], Callable[[], Any]] = {}
    for p in profiles:
        role_profile = p.aws_profile or default_aws_profile
        user_profile = p.user_aws_profile or role_profile
        tasks.setdefault(("caller", entity_key(role_profile, "")),
                         lambda a=role_profile: collector.caller(a))
        tasks.setdefault(("caller", entity_key(user_profile, "")),
                         lambda a=user_profile: collector.caller(a))
        tasks.setdefault(("role", entity_key(role_profile, p.role_arn)),
                         lambda a=role_profile, r=p.role_arn: collector.role(a, r))
        tasks.setdefault(("user", entity_key(user_profile, p.user)),
                         lambda a=user_profile, u=p.user: collector.user(a, u))
        for secret in p.secrets:
            tasks.setdefault(("secret", secret_state_key(p, secret, role_profile)),
                             lambda p=p, s=secret, a=role_profile: secret_reader.secret(p, s, a))
    _open_sessions(clients, {key.split("|", 1)[0] or None for _, key in tasks})
    catalogue().prefetch()       # the LP rules need it; it loads while AWS answers
    roles, users, callers, secrets, errors = {}, {}, {}, {}, []
    with worker_pool(max_workers, "collect") as pool:
        futures = {key: pool.submit(fn) for key, fn in tasks.items()}
        for (kind, key), future in futures.items():
            name = key.split("|", 1)[1] or f"identity of AWS profile {key[:-1] or '(default)'}"
            try:
                value = future.result()
            except CallFailed as failure:
                errors.append(failure.error)
                continue
            except Exception as unexpected:  # noqa: BLE001 - last resort: the report must survive
                # Left out of the snapshot: every rule needing it says "not collected" (ERROR).
                errors.append(_internal_error(kind, name, unexpected))
                continue
            if progress:
                progress(f"{kind} {key.split('|', 1)[1] or key}")
            {"role": roles, "user": users, "caller": callers, "secret": secrets}[kind][key] = value
    return Snapshot(utc_now(), callers, roles, users, clients.calls, tuple(errors),
                    secrets=secrets, keys=dict(secret_reader.keys))


def _internal_error(kind: str, name: str, exc: BaseException) -> CallError:
    # Named by its type only: an unexpected exception's text may quote what AWS answered.
    return CallError("iam-auditor", OTHER, type(exc).__name__,
                     f"internal error while reading the {kind}", f"{kind} {name}")


def collection_failed(exc: BaseException) -> Snapshot:
    """The last resort: collection itself failed unexpectedly; the snapshot says so."""
    return Snapshot(utc_now(), {}, {}, {}, 0, (_internal_error("collection", "of IAM state", exc),))


def failed_calls(snapshot: Snapshot) -> list[CallError]:
    """The calls whose failure leaves the snapshot incomplete (a missing entity is a fact)."""
    everything = list(snapshot.errors)
    for entity in (*snapshot.roles.values(), *snapshot.users.values()):
        everything.extend(entity.errors)
    return [e for e in everything if e.kind != NO_SUCH_ENTITY]


def _open_sessions(clients: Clients, aws_profiles, services=("iam", "sts")) -> None:
    """Create the clients up front, in this thread: a named profile that does not exist is a
    usage error (exit 2, one line) before any call, not a traceback from a worker."""
    from botocore.exceptions import BotoCoreError

    from .errors import UsageError

    for aws_profile in sorted(aws_profiles, key=str):
        try:
            for service in services:
                clients.get(aws_profile, service)
        except BotoCoreError as error:
            raise UsageError(f"AWS profile {aws_profile or '(default)'}: {error}") from None
