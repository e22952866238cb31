"""CHAIN-007 role-can-decrypt-secret: the secret's KMS key lets the role decrypt it through
Secrets Manager.

The key policies are written from AWS's documentation:
- the default key policy (root of the account, "kms:*"): AWS KMS Developer Guide, "Default key
  policy", https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html — it
  delegates to IAM: the role's own policies must then allow kms:Decrypt;
- a key-user statement scoped with kms:ViaService: "kms:ViaService" in
  https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service;
- the encryption context Secrets Manager sends (SecretARN, SecretVersionId) and the AWS managed
  key aws/secretsmanager (its policy lets principals of the account use it through Secrets
  Manager only, so never across accounts): "Secret encryption and decryption",
  https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html and
  https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html;
- grants (https://docs.aws.amazon.com/kms/latest/developerguide/grants.html) are not read: the
  evidence says so.
"""
import sys
from dataclasses import replace
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from auditor.snapshot import NO_SUCH_ENTITY, CallError, NamedPolicy  # noqa: E402
from scan_helpers import (ACCOUNT, KMS_KEY_ARN, ROLE_ARN, SECRET_ARN, denied, key_state, profile,  # noqa: E402
                          role_state, run, secret_state, view)

RULE = "CHAIN-007"
OTHER = "444455556666"
OTHER_SECRET = f"arn:aws:secretsmanager:us-east-1:{OTHER}:secret:shared/db-AbCdEf"
OTHER_KEY = f"arn:aws:kms:us-east-1:{OTHER}:key/0987dcba-09fe-87dc-65ba-ab0987654321"


def doc(*statements):
    return {"Version": "2012-10-17", "Id": "key-policy", "Statement": list(statements)}


# AWS KMS "Default key policy": the account root, every KMS action.
DEFAULT_KEY_POLICY = doc({"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                          "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
                          "Resource": "*"})


def key_user(principal=ROLE_ARN, region="us-east-1", **extra_condition):
    """The console's "Allow use of the key" statement, scoped to Secrets Manager (kms:ViaService)."""
    condition = {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}}
    for operator, block in extra_condition.items():
        condition[operator] = block
    return {"Sid": "Allow use of the key", "Effect": "Allow", "Principal": {"AWS": principal},
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                       "kms:DescribeKey"], "Resource": "*", "Condition": condition}


def role_policy(*statements):
    return NamedPolicy("read", "inline", "role", {"Version": "2012-10-17", "Statement": list(statements)})


DECRYPT_IN_IAM = role_policy({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KMS_KEY_ARN})


def check(policy=None, *, secret=None, key=None, policies=(), secrets=None, prof=None):
    secret = secret or secret_state(kms_key_id=KMS_KEY_ARN)
    key = key or key_state(policy)
    return run(RULE, view(prof or profile(secrets=(secret.secret,)), role=role_state(policies=tuple(policies)),
                          secrets=secrets or (secret,), keys={"key": key}))


def test_key_policy_naming_the_role_with_via_service_passes():
    [result] = check(doc(DEFAULT_KEY_POLICY["Statement"][0], key_user()))
    assert result.status == "PASS"
    assert result.resource == SECRET_ARN and result.resource_type == "AwsSecretsManagerSecret"
    assert "grants" in result.evidence


def test_default_key_policy_without_kms_decrypt_in_the_role_fails():
    """The go-live failure: the key policy delegates to the account, the role's policies lack
    kms:Decrypt ("Access to KMS is not allowed")."""
    [result] = check(DEFAULT_KEY_POLICY)
    assert (result.status, result.severity) == ("FAIL", "high")
    assert "delegates to account" in result.message
    assert '"Action": "kms:Decrypt"' in result.remediation and KMS_KEY_ARN in result.remediation


def test_default_key_policy_with_kms_decrypt_in_the_role_passes():
    [result] = check(DEFAULT_KEY_POLICY, policies=[DECRYPT_IN_IAM])
    assert result.status == "PASS"
    assert result.evidence["role_policies"]["decision"] == "allowed"


def test_via_service_of_another_region_fails_and_says_why():
    [result] = check(doc(key_user(region="eu-west-1")))
    assert result.status == "FAIL"
    assert "kms:ViaService" in result.message and "secretsmanager.eu-west-1" in result.message
    assert "secretsmanager.us-east-1.amazonaws.com" in result.remediation
    assert result.location["document"] == "key-policy" and result.location["sid"] == "Allow use of the key"


def test_key_policy_forgetting_the_role_fails():
    other_role = f"arn:aws:iam::{ACCOUNT}:role/admin"
    [result] = check(doc(key_user(principal=other_role)))
    assert result.status == "FAIL"
    assert ROLE_ARN in result.remediation and '"kms:ViaService"' in result.remediation


def test_encryption_context_condition_on_the_secret_arn():
    pinned = key_user(StringLike={"kms:EncryptionContext:SecretARN": SECRET_ARN[:-6] + "*"})
    assert [r.status for r in check(doc(pinned))] == ["PASS"]
    elsewhere = key_user(StringLike={"kms:EncryptionContext:SecretARN":
                                     f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:other/*"})
    assert [r.status for r in check(doc(elsewhere))] == ["FAIL"]


def test_explicit_deny_in_the_key_policy_fails():
    deny = {"Sid": "NoDecryptOutsideApp", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt",
            "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/app"}}}
    [result] = check(doc(key_user(), deny))
    assert result.status == "FAIL" and "NoDecryptOutsideApp" in result.message


def test_principal_org_id_is_never_a_pass():
    org = key_user(StringEquals={"aws:PrincipalOrgID": "o-a1b2c3d4e5"})
    org["Condition"]["StringEquals"]["kms:ViaService"] = "secretsmanager.us-east-1.amazonaws.com"
    [result] = check(doc(org))
    assert result.status == "ERROR"
    assert "aws:PrincipalOrgID" in result.message
    assert result.evidence["decision"] == "conditional"


def test_disabled_or_pending_deletion_key_fails():
    for state in ("Disabled", "PendingDeletion"):
        [result] = check(key=key_state(doc(key_user()), key_state=state))
        assert (result.status, result.severity) == ("FAIL", "high")
        assert state in result.message and "enable-key" in result.remediation


def test_aws_managed_key_same_account_passes_cross_account_fails():
    [same] = check(secret=secret_state())              # no KmsKeyId: aws/secretsmanager
    assert same.status == "PASS" and "aws/secretsmanager" in same.message
    cross = secret_state(OTHER_SECRET)
    [result] = run(RULE, view(profile(secrets=(OTHER_SECRET,)), secrets=(cross,)))
    assert result.status == "FAIL"
    assert "customer managed key" in result.remediation and ROLE_ARN in result.remediation


def test_cross_account_key_needs_the_role_policy_too():
    """Cross-account: the key policy names the role, and the role's policies must allow it too."""
    secret = secret_state(OTHER_SECRET, kms_key_id=OTHER_KEY)
    key = key_state(doc(key_user()), arn=OTHER_KEY)
    without = run(RULE, view(profile(secrets=(OTHER_SECRET,)), secrets=(secret,), keys={"key": key}))
    assert [r.status for r in without] == ["FAIL"] and "another account" in without[0].message
    with_iam = run(RULE, view(profile(secrets=(OTHER_SECRET,)), secrets=(secret,), keys={"key": key},
                              role=role_state(policies=(role_policy(
                                  {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": OTHER_KEY}),))))
    assert [r.status for r in with_iam] == ["PASS"]


def test_unreadable_key_is_an_error_not_a_pass():
    [result] = check(key=key_state(None, errors=(denied("kms:GetKeyPolicy"),)))
    assert result.status == "ERROR" and "kms:GetKeyPolicy" in result.message
    [gone] = check(key=key_state(None, key_state=None, errors=(
        CallError("kms:DescribeKey", NO_SUCH_ENTITY, "NotFoundException", "no such key"),)))
    assert gone.status == "FAIL"


def test_secret_not_described_is_an_error_and_no_secrets_skip():
    state = replace(secret_state(), arn=None, exists=None, errors=(denied("secretsmanager:DescribeSecret"),))
    [result] = run(RULE, view(secrets=(state,)))
    assert result.status == "ERROR" and "secretsmanager:DescribeSecret" in result.message
    [skip] = run(RULE, view(profile(secrets=())))
    assert skip.status == "SKIP"
    [missing] = run(RULE, view())                        # the snapshot has no secret side
    assert missing.status == "ERROR"


def test_one_result_per_secret():
    second = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:catalog/other-XyZ123"
    states = (secret_state(kms_key_id=KMS_KEY_ARN), secret_state(second))
    results = check(DEFAULT_KEY_POLICY, secrets=states, prof=profile(secrets=(SECRET_ARN, second)))
    assert [(r.status, r.resource) for r in results] == [("FAIL", SECRET_ARN), ("PASS", second)]
    assert len({r.fingerprint for r in results}) == 2
