"""The real CLI against a moto server: the guide's set-up and each of its mistakes."""
import json

from clitools import run_cli
from moto_account import ACCOUNT, REGION, statuses

EXTERNAL_ID = "7f3c9a1e-52b4-4d8e-a6c1-0b9e2f4d7a35"


def narrow_setup(account, *, trust_condition=None, user_statements=None, role_policy=None,
                 max_session=14400, boundary=None, principal=None, key_statements=None,
                 secret_policy=None):
    """The guide's set-up done right; keyword arguments inject one mistake at a time.
    `key_statements`: the secret is encrypted with a customer managed key of that key policy;
    `secret_policy`: the secret's resource policy."""
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/read_secrets_role"
    secret_arn = account.secret(kms_key_id=account.kms_key(key_statements) if key_statements else None,
                                resource_policy=secret_policy)
    user_arn, key_id = account.user(statements=user_statements if user_statements is not None else [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}])
    policy_arn = account.policy("read_secrets_policy", role_policy or [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret_arn}])
    condition = trust_condition if trust_condition is not None else {
        "StringEquals": {"sts:ExternalId": EXTERNAL_ID}}
    statement = {"Effect": "Allow", "Principal": principal or {"AWS": user_arn},
                 "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    account.role("read_secrets_role", [statement], max_session=max_session,
                 policy_arns=[policy_arn], boundary=boundary)
    return {"name": "catalog-prod", "auth_type": "iam_role", "region": REGION,
            "user": "catalog-reader", "role_arn": role_arn, "external_id": EXTERNAL_ID,
            "sts_duration": 3600, "access_key_id": key_id, "secret_access_key": "${CATALOG_SECRET}",
            "secrets": [secret_arn]}


def scan(account, profile, *args, **config_kwargs):
    proc, report = account.scan(account.config(profile, **config_kwargs), *args,
                                env={"CATALOG_SECRET": "x" * 40})
    return proc, report


def test_correct_setup_passes_every_chain_rule(account, validate_report):
    proc, report = scan(account, narrow_setup(account), "--fail-on", "medium")
    validate_report(report)
    got = statuses(report)
    for rule in ("CHAIN-001", "CHAIN-002", "CHAIN-003", "CHAIN-004", "CHAIN-005", "LP-001",
                 "LP-002", "LP-003", "LP-004", "TRUST-001", "TRUST-002", "TRUST-003", "TRUST-004",
                 "TRUST-005", "SESSION-001", "KEY-001", "KEY-003", "CONFIG-001", "POLICY-001"):
        assert {s for s, _ in got[rule]} == {"PASS"}, (rule, got[rule], report["results"])
    assert proc.returncode == 0, proc.stdout
    assert 0 < report["api_calls"] <= 20


def test_guide_wildcards_fail_least_privilege(account):
    profile = narrow_setup(account, user_statements=[
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
        role_policy=[{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}])
    proc, report = scan(account, profile)
    got = statuses(report)
    assert got["LP-001"] == [("FAIL", "medium")]
    assert got["LP-002"] == [("FAIL", "medium")]
    assert got["CHAIN-001"][0][0] == "PASS" and got["CHAIN-004"][0][0] == "PASS"
    assert proc.returncode == 1


def test_weak_external_id_operators(account):
    profile = narrow_setup(account, trust_condition={"StringLike": {"sts:ExternalId": "*"}})
    _, report = scan(account, profile)
    assert statuses(report)["TRUST-003"] == [("FAIL", "high")]
    assert statuses(report)["CHAIN-003"][0][0] == "PASS"


def test_wrong_external_id_breaks_the_chain(account):
    profile = narrow_setup(account)
    profile["external_id"] = "a-different-but-long-external-id"
    proc, report = scan(account, profile)
    assert statuses(report)["CHAIN-003"] == [("FAIL", "high")]
    assert EXTERNAL_ID not in proc.stdout and profile["external_id"] not in proc.stdout


def test_missing_external_id_condition(account):
    _, report = scan(account, narrow_setup(account, trust_condition={}))
    assert statuses(report)["TRUST-002"] == [("FAIL", "high")]
    assert statuses(report)["CHAIN-003"][0][0] == "PASS"


def test_public_principal_is_critical(account):
    _, report = scan(account, narrow_setup(account, principal="*"))
    assert ("FAIL", "critical") in statuses(report)["TRUST-001"]


def test_duration_equal_to_maximum(account):
    profile = narrow_setup(account, max_session=3600)
    _, report = scan(account, profile)
    assert statuses(report)["CHAIN-005"] == [("FAIL", "medium")]
    profile_long = dict(profile, sts_duration=7200)
    _, report = scan(account, profile_long)
    assert statuses(report)["CHAIN-005"] == [("FAIL", "high")]


def test_explicit_deny_wins(account):
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/read_secrets_role"
    profile = narrow_setup(account, user_statements=[
        {"Effect": "Allow", "Action": "sts:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "sts:AssumeRole", "Resource": role_arn}])
    _, report = scan(account, profile)
    assert statuses(report)["CHAIN-001"] == [("FAIL", "high")]


def test_group_granted_permission(account):
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/read_secrets_role"
    profile = narrow_setup(account, user_statements=[])
    account.iam.create_group(GroupName="catalog")
    account.iam.put_group_policy(GroupName="catalog", PolicyName="assume", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Resource": role_arn}]}))
    _, report = scan(account, profile)
    assert statuses(report)["CHAIN-001"] == [("FAIL", "high")]
    account.iam.add_user_to_group(GroupName="catalog", UserName="catalog-reader")
    _, report = scan(account, profile)
    assert statuses(report)["CHAIN-001"][0][0] == "PASS"


def test_role_boundary_blocks_secrets(account):
    boundary = account.policy("boundary", [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}])
    _, report = scan(account, narrow_setup(account, boundary=boundary))
    assert statuses(report)["CHAIN-004"] == [("FAIL", "high")]


def test_not_action_grant_is_excess(account):
    profile = narrow_setup(account, role_policy=[
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}])
    _, report = scan(account, profile)
    got = statuses(report)
    assert got["LP-003"] == [("FAIL", "high")]
    assert got["LP-001"] == [("FAIL", "medium")]
    assert got["CHAIN-004"][0][0] == "PASS"


def test_missing_role_and_user(account):
    profile = {"name": "ghost", "auth_type": "iam_role", "region": REGION, "user": "nobody",
               "role_arn": f"arn:aws:iam::{ACCOUNT}:role/nothing", "external_id": EXTERNAL_ID,
               "sts_duration": 3600}
    proc, report = scan(account, profile)
    got = statuses(report)
    assert got["CHAIN-002"] == [("FAIL", "high")]
    assert got["CHAIN-001"] == [("FAIL", "high")]
    assert got["CHAIN-004"][0][0] == "SKIP" and got["LP-001"][0][0] == "SKIP"
    assert proc.returncode == 1


def test_snapshot_gives_identical_results(account, tmp_path):
    profile = narrow_setup(account, trust_condition={"StringEqualsIfExists": {"sts:ExternalId": EXTERNAL_ID}})
    config = account.config(profile)
    snapshot = tmp_path / "snapshot.json"
    env = account.env(CATALOG_SECRET="s" * 40)
    collected = run_cli("collect", "-c", config, "-o", snapshot, env=env)
    assert collected.returncode == 0, collected.stderr
    assert ("s" * 40) not in snapshot.read_text()
    assert EXTERNAL_ID not in snapshot.read_text() and EXTERNAL_ID[:3] + "…" in snapshot.read_text()
    live = json.loads(run_cli("scan", "-c", config, "--format", "json", env=env).stdout)
    offline = json.loads(run_cli("scan", "-c", config, "--snapshot", snapshot, "--format", "json",
                                 env={"CATALOG_SECRET": "s" * 40}).stdout)
    key = lambda r: (r["rule_id"], r["fingerprint"], r["status"], r["severity"], r["message"])  # noqa: E731
    assert sorted(map(key, live["results"])) == sorted(map(key, offline["results"]))


def test_secrets_never_in_any_output(account):
    profile = narrow_setup(account)
    profile["secret_access_key"] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    config = account.config(profile)
    for fmt in ("json", "table"):
        proc = run_cli("scan", "-c", config, "--format", fmt, env=account.env())
        assert "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" not in proc.stdout + proc.stderr
        assert EXTERNAL_ID not in proc.stdout + proc.stderr
        assert "CONFIG-001" in proc.stdout
