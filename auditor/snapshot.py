"""The snapshot: the live IAM state a scan reads, as plain data (JSON-serializable, versioned).

Collectors build it; rules only read it. Every API call that failed is recorded with the entity
it was for, so rules can say exactly what could not be checked. It never holds a secret access
key, a secret's value, or the configured external ID (that stays in the configuration).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

SNAPSHOT_VERSION = 1

# Error kinds: NoSuchEntity is a fact about the account; the others mean "could not be checked".
NO_SUCH_ENTITY, ACCESS_DENIED, THROTTLED, NETWORK, OTHER = (
    "NoSuchEntity", "AccessDenied", "Throttling", "NetworkError", "Error")
# `scan --iac`: a fact that exists only once the files are deployed (the rules needing it SKIP).
KNOWN_AFTER_DEPLOY = "KnownAfterDeploy"


@dataclass(frozen=True)
class CallError:
    operation: str      # "iam:GetRole"
    kind: str           # one of the kinds above
    code: str           # the service's error code, e.g. "AccessDenied"
    message: str
    entity: str = ""    # what the call was about, e.g. "role read_secrets_role"

    def describe(self) -> str:
        call = f"{self.operation} on {self.entity}" if self.entity else self.operation
        if self.kind == ACCESS_DENIED:
            return f"{call} was denied (the auditor needs permission {self.operation})"
        if self.kind == THROTTLED:
            return f"{call} was throttled past the retries"
        if self.kind == NETWORK:
            return f"{call} failed: {self.message}"
        if self.kind == KNOWN_AFTER_DEPLOY:
            return self.message
        return f"{call} failed with {self.code}: {self.message}"


@dataclass(frozen=True)
class NamedPolicy:
    name: str
    kind: str                    # "managed" or "inline"
    source: str                  # "role", "user", "group:<name>", "boundary"
    document: Any                # as IAM returned it (dict or URL-encoded text)
    arn: str | None = None


@dataclass(frozen=True)
class AccessKey:
    access_key_id: str
    status: str                  # Active / Inactive
    created: str | None          # ISO 8601
    last_used: str | None        # ISO 8601, None if never used


@dataclass(frozen=True)
class RoleState:
    name: str
    arn: str | None = None
    exists: bool | None = None           # None: unknown (GetRole failed)
    max_session_duration: int | None = None
    trust_policy: Any = None
    policies: tuple[NamedPolicy, ...] = ()
    boundary: NamedPolicy | None = None
    has_boundary: bool = False
    errors: tuple[CallError, ...] = ()


@dataclass(frozen=True)
class UserState:
    name: str
    arn: str | None = None
    exists: bool | None = None
    groups: tuple[str, ...] = ()
    policies: tuple[NamedPolicy, ...] = ()      # user's own and its groups'
    boundary: NamedPolicy | None = None
    has_boundary: bool = False
    access_keys: tuple[AccessKey, ...] | None = None
    has_login_profile: bool | None = None
    errors: tuple[CallError, ...] = ()


@dataclass(frozen=True)
class SecretState:
    """A configured secret as DescribeSecret and GetResourcePolicy describe it (never its value)."""

    secret: str                          # as configured: ARN, partial ARN or name
    region: str
    arn: str | None = None               # resolved by DescribeSecret
    exists: bool | None = None           # None: unknown (DescribeSecret failed or was not made)
    kms_key_id: str | None = None        # as DescribeSecret gives it; None: aws/secretsmanager
    key_ref: str | None = None           # its entry in Snapshot.keys
    resource_policy: Any = None          # None: the secret has no resource policy
    errors: tuple[CallError, ...] = ()


@dataclass(frozen=True)
class KeyState:
    """A KMS key as DescribeKey and GetKeyPolicy describe it."""

    key_id: str                          # as the secret names it (ID, ARN or alias)
    arn: str | None = None
    key_state: str | None = None         # Enabled, Disabled, PendingDeletion, ...
    key_manager: str | None = None       # AWS or CUSTOMER
    policy: Any = None
    errors: tuple[CallError, ...] = ()


@dataclass(frozen=True)
class Snapshot:
    generated_at: str
    caller: dict                 # {"account": ..., "arn": ...} per AWS profile used
    roles: dict[str, RoleState]  # by "<aws profile>|<role ARN>"
    users: dict[str, UserState]  # by "<aws profile>|<user name or ARN>"
    api_calls: int = 0
    errors: tuple[CallError, ...] = ()   # failures not tied to one entity (credentials, identity)
    version: int = SNAPSHOT_VERSION
    secrets: dict[str, SecretState] = field(default_factory=dict)  # by secret_key(...)
    keys: dict[str, KeyState] = field(default_factory=dict)        # by SecretState.key_ref

    def to_json(self) -> str:
        """The snapshot file: external IDs in every policy as salted tokens (auditor.redact)."""
        from .redact import new_salt, redact_document
        from .safejson import dumps

        salt = new_salt()   # one per snapshot: the configured ID is hashed once per reading
        data = asdict(self)
        for entity in (*data["roles"].values(), *data["users"].values()):
            if "trust_policy" in entity:
                entity["trust_policy"] = redact_document(entity["trust_policy"], salt)
            for named in (*entity["policies"], entity["boundary"]):
                if named is not None:
                    named["document"] = redact_document(named["document"], salt)
        for secret in data["secrets"].values():
            secret["resource_policy"] = redact_document(secret["resource_policy"], salt)
        for key in data["keys"].values():
            key["policy"] = redact_document(key["policy"], salt)
        return dumps(data, indent=2, sort_keys=True, default=str) + "\n"


def entity_key(aws_profile: str | None, name: str) -> str:
    return f"{aws_profile or ''}|{name}"


def secret_key(aws_profile: str | None, region: str, secret: str) -> str:
    """Where a configured secret's state is kept: names are per account and region."""
    return entity_key(aws_profile, f"{region}|{secret}")


def read_snapshot(path: str) -> Snapshot:
    """`--snapshot FILE`: the snapshot, or a UsageError of one line."""
    from .errors import UsageError
    from .safejson import JSONInputError, load_json_file


    def secret(item):
        return SecretState(**{**item, "errors": errors(item.get("errors"))})

    def key(item):
        return KeyState(**{**item, "errors": errors(item.get("errors"))})

    try:
        return snapshot_from_dict(load_json_file(path))
    except OSError as error:
        raise UsageError(f"--snapshot {path}: {error.strerror or error}") from None
    except (JSONInputError, ValueError) as error:
        raise UsageError(f"--snapshot {path}: {error}") from None


_NONE = type(None)
# Field -> accepted JSON types, for each record of the file (bool is no int here).
_CALL_ERROR = {"operation": str, "kind": str, "code": str, "message": str, "entity": str}
_POLICY = {"name": str, "kind": str, "source": str, "document": (dict, str, list), "arn": (str, _NONE)}
_KEY = {"access_key_id": str, "status": str, "created": (str, _NONE), "last_used": (str, _NONE)}
_ENTITY = {"name": str, "arn": (str, _NONE), "exists": (bool, _NONE), "policies": list,
           "boundary": (dict, _NONE), "has_boundary": bool, "errors": list}
_ROLE = {**_ENTITY, "max_session_duration": (int, _NONE), "trust_policy": (dict, str, list, _NONE)}
_USER = {**_ENTITY, "groups": list, "access_keys": (list, _NONE), "has_login_profile": (bool, _NONE)}
_SECRET = {"secret": str, "region": str, "arn": (str, _NONE), "exists": (bool, _NONE),
           "kms_key_id": (str, _NONE), "key_ref": (str, _NONE),
           "resource_policy": (dict, str, list, _NONE), "errors": list}
_KMS_KEY = {"key_id": str, "arn": (str, _NONE), "key_state": (str, _NONE), "key_manager": (str, _NONE),
            "policy": (dict, str, list, _NONE), "errors": list}


def _record(item, fields: dict, where: str, required=()) -> dict:
    """`item` checked against `fields`: a mapping of known keys with values of the right type."""
    if not isinstance(item, dict):
        raise ValueError(f"malformed snapshot: {where} is not an object")
    for key, value in item.items():
        if key not in fields:
            raise ValueError(f"malformed snapshot: {where} has an unknown field {key!r}")
        wanted = fields[key] if isinstance(fields[key], tuple) else (fields[key],)
        if (isinstance(value, bool) and bool not in wanted) or not isinstance(value, wanted):
            raise ValueError(f"malformed snapshot: {where}.{key} has the wrong type")
    missing = [key for key in required if key not in item]
    if missing:
        raise ValueError(f"malformed snapshot: {where} lacks {missing[0]!r}")
    return item


def snapshot_from_dict(data: dict) -> Snapshot:
    """Rebuild a snapshot written by `collect`; raises ValueError (one line) on a file of another
    shape. External-ID tokens become `RedactedExternalId` values here, and only here."""
    from .redact import tokens_to_values

    if not isinstance(data, dict) or data.get("version") != SNAPSHOT_VERSION:
        raise ValueError(f"not an iam-auditor snapshot of version {SNAPSHOT_VERSION}")
    _record(data, {"version": int, "generated_at": str, "caller": dict, "roles": dict,
                   "users": dict, "api_calls": int, "errors": list, "secrets": dict, "keys": dict},
            "the file", ("generated_at",))
    if data.get("api_calls", 0) < 0:
        raise ValueError("malformed snapshot: api_calls is negative")

    def errors(items, where):
        return tuple(CallError(**_record(e, _CALL_ERROR, f"{where}.errors[{n}]",
                                                ("operation", "kind", "code", "message")))
                     for n, e in enumerate(items or ()))

    def policy(item, where):
        if item is None:
            return None
        item = _record(item, _POLICY, where, ("name", "kind", "source", "document"))
        return NamedPolicy(**{**item, "document": tokens_to_values(item["document"])})

    def entity(item, fields, where):
        item = _record(item, fields, where, ("name",))
        return {**item, "policies": tuple(policy(p, f"{where}.policies[{n}]")
                                          for n, p in enumerate(item.get("policies", ()))),
                "boundary": policy(item.get("boundary"), f"{where}.boundary"),
                "errors": errors(item.get("errors"), where)}

    def role(name, item):
        fields = entity(item, _ROLE, f"roles[{name!r}]")
        return RoleState(**{**fields, "trust_policy": tokens_to_values(fields.get("trust_policy"))})

    def user(name, item):
        where = f"users[{name!r}]"
        fields = entity(item, _USER, where)
        keys = fields.get("access_keys")
        if not all(isinstance(g, str) for g in fields.get("groups", ())):
            raise ValueError(f"malformed snapshot: {where}.groups holds a non-string")
        return UserState(**{**fields, "groups": tuple(fields.get("groups", ())),
                            "access_keys": None if keys is None else tuple(
                                AccessKey(**_record(k, _KEY, f"{where}.access_keys[{n}]",
                                                    ("access_key_id", "status")))
                                for n, k in enumerate(keys))})

    def secret(name, item):
        where = f"secrets[{name!r}]"
        item = _record(item, _SECRET, where, ("secret", "region"))
        return SecretState(**{**item, "resource_policy": tokens_to_values(item.get("resource_policy")),
                              "errors": errors(item.get("errors"), where)})

    def key(name, item):
        where = f"keys[{name!r}]"
        item = _record(item, _KMS_KEY, where, ("key_id",))
        return KeyState(**{**item, "policy": tokens_to_values(item.get("policy")),
                           "errors": errors(item.get("errors"), where)})

    caller = data.get("caller") or {}
    if not all(isinstance(v, dict) and all(isinstance(x, (str, _NONE)) for x in v.values())
               for v in caller.values()):
        raise ValueError("malformed snapshot: caller holds something other than account facts")
    return Snapshot(generated_at=data["generated_at"], caller=dict(caller),
                    roles={k: role(k, v) for k, v in data.get("roles", {}).items()},
                    users={k: user(k, v) for k, v in data.get("users", {}).items()},
                    api_calls=data.get("api_calls", 0), errors=errors(data.get("errors"), "the file"),
                    secrets={k: secret(k, v) for k, v in data.get("secrets", {}).items()},
                    keys={k: key(k, v) for k, v in data.get("keys", {}).items()})

