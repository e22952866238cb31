"""`--format sarif` and `--format jsonl`: schema-valid SARIF 2.1.0 shaped for GitHub code
scanning, ECS-shaped JSON lines for SIEMs, and the source positions SARIF points at."""
import dataclasses
import json
from pathlib import Path

import pytest

from auditor.engine import ERROR, FAIL, PASS, SKIP, Result
from auditor.lint import lint_paths
from auditor.locate import config_position, parse_error_position, statement_position
from auditor.report import Report
from auditor.reports import render
from clitools import EXAMPLES, ROOT, run_cli

SARIF_SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "schemas" / "sarif-schema-2.1.0.json"
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
SEVERITY_NUMBER = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}


# --- fixtures ----------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _in_repository_root(monkeypatch):
    """SARIF URIs are relative to the current directory: run where CI runs, at the root."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="module")
def lint_results():
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        return lint_paths(["examples"])


@pytest.fixture
def lint_report(lint_results):
    return Report("lint", list(lint_results))


@pytest.fixture(scope="module")
def demo_results():
    pytest.importorskip("moto")
    from auditor.demo import run_demo

    report = run_demo()
    return report


@pytest.fixture
def demo_report(demo_results):
    return Report(demo_results.mode, list(demo_results.results), demo_results.generated_at,
                  dict(demo_results.extra))


@pytest.fixture(scope="module")
def sarif_validator():
    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"{SARIF_SCHEMA} is missing")
    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def sarif(report) -> dict:
    return json.loads(render(report, "sarif"))


def jsonl(report) -> list[dict]:
    text = render(report, "jsonl")
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.split("\n")[:-1]]


def only_run(document) -> dict:
    assert document["version"] == "2.1.0"
    assert len(document["runs"]) == 1
    return document["runs"][0]


def findings(report) -> list[Result]:
    return [r for r in report.shown if r.status in (FAIL, ERROR)]


def sarif_result(run, rule_id, uri_suffix=None) -> dict:
    for result in run["results"]:
        if result["ruleId"] != rule_id:
            continue
        if uri_suffix is None or result["locations"][0]["physicalLocation"]["artifactLocation"][
                "uri"].endswith(uri_suffix):
            return result
    raise AssertionError(f"no SARIF result for {rule_id} {uri_suffix or ''}")


def with_changes(report, predicate, **changes) -> Report:
    """A copy of `report` whose results matching `predicate` get `changes`."""
    return Report(report.mode, [dataclasses.replace(r, **changes) if predicate(r) else r
                                for r in report.results], report.generated_at, dict(report.extra),
                  report.statuses)


# --- SARIF: schema and GitHub's requirements ------------------------------------------

def test_lint_sarif_is_valid(lint_report, sarif_validator):
    sarif_validator.validate(sarif(lint_report))


def test_scan_sarif_is_valid(demo_report, sarif_validator):
    sarif_validator.validate(sarif(demo_report))


def test_sarif_with_suppressions_errors_and_config_path_is_valid(demo_report, sarif_validator,
                                                                 tmp_path, monkeypatch):
    from auditor.demo import DEMO_CONFIG

    (tmp_path / "demo-config.yaml").write_text(DEMO_CONFIG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    report = with_changes(demo_report, lambda r: r.rule_id == "LP-001",
                          suppressed={"reason": "ticket SEC-1", "expires": "2099-01-01"})
    report = with_changes(report, lambda r: r.rule_id == "CHAIN-001", status=ERROR,
                          message="the role could not be read")
    report.extra["config_path"] = "demo-config.yaml"
    sarif_validator.validate(sarif(report))


def test_driver_and_run(lint_report):
    run = only_run(sarif(lint_report))
    driver = run["tool"]["driver"]
    assert driver["name"] == "iam-auditor"
    from auditor import __version__

    assert driver["version"] == __version__
    assert run["automationDetails"]["id"] == "iam-auditor/lint/"
    assert run["invocations"] == [{"executionSuccessful": True}]


def test_rules_carry_what_github_shows(lint_report, demo_report):
    from auditor.engine import load_rules

    registered = load_rules()
    for report in (lint_report, demo_report):
        run = only_run(sarif(report))
        rules = run["tool"]["driver"]["rules"]
        ids = [rule["id"] for rule in rules]
        assert len(ids) == len(set(ids))
        assert {r.rule_id for r in findings(report)} <= set(ids)
        for rule in rules:
            meta = registered[rule["id"]].meta
            assert rule["name"] == meta.name
            assert rule["shortDescription"]["text"] == meta.title
            assert rule["fullDescription"]["text"] == meta.description
            assert rule["help"]["text"] == meta.remediation
            assert meta.remediation in rule["help"]["markdown"]
            props = rule["properties"]
            assert props["security-severity"] in SECURITY_SEVERITY.values()
            assert props["tags"] == ["security", "iam"] and props["precision"] == "high"
            assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
            failing = [r.severity for r in findings(report)
                       if r.rule_id == rule["id"] and r.status == FAIL]
            if not failing:
                assert props["security-severity"] == SECURITY_SEVERITY[meta.severity]


def test_only_fail_and_error_are_results_with_ids_levels_fingerprints(lint_report, demo_report):
    for report in (lint_report, demo_report):
        run = only_run(sarif(report))
        expected = findings(report)
        assert len(run["results"]) == len(expected) > 0
        rules = run["tool"]["driver"]["rules"]
        for got, result in zip(run["results"], expected):
            assert got["ruleId"] == result.rule_id
            assert rules[got["ruleIndex"]]["id"] == result.rule_id
            assert got["level"] == LEVEL[result.severity]
            assert got["message"]["text"] == result.message
            assert got["partialFingerprints"] == {"iamAuditor/v1": result.fingerprint}
            assert got["properties"]["status"] == result.status
            assert got["properties"]["severity"] == result.severity
            assert got["properties"]["profile"] == result.profile
            assert got["properties"]["evidence"] == result.evidence
            assert len(got["locations"]) >= 1


def test_levels_follow_severity(lint_report):
    run = only_run(sarif(lint_report))
    assert sarif_result(run, "TRUST-001", "trust_public.json")["level"] == "error"      # critical
    assert sarif_result(run, "TRUST-003", "trust_if_exists.json")["level"] == "error"  # high
    assert sarif_result(run, "LP-001", "read_secrets_policy.json")["level"] == "warning"  # medium
    assert sarif_result(run, "TRUST-005", "trust_if_exists.json")["level"] == "note"   # low
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert rules["TRUST-001"]["properties"]["security-severity"] == "9.5"  # its worst failure
    assert rules["TRUST-005"]["properties"]["security-severity"] == "3.0"
    assert rules["TRUST-005"]["defaultConfiguration"]["level"] == "note"


def test_error_results_are_warnings_that_say_so(lint_report):
    report = with_changes(lint_report, lambda r: r.rule_id == "TRUST-001" and r.status == FAIL,
                          status=ERROR, message="boom")
    run = only_run(sarif(report))
    got = sarif_result(run, "TRUST-001", "trust_public.json")
    assert got["level"] == "warning"
    assert got["message"]["text"] == "Could not be checked: boom"
    assert got["properties"]["status"] == ERROR


def test_status_filter_narrows_sarif(lint_report):
    lint_report.statuses = frozenset({PASS, SKIP})
    assert only_run(sarif(lint_report))["results"] == []
    lint_report.statuses = frozenset({FAIL})
    assert len(only_run(sarif(lint_report))["results"]) == len(findings(lint_report)) > 0


# --- SARIF in lint: where the finding is -----------------------------------------------

def _lines(name):
    return (EXAMPLES / name).read_text(encoding="utf-8").splitlines()


def _region(result):
    location = result["locations"][0]["physicalLocation"]
    return location["artifactLocation"], location["region"]


def test_lint_location_is_the_relative_file(lint_report):
    run = only_run(sarif(lint_report))
    for result in run["results"]:
        artifact, region = _region(result)
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert artifact["uri"].startswith("examples/") and "\\" not in artifact["uri"]
        assert (ROOT / artifact["uri"]).is_file()
        assert region["startLine"] >= 1


def test_lint_region_points_at_the_statement_json(lint_report):
    got = sarif_result(only_run(sarif(lint_report)), "TRUST-003", "examples/trust_if_exists.json")
    _, region = _region(got)
    line = _lines("trust_if_exists.json")[region["startLine"] - 1]
    column = region["startColumn"]
    # statement 0: its opening brace (line 4) or its first key
    assert line[column - 1] == "{" or line[column - 1:].startswith('"Effect"')
    assert region["startLine"] == 4


def test_lint_region_for_a_single_statement_object(lint_report):
    got = sarif_result(only_run(sarif(lint_report)), "TRUST-001", "trust_public.json")
    _, region = _region(got)
    line = _lines("trust_public.json")[region["startLine"] - 1]
    assert line[region["startColumn"] - 1] == "{" and '"Statement"' in line


def test_lint_region_points_at_the_statement_yaml(lint_report):
    got = sarif_result(only_run(sarif(lint_report)), "TRUST-001", "trust_policy.yaml")
    _, region = _region(got)
    line = _lines("trust_policy.yaml")[region["startLine"] - 1]
    assert line[region["startColumn"] - 1:].startswith("Sid: TrustCatalogAccount")


def test_lint_region_of_an_unreadable_file_is_the_parse_error(lint_report):
    got = sarif_result(only_run(sarif(lint_report)), "POLICY-001", "malformed.json")
    _, region = _region(got)
    assert region["startLine"] == 5   # the "]" where a "," or "}" was expected
    assert _lines("malformed.json")[4].strip() == "]"


def test_lint_uri_is_relative_to_the_current_directory(monkeypatch):
    absolute = lint_paths([str(EXAMPLES / "trust_if_exists.json")])
    run = only_run(sarif(Report("lint", absolute)))
    artifact, region = _region(sarif_result(run, "TRUST-003"))
    assert artifact == {"uri": "examples/trust_if_exists.json", "uriBaseId": "%SRCROOT%"}
    assert region["startLine"] == 4

    monkeypatch.chdir(EXAMPLES)
    run = only_run(sarif(Report("lint", lint_paths(["trust_if_exists.json"]))))
    artifact, region = _region(sarif_result(run, "TRUST-003"))
    assert artifact["uri"] == "trust_if_exists.json"
    assert region == {"startLine": 4, "startColumn": 5}


def test_lint_file_that_vanished_still_has_a_location(lint_results, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)   # the report's relative paths no longer resolve
    run = only_run(sarif(Report("lint", list(lint_results))))
    for result in run["results"]:
        assert _region(result)[1] == {"startLine": 1}


# --- SARIF in scan ------------------------------------------------------------------------

def test_scan_results_name_the_role(demo_report):
    run = only_run(sarif(demo_report))
    assert run["automationDetails"]["id"] == "iam-auditor/scan/"
    assert run["results"]
    for got, result in zip(run["results"], findings(demo_report)):
        (location,) = got["locations"]
        # the demo publishes its configuration: GitHub needs a physical location to upload
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "sample_reports/demo-config.yaml"
        (logical,) = location["logicalLocations"]
        assert logical["fullyQualifiedName"] == result.resource
        assert logical["kind"] == "resource"
        # the role, the user for rules about the user, or the secret for the secret-side rules:
        # the ARN's last path segment
        assert result.resource.startswith(("arn:aws:iam::", "arn:aws:secretsmanager:"))
        assert result.resource.rsplit("/", 1)[-1] == logical["name"]
    names = {got["locations"][0]["logicalLocations"][0]["name"] for got in run["results"]}
    assert {"read_secrets_role", "read_secrets_role_legacy"} <= names


def test_scan_with_config_path_points_into_the_configuration(demo_report, tmp_path, monkeypatch):
    from auditor.demo import DEMO_CONFIG

    (tmp_path / "demo-config.yaml").write_text(DEMO_CONFIG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    demo_report.extra["config_path"] = "demo-config.yaml"
    run = only_run(sarif(demo_report))
    lines = DEMO_CONFIG.splitlines()
    for got, result in zip(run["results"], findings(demo_report)):
        physical = got["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": "demo-config.yaml", "uriBaseId": "%SRCROOT%"}
        line = lines[physical["region"]["startLine"] - 1]
        where = result.location or {}
        if where.get("document") == "profile" and where.get("key"):
            assert line.strip().startswith(where["key"] + ":")
        else:
            assert line.strip() == f"- name: {result.profile}"
    chain = [g for g, r in zip(run["results"], findings(demo_report))
             if r.rule_id == "CHAIN-005" and r.profile == "catalog-legacy"]
    assert chain and lines[chain[0]["locations"][0]["physicalLocation"]["region"]["startLine"] - 1
                           ].strip() == "sts_duration: 7200"


def test_suppressed_results_carry_suppressions(demo_report):
    waived = with_changes(demo_report, lambda r: r.rule_id == "LP-002" and r.status == FAIL,
                          suppressed={"reason": "accepted for the pilot, ticket SEC-7",
                                      "expires": None})
    run = only_run(sarif(waived))
    seen = 0
    for got, result in zip(run["results"], findings(waived)):
        if result.suppressed is None:
            assert "suppressions" not in got
            continue
        seen += 1
        (suppression,) = got["suppressions"]
        assert suppression["kind"] == "external" and suppression["status"] == "accepted"
        assert suppression["justification"] == result.suppressed["reason"]
    assert seen >= 2   # LP-002 fails in both demo profiles


def test_suppressions_in_lint_too(lint_report):
    waived = with_changes(lint_report, lambda r: r.rule_id == "LP-001",
                          suppressed={"reason": "legacy", "expires": "2099-12-31"})
    got = sarif_result(only_run(sarif(waived)), "LP-001", "read_secrets_policy.json")
    assert got["suppressions"] == [{"kind": "external", "status": "accepted",
                                    "justification": "legacy",
                                    "properties": {"expires": "2099-12-31"}}]


@pytest.mark.skipif("baseline" not in Result.__dataclass_fields__,
                    reason="results carry no baseline state yet")
def test_baseline_state(lint_report, sarif_validator):
    marked = with_changes(lint_report, lambda r: True, baseline="unchanged")
    marked = with_changes(marked, lambda r: r.rule_id == "TRUST-003", baseline="new")
    document = sarif(marked)
    sarif_validator.validate(document)
    for got in only_run(document)["results"]:
        assert got["baselineState"] == ("new" if got["ruleId"] == "TRUST-003" else "unchanged")
    assert all("baselineState" not in got for got in only_run(sarif(lint_report))["results"])


# --- locate -------------------------------------------------------------------------------

def test_statement_position_json_and_yaml():
    text = (EXAMPLES / "trust_if_exists.json").read_text(encoding="utf-8")
    assert statement_position(text, 0, False) == (4, 5)
    assert statement_position(text, 1, False) == (10, 5)
    assert statement_position(text, 2, False) is None
    assert statement_position(text, None, False) == (1, 1)
    yaml_text = (EXAMPLES / "trust_policy.yaml").read_text(encoding="utf-8")
    assert statement_position(yaml_text, 0, True) == (4, 5)
    assert statement_position(yaml_text, None, True) == (2, 1)   # after the comment
    # a .yaml file holding JSON is located as JSON, as the linter parses it
    assert statement_position(text, 1, True) == (10, 5)


def test_statement_position_reads_keys_as_iam_does():
    # case-insensitive key; strings with brackets, braces and escaped quotes are skipped
    text = '{"statement": [\n {"Sid": "a\\"[{"},\r\n  {"Sid": "b"}]}'
    assert statement_position(text, 1, False) == (3, 3)
    # a duplicated key: the last one wins, as in json.loads
    text = '{"Statement": [{}], "Version": "2012-10-17",\n"Statement": [{}, {}]}'
    assert statement_position(text, 1, False) == (2, 19)
    # columns count UTF-16 code units, as SARIF does by default
    text = '{"Statement": [{"Sid": "\U0001F600"}, {}]}'
    assert statement_position(text, 1, False) == (1, 31)   # 30 characters before it
    # a byte-order mark is not a column
    assert statement_position('\ufeff{"Statement": {}}', 0, False) == (1, 15)


ODD_TEXTS = [("", False), ("", True), ("{", False), ("[1, 2]", False), ('"text"', False),
             ('{"Statement": 3}', False), ("Statement: [", True), ("- a\n- b", True),
             ("a: b\n---\nc: d", True), ("%7B%22Statement%22%3A%5B%5D%7D", False),
             ("[" * 1200, False), ("[" * 1200, True), ('{"Statement": [' + "[" * 1200, False)]


@pytest.mark.parametrize("text,yaml", ODD_TEXTS, ids=[f"odd{n}" for n in range(len(ODD_TEXTS))])
def test_statement_position_never_raises(text, yaml):
    assert statement_position(text, 0, yaml) is None
    if len(text) > 1000:   # deeper than the recursion limit: slow in PyYAML, once is enough
        return
    statement_position(text, None, yaml)
    parse_error_position(text, yaml)
    config_position(text, "p", "k")


def test_parse_error_and_config_positions():
    assert parse_error_position('{\n  "a": 1,\n}', False) == (3, 1)
    assert parse_error_position('{"a": 1} x', False) == (1, 10)
    assert parse_error_position('{"a": 1}', False) is None
    assert parse_error_position("a: [1,\nb: 2", True) is not None
    assert parse_error_position("a: 1\n", True) is None
    assert parse_error_position("[" * 1200, False) is None   # too deep: no position, no crash
    config = "version: 1\nprofiles:\n  - name: one\n    region: x\n  - name: two\n    sts_duration: 5\n"
    assert config_position(config, "two") == (5, 5)
    assert config_position(config, "two", "sts_duration") == (6, 5)
    assert config_position(config, "two", "missing") == (5, 5)
    assert config_position(config, "three") is None
    assert statement_position(config, 0, True) is None


# --- JSONL --------------------------------------------------------------------------------

def test_jsonl_one_line_per_result(lint_report, demo_report):
    for report in (lint_report, demo_report):
        lines = jsonl(report)
        assert len(lines) == len(report.results)
        for line, result in zip(lines, report.results):
            assert line["@timestamp"] == report.generated_at
            assert line["ecs"] == {"version": "8.11.0"}
            event = line["event"]
            assert event["kind"] == ("alert" if result.status == FAIL else "state")
            assert event["category"] == ["configuration", "iam"]
            assert event["severity"] == SEVERITY_NUMBER[result.severity]
            assert event.get("outcome", "unknown") in ("success", "failure", "unknown")
            assert line["rule"] == {"id": result.rule_id, "name": result.rule_name,
                                    "ruleset": "iam-auditor", "description": result.title}
            assert line["cloud"] == {"provider": "aws", "account": {"id": result.account_id},
                                     "region": result.region}
            assert line["message"] == result.message
            assert line["iam_auditor"] == json.loads(json.dumps(result.to_dict()))


def test_jsonl_scan_fields(demo_report):
    lines = jsonl(demo_report)
    assert {line["cloud"]["account"]["id"] for line in lines} == {"123456789012"}
    assert {line["cloud"]["region"] for line in lines} == {"us-east-1"}
    assert any(line["event"]["kind"] == "alert" for line in lines)


def test_jsonl_is_compact_and_line_safe(lint_report):
    text = render(lint_report, "jsonl")
    assert ": " not in text.split("\n")[0].split('"message"')[0]   # compact separators
    odd = with_changes(lint_report, lambda r: r.rule_id == "LP-001",
                       message="café\u2028next\x85line")
    text = render(odd, "jsonl")
    assert "café" in text                                  # not ASCII-escaped
    assert len(text.splitlines()) == len(lint_report.results)
    assert any(json.loads(line)["message"] == "café\u2028next\x85line"
               for line in text.splitlines())


def test_jsonl_status_filter(lint_report):
    lint_report.statuses = frozenset({FAIL})
    lines = jsonl(lint_report)
    assert lines and all(line["iam_auditor"]["status"] == FAIL for line in lines)
    assert all(line["event"]["kind"] == "alert" for line in lines)
    assert len(lines) == sum(r.status == FAIL for r in lint_report.results)

    lint_report.statuses = frozenset({PASS, SKIP})
    lines = jsonl(lint_report)
    assert lines and {line["iam_auditor"]["status"] for line in lines} == {PASS, SKIP}
    assert all(line["event"]["kind"] == "state" for line in lines)

    lint_report.statuses = frozenset({ERROR})
    assert render(lint_report, "jsonl") == ""


def test_jsonl_empty_report():
    assert render(Report("lint", []), "jsonl") == ""


# --- the command line ---------------------------------------------------------------------

def test_cli_lint_sarif(sarif_validator):
    proc = run_cli("lint", "examples", "--format", "sarif")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    document = json.loads(proc.stdout)
    sarif_validator.validate(document)
    run = only_run(document)
    artifact, region = _region(sarif_result(run, "TRUST-003", "examples/trust_if_exists.json"))
    assert region["startLine"] == 4


def test_cli_lint_jsonl_with_status():
    proc = run_cli("lint", "examples", "--format", "jsonl", "--status", "fail")
    assert proc.returncode == 1, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines and all(line["event"]["kind"] == "alert" for line in lines)
