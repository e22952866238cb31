"""`scan --iac`: what infrastructure code will create, as the snapshot the live collectors build.

Profiles match the files' roles and users by NAME (the last segment of the configured role ARN,
the configured user's name). What the files cannot know (account ID, region, partition) comes
from the profile and is handed to the readers, so each file is read once per distinct
(account, region, partition) the profiles name.

What a profile needs and the files do not define (a role or user, an AWS managed policy, a
group, a secret, a KMS key) is read from AWS through the ordinary collectors when credentials
are available, and otherwise recorded as a failed call naming it: the rules that need it give
ERROR, never a PASS. Nothing calls AWS when the files hold everything.

Access keys are the exception: the product's configured key is not in the files, and a key a
file creates does not exist yet. The user's keys are recorded as known only after deploy, and
every KEY rule SKIPs with that reason instead of judging invented keys.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Callable, Iterable, NamedTuple

from ..report import utc_now
from ..snapshot import (KNOWN_AFTER_DEPLOY, OTHER, CallError, KeyState, NamedPolicy, RoleState,
                        SecretState, Snapshot, UserState, entity_key, secret_key)
from ..unknown import Unknown, is_unknown
from .files import IacFile, load_files  # noqa: F401 - what scan --iac reads
from .model import AWS_CLI, GroupDef, Inventory, KeyDef, RoleDef, SecretDef, Source, UserDef

NOT_IN_FILES = "NotInFiles"


def _arn_part(arn: Any, index: int) -> str | None:
    parts = str(arn or "").split(":")
    return (parts[index] or None) if len(parts) > 5 and parts[0] == "arn" else None


class Inventories:
    """The files' inventories, read once per (account, region, partition)."""

    def __init__(self, files: Iterable[IacFile], reader: Callable[..., Inventory] | None = None):
        from . import read

        self.files = list(files)
        self._read = reader or read
        self._cache: dict[tuple, list[Inventory]] = {}

    def for_account(self, account_id: str | None, region: str | None, partition: str) -> list[Inventory]:
        key = (account_id, region, partition)
        if key not in self._cache:
            self._cache[key] = [self._read(f.path, f.text, f.data, f.kind, account_id=account_id,
                                           region=region, partition=partition) for f in self.files]
        return self._cache[key]

    @property
    def names(self) -> str:
        return ", ".join(f.path for f in self.files) or "the files"


@dataclass
class _Found:
    """Where each entity of the snapshot came from, for results' locations."""

    sources: dict[str, Source] = field(default_factory=dict)   # by role/user ARN or name
    waivers: list = field(default_factory=list)                # auditor.config.Waiver, from Metadata

    def entity(self, resource: str, source: Source, waivers) -> None:
        """Record where `resource` (as results name it) is defined, and the waivers it carries."""
        import datetime

        from ..config import Waiver

        self.sources[resource] = source
        for waiver in waivers:
            try:
                expires = datetime.date.fromisoformat(str(waiver.expires)) if waiver.expires else None
            except ValueError:
                expires = None   # the reader reports a malformed date as a Problem
            reason = f"{waiver.reason} ({source.file}: {source.address} Metadata)"
            # A Metadata waiver's rule may be a glob (KEY-*); configuration waivers name one rule.
            for rule_id in _rule_ids(waiver.rule):
                self.waivers.append(Waiver(rule_id, None, resource.replace("[", "[[]"), reason, expires))


def _rule_ids(pattern: str) -> list[str]:
    from ..engine import load_rules

    ids = [rule_id for rule_id in load_rules() if fnmatchcase(rule_id, str(pattern).upper())]
    return ids or [str(pattern)]     # unmatched: kept, so the report shows it as stale


class LiveReader:
    """The collectors, created on first use: a scan whose files hold everything makes no call."""

    def __init__(self, region: str | None, usable: Callable[[str | None], bool]):
        self.region = region
        self.usable = usable
        self._collector = None
        self._secrets = None

    def _open(self):
        if self._collector is None:
            from ..aws import Clients
            from ..collectors import Collector
            from ..collectors_secrets import SecretReader

            clients = Clients(self.region)
            self._collector, self._secrets = Collector(clients), SecretReader(clients)
        return self._collector, self._secrets

    @property
    def api_calls(self) -> int:
        return self._collector.clients.calls if self._collector is not None else 0

    @property
    def keys(self) -> dict:
        return dict(self._secrets.keys) if self._secrets is not None else {}

    def collector(self):
        return self._open()[0]

    def secret_reader(self):
        return self._open()[1]


def _missing(operation: str, entity: str, what: str, files: str) -> CallError:
    return CallError(operation, OTHER, NOT_IN_FILES,
                     f"{what} is not defined in {files} and no AWS credentials are available to "
                     f"read it", entity)


class SnapshotBuilder:
    def __init__(self, inventories: Inventories, live: LiveReader | None):
        self.inventories = inventories
        self.live = live
        self.found = _Found()

    # -- lookups ------------------------------------------------------------------------------
    @staticmethod
    def _named(items, name: str):
        return next((item for item in items if not is_unknown(item.name) and item.name == name), None)

    def _entity(self, invs, attr: str, name: str):
        for inv in invs:
            found = self._named(getattr(inv, attr), name)
            if found is not None:
                return found
        return None

    def _can_read(self, aws_profile) -> bool:
        return self.live is not None and self.live.usable(aws_profile)

    def _managed(self, invs, aws_profile, arns, source: str, errors: list) -> list[NamedPolicy]:
        """Managed policies by ARN: the files' own, else read from AWS, else one error naming
        every ARN that could not be read."""
        from ..aws import CallFailed

        out, unread = [], []
        for arn in arns:
            # An Unknown ARN ("arn of aws_iam_policy.read", known after apply) equals only the
            # same Unknown: the file's own policy, named by reference.
            doc = next((d for inv in invs for d in inv.managed_policies
                        if d.managed_arn is not None and d.managed_arn == arn), None)
            name = str(arn).rsplit("/", 1)[-1]
            if doc is not None:
                out.append(NamedPolicy(doc.name, "managed", source, doc.document, arn))
            elif not is_unknown(arn) and self._can_read(aws_profile):
                try:
                    document = self.live.collector().managed_document(aws_profile, arn)
                except CallFailed as failure:
                    errors.append(failure.error)
                    continue
                out.append(NamedPolicy(name, "managed", source, document, arn))
            else:
                unread.append(str(arn))
        if unread:
            errors.append(_missing("iam:GetPolicy", f"policies {', '.join(unread)}",
                                   "managed policy " + ", ".join(unread), self.inventories.names))
        return out

    def _policies(self, invs, aws_profile, entity, source: str, errors: list) -> list[NamedPolicy]:
        policies = self._managed(invs, aws_profile, entity.managed_arns, source, errors)
        policies += [NamedPolicy(doc.name, "inline", source, doc.document) for doc in entity.inline]
        return policies

    def _boundary(self, invs, aws_profile, entity, errors) -> tuple[bool, NamedPolicy | None]:
        if not entity.boundary_arn:
            return False, None
        found = self._managed(invs, aws_profile, [entity.boundary_arn], "boundary", errors)
        return True, (found[0] if found else None)

    # -- entities -----------------------------------------------------------------------------
    def role(self, invs, profile, aws_profile) -> RoleState:
        name = profile.role_arn.rsplit("/", 1)[-1]
        role: RoleDef | None = self._entity(invs, "roles", name)
        if role is None:
            if self._can_read(aws_profile):
                return self.live.collector().role(aws_profile, profile.role_arn)
            return RoleState(name, profile.role_arn, None, errors=(_missing(
                "iam:GetRole", f"role {name}", f"role {name}", self.inventories.names),))
        errors: list[CallError] = []
        policies = self._policies(invs, aws_profile, role, "role", errors)
        has_boundary, boundary = self._boundary(invs, aws_profile, role, errors)
        arn = profile.role_arn if not role.arn or is_unknown(role.arn) else role.arn
        self.found.entity(arn, role.source, role.waivers)
        duration = role.max_session_duration
        duration = 3600 if duration is None else duration   # an Unknown stays one: rules SKIP on it
        trust = role.trust_policy.document if role.trust_policy is not None else None
        return RoleState(name, arn, True, duration, trust, tuple(policies), boundary, has_boundary,
                         tuple(errors))

    def user(self, invs, profile, aws_profile) -> UserState:
        name = profile.user_name
        user: UserDef | None = self._entity(invs, "users", name)
        if user is None:
            if self._can_read(aws_profile):
                return self.live.collector().user(aws_profile, profile.user)
            hint = profile.user if str(profile.user).startswith("arn:") else None
            return UserState(name, hint, None, errors=(_missing(
                "iam:GetUser", f"user {name}", f"user {name}", self.inventories.names),))
        errors: list[CallError] = []
        policies = self._policies(invs, aws_profile, user, "user", errors)
        for group_name in user.groups:
            policies += self._group(invs, aws_profile, group_name, errors)
        has_boundary, boundary = self._boundary(invs, aws_profile, user, errors)
        made = "creates " + ("an access key" if len(user.access_keys) == 1 else
                             f"{len(user.access_keys)} access keys") if user.access_keys else \
            "defines no access key"
        errors.append(CallError(
            "iam:ListAccessKeys", KNOWN_AFTER_DEPLOY, KNOWN_AFTER_DEPLOY,
            f"the user's access keys exist only after deploy (the file {made}; the product's "
            f"configured key is not in the files): scan the deployed account to check them",
            f"user {name}"))
        console = bool(user.has_login_profile)
        if user.source.kind == AWS_CLI:
            # A get-account-authorization-details dump does not say whether a console password
            # exists: unknown, never "no password".
            if self._can_read(aws_profile):
                from ..collectors import login_profile

                console = login_profile(self.live.collector().clients.get(aws_profile, "iam"), name, errors)
            else:
                console = None
                errors.append(CallError(
                    "iam:GetLoginProfile", OTHER, "NotInFile",
                    "an AWS CLI dump does not say whether the user has a console password, and "
                    "no credentials were available to read it", f"user {name}"))
        arn = user.arn if user.arn and not is_unknown(user.arn) else \
            (profile.user if str(profile.user).startswith("arn:") else None)
        self.found.entity(arn or name, user.source, user.waivers)
        return UserState(name, arn, True, tuple(user.groups), tuple(policies), boundary, has_boundary,
                         None, console, tuple(errors))

    def _group(self, invs, aws_profile, name: str, errors: list) -> list[NamedPolicy]:
        group: GroupDef | None = self._entity(invs, "groups", name)
        source = f"group:{name}"
        if group is not None:
            return self._policies(invs, aws_profile, group, source, errors)
        if self._can_read(aws_profile):
            policies, group_errors = self.live.collector().group(aws_profile, name)
            errors.extend(group_errors)
            return list(policies)
        errors.append(_missing("iam:ListGroupPolicies", f"group {name}", f"group {name}",
                               self.inventories.names))
        return []

    def secret(self, invs, profile, secret: str, aws_profile) -> SecretState:
        from ..collectors_secrets import is_aws_managed_secrets_key, secret_region

        region = secret_region(profile, secret)
        found: SecretDef | None = next((s for inv in invs for s in inv.secrets
                                        if _same_secret(secret, s)), None)
        if found is None:
            if self._can_read(aws_profile):
                return self.live.secret_reader().secret(profile, secret, aws_profile)
            return SecretState(secret, region, errors=(_missing(
                "secretsmanager:DescribeSecret", f"secret {secret}", f"secret {secret}",
                self.inventories.names),))
        arn = found.arn if found.arn and not is_unknown(found.arn) else None
        self.found.entity(secret, found.source, ())
        if arn:
            self.found.entity(arn, found.source, found.waivers)
        policy = found.resource_policy.document if found.resource_policy is not None else None
        kms = found.kms_key_id
        key_ref = None
        if not is_aws_managed_secrets_key(kms):
            key_ref = secret_key(aws_profile, _arn_part(kms, 3) or region, kms)
            self.keys.setdefault(key_ref, self.key(invs, aws_profile, region, kms))
        return SecretState(secret, region, arn, True, kms, key_ref, policy)

    def key(self, invs, aws_profile, region, kms_key_id: str) -> KeyState:
        found: KeyDef | None = next((k for inv in invs for k in inv.keys
                                     if kms_key_id in (k.key_id, k.arn)), None)
        if found is None:
            if self._can_read(aws_profile) and not is_unknown(kms_key_id):
                reader = self.live.secret_reader()
                ref = secret_key(aws_profile, _arn_part(kms_key_id, 3) or region, kms_key_id)
                return reader.key(ref, aws_profile, _arn_part(kms_key_id, 3) or region, kms_key_id)
            return KeyState(kms_key_id, errors=(_missing(
                "kms:DescribeKey", f"key {kms_key_id}", f"KMS key {kms_key_id}", self.inventories.names),))
        self.found.entity(str(kms_key_id), found.source, found.waivers)
        enabled = found.enabled
        state = None if isinstance(enabled, str) else ("Enabled" if enabled else "Disabled")
        # Before deploy a key's ARN holds the ID KMS will pick: an Unknown, never None (the rules
        # evaluate the key policy against it; a key policy's Resource is "*", its own key).
        arn = found.arn or Unknown(f"ARN of the KMS key {found.source.address}, known after deploy")
        policy = found.policy.document if found.policy is not None else None
        return KeyState(kms_key_id, arn, state, "CUSTOMER", policy)

    # -- the snapshot -------------------------------------------------------------------------
    def build(self, profiles, default_aws_profile=None) -> Snapshot:
        from ..collectors_secrets import secret_state_key

        roles, users, callers, secrets = {}, {}, {}, {}
        self.keys: dict[str, KeyState] = {}
        for p in profiles:
            role_profile = p.aws_profile or default_aws_profile
            user_profile = p.user_aws_profile or role_profile
            account = _arn_part(p.role_arn, 4)
            partition = _arn_part(p.role_arn, 1) or "aws"
            user_account = _arn_part(p.user, 4) if str(p.user).startswith("arn:") else account
            invs = self.inventories.for_account(account, p.region, partition)
            user_invs = invs if user_account == account else \
                self.inventories.for_account(user_account, p.region, partition)
            callers.setdefault(entity_key(role_profile, ""), {"account": account, "arn": None})
            callers.setdefault(entity_key(user_profile, ""), {"account": user_account, "arn": None})
            role_key = entity_key(role_profile, p.role_arn)
            if role_key not in roles:
                roles[role_key] = self.role(invs, p, role_profile)
            user_key = entity_key(user_profile, p.user)
            if user_key not in users:
                users[user_key] = self.user(user_invs, p, user_profile)
            for secret in p.secrets:
                key = secret_state_key(p, secret, role_profile)
                if key not in secrets:
                    secrets[key] = self.secret(invs, p, secret, role_profile)
        keys = {**(self.live.keys if self.live is not None else {}), **self.keys}
        calls = self.live.api_calls if self.live is not None else 0
        return Snapshot(utc_now(), callers, roles, users, calls, secrets=secrets, keys=keys)


def _same_secret(configured: str, secret: SecretDef) -> bool:
    """A configured secret (name, full ARN or partial ARN) names the file's secret: its ARN is
    `...:secret:NAME-??????` until Secrets Manager picks the suffix."""
    if configured.startswith("arn:"):
        arn = secret.arn
        if not arn or is_unknown(arn):
            return False
        return fnmatchcase(configured, arn) or (arn.endswith("-??????") and configured == arn[:-7])
    return not is_unknown(secret.name) and configured == secret.name


def build_snapshot(files: Iterable[IacFile], profiles, *, default_aws_profile=None,
                   region: str | None = None, credentials_usable=None,
                   reader=None) -> "Built":
    """The snapshot a scan of these profiles would read once the files are deployed, where each
    entity the files define comes from (by role/user ARN, user name, secret, key), and the
    waivers the resources carry (CloudFormation Metadata), as configuration waivers."""
    usable = credentials_usable or _credentials_usable
    profiles = list(profiles)
    live = LiveReader(region or (profiles[0].region if profiles else None), usable)
    builder = SnapshotBuilder(Inventories(files, reader), live)
    snapshot = builder.build(profiles, default_aws_profile)
    return Built(snapshot, builder.found.sources, builder.found.waivers)


class Built(NamedTuple):
    snapshot: Snapshot
    sources: dict[str, Source]
    waivers: list


_USABLE: dict = {}


def _credentials_usable(aws_profile) -> bool:
    """Whether AWS credentials resolve for this AWS profile (no API call; cached per run)."""
    if aws_profile not in _USABLE:
        from ..credentials import problem

        _USABLE[aws_profile] = problem(aws_profile) is None
    return _USABLE[aws_profile]


def locate(results, sources: dict[str, Source]) -> None:
    """Each result names the file and the resource (logical ID, plan address) it is about."""
    for result in results:
        source = sources.get(result.resource)
        if source is None and result.resource_type == "AwsIamUser":
            source = sources.get(str(result.resource).rsplit("/", 1)[-1])
        if source is None:
            continue
        location = dict(result.location or {})
        location.update({"file": source.file, "address": str(source.address)})
        if source.line is not None:
            location["line"] = source.line
        result.location = location


__all__ = ["IacFile", "build_snapshot", "locate"]

