"""--baseline in every machine format: new / unchanged / resolved each in its format's terms
(ECS event.kind/type, OCSF status, SARIF baselineState); alerts on new failures only."""
import dataclasses
import json
from pathlib import Path

import pytest

from auditor.baseline import compare
from auditor.report import Report
from auditor.reports import render

SARIF_SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "schemas" / "sarif-schema-2.1.0.json"
GONE = {"rule_id": "TRUST-001", "rule_name": "trust-principal-too-broad", "status": "FAIL",
        "severity": "critical", "profile": "catalog-prod", "resource":
        "arn:aws:iam::123456789012:role/read_secrets_role", "location": {"statement": 3},
        "message": "statement 3 lets everyone assume the role", "fingerprint": "f" * 64,
        "suppressed": None}


@pytest.fixture(scope="module")
def demo():
    pytest.importorskip("moto")
    from auditor.demo import run_demo

    return run_demo()


@pytest.fixture
def compared(demo):
    """The demo against a baseline where TRUST-003 did not fail yet and TRUST-001 failed."""
    results = [dataclasses.replace(r) for r in demo.results]
    previous = [r.to_dict() for r in results if r.rule_id != "TRUST-003"] + [GONE]
    report = Report("scan", results, demo.generated_at, dict(demo.extra))
    report.extra["resolved"] = compare(report.results, previous)
    return report


def test_jsonl_alerts_only_on_new_failures_and_emits_resolved(compared):
    events = [json.loads(line) for line in render(compared, "jsonl").splitlines()]
    alerts = [e for e in events if e["event"]["kind"] == "alert"]
    assert [e["rule"]["id"] for e in alerts] == ["TRUST-003"]
    assert alerts[0]["event"]["type"] == ["creation"]
    unchanged = [e for e in events if e["iam_auditor"].get("baseline") == "unchanged"
                 and e["iam_auditor"]["status"] == "FAIL"]
    assert unchanged and all(e["event"]["kind"] == "state" and e["event"]["type"] == ["info"]
                             for e in unchanged)
    [resolved] = [e for e in events if e["event"]["type"] == ["deletion"]]
    assert resolved["rule"]["id"] == "TRUST-001" and resolved["event"]["outcome"] == "success"
    assert resolved["iam_auditor"]["fingerprint"] == GONE["fingerprint"]
    assert resolved["iam_auditor"]["now"] == "PASS"


def test_jsonl_without_baseline_alerts_on_every_failure(demo):
    events = [json.loads(line) for line in render(demo, "jsonl").splitlines()]
    assert sum(e["event"]["kind"] == "alert" for e in events) == \
        sum(r.status == "FAIL" for r in demo.results)


def test_ocsf_status_new_in_progress_resolved(compared):
    events = json.loads(render(compared, "ocsf"))
    by = {}
    for e in events:
        if e["status_code"] in ("FAIL", "RESOLVED"):
            by.setdefault(e["status"], set()).add(e["finding_info"]["analytic"]["uid"])
    assert by["New"] == {"TRUST-003"}
    assert "LP-001" in by["In Progress"] and "TRUST-003" not in by["In Progress"]
    assert by["Resolved"] == {"TRUST-001"}
    assert by["Suppressed"] == {"TRUST-005"}
    resolved = next(e for e in events if e["status"] == "Resolved")
    assert (resolved["activity_name"], resolved["type_uid"]) == ("Close", 200403)
    in_progress = next(e for e in events if e["status"] == "In Progress")
    assert (in_progress["activity_name"], in_progress["type_uid"]) == ("Update", 200402)


def test_sarif_baseline_states_and_schema(compared):
    data = json.loads(render(compared, "sarif"))
    results = data["runs"][0]["results"]
    states = {(r["ruleId"], r["baselineState"]) for r in results}
    assert ("TRUST-003", "new") in states and ("LP-001", "unchanged") in states
    [absent] = [r for r in results if r["baselineState"] == "absent"]
    assert absent["ruleId"] == "TRUST-001"
    assert absent["partialFingerprints"]["iamAuditor/v1"] == GONE["fingerprint"]
    rules = data["runs"][0]["tool"]["driver"]["rules"]
    assert rules[absent["ruleIndex"]]["id"] == "TRUST-001"
    if SARIF_SCHEMA.is_file():
        import jsonschema

        jsonschema.Draft7Validator(json.loads(SARIF_SCHEMA.read_text())).validate(data)


def test_table_and_markdown_mark_new_and_resolved(compared):
    table = render(compared, "table", width=80)
    assert "TRUST-003   catalog-legacy  [new]" in table
    assert "Resolved since the baseline (1):" in table and "TRUST-001 critical" in table
    markdown = render(compared, "markdown")
    assert "_(new since the baseline)_" in markdown
    assert "## Resolved since the baseline" in markdown
    assert "**TRUST-001** (critical)" in markdown
