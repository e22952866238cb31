"""The secret side of the chain, end to end on the moto server: resource policies, KMS key
policies and key states as moto stores them, judged by the auditor's evaluator (moto evaluates
neither), through the real CLI."""
import json

from clitools import run_cli
from moto_account import ACCOUNT, REGION, statuses
from test_cross_account import cross  # noqa: F401 - the two-account fixture
from test_scan_e2e import narrow_setup, scan

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/read_secrets_role"
ROOT = {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}
ROLE_DECRYPT = {"Sid": "AllowRoleViaSecretsManager", "Effect": "Allow", "Principal": {"AWS": ROLE_ARN},
                "Action": "kms:Decrypt", "Resource": "*",
                "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}}
PUBLIC_READ = {"Version": "2012-10-17", "Statement": [{
    "Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
    "Resource": "*"}]}


def _secret_rules(report):
    got = statuses(report)
    return {rule: got[rule] for rule in ("CHAIN-006", "CHAIN-007", "SECRET-001")}


def test_key_policy_naming_the_role_passes_the_secret_side(account, validate_report):
    proc, report = scan(account, narrow_setup(account, key_statements=[ROOT, ROLE_DECRYPT]), "--fail-on", "medium")
    validate_report(report)
    assert _secret_rules(report) == {"CHAIN-006": [("PASS", "high")], "CHAIN-007": [("PASS", "high")],
                                     "SECRET-001": [("PASS", "high")]}
    assert proc.returncode == 0, proc.stdout


def test_default_key_policy_without_kms_decrypt_fails_before_go_live(account):
    proc, report = scan(account, narrow_setup(account, key_statements=[ROOT]))
    [result] = [r for r in report["results"] if r["rule_id"] == "CHAIN-007"]
    assert (result["status"], result["severity"]) == ("FAIL", "high")
    assert "kms:Decrypt" in result["remediation"] and result["evidence"]["grants"]
    assert proc.returncode == 1


def test_disabled_key_fails(account):
    profile = narrow_setup(account, key_statements=[ROOT, ROLE_DECRYPT])
    kms = account.session.client("kms", endpoint_url=account.endpoint)
    key_id = account.secrets.describe_secret(SecretId=profile["secrets"][0])["KmsKeyId"]
    kms.disable_key(KeyId=key_id.rsplit("/", 1)[-1])   # moto takes the key ID only
    _, report = scan(account, profile)
    [result] = [r for r in report["results"] if r["rule_id"] == "CHAIN-007"]
    assert result["status"] == "FAIL" and "Disabled" in result["message"]


def test_public_resource_policy_is_critical_and_deny_breaks_the_chain(account):
    profile = narrow_setup(account, secret_policy=PUBLIC_READ)
    _, report = scan(account, profile)
    assert statuses(report)["SECRET-001"] == [("FAIL", "critical")]
    account.secrets.put_resource_policy(SecretId=profile["secrets"][0], BlockPublicPolicy=False,
                                        ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [{
                                            "Effect": "Deny", "Principal": {"AWS": ROLE_ARN},
                                            "Action": "secretsmanager:*", "Resource": "*"}]}))
    _, report = scan(account, profile)
    assert statuses(report)["CHAIN-006"] == [("FAIL", "high")]
    assert statuses(report)["SECRET-001"] == [("PASS", "high")]


def test_missing_secret_fails_chain_006(account):
    profile = narrow_setup(account)
    profile["secrets"] = [f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:catalog/nope-AbCdEf"]
    _, report = scan(account, profile)
    got = _secret_rules(report)
    assert got["CHAIN-006"] == [("FAIL", "high")]
    assert got["CHAIN-007"] == [("SKIP", "high")] and got["SECRET-001"] == [("SKIP", "high")]


def test_shared_key_is_read_once_and_secret_side_costs_at_most_four_calls(account):
    """Two secrets under one key: DescribeSecret and GetResourcePolicy each, the key once."""
    profile = narrow_setup(account, key_statements=[ROOT, ROLE_DECRYPT])
    key_id = account.secrets.describe_secret(SecretId=profile["secrets"][0])["KmsKeyId"]
    second = account.secret("catalog/prod-warehouse", kms_key_id=key_id)
    _, one = scan(account, profile)
    profile["secrets"].append(second)
    _, two = scan(account, profile)
    assert _secret_rules(two)["CHAIN-007"] == [("PASS", "high"), ("PASS", "high")]
    assert two["api_calls"] - one["api_calls"] == 2        # the second secret: no key read
    plain = dict(profile, secrets=[])
    _, none = scan(account, plain)
    assert one["api_calls"] - none["api_calls"] <= 4


def test_collect_then_scan_snapshot_gives_the_same_secret_results(account, tmp_path):
    profile = narrow_setup(account, key_statements=[ROOT], secret_policy=PUBLIC_READ)
    config = account.config(profile)
    snapshot = tmp_path / "snapshot.json"
    env = account.env(CATALOG_SECRET="x" * 40)
    proc = run_cli("collect", "-c", config, "-o", snapshot, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "not-a-real-password" not in snapshot.read_text()
    _, live = account.scan(config, env={"CATALOG_SECRET": "x" * 40})
    offline = run_cli("scan", "-c", config, "--snapshot", snapshot, "--format", "json", env=env)
    assert _secret_rules(json.loads(offline.stdout)) == _secret_rules(live)
    assert _secret_rules(live)["CHAIN-007"] == [("FAIL", "high")]


def test_discover_secrets_reports_exposed_secrets_only_when_asked(account, validate_report):
    narrow_setup(account)
    exposed = account.secret("partner/feed", resource_policy=PUBLIC_READ)
    # The credential report exists before both runs: each asks for it once (while a report is
    # being generated, discover asks again), so the two runs differ only by the secrets' calls.
    account.iam.generate_credential_report()
    plain = run_cli("discover", "--format", "json", env=account.env())
    assert not any(r["rule_id"] == "SECRET-001" for r in json.loads(plain.stdout)["results"])
    proc = run_cli("discover", "--secrets", "--format", "json", env=account.env())
    assert "Traceback" not in proc.stderr, proc.stderr
    report = validate_report(json.loads(proc.stdout))
    secret_results = {r["resource"]: (r["status"], r["severity"]) for r in report["results"]
                      if r["rule_id"] == "SECRET-001"}
    assert secret_results[exposed] == ("FAIL", "critical")
    assert sorted(s for s, _ in secret_results.values()) == ["FAIL", "PASS"]
    # ListSecrets (one page) and one GetResourcePolicy per secret: 3 calls for 2 secrets.
    assert report["api_calls"] - json.loads(plain.stdout)["api_calls"] == 3
    assert proc.returncode == 1


def test_secret_in_another_account_is_read_with_secrets_aws_profile(account, cross):
    """The secret in account B (the user's account), the role in A: read with the profile of B;
    the key policy and the resource policy of B must name the role of A, and the role's own
    policies must allow kms:Decrypt (cross-account: both sides)."""
    from test_cross_account import ACCOUNT_B, _account_b_session

    profile, env, _ = cross
    session_b = _account_b_session(account)
    kms_b = session_b.client("kms", endpoint_url=account.endpoint)
    key_b = kms_b.create_key(Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {**ROOT, "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_B}:root"}}, ROLE_DECRYPT]}))["KeyMetadata"]["Arn"]
    sm_b = session_b.client("secretsmanager", endpoint_url=account.endpoint)
    secret_b = sm_b.create_secret(Name="shared/db", SecretString="not-a-real-password", KmsKeyId=key_b)["ARN"]
    assert f":{ACCOUNT_B}:secret:" in secret_b
    sm_b.put_resource_policy(SecretId=secret_b, ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ROLE_ARN}, "Action": "secretsmanager:GetSecretValue",
         "Resource": "*"}]}))
    account.iam.put_role_policy(RoleName="read_secrets_role", PolicyName="decrypt-b", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_b}]}))
    profile = dict(profile, secrets=[secret_b])

    _, unread = account.scan(account.config(profile), env=env)
    assert [(r["status"], "secrets_aws_profile" in r["message"]) for r in unread["results"]
            if r["rule_id"] == "CHAIN-007"] == [("ERROR", True)]

    _, report = account.scan(account.config(dict(profile, secrets_aws_profile="acct-b")), env=env)
    assert _secret_rules(report) == {"CHAIN-006": [("PASS", "high")], "CHAIN-007": [("PASS", "high")],
                                     "SECRET-001": [("PASS", "high")]}, report["results"]
    # Without the resource policy, a role of another account cannot read it.
    sm_b.delete_resource_policy(SecretId=secret_b)
    _, report = account.scan(account.config(dict(profile, secrets_aws_profile="acct-b")), env=env)
    assert statuses(report)["CHAIN-006"] == [("FAIL", "high")]
