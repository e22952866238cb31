"""Bad input, one line: every reader of the tool's own input files gives exit 2 and one line on
stderr, never a traceback, whatever the file holds."""
import json

import pytest

from auditor import cli
from auditor.safejson import JSONInputError, loads, nesting_depth

DEEP = "[" * 1000 + "]" * 1000
CONFIG = ("version: 1\nprofiles:\n  - {name: p, auth_type: iam_role, region: us-east-1, user: u, "
          "role_arn: 'arn:aws:iam::123456789012:role/r', external_id: "
          "'6c1f0e0b-7d4e-4e8a-9a51-3f1b6f2d9c47', sts_duration: 3600}\n")
SNAPSHOT = {"version": 1, "generated_at": "2026-01-01T00:00:00Z", "caller": {}, "roles": {}, "users": {}}
ROLE = {"name": "r", "arn": "arn:aws:iam::123456789012:role/r", "exists": True, "trust_policy": None,
        "policies": [], "boundary": None, "has_boundary": False, "errors": [],
        "max_session_duration": 3600}
RESULT = {"rule_id": "LP-001", "status": "FAIL", "fingerprint": "f" * 64, "profile": None,
          "resource": "x.json", "location": None, "severity": "high", "message": "m", "suppressed": None}


def one_line_exit_2(capsys, argv):
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


@pytest.fixture
def files(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)

    def write(name, content):
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content if isinstance(content, str) else json.dumps(content))
        return str(path)

    return str(config), write


@pytest.mark.parametrize("content", [
    '{"version": 1, "generated_at": "x", "caller": {}, "roles": {}, "users": {}, "api_calls": Infinity}',
    '{"version": 1, "generated_at": "x", "caller": {}, "roles": {}, "users": {}, "api_calls": NaN}',
    '{"version": 1, "generated_at": "x", "roles": {"a": ' + DEEP + '}}',
    {**SNAPSHOT, "api_calls": "12"},
    {**SNAPSHOT, "api_calls": True},
    {**SNAPSHOT, "roles": {"|r": {**ROLE, "exists": [1]}}},
    {**SNAPSHOT, "roles": {"|r": {**ROLE, "max_session_duration": "3600"}}},
    {**SNAPSHOT, "roles": {"|r": {**ROLE, "policies": [{"name": 1}]}}},
    {**SNAPSHOT, "users": {"|u": {"name": "u", "access_keys": [{"access_key_id": ["A"], "status": "Active"}]}}},
    {**SNAPSHOT, "users": {"|u": {"name": "u", "groups": [{}]}}},
    {**SNAPSHOT, "caller": {"": ["x"]}},
    b"\xff\xfe\x00binary",
])
def test_a_bad_snapshot_is_one_line(files, capsys, content):
    config, write = files
    err = one_line_exit_2(capsys, ["scan", "-c", config, "--snapshot", write("snap.json", content)])
    assert "--snapshot" in err


@pytest.mark.parametrize("content", [
    DEEP,
    '{"results": ' + DEEP + "}",
    {"results": [{**RESULT, "status": ["FAIL"]}]},
    {"results": [{**RESULT, "rule_id": ["LP-001"]}]},
    {"results": [{**RESULT, "status": "BROKEN"}]},
    {"results": [{**RESULT, "location": "statement 0"}]},
    {"results": [{**RESULT, "suppressed": True}]},
    '{"results": [], "x": -Infinity}',
])
def test_a_bad_baseline_is_one_line(files, capsys, content, tmp_path):
    _, write = files
    policy = tmp_path / "p.json"
    policy.write_text('{"Version": "2012-10-17", "Statement": []}')
    err = one_line_exit_2(capsys, ["lint", str(policy), "--baseline", write("base.json", content)])
    assert "--baseline" in err


@pytest.mark.parametrize("content", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xff",
    "accounts: " + DEEP,
    "accounts:\n" + "".join("  " * i + "- \n" for i in range(1, 400)),
    "accounts: [{account: prod, aws_profile: [a, b]}]",
    "accounts: [{account: {x: 1}, aws_profile: p}]",
    "accounts: [{account: prod, role_arn: 'not-an-arn'}]",
    "accounts: [prod]",
    "accounts: {prod: p}",
    "[1, 2]",
])
def test_a_bad_accounts_file_is_one_line(files, capsys, content):
    _, write = files
    err = one_line_exit_2(capsys, ["discover", "--accounts", write("accounts.yaml", content)])
    assert "--accounts" in err


def test_a_good_accounts_file_reads_numbers_as_accounts(files):
    from auditor.accounts import load_accounts

    _, write = files
    specs = load_accounts(write("a.yaml", "accounts:\n  - {account: 210987654321, role_arn: "
                                          "'arn:aws:iam::210987654321:role/audit'}\n  - {aws_profile: p}\n"))
    assert [s.label for s in specs] == ["210987654321", "p"]


@pytest.mark.parametrize("content", [
    b"\x00\x01\x02\xff binary",
    "version: 1\nprofiles: " + DEEP,
    "version: 1\nprofiles:\n" + "".join("  " * i + "- \n" for i in range(1, 400)),
])
def test_a_bad_configuration_is_one_line(files, capsys, content):
    _, write = files
    one_line_exit_2(capsys, ["scan", "-c", write("c.yaml", content)])


def test_safe_json_limits():
    assert nesting_depth('{"a": "[[[[", "b": [[{}]]}') == 4
    assert loads('{"a": [1, {"b": "\\"]"}]}') == {"a": [1, {"b": '"]'}]}
    with pytest.raises(JSONInputError, match="nested 1000 levels"):
        loads(DEEP)
    with pytest.raises(JSONInputError, match="Infinity"):
        loads("[Infinity]")
