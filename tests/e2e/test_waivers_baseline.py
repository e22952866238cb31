"""Waivers and baselines through the real CLI against a moto server."""
import json

from clitools import run_cli
from moto_account import statuses
from test_scan_e2e import narrow_setup


def _setup(account):
    """A set-up whose only failures are LP-001 (GetSecretValue on "*") and KEY-002 (unused key)."""
    return narrow_setup(account, role_policy=[
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}])


def test_waiver_marks_but_never_drops(account, validate_report):
    profile = _setup(account)
    waiver = {"rule": "LP-001", "profile": "catalog-prod", "resource": "arn:aws:iam::*:role/read_*",
              "reason": "legacy layout, SEC-1"}
    proc, report = account.scan(account.config(profile, waivers=[waiver]), "--fail-on", "medium",
                                env={"CATALOG_SECRET": "x" * 40})
    validate_report(report)
    lp = [r for r in report["results"] if r["rule_id"] == "LP-001"]
    assert [r["status"] for r in lp] == ["FAIL"]
    assert lp[0]["suppressed"] == {"reason": "legacy layout, SEC-1", "expires": None}
    assert report["summary"]["suppressed"] == 1 and report["summary"]["failing_by_severity"]["medium"] == 0
    assert proc.returncode == 0
    assert report["waivers"][0]["state"] == "active" and report["waivers"][0]["matched"] == 1


def test_expired_and_stale_waivers_are_reported(account):
    profile = _setup(account)
    waivers = [{"rule": "LP-001", "reason": "old", "expires": "2020-01-31"},
               {"rule": "TRUST-001", "reason": "nothing to waive"}]
    proc, report = account.scan(account.config(profile, waivers=waivers), "--fail-on", "medium",
                                env={"CATALOG_SECRET": "x" * 40})
    lp = next(r for r in report["results"] if r["rule_id"] == "LP-001")
    assert lp["suppressed"] is None and lp["evidence"]["expired_waivers"][0]["expired"] == "2020-01-31"
    assert [w["state"] for w in report["waivers"]] == ["expired", "stale"]
    assert proc.returncode == 1


def test_baseline_marks_new_unchanged_and_resolved(account, tmp_path):
    profile = _setup(account)
    config = account.config(profile)
    env = {"CATALOG_SECRET": "x" * 40}
    first_proc, first = account.scan(config, env=env)
    previous = tmp_path / "previous.json"
    previous.write_text(first_proc.stdout)
    # Fix LP-001 and break TRUST-003: one failure resolved, one new.
    account.iam.create_policy_version(
        PolicyArn="arn:aws:iam::123456789012:policy/read_secrets_policy", SetAsDefault=True,
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": profile["secrets"][0]}]}))
    trust = json.loads(json.dumps(account.iam.get_role(RoleName="read_secrets_role")["Role"]["AssumeRolePolicyDocument"]))
    condition = trust["Statement"][0]["Condition"]
    trust["Statement"][0]["Condition"] = {"StringEqualsIfExists": condition["StringEquals"]}
    account.iam.update_assume_role_policy(RoleName="read_secrets_role", PolicyDocument=json.dumps(trust))

    proc, report = account.scan(config, "--baseline", previous, env=env)
    by_rule = {r["rule_id"]: r for r in report["results"]}
    assert by_rule["TRUST-003"]["status"] == "FAIL" and by_rule["TRUST-003"]["baseline"] == "new"
    assert by_rule["KEY-002"]["baseline"] == "unchanged"
    assert [(r["rule_id"], r["now"]) for r in report["resolved"]] == [("LP-001", "PASS")]
    assert proc.returncode == 1
    # Only the new failure counts with --fail-on-new-only: it is high, so still 1 with --fail-on high.
    proc, _ = account.scan(config, "--baseline", previous, "--fail-on-new-only", "--fail-on", "high", env=env)
    assert proc.returncode == 1
    proc, _ = account.scan(config, "--baseline", tmp_path / "previous.json", "--fail-on-new-only",
                           "--fail-on", "low", env=env)
    assert proc.returncode == 1


def test_fail_on_new_only_ignores_known_failures(account, tmp_path):
    config = account.config(_setup(account))
    env = {"CATALOG_SECRET": "x" * 40}
    first_proc, first = account.scan(config, env=env)
    assert first_proc.returncode == 1 and statuses(first)["LP-001"] == [("FAIL", "medium")]
    previous = tmp_path / "previous.json"
    previous.write_text(first_proc.stdout)
    proc, report = account.scan(config, "--baseline", previous, "--fail-on-new-only", env=env)
    assert proc.returncode == 0 and {r["baseline"] for r in report["results"]} == {"unchanged"}


def test_bad_baseline_is_usage_error(account, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    proc = run_cli("scan", "-c", account.config(_setup(account)), "--baseline", bad,
                   env=account.env(CATALOG_SECRET="x"))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    proc = run_cli("lint", "examples", "--fail-on-new-only")
    assert proc.returncode == 2
