"""Collectors for the secret side of the chain: each configured secret and the KMS key under it.

Per secret: secretsmanager:DescribeSecret (its ARN and KmsKeyId; never its value) and
GetResourcePolicy; per customer managed key: kms:DescribeKey and kms:GetKeyPolicy, each key
read once per scan however many secrets it encrypts. A secret encrypted with the AWS managed
key `aws/secretsmanager` costs no KMS call: that key's policy is fixed by AWS.

A secret is read with the credentials of its account: the role's (`aws_profile`) when it is in
the role's account or named without an account (the product resolves names in the role's
account), `secrets_aws_profile` otherwise. Without them, the secret is recorded as not read,
naming what is missing, and the rules that need it give ERROR.
"""
from __future__ import annotations

import threading

from .aws import CallFailed, Clients, call
from .collectors import _Once, _wrong_account
from .snapshot import NO_SUCH_ENTITY, OTHER, CallError, KeyState, SecretState, secret_key

AWS_MANAGED_SECRETS_KEY = "alias/aws/secretsmanager"


def arn_part(arn: str | None, index: int) -> str | None:
    parts = (arn or "").split(":")
    return parts[index] or None if len(parts) > 5 and parts[0] == "arn" else None


def is_aws_managed_secrets_key(kms_key_id: str | None) -> bool:
    """No KmsKeyId (DescribeSecret omits it for the default key) or the aws/secretsmanager alias."""
    return not kms_key_id or kms_key_id == AWS_MANAGED_SECRETS_KEY \
        or kms_key_id.endswith(":" + AWS_MANAGED_SECRETS_KEY)


def secret_region(profile, secret: str) -> str:
    return arn_part(secret, 3) if secret.startswith("arn:") and arn_part(secret, 3) else profile.region


def secret_reader(profile, secret: str, role_profile: str | None) -> tuple[str | None, CallError | None]:
    """The AWS named profile that reads `secret` (and keys its state), and why it cannot when the
    secret is in another account than the role and no profile of that account is configured."""
    account = arn_part(secret, 4) if secret.startswith("arn:") else None
    role_account = arn_part(profile.role_arn, 4)
    if account is None or role_account is None or account == role_account:
        return role_profile, None
    if getattr(profile, "secrets_aws_profile", None):
        return profile.secrets_aws_profile, None
    return role_profile, CallError(
        "secretsmanager:DescribeSecret", OTHER, "NoCredentials",
        f"the secret is in account {account}, not the role's account {role_account}: set the "
        f"profile's secrets_aws_profile to an AWS named profile of account {account} to read it")


def secret_state_key(profile, secret: str, role_profile: str | None) -> str:
    reader, _ = secret_reader(profile, secret, role_profile)
    return secret_key(reader, secret_region(profile, secret), secret)


class SecretReader:
    """Reads secrets and their keys; `keys` holds every key read, by SecretState.key_ref."""

    def __init__(self, clients: Clients):
        self.clients = clients
        self.keys: dict[str, KeyState] = {}
        self._lock = threading.Lock()
        self._key_reads: dict[str, _Once] = {}
        self._policy_reads: dict[tuple[str | None, str], _Once] = {}

    def secret(self, profile, secret: str, role_profile: str | None) -> SecretState:
        region = secret_region(profile, secret)
        aws_profile, missing = secret_reader(profile, secret, role_profile)
        if missing is not None:
            return SecretState(secret, region, errors=(missing,))
        client = self.clients.get(aws_profile, "secretsmanager", region)
        try:
            described = call(client, "secretsmanager:DescribeSecret", "describe_secret",
                             entity=f"secret {secret}", SecretId=secret)
        except CallFailed as failure:
            exists = False if failure.error.kind == NO_SUCH_ENTITY else None
            return SecretState(secret, region, exists=exists, errors=(failure.error,))
        arn = described.get("ARN")
        expected = secret if secret.startswith("arn:") else \
            f"arn:aws:secretsmanager:{region}:{arn_part(profile.role_arn, 4)}:secret:{secret}"
        wrong = _wrong_account("secretsmanager:DescribeSecret", expected, arn,
                               "secrets_aws_profile" if aws_profile != role_profile else "aws_profile")
        if wrong:
            return SecretState(secret, region, errors=(wrong,))
        kms_key_id = described.get("KmsKeyId")
        errors: list[CallError] = []
        policy = None
        try:
            policy = call(client, "secretsmanager:GetResourcePolicy", "get_resource_policy",
                          entity=f"secret {secret}", SecretId=arn or secret).get("ResourcePolicy")
        except CallFailed as failure:
            errors.append(failure.error)
        key_ref = None
        if not is_aws_managed_secrets_key(kms_key_id):
            key_region = arn_part(kms_key_id, 3) or region
            key_ref = secret_key(aws_profile, key_region, kms_key_id)
            self.key(key_ref, aws_profile, key_region, kms_key_id)
        return SecretState(secret, region, arn, True, kms_key_id, key_ref, policy, tuple(errors))

    def key(self, ref: str, aws_profile: str | None, region: str, kms_key_id: str) -> KeyState:
        """DescribeKey once per reference, GetKeyPolicy once per key ARN (an alias and the key's
        ID name the same key)."""
        entry, owner = self._once(self._key_reads, ref)
        if owner:
            try:
                entry.value = self._read_key(aws_profile, region, kms_key_id)
                with self._lock:
                    self.keys[ref] = entry.value
            finally:
                entry.done.set()
        else:
            entry.done.wait()
        return entry.value

    def _read_key(self, aws_profile, region, kms_key_id) -> KeyState:
        client = self.clients.get(aws_profile, "kms", region)
        try:
            meta = call(client, "kms:DescribeKey", "describe_key", entity=f"key {kms_key_id}",
                        need="KeyMetadata", KeyId=kms_key_id)["KeyMetadata"]
        except CallFailed as failure:
            return KeyState(kms_key_id, errors=(failure.error,))
        arn, manager = meta.get("Arn"), meta.get("KeyManager")
        state = KeyState(kms_key_id, arn, meta.get("KeyState"), manager)
        if manager == "AWS":
            return state          # an AWS managed key's policy is AWS's, and fixed
        policy, error = self._key_policy(client, aws_profile, arn or kms_key_id)
        return KeyState(kms_key_id, arn, state.key_state, manager, policy, (error,) if error else ())

    def _key_policy(self, client, aws_profile, arn) -> tuple[object, CallError | None]:
        entry, owner = self._once(self._policy_reads, (aws_profile, arn))
        if owner:
            try:
                entry.value = (call(client, "kms:GetKeyPolicy", "get_key_policy", entity=f"key {arn}",
                                    KeyId=arn, PolicyName="default").get("Policy"), None)
            except CallFailed as failure:
                entry.value = (None, failure.error)
            finally:
                entry.done.set()
        else:
            entry.done.wait()
        return entry.value

    def _once(self, table: dict, key) -> tuple[_Once, bool]:
        with self._lock:
            entry = table.get(key)
            if entry is None:
                entry = table[key] = _Once()
                return entry, True
            return entry, False
