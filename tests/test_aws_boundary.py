"""The boundary for AWS answers in-process (mock_aws): classification, retry settings, the
last-resort guards, `collect`'s exit code and the demo."""
import json

import pytest
from botocore.exceptions import ClientError, NoCredentialsError
from botocore.parsers import ResponseParserError

from auditor import aws as boundary
from auditor import cli, collectors
from test_collectors import EXTERNAL_ID, REGION, ROLE_ARN, _inject, aws  # noqa: F401 - a fixture

LEAKY_BODY = ("Unable to parse response (not well-formed), invalid XML received. Further retries "
              f"may succeed:\n<GetRoleResponse><Role><AssumeRolePolicyDocument>%7B%22sts%3AExternalId"
              f"%22%3A%22{EXTERNAL_ID}%22")


def test_an_unparsable_answer_is_named_without_its_body():
    error = boundary.classify("iam:GetRole", ResponseParserError(LEAKY_BODY), "role r")
    assert error.code == "UnparsableAnswer" and EXTERNAL_ID not in error.describe()
    assert error.describe().startswith("iam:GetRole on role r failed")


def test_no_credentials_is_not_called_a_denial():
    described = boundary.classify("iam:GetRole", NoCredentialsError()).describe()
    assert "no AWS credentials" in described and "denied" not in described


def test_an_unknown_exception_is_named_by_its_type_only():
    error = boundary.classify("iam:GetUser", ValueError(f"body {EXTERNAL_ID}"))
    assert error.code == "ValueError" and EXTERNAL_ID not in error.describe()


def test_a_service_message_is_one_printable_line():
    error = boundary.classify("iam:GetRole", ClientError(
        {"Error": {"Code": "InternalFailure", "Message": "first\nsecond \x1b[31mred"}}, "GetRole"))
    assert "\n" not in error.message and "\x1b" not in error.message


def _client_retries(monkeypatch, **env):
    for name in ("AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return boundary.Clients(REGION).get(None, "iam").meta.config.retries


def test_retries_honour_the_environment(aws, monkeypatch):
    assert _client_retries(monkeypatch, AWS_MAX_ATTEMPTS="2", AWS_RETRY_MODE="legacy") == {
        "mode": "legacy", "total_max_attempts": 2}
    assert _client_retries(monkeypatch, AWS_MAX_ATTEMPTS="1")["total_max_attempts"] == 1
    assert _client_retries(monkeypatch) == {"mode": boundary.DEFAULT_RETRY_MODE,
                                            "total_max_attempts": boundary.DEFAULT_TOTAL_ATTEMPTS}


def test_retries_honour_the_config_file(aws, monkeypatch, tmp_path):
    config = tmp_path / "config"
    config.write_text("[default]\nmax_attempts = 3\nretry_mode = standard\n")
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    monkeypatch.delenv("AWS_RETRY_MODE", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    assert boundary.Clients(REGION).get(None, "iam").meta.config.retries == {
        "mode": "standard", "total_max_attempts": 3}


@pytest.mark.parametrize("value", ["0", "-1", "soon", "99999"])
def test_a_bad_read_timeout_is_one_line(monkeypatch, value, capsys):
    monkeypatch.setenv(boundary.READ_TIMEOUT_VARIABLE, value)
    with pytest.raises(Exception) as raised:
        boundary.read_timeout()
    assert boundary.READ_TIMEOUT_VARIABLE in str(raised.value)


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    monkeypatch.setenv("PRODUCT_EXTERNAL_ID", EXTERNAL_ID)
    path = tmp_path / "config.yaml"
    path.write_text(f"""version: 1
profiles:
  - name: p
    auth_type: iam_role
    region: {REGION}
    user: reader
    role_arn: {ROLE_ARN}
    external_id: ${{PRODUCT_EXTERNAL_ID}}
    sts_duration: 3600
""")
    return path


def _main(capsys, *argv):
    code = cli.main([*map(str, argv)])
    captured = capsys.readouterr()
    assert EXTERNAL_ID not in captured.out + captured.err
    return code, captured


def test_collect_exits_3_when_a_get_role_is_denied(aws, monkeypatch, config_file, tmp_path, capsys):
    _inject(monkeypatch, "GetRole", ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetRole"))
    code, captured = _main(capsys, "collect", "-c", config_file, "-o", tmp_path / "s.json", "-q")
    assert code == 3
    assert captured.err.count("\n") == 1 and "iam:GetRole" in captured.err and "denied" in captured.err
    assert json.loads((tmp_path / "s.json").read_text())["roles"]


def test_collect_of_a_whole_snapshot_exits_0(aws, config_file, tmp_path, capsys):
    code, _ = _main(capsys, "collect", "-c", config_file, "-o", tmp_path / "s.json", "-q")
    assert code == 0


def test_an_unexpected_failure_while_collecting_is_an_error_result(aws, monkeypatch, config_file,
                                                                   tmp_path, capsys):
    def broken(self, aws_profile, role_arn):
        raise RuntimeError(f"parser bug quoting {EXTERNAL_ID}")

    monkeypatch.setattr(collectors.Collector, "role", broken)
    code, _ = _main(capsys, "scan", "-c", config_file, "--format", "json", "--fail-on", "none",
                    "-o", tmp_path / "r.json")
    text = (tmp_path / "r.json").read_text()
    report = json.loads(text)
    assert code == 3 and EXTERNAL_ID not in text
    internal = [r for r in report["results"] if r["rule_id"] == "COLLECT-001"]
    assert internal and "RuntimeError" in internal[0]["message"] and internal[0]["status"] == "ERROR"
    assert {r["status"] for r in report["results"] if r["rule_id"] == "CHAIN-002"} == {"ERROR"}


def test_an_unexpected_failure_while_evaluating_still_writes_a_report(aws, monkeypatch, config_file,
                                                                      tmp_path, capsys, validate_report):
    from auditor import scan

    def broken(*_args, **_kwargs):
        raise KeyError(EXTERNAL_ID)

    monkeypatch.setattr(scan, "evaluate", broken)
    code, _ = _main(capsys, "scan", "-c", config_file, "--format", "json", "-o", tmp_path / "r.json")
    text = (tmp_path / "r.json").read_text()
    report = validate_report(json.loads(text))
    assert code == 3 and EXTERNAL_ID not in text
    assert [(r["rule_id"], r["status"]) for r in report["results"]] == [("COLLECT-001", "ERROR")]


def test_a_failed_caller_identity_is_an_error_result(aws, monkeypatch, config_file, tmp_path, capsys):
    _inject(monkeypatch, "GetCallerIdentity", ResponseParserError(LEAKY_BODY))
    code, _ = _main(capsys, "scan", "-c", config_file, "--format", "json", "--fail-on", "none",
                    "-o", tmp_path / "r.json")
    report = json.loads((tmp_path / "r.json").read_text())
    assert code == 3
    assert any(r["rule_id"] == "COLLECT-001" and "sts:GetCallerIdentity" in r["message"]
               for r in report["results"])


def test_demo_with_a_broken_answer_gives_an_error_and_a_report(monkeypatch, capsys):
    from auditor.demo import HEALTHY_EXTERNAL_ID

    _inject(monkeypatch, "GetRole", ResponseParserError(LEAKY_BODY.replace(EXTERNAL_ID, HEALTHY_EXTERNAL_ID)))
    code = cli.main(["demo", "--format", "json", "--fail-on", "none"])
    captured = capsys.readouterr()
    assert HEALTHY_EXTERNAL_ID not in captured.out + captured.err
    report = json.loads(captured.out)
    assert code == 3
    assert any(r["status"] == "ERROR" and "iam:GetRole" in r["message"] for r in report["results"])
