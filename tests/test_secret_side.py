"""The secret side of the chain in-process: configuration key, collectors (mock_aws), snapshot
round trip and the markdown checklist."""
import json
import textwrap

import boto3
import pytest

from auditor.collectors import collect
from auditor.config import load_config
from auditor.errors import UsageError
from auditor.readonly import ALLOWED_OPERATIONS
from auditor.snapshot import NO_SUCH_ENTITY, snapshot_from_dict
from test_collectors import aws  # noqa: F401 - mock_aws with an IAM set-up, fake credentials

ACCOUNT, REGION = "123456789012", "us-east-1"
OTHER_SECRET = f"arn:aws:secretsmanager:{REGION}:444455556666:secret:shared/db-AbCdEf"

CONFIG = textwrap.dedent("""\
    version: 1
    profiles:
      - name: p
        auth_type: iam_role
        region: us-east-1
        user: reader
        role_arn: arn:aws:iam::123456789012:role/read_secrets_role
        external_id: 0d6e9b0c-3f1a-4c55-8e2b-9a7c51f0e2d4
        sts_duration: 3600
        secrets: {secrets}
        {extra}
    """)


def _config(tmp_path, secrets, extra=""):
    path = tmp_path / "c.yaml"
    path.write_text(CONFIG.format(secrets=json.dumps(secrets), extra=extra))
    return load_config(path)


def test_secrets_aws_profile_is_a_profile_key(tmp_path):
    config = _config(tmp_path, [OTHER_SECRET], "secrets_aws_profile: audit-shared")
    assert config.profiles[0].secrets_aws_profile == "audit-shared"
    assert "audit-shared" in repr(config.profiles[0])
    with pytest.raises(UsageError, match="secrets_aws_profile"):
        _config(tmp_path, [OTHER_SECRET], "secrets_aws_profile: [1]")


def test_the_four_reads_are_allowed_and_values_never():
    assert {"secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", "kms:DescribeKey",
            "kms:GetKeyPolicy"} <= ALLOWED_OPERATIONS
    assert "secretsmanager:GetSecretValue" not in ALLOWED_OPERATIONS
    assert not any(op.startswith("kms:") and op != "kms:DescribeKey" and op != "kms:GetKeyPolicy"
                   for op in ALLOWED_OPERATIONS)


def _key(statements):
    return boto3.client("kms", region_name=REGION).create_key(Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": statements}))["KeyMetadata"]["Arn"]


def test_collects_secrets_and_reads_a_shared_key_once(aws, tmp_path):
    root = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*",
            "Resource": "*"}
    key = _key([root])
    kms = boto3.client("kms", region_name=REGION)
    kms.create_alias(AliasName="alias/shared", TargetKeyId=key.rsplit("/", 1)[-1])
    sm = boto3.client("secretsmanager", region_name=REGION)
    by_arn = sm.create_secret(Name="a", SecretString="x", KmsKeyId=key)["ARN"]
    sm.create_secret(Name="b", SecretString="x", KmsKeyId=key)
    by_alias = sm.create_secret(Name="c", SecretString="x", KmsKeyId="alias/shared")["ARN"]
    plain = sm.create_secret(Name="d", SecretString="x")["ARN"]
    config = _config(tmp_path, [by_arn, "b", by_alias, plain[:-7], "missing"])
    snapshot = collect(config.profiles)
    states = {s.secret: s for s in snapshot.secrets.values()}
    assert states["b"].arn.endswith(":secret:b-" + states["b"].arn[-6:])     # a name resolved
    assert states[plain[:-7]].arn == plain and states[plain[:-7]].key_ref is None
    assert states["missing"].exists is False and states["missing"].errors[0].kind == NO_SUCH_ENTITY
    # Three secrets under one key: DescribeKey per reference (the ARN, the alias), one GetKeyPolicy.
    assert {k.arn for k in snapshot.keys.values()} == {key}
    assert all(k.policy and k.key_state == "Enabled" for k in snapshot.keys.values())
    assert len(snapshot.keys) == 2
    # Per secret DescribeSecret + GetResourcePolicy (none for the missing one), 2 DescribeKey,
    # 1 GetKeyPolicy, and the IAM side (role, user, caller) of a scan whose role is absent.
    secret_calls = 4 * 2 + 1 + 2 + 1
    iam_only = collect(_config(tmp_path, []).profiles)
    assert snapshot.api_calls - iam_only.api_calls == secret_calls
    round_trip = snapshot_from_dict(json.loads(snapshot.to_json()))
    assert round_trip.secrets == snapshot.secrets
    # Key policies are stored decoded (external IDs in them become tokens, as in every policy).
    from dataclasses import replace

    def decoded(keys):
        return {k: replace(v, policy=json.loads(v.policy) if isinstance(v.policy, str) else v.policy)
                for k, v in keys.items()}

    assert decoded(round_trip.keys) == decoded(snapshot.keys)


def test_secret_of_another_account_without_credentials_is_not_read(aws, tmp_path):
    snapshot = collect(_config(tmp_path, [OTHER_SECRET]).profiles)
    [state] = snapshot.secrets.values()
    assert state.exists is None and "secrets_aws_profile" in state.errors[0].message
    assert snapshot.api_calls == collect(_config(tmp_path, []).profiles).api_calls


def test_markdown_lists_the_secret_side_under_step_1():
    from auditor.demo import run_demo
    from auditor.reports import markdown

    text = markdown.render(run_demo())
    profile = text.split("## Profile `catalog-prod`")[1].split("## Profile")[0]
    step1 = profile.split("### Step 1")[1].split("### Step 2")[0]
    side = step1.split("The secrets themselves (resource policy, KMS key):")[1]
    assert "**CHAIN-006**" in side and "**SECRET-001**" in side
    assert "- [ ] **CHAIN-007** (high)" in side and "kms:Decrypt" in side
    assert "**CHAIN-004**" not in side
