"""`discover --authorization-details FILE`: the account-wide analysis from a saved dump, offline.

The dump is what `aws iam get-account-authorization-details` prints (IAM API reference:
https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html;
its RoleDetailList carries no MaxSessionDuration, which ListRoles has:
https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListRoles.html). Catalogue v1.1: rules
that need live key data SKIP; a malformed dump is exit 2 with one line.
"""
import json
import sys
from pathlib import Path

import pytest

from auditor.engine import PASS, SKIP, Result
from auditor.discover_offline import offline_results
from clitools import ROOT, run_cli

DUMP = Path(__file__).parent / "data" / "iac" / "awscli" / "authorization-details.json"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/read_secrets_role"
PUBLIC = f"arn:aws:iam::{ACCOUNT}:role/public-role"
# No credentials anywhere and an endpoint nothing listens on: any AWS call would fail.
OFFLINE_ENV = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
               "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
               "AWS_CONFIG_FILE": "/nonexistent/config", "AWS_EC2_METADATA_DISABLED": "true",
               "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}


def run_offline(*args, dump=DUMP):
    return run_cli("discover", "--authorization-details", dump, *args, env=OFFLINE_ENV)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("offline") / "report.json"
    done = run_offline("--format", "json", "-o", out, "-q")
    assert done.returncode == 1, done.stderr       # FAILs at or above "low"
    assert "Traceback" not in done.stderr
    return json.loads(out.read_text())


def results_of(report, rule_id, resource=None):
    return [r for r in report["results"] if r["rule_id"] == rule_id
            and (resource is None or r["resource"] == resource)]


def test_report_validates_and_made_no_call(report, validate_report):
    validate_report(report)
    assert report["mode"] == "discover"
    assert report["api_calls"] == 0
    [account] = report["accounts"]
    assert account["account_id"] == ACCOUNT and account["status"] == "read" and account["api_calls"] == 0


def test_the_usual_mistakes_are_found(report):
    # Public trust (URL-encoded in the dump, as IAM's API returns it): TRUST-001 critical.
    [public] = [r for r in results_of(report, "TRUST-001", PUBLIC) if r["status"] == "FAIL"]
    assert public["severity"] == "critical"
    # StringLike "*" on the external ID: TRUST-003 high.
    [weak] = [r for r in results_of(report, "TRUST-003", ROLE) if r["status"] == "FAIL"]
    assert weak["severity"] == "high" and "StringLike" in weak["message"]
    # GetSecretValue on "*" (LP-001) and AssumeRole on "*" (LP-002).
    assert any(r["status"] == "FAIL" for r in results_of(report, "LP-001", ROLE))
    assert any(r["status"] == "FAIL" for r in results_of(report, "LP-002"))


def test_rules_needing_live_data_skip_with_the_reason(report):
    for rule_id in ("KEY-001", "KEY-002", "SESSION-001"):
        found = results_of(report, rule_id)
        assert found, rule_id
        for result in found:
            assert result["status"] == "SKIP", result
            assert "get-account-authorization-details" in result["message"]
    assert not [r for r in report["results"] if r["status"] == "ERROR"]


def test_no_credentials_and_no_call():
    """Every botocore call (the read-only guard's only door) is recorded: there is none."""
    code = ("import sys, botocore.client, boto3.session; calls = []\n"
            "def record(self, operation, params): calls.append(operation); raise RuntimeError(operation)\n"
            "botocore.client.BaseClient._make_api_call = record\n"
            "sessions = []\n"
            "real = boto3.session.Session.__init__\n"
            "def count(self, *a, **k): sessions.append(1); real(self, *a, **k)\n"
            "boto3.session.Session.__init__ = count\n"
            "from auditor.cli import main\n"
            f"code = main(['discover', '--authorization-details', {str(DUMP)!r}, '--format', 'json', '-q'])\n"
            "sys.stdout.flush()\n"
            "print('CALLS', len(calls), 'SESSIONS', len(sessions), file=sys.stderr); sys.exit(code)")
    import os
    import subprocess

    env = {**os.environ, **OFFLINE_ENV}
    env.pop("AWS_PROFILE", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=120)
    assert done.returncode == 1, done.stderr
    assert "CALLS 0 SESSIONS 0" in done.stderr
    json.loads(done.stdout)


@pytest.mark.parametrize("content, expected", [
    ("{not json", "not valid JSON"),
    ('{"Role": {"RoleName": "x"}}', "not the output of `aws iam get-account-authorization-details`"),
    ('[1, 2]', "not the output"),
    ('{"RoleDetailList": [], "IsTruncated": true, "Marker": "x"}', "truncated"),
    ('{"RoleDetailList": {"a": 1}}', "RoleDetailList is not a list"),
    ('{"RoleDetailList": [{"RoleName": "r"}]}', "RoleDetailList[0] has no Arn"),
    ('{"UserDetailList": [{"UserName": "u", "Arn": "arn:aws:iam::1:user/u", "UserPolicyList": 5}]}',
     "an entry is not as get-account-authorization-details writes it"),
])
def test_a_malformed_dump_is_exit_2_with_one_line(tmp_path, content, expected):
    dump = tmp_path / "dump.json"
    dump.write_text(content)
    done = run_offline(dump=dump)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_a_missing_file_is_exit_2(tmp_path):
    done = run_offline(dump=tmp_path / "absent.json")
    assert done.returncode == 2 and "cannot read it" in done.stderr


def test_a_fifo_is_refused_not_waited_for(tmp_path):
    import os

    fifo = tmp_path / "dump.json"
    os.mkfifo(fifo)
    done = run_offline(dump=fifo)
    assert done.returncode == 2 and "not a regular file" in done.stderr


@pytest.mark.parametrize("extra", [["--organization"], ["--aws-profile", "prod"], ["--accounts", "a.yaml"],
                                   ["--secrets"], ["--fresh-keys"]])
def test_live_options_are_a_usage_error(extra):
    done = run_offline(*extra)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and extra[0] in done.stderr


def test_the_dump_is_never_overwritten_by_a_report(tmp_path):
    dump = tmp_path / "gaad.json"
    dump.write_text(DUMP.read_text())
    done = run_offline("-o", dump, dump=dump)
    assert done.returncode == 2
    assert dump.read_text() == DUMP.read_text()


def test_a_managed_policy_missing_from_the_dump_is_an_error_not_a_pass(tmp_path, validate_report):
    data = json.loads(DUMP.read_text())
    data["Policies"] = [p for p in data["Policies"] if not p["Arn"].endswith("/describe-secrets")]
    dump = tmp_path / "filtered.json"
    dump.write_text(json.dumps(data))
    out = tmp_path / "report.json"
    done = run_offline("--format", "json", "-o", out, "-q", dump=dump)
    report = validate_report(json.loads(out.read_text()))
    assert done.returncode == 1           # FAILs found elsewhere outrank the ERRORs
    lp003 = results_of(report, "LP-003", ROLE)
    assert [r["status"] for r in lp003] == ["ERROR"]
    assert "describe-secrets" in lp003[0]["message"]


def test_several_dumps_are_several_accounts(tmp_path):
    data = json.loads(DUMP.read_text().replace(ACCOUNT, "210987654321"))
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data))
    out = tmp_path / "report.json"
    done = run_cli("discover", "--authorization-details", DUMP, "--authorization-details", other,
                   "--format", "json", "-o", out, "-q", env=OFFLINE_ENV)
    assert done.returncode == 1, done.stderr
    report = json.loads(out.read_text())
    assert [a["account_id"] for a in report["accounts"]] == [ACCOUNT, "210987654321"]


def _result(rule_id, status, message="m"):
    return Result(rule_id, "n", "t", status, "medium", None, ACCOUNT, "us-east-1", ROLE, "AwsIamRole",
                  None, message, "r", 3, {}, "f" * 64)


def test_lp_004_cannot_pass_without_the_console_password():
    [lp004, lp004_fail, other] = offline_results([_result("LP-004", PASS), _result("LP-004", "FAIL"),
                                                  _result("LP-002", PASS)])
    assert lp004.status == SKIP and "console password" in lp004.message
    assert lp004_fail.status == "FAIL" and other.status == PASS


def test_jsonl_streams_each_dump_and_a_complete_summary(tmp_path):
    out = tmp_path / "findings.jsonl"
    done = run_offline("-o", out, "-q")
    assert done.returncode == 1, done.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    summary = lines[-1]["iam_auditor_summary"]
    assert summary["mode"] == "discover" and summary["api_calls"] == 0
    assert sum(1 for line in lines if line.get("event", {}).get("action") == "iam-auditor-account") == 1


def test_a_role_whose_documents_cannot_be_read_is_reported_never_passed(tmp_path, validate_report):
    """A trust policy that is not JSON may let anyone in: the role is reported, its TRUST and LP
    rules are ERROR (never PASS), and POLICY-001 says why each document is unreadable."""
    data = json.loads(DUMP.read_text())
    data["RoleDetailList"].append({
        "Path": "/", "RoleName": "garbled", "RoleId": "AROAGARBLED0000000001",
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/garbled", "CreateDate": "2026-01-01T00:00:00Z",
        "AssumeRolePolicyDocument": "%7B%22bad", "InstanceProfileList": [],
        "RolePolicyList": [{"PolicyName": "numbers", "PolicyDocument": 5}],
        "AttachedManagedPolicies": [], "Tags": []})
    dump = tmp_path / "garbled.json"
    dump.write_text(json.dumps(data))
    out = tmp_path / "report.json"
    done = run_offline("--format", "json", "-o", out, "-q", dump=dump)
    assert "Traceback" not in done.stderr
    report = validate_report(json.loads(out.read_text()))
    garbled = [r for r in report["results"] if r["resource"] == f"arn:aws:iam::{ACCOUNT}:role/garbled"]
    statuses = {(r["rule_id"], r["status"]) for r in garbled}
    assert ("POLICY-001", "FAIL") in statuses
    assert {s for rule, s in statuses if rule.startswith("TRUST-")} == {"ERROR"}
    assert not [r for r in garbled if r["status"] == "PASS"]
    assert any("could not read the role's trust policy" in r["message"] for r in garbled)
