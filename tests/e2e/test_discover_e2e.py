"""`iam-auditor discover` as a process against the moto server."""
import json

from clitools import run_cli
from test_scan_e2e import narrow_setup


def test_discover_finds_the_integration(account, validate_report, tmp_path):
    narrow_setup(account)
    account.role("ec2-only", [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                               "Action": "sts:AssumeRole"}])
    proc = run_cli("discover", "--format", "json", env=account.env())
    assert "Traceback" not in proc.stderr, proc.stderr
    report = validate_report(json.loads(proc.stdout))
    assert report["mode"] == "discover"
    assert {r["resource"] for r in report["results"]} == {"arn:aws:iam::123456789012:role/read_secrets_role"}
    assert all(r["profile"] is None for r in report["results"])
    assert report["api_calls"] <= 10
    assert proc.returncode in (0, 1)


def test_discover_accounts_file_errors(account, tmp_path):
    bad = tmp_path / "accounts.yaml"
    bad.write_text("accounts:\n  - {account: '1', aws_profile: a, role_arn: b}\n")
    proc = run_cli("discover", "--accounts", bad, env=account.env())
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    proc = run_cli("discover", "--aws-profile", "missing-profile", env=account.env())
    assert proc.returncode == 2 and "missing-profile" in proc.stderr
