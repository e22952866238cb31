"""`iam-auditor lint` end to end, as a subprocess: statuses, exit codes, schema-valid output."""
import json

from clitools import EXAMPLES, run_cli


def by_file_and_rule(report):
    out = {}
    for r in report["results"]:
        out.setdefault((r["resource"].rsplit("/", 1)[-1], r["rule_id"]), []).append(r)
    return out


def test_examples_directory_gives_catalogue_statuses(validate_report):
    proc = run_cli("lint", "examples", "--format", "json")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    report = validate_report(json.loads(proc.stdout))
    assert report["mode"] == "lint"
    got = by_file_and_rule(report)

    def statuses(file, rule):
        return [(r["status"], r["severity"]) for r in got[(file, rule)]]

    assert statuses("read_secrets_policy.json", "LP-001") == [("FAIL", "medium")]
    assert statuses("read_secrets_policy_narrow.json", "LP-001") == [("PASS", "medium")]
    assert statuses("assume_all_roles.json", "LP-002") == [("FAIL", "medium")]
    assert statuses("trust_string_equals.json", "TRUST-003")[0][0] == "PASS"
    assert statuses("trust_string_like_wildcard.json", "TRUST-003") == [("FAIL", "high")]
    assert statuses("trust_if_exists.json", "TRUST-003") == [("FAIL", "high")]
    assert statuses("trust_if_exists.json", "TRUST-005") == [("FAIL", "low")]
    assert statuses("trust_public.json", "TRUST-001") == [("FAIL", "critical")]
    assert statuses("trust_policy.yaml", "TRUST-001") == [("FAIL", "high")]
    assert statuses("trust_policy.yaml", "TRUST-002") == [("FAIL", "high")]
    assert statuses("malformed.json", "POLICY-001") == [("FAIL", "high")]
    assert {s for s, _ in statuses("malformed.json", "TRUST-001")} == {"SKIP"}
    for r in report["results"]:
        assert r["profile"] is None and r["account_id"] is None and r["region"] is None


def test_clean_policy_exits_zero(validate_report):
    proc = run_cli("lint", EXAMPLES / "trust_string_equals.json", "--format", "json")
    assert proc.returncode == 0, proc.stdout
    report = validate_report(json.loads(proc.stdout))
    assert report["summary"]["fail"] == 0


def test_fail_on_threshold():
    low_only = EXAMPLES / "assume_all_roles.json"  # one medium FAIL
    assert run_cli("lint", low_only, "--fail-on", "high", "--format", "json").returncode == 0
    assert run_cli("lint", low_only, "--fail-on", "medium", "--format", "json").returncode == 1
    assert run_cli("lint", low_only, "--fail-on", "none", "--format", "json").returncode == 0


def test_severity_override_changes_result_and_exit():
    proc = run_cli("lint", EXAMPLES / "assume_all_roles.json", "--format", "json",
                   "--fail-on", "high", "--severity", "LP-002=critical")
    assert proc.returncode == 1
    lp = [r for r in json.loads(proc.stdout)["results"] if r["rule_id"] == "LP-002"]
    assert lp[0]["severity"] == "critical"


def test_bad_input_is_one_line_exit_2(tmp_path):
    for args in (["lint", tmp_path / "missing.json"], ["lint", "examples", "--format", "xml"],
                 ["lint", "examples", "--severity", "NOPE-1=high"], ["lint", tmp_path],
                 ["frobnicate"]):
        proc = run_cli(*args)
        assert proc.returncode == 2, args
        assert "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_output_file_written_atomically(tmp_path, validate_report):
    out = tmp_path / "report.json"
    proc = run_cli("lint", "examples", "--format", "json", "-o", out)
    assert proc.returncode == 1 and proc.stdout == ""
    validate_report(json.loads(out.read_text()))
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_unwritable_output_keeps_previous_report(tmp_path):
    proc = run_cli("lint", "examples", "--format", "json", "-o", tmp_path / "no" / "dir" / "r.json")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_table_format_and_status_filter():
    proc = run_cli("lint", "examples", "--format", "table")
    assert "TRUST-001" in proc.stdout and "\033[" not in proc.stdout  # no colour off a terminal
    assert "not listed (--all lists PASS and SKIP" in proc.stdout
    proc = run_cli("lint", "examples", "--format", "json", "--status", "FAIL")
    report = json.loads(proc.stdout)
    assert {r["status"] for r in report["results"]} == {"FAIL"}
    assert report["summary"]["results"] > len(report["results"])


def test_fingerprints_stable_across_runs():
    first = json.loads(run_cli("lint", "examples", "--format", "json").stdout)
    second = json.loads(run_cli("lint", "examples", "--format", "json").stdout)
    assert [r["fingerprint"] for r in first["results"]] == [r["fingerprint"] for r in second["results"]]
    failing = [r["fingerprint"] for r in first["results"] if r["status"] == "FAIL"]
    assert len(failing) == len(set(failing))


def test_external_ids_never_in_full():
    proc = run_cli("lint", "examples", "--format", "json")
    assert "c1f0e0b2-7d4e-4e8a-9a51-3f1b6f2d9c47" not in proc.stdout


def test_rules_command_formats():
    table = run_cli("rules")
    assert table.returncode == 0 and "TRUST-003" in table.stdout
    data = json.loads(run_cli("rules", "--format", "json").stdout)
    assert {r["id"] for r in data["rules"]} >= {"POLICY-001", "LP-001", "TRUST-005"}
    md = run_cli("rules", "--format", "markdown").stdout
    assert md.startswith("# iam-auditor rules") and "| TRUST-003 |" in md


def test_version_and_help():
    assert run_cli("--version").stdout.startswith("iam-auditor ")
    assert run_cli("--help").returncode == 0
