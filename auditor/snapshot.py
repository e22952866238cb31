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


@dataclass(frozen=True)
class CallError:
    operation: str      # "iam:GetRole"
    kind: str           # one of the kinds above
    code: str           # the service's error code, e.g. "AccessDenied"
    message: str

    def describe(self) -> str:
        if self.kind == ACCESS_DENIED:
            return f"{self.operation} was denied (the auditor needs permission {self.operation})"
        if self.kind == THROTTLED:
            return f"{self.operation} was throttled past the retries"
        if self.kind == NETWORK:
            return f"{self.operation} failed: {self.message}"
        return f"{self.operation} failed with {self.code}: {self.message}"


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
        """The snapshot file: external IDs in trust policies as tokens (see auditor.redact)."""
        from .redact import redact_trust_policy

        data = asdict(self)
        for role in data["roles"].values():
            role["trust_policy"] = redact_trust_policy(role["trust_policy"])
        return json.dumps(data, indent=2, sort_keys=True, default=str, ensure_ascii=False) + "\n"


def entity_key(aws_profile: str | None, name: str) -> str:
    return f"{aws_profile or ''}|{name}"


def secret_key(aws_profile: str | None, region: str, secret: str) -> str:
    """Where a configured secret's state is kept: names are per account and region."""
    return entity_key(aws_profile, f"{region}|{secret}")


def snapshot_from_dict(data: dict) -> Snapshot:
    """Rebuild a snapshot written by `collect`; raises ValueError on a file of another shape."""
    if not isinstance(data, dict) or data.get("version") != SNAPSHOT_VERSION:
        raise ValueError(f"not an iam-auditor snapshot of version {SNAPSHOT_VERSION}")

    def errors(items):
        return tuple(CallError(**e) for e in items or ())

    def policy(item):
        return NamedPolicy(**item) if item else None

    def role(item):
        return RoleState(**{**item, "policies": tuple(policy(p) for p in item.get("policies", ())),
                            "boundary": policy(item.get("boundary")), "errors": errors(item.get("errors"))})

    def user(item):
        keys = item.get("access_keys")
        return UserState(**{**item, "groups": tuple(item.get("groups", ())),
                            "policies": tuple(policy(p) for p in item.get("policies", ())),
                            "boundary": policy(item.get("boundary")),
                            "access_keys": None if keys is None else tuple(AccessKey(**k) for k in keys),
                            "errors": errors(item.get("errors"))})

    def secret(item):
        return SecretState(**{**item, "errors": errors(item.get("errors"))})

    def key(item):
        return KeyState(**{**item, "errors": errors(item.get("errors"))})

    try:
        return Snapshot(generated_at=data["generated_at"], caller=dict(data.get("caller") or {}),
                        roles={k: role(v) for k, v in data.get("roles", {}).items()},
                        users={k: user(v) for k, v in data.get("users", {}).items()},
                        api_calls=int(data.get("api_calls", 0)), errors=errors(data.get("errors")),
                        secrets={k: secret(v) for k, v in (data.get("secrets") or {}).items()},
                        keys={k: key(v) for k, v in (data.get("keys") or {}).items()})
    except (TypeError, KeyError, AttributeError) as error:
        raise ValueError(f"malformed snapshot: {error}") from None
