"""docs/auditor-policy.json is enough, and every action in it is needed (moto enforcing IAM)."""
import json

import pytest

from clitools import ROOT, run_cli
from test_scan_e2e import narrow_setup

POLICY = json.loads((ROOT / "docs" / "auditor-policy.json").read_text())
ACTIONS = POLICY["Statement"][0]["Action"]


def _auditor_keys(account, actions):
    account.iam.create_user(UserName="iam-auditor")
    document = json.loads(json.dumps(POLICY))
    document["Statement"][0]["Action"] = actions
    account.iam.put_user_policy(UserName="iam-auditor", PolicyName="auditor",
                                PolicyDocument=json.dumps(document))
    key = account.iam.create_access_key(UserName="iam-auditor")["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


ROLE_ARN = "arn:aws:iam::123456789012:role/read_secrets_role"
# The secret is encrypted with a customer managed key and has a resource policy, so that the scan
# makes every call of the secret side (DescribeSecret, GetResourcePolicy, DescribeKey, GetKeyPolicy).
KEY_POLICY = [{"Sid": "Enable IAM User Permissions", "Effect": "Allow",
               "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"},
              {"Effect": "Allow", "Principal": {"AWS": ROLE_ARN}, "Action": "kms:Decrypt", "Resource": "*"}]
SECRET_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": ROLE_ARN}, "Action": "secretsmanager:GetSecretValue",
    "Resource": "*"}]}


def _scan_as_auditor(account, actions):
    config = account.config(narrow_setup(account, key_statements=KEY_POLICY, secret_policy=SECRET_POLICY))
    keys = _auditor_keys(account, actions)
    account.enforce_auth(True)
    try:
        proc = run_cli("scan", "-c", config, "--format", "json",
                       env=account.env(CATALOG_SECRET="x" * 40, **keys))
    finally:
        account.enforce_auth(False)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc, json.loads(proc.stdout)


def test_documented_policy_is_sufficient(account):
    proc, report = _scan_as_auditor(account, ACTIONS)
    errors = [r for r in report["results"] if r["status"] == "ERROR"]
    assert errors == [], errors


@pytest.mark.parametrize("removed", ["iam:GetRole", "iam:ListAttachedRolePolicies",
                                     "iam:GetPolicyVersion", "iam:ListUserPolicies",
                                     "iam:ListAccessKeys", "secretsmanager:DescribeSecret",
                                     "secretsmanager:GetResourcePolicy", "kms:DescribeKey",
                                     "kms:GetKeyPolicy"])
def test_each_removed_action_gives_errors_not_passes(account, removed):
    proc, report = _scan_as_auditor(account, [a for a in ACTIONS if a != removed])
    errors = [r for r in report["results"] if r["status"] == "ERROR"]
    assert errors, f"removing {removed} produced no ERROR"
    assert any(removed in r["message"] for r in errors)
    assert proc.returncode in (1, 3)
