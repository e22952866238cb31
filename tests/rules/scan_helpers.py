"""Shared builders for the per-rule scan tests (imported as a plain module, not a conftest).

Each test module puts this directory on sys.path itself (see the top of test_key_001.py), so
`from scan_helpers import ...` works whatever pytest's import mode. Profiles are a local frozen
dataclass with the attributes of `auditor.config.Profile`; auditor.config is not imported.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from auditor.engine import SCAN, Engine, Target
from auditor.scan_view import ProfileView
from auditor.settings import Settings
from auditor.snapshot import (ACCESS_DENIED, NO_SUCH_ENTITY, AccessKey, CallError, KeyState, RoleState,
                              SecretState, UserState)

ACCOUNT = "123456789012"
ROLE_NAME = "read_secrets_role"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE_NAME}"
USER_NAME = "catalog-secrets-reader"
USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/{USER_NAME}"
SECRET_ARN = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:catalog/prod-db-AbCdEf"
KEY_ID = "AKIAIOSFODNN7EXAMPLE"
KMS_KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY_ID = "AKIAI44QH8DHBEXAMPLE"


@dataclass(frozen=True)
class Profile:
    name: str = "p"
    auth_type: str = "iam_role"
    region: str = "us-east-1"
    user: str = USER_NAME
    role_arn: str = ROLE_ARN
    external_id: str = "c1f0e0b2-7d4e-4e8a-9a51-3f1b6f2d9c47"
    sts_duration: int = 1800
    access_key_id: str | None = None
    secret_access_key: str | None = None
    secret_access_key_literal: bool = False
    secrets: tuple[str, ...] = (SECRET_ARN,)
    aws_profile: str | None = None
    user_aws_profile: str | None = None
    secrets_aws_profile: str | None = None

    @property
    def user_name(self) -> str:
        return self.user.rsplit("/", 1)[-1] if self.user.startswith("arn:") else self.user

    @property
    def role_name(self) -> str:
        return self.role_arn.rsplit("/", 1)[-1]

    @property
    def role_account(self) -> str | None:
        parts = self.role_arn.split(":")
        return parts[4] if len(parts) > 5 else None


def profile(**changes) -> Profile:
    return replace(Profile(), **changes)


def denied(operation: str) -> CallError:
    return CallError(operation, ACCESS_DENIED, "AccessDenied",
                     f"User is not authorized to perform: {operation}")


def no_such_entity(operation: str) -> CallError:
    return CallError(operation, NO_SUCH_ENTITY, "NoSuchEntity", "The entity cannot be found.")


def role_state(max_session_duration: int | None = 3600, **changes) -> RoleState:
    base = RoleState(name=ROLE_NAME, arn=ROLE_ARN, exists=True,
                     max_session_duration=max_session_duration)
    return replace(base, **changes)


def missing_role() -> RoleState:
    """What the collector records when iam:GetRole says NoSuchEntity."""
    return RoleState(ROLE_NAME, ROLE_ARN, False, errors=(no_such_entity("iam:GetRole"),))


def denied_role() -> RoleState:
    """What the collector records when iam:GetRole is denied."""
    return RoleState(ROLE_NAME, ROLE_ARN, None, errors=(denied("iam:GetRole"),))


def key(key_id: str = KEY_ID, status: str = "Active", created: str | None = "2024-05-01T10:00:00Z",
        last_used: str | None = "2024-06-01T10:00:00Z") -> AccessKey:
    return AccessKey(key_id, status, created, last_used)


def user_state(*keys: AccessKey, **changes) -> UserState:
    base = UserState(name=USER_NAME, arn=USER_ARN, exists=True, access_keys=tuple(keys),
                     has_login_profile=False)
    return replace(base, **changes)


def missing_user() -> UserState:
    return UserState(USER_NAME, None, False, errors=(no_such_entity("iam:GetUser"),))


def keys_denied_user() -> UserState:
    """iam:ListAccessKeys denied: the collector leaves access_keys None and records the error."""
    return UserState(USER_NAME, USER_ARN, True, access_keys=None,
                     errors=(denied("iam:ListAccessKeys"),))


def secret_state(arn: str = SECRET_ARN, kms_key_id: str | None = None, policy=None,
                 **changes) -> SecretState:
    """A described secret (configured by its ARN); with `kms_key_id`, its key's entry is "key"."""
    base = SecretState(secret=arn, region=arn.split(":")[3], arn=arn, exists=True,
                       kms_key_id=kms_key_id, key_ref="key" if kms_key_id else None,
                       resource_policy=policy)
    return replace(base, **changes)


def key_state(policy=None, arn: str = KMS_KEY_ARN, **changes) -> KeyState:
    """A customer managed key, enabled, with `policy` as its key policy."""
    return replace(KeyState(key_id=arn, arn=arn, key_state="Enabled", key_manager="CUSTOMER",
                            policy=policy), **changes)


def view(prof: Profile | None = None, role: RoleState | None = None, user: UserState | None = None,
         settings: Settings | None = None, secrets=(), keys=None) -> ProfileView:
    """`secrets`: SecretStates of the configured secrets (by their `secret`); `keys` by key_ref."""
    prof = prof or profile()
    return ProfileView(profile=prof, role=role if role is not None else role_state(),
                       user=user if user is not None else user_state(key()),
                       settings=settings or Settings(), caller_account=ACCOUNT, peers=(prof,),
                       secrets={s.secret: s for s in secrets}, keys=keys or {})


def run(rule_id: str, payload: ProfileView, settings: Settings | None = None):
    """Run one rule through the real engine, as `scan` does; its results."""
    settings = settings or payload.settings
    target = Target(resource=payload.role_arn, resource_type="AwsIamRole", payload=payload,
                    profile=payload.profile.name, account_id=ACCOUNT, region=payload.profile.region)
    results = Engine(SCAN, only=[rule_id]).run(target, settings)
    assert results, f"{rule_id} produced no result at all"
    assert {r.rule_id for r in results} == {rule_id}
    return results


def statuses(results):
    """(status, severity) of each result, in order."""
    return [(r.status, r.severity) for r in results]
