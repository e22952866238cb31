"""Broken AWS answers on every operation the auditor calls (moto server behind a fault proxy).

Each cell (operation x fault) runs the command in-process, as `iam-auditor` would (cli.main
with its arguments and environment), so the matrix stays fast; the subprocess is what is under
test in test_fault_process.py. Every cell must give an ERROR naming the operation, exit code 3,
a report (or snapshot) that parses, and no external ID or secret key in any output.
"""
import json

import pytest

from auditor import cli
from fault_proxy import FAULTS, FaultProxy
from moto_account import ACCOUNT, REGION, Account, _post

EXTERNAL_ID = "5b1e0c7a-93d4-4f2e-b8a6-21c9d7e4f038"
CONFIG_SECRET = "cfgSecretKey/9f8e7d6c5b4a3928171605f4e3d2c1b0a9f8e7d6"
AUDITOR_SECRET = "auditorSecretKey/0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b"
ROLE = "read_secrets_role"
AUDITOR_ROLE = "auditor-readonly"

SCAN_OPERATIONS = [
    "sts:GetCallerIdentity", "iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies",
    "iam:GetRolePolicy", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:GetUser",
    "iam:ListAttachedUserPolicies", "iam:ListUserPolicies", "iam:GetUserPolicy",
    "iam:ListGroupsForUser", "iam:ListAttachedGroupPolicies", "iam:ListGroupPolicies",
    "iam:GetGroupPolicy", "iam:ListAccessKeys", "iam:GetAccessKeyLastUsed", "iam:GetLoginProfile"]
DISCOVER_OPERATIONS = [
    "sts:AssumeRole", "sts:GetCallerIdentity", "iam:GetAccountAuthorizationDetails", "iam:ListRoles",
    "iam:ListAccessKeys", "iam:GetAccessKeyLastUsed", "iam:GetLoginProfile"]
# Key facts come from the credential report unless --fresh-keys; a broken report is no ERROR:
# the paired users' keys are then read one by one, and the evidence says why.
PER_USER_KEY_OPERATIONS = ("iam:ListAccessKeys", "iam:GetAccessKeyLastUsed", "iam:GetLoginProfile")
CREDENTIAL_REPORT_OPERATIONS = ["iam:GenerateCredentialReport", "iam:GetCredentialReport"]
MATRIX: dict = {}      # (command, operation, fault) -> status, for the closing table


def _doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture(scope="module")
def setup(moto_server, tmp_path_factory):
    """One account for the whole matrix (faults only touch answers, never the state)."""
    _post(f"{moto_server}/moto-api/reset")
    tmp = tmp_path_factory.mktemp("faults")
    account = Account(moto_server, tmp)
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
    secret = account.secret()
    user_arn = account.iam.create_user(UserName="catalog-reader")["User"]["Arn"]
    assume = account.policy("assume", [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}])
    account.iam.attach_user_policy(UserName="catalog-reader", PolicyArn=assume)
    account.iam.put_user_policy(UserName="catalog-reader", PolicyName="inline", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}))
    account.iam.create_group(GroupName="readers")
    account.iam.add_user_to_group(GroupName="readers", UserName="catalog-reader")
    account.iam.attach_group_policy(GroupName="readers", PolicyArn=assume)
    account.iam.put_group_policy(GroupName="readers", PolicyName="whoami", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}))
    key = account.iam.create_access_key(UserName="catalog-reader")["AccessKey"]
    read = account.policy("read", [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                                    "Resource": secret}])
    boundary = account.policy("boundary", [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                                            "Resource": secret}])
    account.role(ROLE, [{"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole",
                         "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}}],
                 policy_arns=[read], boundary=boundary)
    account.iam.put_role_policy(RoleName=ROLE, PolicyName="decrypt", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}))
    account.role(AUDITOR_ROLE, [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                 "Action": "sts:AssumeRole"}])
    config = account.config({
        "name": "catalog-prod", "auth_type": "iam_role", "region": REGION, "user": "catalog-reader",
        "role_arn": role_arn, "external_id": EXTERNAL_ID, "sts_duration": 3600,
        "access_key_id": key["AccessKeyId"], "secret_access_key": "${CATALOG_SECRET}", "secrets": [secret]})
    accounts = tmp / "accounts.yaml"
    accounts.write_text(f"accounts:\n  - account: '{ACCOUNT}'\n"
                        f"    role_arn: arn:aws:iam::{ACCOUNT}:role/{AUDITOR_ROLE}\n")
    proxy = FaultProxy(moto_server, slow_seconds=4.0).start()
    yield {"proxy": proxy, "config": config, "accounts": accounts, "tmp": tmp,
           "secrets": (EXTERNAL_ID, CONFIG_SECRET, AUDITOR_SECRET, key["SecretAccessKey"])}
    proxy.stop()
    _write_matrix(tmp_path_factory)


@pytest.fixture
def run(setup, monkeypatch, capsys):
    """Run one command in-process through the proxy; (exit code, stdout, stderr, file text)."""
    env = {"AWS_ENDPOINT_URL": setup["proxy"].url, "AWS_ACCESS_KEY_ID": "AKIAAUDITORTESTKEY01",
           "AWS_SECRET_ACCESS_KEY": AUDITOR_SECRET, "AWS_DEFAULT_REGION": REGION,
           "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
           "AWS_MAX_ATTEMPTS": "1", "AWS_RETRY_MODE": "standard", "IAM_AUDITOR_READ_TIMEOUT": "2",
           "CATALOG_SECRET": CONFIG_SECRET}
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    def run_command(faults, *argv, output):
        setup["proxy"].set(faults)
        output.unlink(missing_ok=True)
        code = cli.main([*map(str, argv), "-o", str(output)])
        captured = capsys.readouterr()
        text = output.read_text() if output.exists() else ""
        for secret in setup["secrets"]:
            assert secret not in captured.out + captured.err + text, "a secret reached the output"
        assert "Traceback" not in captured.err
        assert not setup["proxy"].errors, setup["proxy"].errors
        return code, captured.out, captured.err, text
    return run_command


def _error_naming(report: dict, operation: str) -> list:
    return [r for r in report["results"] if r["status"] == "ERROR" and operation in r["message"]]


def test_without_faults_everything_is_read(setup, run):
    code, _, err, text = run({}, "scan", "-c", setup["config"], "--format", "json", "--fail-on", "medium",
                             output=setup["tmp"] / "clean.json")
    report = json.loads(text)
    assert code == 0, [r["message"] for r in report["results"] if r["status"] in ("ERROR", "FAIL")]
    called = {op for op in setup["proxy"].seen}
    assert {op.split(":")[1] for op in SCAN_OPERATIONS} <= called
    seen = set()
    for operation in ("", "sts:GetCallerIdentity", "iam:ListAccessKeys"):
        code, _, err, text = run({}, "discover", *_discover_accounts(setup, operation), "--format", "json",
                                 "--fail-on", "none", output=setup["tmp"] / "clean-discover.json")
        assert code == 0 and json.loads(text)["results"], err
        seen |= set(setup["proxy"].seen)
    assert {op.split(":")[1] for op in DISCOVER_OPERATIONS + CREDENTIAL_REPORT_OPERATIONS} <= seen


def _discover_accounts(setup, operation=""):
    """discover's account arguments for a cell: the caller identity is only asked for an account
    read with a profile's own credentials (a role assumed by ARN names its account); per-user
    key reads only happen with --fresh-keys."""
    if operation == "sts:GetCallerIdentity":
        return []
    accounts = ["--accounts", setup["accounts"]]
    return accounts + (["--fresh-keys"] if operation in PER_USER_KEY_OPERATIONS else [])


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("operation", SCAN_OPERATIONS)
def test_scan_fault(setup, run, operation, fault):
    name = operation.split(":")[1]
    code, _, err, text = run({name: fault}, "scan", "-c", setup["config"], "--format", "json",
                             "--fail-on", "medium", output=setup["tmp"] / "scan.json")
    assert setup["proxy"].faulted[name], f"{operation} was never called"
    report = json.loads(text)
    errors = _error_naming(report, operation)
    MATRIX[("scan", operation, fault)] = (code, len(errors))
    assert errors, f"no ERROR names {operation}: {[r['message'] for r in report['results']]}"
    assert code == 3, [r["message"] for r in report["results"] if r["status"] == "FAIL"]


# collect reads through the same collector as scan (whose matrix is whole): every operation
# with the fault that used to leak the body, and every fault on the call the issue found.
COLLECT_CELLS = ([(op, "truncated") for op in SCAN_OPERATIONS]
                 + [("iam:GetRole", fault) for fault in FAULTS if fault != "truncated"])


@pytest.mark.parametrize("operation,fault", COLLECT_CELLS)
def test_collect_fault(setup, run, operation, fault):
    name = operation.split(":")[1]
    code, _, err, text = run({name: fault}, "collect", "-c", setup["config"],
                             output=setup["tmp"] / "snapshot.json")
    assert text, (code, err)
    snapshot = json.loads(text)
    MATRIX[("collect", operation, fault)] = (code, int(operation in err))
    assert snapshot["version"] == 1
    assert code == 3 and operation in err and len(err.strip().splitlines()) == 1, err


def _discover_with_fault(setup, run, operation, fault):
    """(exit code, JSON report) of discover with `fault` on `operation`, which must be called."""
    name = operation.split(":")[1]
    code, _, _, text = run({name: fault}, "discover", *_discover_accounts(setup, operation),
                           "--format", "json", "--fail-on", "none", output=setup["tmp"] / "discover.json")
    assert setup["proxy"].faulted[name], f"{operation} was never called"
    return code, json.loads(text)


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("operation", DISCOVER_OPERATIONS)
def test_discover_fault(setup, run, operation, fault):
    code, report = _discover_with_fault(setup, run, operation, fault)
    errors = _error_naming(report, operation)
    MATRIX[("discover", operation, fault)] = (code, len(errors))
    assert errors, f"no ERROR names {operation}: {[r['message'] for r in report['results']]}"
    assert code == 3


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("operation", CREDENTIAL_REPORT_OPERATIONS)
def test_discover_credential_report_fault(setup, run, operation, fault):
    code, report = _discover_with_fault(setup, run, operation, fault)
    key_results = [r for r in report["results"] if r["rule_id"].startswith("KEY-")]
    MATRIX[("discover", operation, fault)] = (code, 0)
    assert code == 0 and key_results and not any(r["status"] == "ERROR" for r in report["results"])
    for result in key_results:
        assert result["evidence"]["key_facts_source"] == "per-user-calls"
        assert operation in result["evidence"]["key_facts_note"]


def test_a_policy_version_without_its_document_is_an_error(setup, run):
    code, _, _, text = run({"GetPolicyVersion": "drop:Document"}, "scan", "-c", setup["config"],
                           "--format", "json", "--fail-on", "medium", output=setup["tmp"] / "doc.json")
    assert code == 3 and _error_naming(json.loads(text), "iam:GetPolicyVersion")


def test_a_gaad_page_without_its_users_is_an_error(setup, run):
    code, _, _, text = run({"GetAccountAuthorizationDetails": "drop:Arn"}, "discover", "--accounts",
                           setup["accounts"], "--format", "json", "--fail-on", "none",
                           output=setup["tmp"] / "gaad.json")
    assert code == 3 and _error_naming(json.loads(text), "iam:GetAccountAuthorizationDetails")


def _write_matrix(tmp_path_factory):
    """The matrix as a table (status per cell), beside the test's files, for the closing note."""
    if not MATRIX:
        return
    lines = []
    for command in ("scan", "collect", "discover"):
        cells = {(op, f): v for (c, op, f), v in MATRIX.items() if c == command}
        if not cells:
            continue
        lines.append(f"\n{command}\n| operation | " + " | ".join(FAULTS) + " |")
        lines.append("|---" * (len(FAULTS) + 1) + "|")
        for op in dict.fromkeys(op for op, _ in cells):
            row = [_cell(*cells[(op, f)]) if (op, f) in cells else "-" for f in FAULTS]
            lines.append(f"| {op} | " + " | ".join(row) + " |")
    (tmp_path_factory.getbasetemp() / "fault-matrix.md").write_text("\n".join(lines) + "\n")


def _cell(code: int, named: int) -> str:
    return f"{'ERROR' if named else 'no ERROR'}, exit {code}"
