"""`--format ocsf` and `--format markdown`: OCSF 1.1 Detection Findings and the go-live checklist.

The OCSF events are checked offline against the Detection Finding class of OCSF 1.1.0 as written
below (required attributes, the enums the renderer uses), and, when it is installed, against
py-ocsf-models' DetectionFinding model.
"""
import calendar
import json
import re
from dataclasses import replace
from datetime import datetime

import pytest

from auditor.lint import lint_paths
from auditor.report import Report
from auditor.reports import markdown, ocsf
from auditor.settings import Settings
from clitools import EXAMPLES, run_cli

# -- OCSF 1.1.0, Detection Finding (class 2004, category 2 Findings) -----------------------------
REQUIRED = ("activity_id", "category_uid", "class_uid", "finding_info", "metadata",
            "severity_id", "time", "type_uid")
ACTIVITY = {0: "Unknown", 1: "Create", 2: "Update", 3: "Close", 99: "Other"}
SEVERITY = {0: "Unknown", 1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical",
            6: "Fatal", 99: "Other"}
STATUS = {0: "Unknown", 1: "New", 2: "In Progress", 3: "Suppressed", 4: "Resolved", 99: "Other"}
ANALYTIC_TYPE = {0: "Unknown", 1: "Rule", 2: "Behavioral", 3: "Statistical", 4: "Learning (ML/DL)",
                 99: "Other"}
# Attributes of the class in 1.1.0 (base event, finding, detection finding, and the cloud profile).
ATTRIBUTES = {
    "activity_id", "activity_name", "category_name", "category_uid", "class_name", "class_uid",
    "count", "duration", "end_time", "enrichments", "message", "metadata", "observables",
    "raw_data", "severity", "severity_id", "start_time", "status", "status_code",
    "status_detail", "status_id", "time", "timezone_offset", "type_name", "type_uid", "unmapped",
    "comment", "confidence", "confidence_id", "confidence_score", "finding_info", "evidences",
    "impact", "impact_id", "impact_score", "remediation", "resources", "risk_level",
    "risk_level_id", "risk_score", "vulnerabilities", "cloud", "api",
}
SEVERITY_OF = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}


def check_detection_finding(event):
    """The event is a valid OCSF 1.1.0 Detection Finding, as far as this renderer fills it."""
    missing = [name for name in REQUIRED if name not in event]
    assert not missing, f"required attributes missing: {missing}"
    assert set(event) <= ATTRIBUTES, f"not attributes of the class: {set(event) - ATTRIBUTES}"
    assert event["class_uid"] == 2004 and event["class_name"] == "Detection Finding"
    assert event["category_uid"] == 2 and event["category_name"] == "Findings"
    assert event["activity_id"] in ACTIVITY and event["activity_name"] == ACTIVITY[event["activity_id"]]
    assert event["type_uid"] == event["class_uid"] * 100 + event["activity_id"]
    assert event["severity_id"] in SEVERITY and event["severity"] == SEVERITY[event["severity_id"]]
    assert event["status_id"] in STATUS and event["status"] == STATUS[event["status_id"]]
    assert isinstance(event["time"], int) and not isinstance(event["time"], bool)
    info = event["finding_info"]
    assert isinstance(info["uid"], str) and info["uid"]
    assert isinstance(info["title"], str) and info["title"]
    analytic = info["analytic"]
    assert analytic["type_id"] in ANALYTIC_TYPE and analytic["type"] == ANALYTIC_TYPE[analytic["type_id"]]
    metadata = event["metadata"]
    assert metadata["version"] == "1.1.0"
    assert metadata["product"]["name"] == "iam-auditor" and metadata["product"]["vendor_name"]
    assert metadata["product"]["version"]
    assert "cloud" in metadata["profiles"] and event["cloud"]["provider"] == "AWS"
    for resource in event["resources"]:
        assert isinstance(resource["uid"], str) and resource["uid"]
    if "remediation" in event:
        assert isinstance(event["remediation"]["desc"], str)


def epoch_ms(iso):
    return calendar.timegm(datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").timetuple()) * 1000


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_report():
    from auditor.demo import run_demo

    return run_demo()


@pytest.fixture(scope="module")
def lint_report():
    return Report("lint", lint_paths([str(EXAMPLES)]))


def lint_of(*names, **severity_overrides):
    settings = Settings(severity_overrides={k.replace("_", "-"): v
                                            for k, v in severity_overrides.items()})
    return Report("lint", lint_paths([str(EXAMPLES / name) for name in names], settings))


# -- OCSF ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["demo_report", "lint_report"])
def test_ocsf_events_are_detection_findings(which, request):
    report = request.getfixturevalue(which)
    events = json.loads(ocsf.render(report))
    assert isinstance(events, list) and len(events) == len(report.shown)
    for event, result in zip(events, report.shown):
        check_detection_finding(event)
        assert event["activity_id"] == 1 and event["type_uid"] == 200401
        assert event["time"] == epoch_ms(report.generated_at)
        assert event["finding_info"]["uid"] == result.fingerprint
        assert event["finding_info"]["title"] == result.title
        assert event["finding_info"]["analytic"] == {"uid": result.rule_id, "name": result.rule_name,
                                                     "type_id": 1, "type": "Rule"}
        assert event["finding_info"]["types"] == [f"iam-auditor {result.status}"]
        assert event["resources"][0]["uid"] == result.resource
        assert event["resources"][0]["type"] == result.resource_type
        assert event["message"] == result.message
        assert event["status_code"] == result.status
        assert event["unmapped"] == {"iam_auditor": json.loads(json.dumps(result.to_dict()))}
        expected_severity = SEVERITY_OF[result.severity] if result.status in ("FAIL", "ERROR") else 1
        assert event["severity_id"] == expected_severity
        assert event["status_id"] == (3 if result.suppressed else 1)


def test_ocsf_scan_carries_the_account_and_region(demo_report):
    for event, result in zip(ocsf.events(demo_report), demo_report.shown):
        assert event["cloud"]["account"]["uid"] == result.account_id == "123456789012"
        assert event["cloud"]["account"]["type_id"] == 10
        assert event["cloud"]["region"] == event["resources"][0]["region"] == "us-east-1"
        assert event["resources"][0]["uid"].startswith("arn:aws:")


def test_ocsf_lint_has_no_account(lint_report):
    for event in ocsf.events(lint_report):
        assert event["cloud"] == {"provider": "AWS"}
        assert "region" not in event["resources"][0]
        assert event["resources"][0]["uid"].endswith((".json", ".yaml"))


def test_ocsf_status_id_suppressed_for_a_waived_fail(lint_report):
    failing = next(r for r in lint_report.results if r.status == "FAIL")
    waived = replace(failing, suppressed={"reason": "x", "expires": None})
    new, suppressed = ocsf.events(Report("lint", [failing, waived]))
    assert (new["status_id"], new["status"]) == (1, "New")
    assert (suppressed["status_id"], suppressed["status"]) == (3, "Suppressed")
    assert suppressed["status_detail"] == "waived: x"
    assert new["finding_info"]["uid"] == suppressed["finding_info"]["uid"] == failing.fingerprint
    check_detection_finding(suppressed)


def test_ocsf_demo_waiver_is_suppressed(demo_report):
    by_rule = {(e["unmapped"]["iam_auditor"]["profile"], e["finding_info"]["analytic"]["uid"]): e
               for e in ocsf.events(demo_report)}
    assert by_rule[("catalog-prod", "TRUST-005")]["status"] == "Suppressed"
    assert by_rule[("catalog-legacy", "TRUST-003")]["status"] == "New"
    assert by_rule[("catalog-legacy", "TRUST-003")]["severity_id"] == 4


def test_ocsf_time_is_epoch_milliseconds():
    report = Report("lint", lint_paths([str(EXAMPLES / "trust_string_equals.json")]),
                    generated_at="2026-11-23T12:00:00Z")
    times = {e["time"] for e in ocsf.events(report)}
    assert times == {1795435200000}


def test_ocsf_emits_only_the_shown_results(demo_report):
    filtered = Report(demo_report.mode, demo_report.results, demo_report.generated_at,
                      statuses=frozenset({"FAIL"}))
    events = ocsf.events(filtered)
    assert len(events) == sum(r.status == "FAIL" for r in demo_report.results)
    assert {e["status_code"] for e in events} == {"FAIL"}


@pytest.mark.parametrize("which", ["demo_report", "lint_report"])
def test_ocsf_validates_with_py_ocsf_models(which, request):
    findings = pytest.importorskip("py_ocsf_models.events.findings.detection_finding")
    for event in json.loads(ocsf.render(request.getfixturevalue(which))):
        model = findings.DetectionFinding.model_validate(event)
        assert int(model.type_uid) == 200401 and model.finding_info.uid == event["finding_info"]["uid"]


# -- Markdown ------------------------------------------------------------------------------------
def sections(text):
    """{heading of a profile or file section: its text}."""
    parts = re.split(r"^## ((?:Profile|File) `[^`]+`)$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def item_lines(text):
    return [line for line in text.splitlines() if line.startswith("- [")]


@pytest.mark.parametrize("which, count", [("demo_report", 2), ("lint_report", 9)])
def test_markdown_steps_in_order_per_profile(which, count, request):
    report = request.getfixturevalue(which)
    text = markdown.render(report)
    assert text.startswith("# iam-auditor pre-go-live checklist\n")
    found = sections(text)
    assert len(found) == count
    for heading, body in found.items():
        steps = [int(n) for n in re.findall(r"^### Step (\d) — ", body, flags=re.M)]
        assert steps == [1, 2, 3, 4, 5], heading
        titles = re.findall(r"^### Step \d — (.+)$", body, flags=re.M)
        assert titles == list(markdown.STEPS.values())
    if which == "demo_report":
        assert list(found) == ["Profile `catalog-prod`", "Profile `catalog-legacy`"]
    else:
        assert all(h.startswith("File `") for h in found)


@pytest.mark.parametrize("which", ["demo_report", "lint_report"])
def test_markdown_lists_every_result_once_under_its_first_step(which, request):
    report = request.getfixturevalue(which)
    text = markdown.render(report)
    assert len(item_lines(text)) == len(report.shown)
    for heading, body in sections(text).items():
        steps = re.split(r"^### Step (\d) — .*$", body, flags=re.M)
        for number, step_body in zip(steps[1::2], steps[2::2]):
            for rule_id in re.findall(r"^- \[[ x]\] (?:\*\*|~~)([A-Z]+-\d{3})", step_body, flags=re.M):
                first_steps = {r.step for r in report.shown if r.rule_id == rule_id}
                assert first_steps == {int(number)}, (heading, rule_id)


def test_markdown_demo_is_not_ready(demo_report):
    text = markdown.render(demo_report)
    blocking = [r for r in demo_report.results if r.status == "FAIL" and r.suppressed is None
                and r.severity in ("medium", "high", "critical")]
    assert blocking
    assert f"❌ Not ready to go live: {len(blocking)} blocking findings" in text
    assert "✅ Ready to go live" not in text
    assert "2 high, 6 medium" in text.splitlines()[2]   # CHAIN-007: the key forgets the role


def test_markdown_unchecked_boxes_for_fails_with_the_fix(demo_report):
    lines = markdown.render(demo_report).splitlines()
    for result in demo_report.results:
        if result.status != "FAIL":
            continue
        prefix = f"**{result.rule_id}** ({result.severity})"
        matching = [i for i, line in enumerate(lines) if prefix in line and line.startswith("- [")]
        assert matching, result.rule_id
        for i in matching:
            if result.suppressed is None:
                assert lines[i].startswith("- [ ] ")
                assert lines[i + 1].startswith("  - Fix: ")
            else:
                assert lines[i].startswith("- [x] ") and "waived: " in lines[i]
    text = "\n".join(lines)
    assert ("- [x] **TRUST-005** (low) Only the configured user may assume the role — waived: EC2 "
            "instance profile still used by the nightly export job, ticket SEC-142 (no expiry)") in text
    # The expired waiver on LP-001 (catalog-legacy) no longer applies, and the checklist says so.
    assert "  - Waiver expired on 2025-01-31, no longer applies: legacy secrets layout" in text
    assert "## Waivers to review" in text


def test_markdown_passes_are_checked(demo_report):
    text = markdown.render(demo_report)
    assert "- [x] **CHAIN-002** The role's trust policy admits the user — the trust policy admits " \
           "`arn:aws:iam::123456789012:user/catalog-secrets-reader` by its ARN" in text


def test_markdown_ready_when_everything_passes():
    report = lint_of("trust_string_equals.json")
    text = markdown.render(report)
    assert "**✅ Ready to go live**" in text
    assert "Not ready" not in text
    assert "- [ ]" not in text


def test_markdown_ready_when_only_low_fails_remain():
    report = lint_of("trust_if_exists.json", TRUST_003="low")
    assert {r.severity for r in report.results if r.status == "FAIL"} == {"low"}
    report.fail_on = "medium"       # the verdict follows --fail-on, as the exit code does
    text = markdown.render(report)
    assert "**✅ Ready to go live** (2 findings below --fail-on medium to review)" in text
    assert "- [ ] **TRUST-003** (low)" in text and "- [ ] **TRUST-005** (low)" in text


def test_markdown_verdict_and_exit_code_agree_on_low_findings():
    from auditor.report import EXIT_FAIL, exit_code

    report = lint_of("trust_if_exists.json", TRUST_003="low")
    assert exit_code(report.results, "low") == EXIT_FAIL
    assert "**❌ Not ready to go live: 2 blocking findings** (2 low)" in markdown.render(report)


def test_markdown_error_blocks_readiness():
    report = lint_of("trust_string_equals.json")
    broken = [replace(r, status="ERROR", message="TRUST-003 could not be evaluated: internal error")
              if r.rule_id == "TRUST-003" else r for r in report.results]
    text = markdown.render(Report("lint", broken))
    assert "❌ Not ready to go live: 1 blocking finding** (1 could not be checked)" in text
    assert "- [ ] **TRUST-003** ⚠️ could not be checked — TRUST-003 could not be evaluated" in text


def test_markdown_waived_blocking_fails_make_it_ready(demo_report):
    waived = [replace(r, suppressed={"reason": "accepted | risk", "expires": "2027-01-31"})
              if r.status == "FAIL" and r.severity != "low" else r for r in demo_report.results]
    text = markdown.render(Report("scan", waived, demo_report.generated_at))
    assert "**✅ Ready to go live**" in text
    assert "waived: accepted \\| risk (expires 2027-01-31)" in text


def test_markdown_verdict_counts_results_hidden_by_status(demo_report):
    passes_only = Report("scan", demo_report.results, demo_report.generated_at,
                         statuses=frozenset({"PASS"}))
    text = markdown.render(passes_only)
    assert "Not ready to go live" in text and "- [ ]" not in text
    assert f"_Showing {len(passes_only.shown)} of {len(demo_report.results)} results" in text


def test_markdown_skips_fold_into_details(lint_report):
    body = sections(markdown.render(lint_report))["File `" + str(EXAMPLES / "assume_all_roles.json") + "`"]
    assert "<details>\n<summary>4 checks not applicable</summary>\n\n- [x] ~~TRUST-001~~ not applicable" in body


def test_markdown_footer_has_counts_time_and_version(demo_report):
    from auditor import __version__

    tail = markdown.render(demo_report).rstrip().splitlines()[-3:]
    # KEY-002: the demo's key was created moments ago and not used yet: a PASS with a note
    assert tail[0].startswith("54 results: 42 pass, 8 fail (2 high, 6 medium), 0 error")
    assert tail[-1] == f"_Generated {demo_report.generated_at} by iam-auditor {__version__}._"


def test_markdown_inline_escaping():
    assert markdown.inline('allows s3:* on "*" | <id> [x] ~y~') == \
        'allows s3:\\* on "\\*" \\| \\<id\\> \\[x\\] \\~y\\~'
    assert markdown.inline("role arn:aws:iam::1:role/read_secrets_* ok") == \
        "role `arn:aws:iam::1:role/read_secrets_*` ok"
    assert markdown.inline('Replace with {"Resource": "a*b", "X": "}"} now') == \
        'Replace with `{"Resource": "a*b", "X": "}"}` now'
    assert markdown.inline("run `a|b*` then\nnext_line _x_") == "run `a|b*` then next_line \\_x\\_"
    assert markdown.inline("read_secrets_role") == "read_secrets_role"


# -- the command line ----------------------------------------------------------------------------
def test_cli_demo_markdown():
    proc = run_cli("demo", "--format", "markdown")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout.startswith("# iam-auditor pre-go-live checklist\n")
    assert "❌ Not ready to go live" in proc.stdout
    assert len(sections(proc.stdout)) == 2


def test_cli_demo_ocsf():
    proc = run_cli("demo", "--format", "ocsf")
    assert proc.returncode == 1, proc.stderr
    events = json.loads(proc.stdout)
    assert len(events) == 54
    for event in events:
        check_detection_finding(event)
