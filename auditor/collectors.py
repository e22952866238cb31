"""Collectors: read the live IAM state of every profile into a `Snapshot` (boto3, read-only).

Each role and user is fetched once per scan however many profiles share it, managed policy
documents once per ARN, and entities are collected concurrently on a bounded thread pool.
A failed call is recorded on its entity (never raised), so the report stays complete.
"""
from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Callable, Iterable

from . import __version__, readonly
from .report import utc_now
from .snapshot import (ACCESS_DENIED, NETWORK, NO_SUCH_ENTITY, OTHER, THROTTLED, AccessKey,
                       CallError, NamedPolicy, RoleState, Snapshot, UserState, entity_key)

MAX_WORKERS = 8
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
           "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "UnrecognizedClientException"}
_THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
              "RequestThrottled", "SlowDown"}


class CallFailed(Exception):
    def __init__(self, error: CallError):
        super().__init__(error.describe())
        self.error = error


class Clients:
    """boto3 clients per AWS named profile, read-only guarded, with adaptive retries."""

    def __init__(self, region: str | None, max_attempts: int = 5):
        self.region = region
        self.max_attempts = max_attempts
        self._clients: dict[tuple[str | None, str], Any] = {}
        self._lock = threading.Lock()
        self._sessions: dict[str, Any] = {}
        self._credentials: dict[str, dict] = {}
        self._shared_session = None
        self.calls = 0
        self.calls_by: Counter = Counter()     # per profile or credentials name
        self._count_lock = threading.Lock()     # not `_lock`: held while a client is made

    def add_session(self, name: str, session) -> None:
        """Use a ready boto3 session (e.g. assumed-role credentials) under `name`."""
        with self._lock:
            self._sessions[name] = session

    def add_credentials(self, name: str, credentials: dict) -> None:
        """Use temporary credentials (an assumed role's) under `name`. Their clients come from one
        shared session: a session of its own per account loaded the service models again
        (about 0.18 s of CPU and 10 MB per account)."""
        with self._lock:
            self._credentials[name] = {"aws_access_key_id": credentials["AccessKeyId"],
                                       "aws_secret_access_key": credentials["SecretAccessKey"],
                                       "aws_session_token": credentials["SessionToken"]}

    def release(self, name: str) -> None:
        """Forget the clients and credentials of `name` (an account that is done): memory stays
        bounded by the accounts in flight, not by how many were read."""
        with self._lock:
            self._credentials.pop(name, None)
            self._sessions.pop(name, None)
            for key in [k for k in self._clients if k[0] == name]:
                del self._clients[key]

    def get(self, aws_profile: str | None, service: str):
        with self._lock:
            key = (aws_profile, service)
            if key not in self._clients:
                from botocore.config import Config

                credentials = self._credentials.get(aws_profile) if aws_profile else None
                if credentials is not None:
                    if self._shared_session is None:
                        self._shared_session = new_session(region_name=self.region or None)
                        readonly.install(self._shared_session)
                    session = self._shared_session
                else:
                    session = self._sessions.get(aws_profile) if aws_profile else None
                    if session is None:
                        session = new_session(profile_name=aws_profile, region_name=self.region or None)
                    readonly.install(session)
                # The user agent names the auditor, so its calls can be told apart in CloudTrail.
                config = Config(retries={"mode": "adaptive", "max_attempts": self.max_attempts},
                                user_agent_extra=f"iam-auditor/{__version__}",
                                connect_timeout=5, read_timeout=20,
                                region_name=self.region or session.region_name or "us-east-1")
                client = session.client(service, config=config, **(credentials or {}))
                client.meta.events.register("before-call.*.*", partial(self._count, aws_profile),
                                            unique_id="iam-auditor-count")
                self._clients[key] = client
            return self._clients[key]

    def _count(self, aws_profile, **_kwargs) -> None:
        with self._count_lock:
            self.calls += 1
            self.calls_by[aws_profile] += 1


def _wire_timestamp(text):
    return text


def new_session(**kwargs):
    """A boto3 session whose clients keep timestamps as the text AWS sent (ISO 8601).

    The snapshot stores them as text anyway, and dateutil's parsing of every CreateDate is a
    fifth of the client's time on a large GetAccountAuthorizationDetails page (the AWS CLI's
    `cli_timestamp_format = wire` does the same)."""
    import boto3
    import botocore.session

    core = botocore.session.get_session()
    core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=_wire_timestamp)
    return boto3.Session(botocore_session=core, **kwargs)


def classify(operation: str, exc: BaseException) -> CallError:
    """Turn a botocore exception into a recorded CallError."""
    from botocore import exceptions as bx

    if isinstance(exc, bx.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", ""))[:300]
        if code == "NoSuchEntity" or code.endswith("NotFoundException"):
            kind = NO_SUCH_ENTITY
        elif code in _DENIED:
            kind = ACCESS_DENIED
        elif code in _THROTTLED:
            kind = THROTTLED
        else:
            kind = OTHER
        return CallError(operation, kind, code, message)
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectionError, bx.ConnectTimeoutError,
                        bx.ReadTimeoutError)):
        return CallError(operation, NETWORK, type(exc).__name__, str(exc)[:300])
    if isinstance(exc, bx.NoCredentialsError):
        return CallError(operation, ACCESS_DENIED, "NoCredentials", "no AWS credentials found")
    if isinstance(exc, bx.BotoCoreError):
        return CallError(operation, OTHER, type(exc).__name__, str(exc)[:300])
    raise exc


def _call(client, operation: str, method: str, **params) -> dict:
    try:
        return getattr(client, method)(**params)
    except readonly.ReadOnlyViolation:
        raise
    except Exception as exc:  # noqa: BLE001 - classified or re-raised
        raise CallFailed(classify(operation, exc)) from None


def _pages(client, operation: str, method: str, key: str, *, stop=None, **params) -> list:
    """Every page's `key` items; with `stop` (a threading.Event), no further page once it is set."""
    try:
        out = []
        for page in client.get_paginator(method).paginate(**params):
            out.extend(page.get(key, []))
            if stop is not None and stop.is_set():
                break
        return out
    except readonly.ReadOnlyViolation:
        raise
    except Exception as exc:  # noqa: BLE001
        raise CallFailed(classify(operation, exc)) from None


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
                policy = _call(iam, "iam:GetPolicy", "get_policy", PolicyArn=arn)["Policy"]
                version = _call(iam, "iam:GetPolicyVersion", "get_policy_version", PolicyArn=arn,
                                VersionId=policy["DefaultVersionId"])["PolicyVersion"]
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
        out = []
        try:
            attached = _pages(iam, list_op, list_method, "AttachedPolicies", **params)
        except CallFailed as failure:
            errors.append(failure.error)
            return out
        for item in attached:
            try:
                document = self.managed_document(aws_profile, item["PolicyArn"])
            except CallFailed as failure:
                errors.append(failure.error)
                continue
            out.append(NamedPolicy(item["PolicyName"], "managed", source, document, item["PolicyArn"]))
        return out

    def _inline(self, aws_profile, list_method, list_op, get_method, get_op, source, errors,
                **params) -> list[NamedPolicy]:
        iam = self.clients.get(aws_profile, "iam")
        out = []
        try:
            names = _pages(iam, list_op, list_method, "PolicyNames", **params)
        except CallFailed as failure:
            errors.append(failure.error)
            return out
        for name in names:
            try:
                document = _call(iam, get_op, get_method, PolicyName=name, **params)["PolicyDocument"]
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
            info = _call(iam, "iam:GetRole", "get_role", RoleName=name)["Role"]
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
            info = _call(iam, "iam:GetUser", "get_user", UserName=name)["User"]
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
            groups = [g["GroupName"] for g in _pages(iam, "iam:ListGroupsForUser",
                                                     "list_groups_for_user", "Groups", UserName=name)]
        except CallFailed as failure:
            errors.append(failure.error)
        for group in groups:
            group_policies, group_errors = self.group(aws_profile, group)
            policies += group_policies
            errors += group_errors
        has_boundary, boundary = self._boundary(aws_profile, info, errors)
        keys = self._access_keys(iam, name, errors)
        login = None
        try:
            _call(iam, "iam:GetLoginProfile", "get_login_profile", UserName=name)
            login = True
        except CallFailed as failure:
            if failure.error.kind == NO_SUCH_ENTITY:
                login = False
            else:
                errors.append(failure.error)
        return UserState(name, info.get("Arn"), True, tuple(groups), tuple(policies), boundary,
                         has_boundary, keys, login, tuple(errors))

    def _access_keys(self, iam, name: str, errors: list) -> tuple[AccessKey, ...] | None:
        try:
            listed = _pages(iam, "iam:ListAccessKeys", "list_access_keys", "AccessKeyMetadata",
                            UserName=name)
        except CallFailed as failure:
            errors.append(failure.error)
            return None
        keys = []
        for item in listed:
            last_used = None
            try:
                used = _call(iam, "iam:GetAccessKeyLastUsed", "get_access_key_last_used",
                             AccessKeyId=item["AccessKeyId"]).get("AccessKeyLastUsed", {})
                last_used = _iso(used.get("LastUsedDate"))
            except CallFailed as failure:
                errors.append(failure.error)
            keys.append(AccessKey(item["AccessKeyId"], item.get("Status", "Active"),
                                  _iso(item.get("CreateDate")), last_used))
        return tuple(keys)

    def caller(self, aws_profile: str | None) -> dict:
        sts = self.clients.get(aws_profile, "sts")
        identity = _call(sts, "sts:GetCallerIdentity", "get_caller_identity")
        return {"account": identity.get("Account"), "arn": identity.get("Arn")}


def collect(profiles: Iterable[Any], region: str | None = None, *,
            default_aws_profile: str | None = None, max_workers: int = MAX_WORKERS,
            progress: Callable[[str], None] | None = None) -> Snapshot:
    """Fetch every distinct role, user and caller identity the profiles need, concurrently."""
    from .actions import catalogue

    profiles = list(profiles)
    clients = Clients(region or (profiles[0].region if profiles else None))
    collector = Collector(clients)
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
    _open_sessions(clients, {key.split("|", 1)[0] or None for _, key in tasks})
    catalogue().prefetch()       # the LP rules need it; it loads while AWS answers
    roles, users, callers, errors = {}, {}, {}, []
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="collect") as pool:
        futures = {key: pool.submit(fn) for key, fn in tasks.items()}
        for (kind, key), future in futures.items():
            try:
                value = future.result()
            except CallFailed as failure:
                errors.append(failure.error)
                continue
            if progress:
                progress(f"{kind} {key.split('|', 1)[1] or key}")
            {"role": roles, "user": users, "caller": callers}[kind][key] = value
    return Snapshot(utc_now(), callers, roles, users, clients.calls, tuple(errors))


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
