"""Cross-account end to end: the role in account A, the IAM user in account B, read with two AWS
named profiles (`aws_profile` for the role's account, `user_aws_profile` for the user's).

How moto's server tells accounts apart (moto 5, `BaseResponse.get_current_account`): the
`MOTO_ACCOUNT_ID` environment variable of the server process (server-wide, so useless here),
else an `x-moto-account-id` request header (the auditor's boto3 clients send none), else the
request's access key: a key that some account's IAM issued (a user's AKIA key, or the ASIA key
sts:AssumeRole returned) acts in that account, and any other key in the default account
123456789012. sts:AssumeRole into a role ARN of another account needs no such role to exist:
moto takes the account from the ARN. So the bootstrap is: AssumeRole from the default account
into `arn:aws:iam::<B>:role/bootstrap`, build account B with those credentials, and give each
account an auditor user whose long-lived key goes into a credentials file in tmp_path.
"""
import json

import boto3
import pytest

from moto_account import ACCOUNT, REGION, statuses
from test_scan_e2e import EXTERNAL_ID

ACCOUNT_A = ACCOUNT            # the role's account (moto's default account)
ACCOUNT_B = "111111111111"     # the user's account
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_A}:role/read_secrets_role"
USER = "catalog-reader"
USER_ARN_B = f"arn:aws:iam::{ACCOUNT_B}:user/{USER}"
USER_RULES = ("CHAIN-001", "LP-002", "LP-004", "KEY-001", "KEY-002", "KEY-003")


def _doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _account_b_session(account):
    """A boto3 session that moto maps to account B: AssumeRole into a (non-existent) role of B."""
    sts = account.session.client("sts", endpoint_url=account.endpoint)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_B}:role/bootstrap",
                            RoleSessionName="bootstrap")["Credentials"]
    session = boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                            aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"], region_name=REGION)
    identity = session.client("sts", endpoint_url=account.endpoint).get_caller_identity()
    assert identity["Account"] == ACCOUNT_B, identity
    return session


def _auditor_key(iam):
    """An auditor user and its key in the account `iam` acts in (moto maps the key back to it)."""
    iam.create_user(UserName="iam-auditor")
    key = iam.create_access_key(UserName="iam-auditor")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def _aws_files(tmp_path, keys):
    """A shared credentials file and a config file holding one named profile per account."""
    credentials = tmp_path / "aws-credentials"
    config = tmp_path / "aws-config"
    credentials.write_text("".join(
        f"[{name}]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n\n"
        for name, (key_id, secret) in keys.items()))
    config.write_text("".join(f"[profile {name}]\nregion = {REGION}\n\n" for name in keys))
    return {"AWS_SHARED_CREDENTIALS_FILE": str(credentials), "AWS_CONFIG_FILE": str(config)}


@pytest.fixture
def cross(account, tmp_path):
    """The guide's set-up done right, split over two accounts; returns (profile, env, iam_b)."""
    iam_a = account.iam                          # the "testing" key: moto's default account A
    iam_b = _account_b_session(account).client("iam", endpoint_url=account.endpoint)

    # Account B: the user, allowed to assume exactly the role of account A, with one key.
    user_arn = iam_b.create_user(UserName=USER)["User"]["Arn"]
    assert user_arn == USER_ARN_B
    iam_b.put_user_policy(UserName=USER, PolicyName="assume", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE_ARN}))
    key_id = iam_b.create_access_key(UserName=USER)["AccessKey"]["AccessKeyId"]

    # Account A: the secret, the role trusting the user of B with an external ID, its policy.
    secret_arn = account.secret()
    policy_arn = account.policy("read_secrets_policy", [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret_arn}])
    assert account.role("read_secrets_role", [
        {"Effect": "Allow", "Principal": {"AWS": USER_ARN_B}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}}],
        policy_arns=[policy_arn]) == ROLE_ARN
    assert iam_a.list_users()["Users"] == []     # the user is not in A

    env = _aws_files(tmp_path, {"acct-a": _auditor_key(iam_a), "acct-b": _auditor_key(iam_b)})
    env["CATALOG_SECRET"] = "x" * 40
    profile = {"name": "catalog-saas", "auth_type": "iam_role", "region": REGION, "user": USER,
               "role_arn": ROLE_ARN, "external_id": EXTERNAL_ID, "sts_duration": 3600,
               "access_key_id": key_id, "secret_access_key": "${CATALOG_SECRET}",
               "secrets": [secret_arn], "aws_profile": "acct-a", "user_aws_profile": "acct-b"}
    return profile, env, iam_b


def _by_rule(report, rule):
    return [r for r in report["results"] if r["rule_id"] == rule]


def test_moto_maps_each_named_profile_to_its_account(account, cross, monkeypatch):
    """The premise of the other tests: the two named profiles act in two different accounts."""
    _, env, _ = cross
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", env["AWS_SHARED_CREDENTIALS_FILE"])
    monkeypatch.setenv("AWS_CONFIG_FILE", env["AWS_CONFIG_FILE"])
    for name, expected in (("acct-a", ACCOUNT_A), ("acct-b", ACCOUNT_B)):
        sts = boto3.Session(profile_name=name).client("sts", endpoint_url=account.endpoint)
        identity = sts.get_caller_identity()
        assert identity["Account"] == expected, (name, identity)
        assert identity["Arn"] == f"arn:aws:iam::{expected}:user/iam-auditor"


def test_cross_account_chain_passes(account, cross, validate_report):
    profile, env, _ = cross
    proc, report = account.scan(account.config(profile), "--fail-on", "medium", env=env)
    assert report is not None, proc.stderr
    validate_report(report)
    got = statuses(report)
    for rule in ("CHAIN-001", "CHAIN-002", "CHAIN-003", "CHAIN-004", "CHAIN-005", "LP-001",
                 "LP-002", "LP-003", "LP-004", "TRUST-001", "TRUST-002", "TRUST-003",
                 "KEY-001", "KEY-003", "CONFIG-001"):
        assert {s for s, _ in got[rule]} == {"PASS"}, (rule, got[rule], report["results"])
    assert not [r for r in report["results"] if r["status"] == "ERROR"], report["results"]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # CHAIN-002 admits the user of account B by its ARN.
    assert USER_ARN_B in _by_rule(report, "CHAIN-002")[0]["message"]
    # The user's rules are about the user of account B, the role's rules about the role of A.
    for rule in USER_RULES:
        for result in _by_rule(report, rule):
            assert result["resource"] == USER_ARN_B, result
            assert result["resource_type"] == "AwsIamUser", result
    for rule in ("CHAIN-002", "CHAIN-003", "CHAIN-004", "LP-001", "TRUST-002"):
        for result in _by_rule(report, rule):
            assert result["resource"] == ROLE_ARN and result["account_id"] == ACCOUNT_A, result
    assert EXTERNAL_ID not in proc.stdout and "x" * 40 not in proc.stdout


def test_lp002_reports_the_user_of_account_b(account, cross):
    """A failing user rule names the user ARN of account B, not a user of account A."""
    profile, env, iam_b = cross
    iam_b.put_user_policy(UserName=USER, PolicyName="assume", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))
    proc, report = account.scan(account.config(profile), env=env)
    lp002 = _by_rule(report, "LP-002")
    assert [(r["status"], r["severity"]) for r in lp002] == [("FAIL", "medium")], lp002
    assert lp002[0]["resource"] == USER_ARN_B
    assert statuses(report)["CHAIN-001"][0][0] == "PASS"
    assert proc.returncode == 1


def test_user_is_read_from_account_b(account, cross):
    """Without user_aws_profile the user is looked up in the role's account A, where it is not."""
    profile, env, _ = cross
    del profile["user_aws_profile"]
    proc, report = account.scan(account.config(profile), env=env)
    chain1 = _by_rule(report, "CHAIN-001")
    assert [r["status"] for r in chain1] == ["FAIL"], chain1
    assert "does not exist" in chain1[0]["message"], chain1
    got = statuses(report)
    for rule in ("CHAIN-002", "CHAIN-003", "LP-002", "KEY-003"):
        assert {s for s, _ in got[rule]} == {"SKIP"}, (rule, got[rule])
    assert got["CHAIN-004"][0][0] == "PASS"      # the role's side is still read from A
    assert proc.returncode == 1


def test_user_side_profile_reads_role_account_only_for_the_role(account, cross):
    """The role read with the user's account profile: absent in B, so CHAIN-002 FAILs."""
    profile, env, _ = cross
    profile["aws_profile"], profile["user_aws_profile"] = "acct-b", "acct-b"
    _, report = account.scan(account.config(profile), env=env)
    chain2 = _by_rule(report, "CHAIN-002")
    assert [r["status"] for r in chain2] == ["FAIL"] and "does not exist" in chain2[0]["message"]
    assert statuses(report)["CHAIN-001"][0][0] == "PASS"


def test_collect_then_offline_scan_keeps_both_accounts(account, cross, tmp_path):
    from clitools import run_cli

    profile, env, _ = cross
    config = account.config(profile)
    snapshot = tmp_path / "snapshot.json"
    collected = run_cli("collect", "-c", config, "-o", snapshot, env=account.env(**env))
    assert collected.returncode == 0, collected.stderr
    data = json.loads(snapshot.read_text())
    assert f"acct-b|{USER}" in data["users"] and f"acct-a|{ROLE_ARN}" in data["roles"]
    assert data["users"][f"acct-b|{USER}"]["arn"] == USER_ARN_B
    assert {v["account"] for v in data["caller"].values()} == {ACCOUNT_A, ACCOUNT_B}
    live = json.loads(run_cli("scan", "-c", config, "--format", "json", env=account.env(**env)).stdout)
    offline = json.loads(run_cli("scan", "-c", config, "--snapshot", snapshot, "--format", "json",
                                 env={"CATALOG_SECRET": env["CATALOG_SECRET"]}).stdout)
    key = lambda r: (r["rule_id"], r["fingerprint"], r["status"], r["resource"], r["message"])  # noqa: E731
    assert sorted(map(key, live["results"])) == sorted(map(key, offline["results"]))


# -- accounts kept apart (these were gaps found by the tests above) ----------------------------

def test_user_results_carry_the_users_account(account, cross):
    profile, env, _ = cross
    _, report = account.scan(account.config(profile), env=env)
    for rule in USER_RULES:
        for result in _by_rule(report, rule):
            assert result["account_id"] == ACCOUNT_B, result


def test_user_arn_of_another_account_is_not_silently_swapped(account, cross):
    """The user configured by its ARN in B, no user_aws_profile, and a same-named user in A:
    the auditor must not audit A's user in its place."""
    profile, env, _ = cross
    del profile["user_aws_profile"]
    profile["user"] = USER_ARN_B
    account.iam.create_user(UserName=USER)
    _, report = account.scan(account.config(profile), env=env)
    wrong = f"arn:aws:iam::{ACCOUNT_A}:user/{USER}"
    assert [r for r in report["results"] if r["resource"] == wrong] == []


def test_role_of_another_account_is_not_silently_swapped(account, cross):
    """role_arn names A, but aws_profile reads B, where a same-named role trusts the user without
    an external ID: CHAIN-002/003 must not PASS on that other role."""
    profile, env, iam_b = cross
    iam_b.create_role(RoleName="read_secrets_role", AssumeRolePolicyDocument=_doc(
        {"Effect": "Allow", "Principal": {"AWS": USER_ARN_B}, "Action": "sts:AssumeRole"}))
    profile["aws_profile"] = "acct-b"
    _, report = account.scan(account.config(profile), env=env)
    wrong = f"arn:aws:iam::{ACCOUNT_B}:role/read_secrets_role"
    assert [r for r in report["results"] if r["resource"] == wrong] == []
    assert statuses(report)["CHAIN-002"][0][0] != "PASS"
