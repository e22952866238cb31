"""The command line for people and pipelines: several reports per run, a table that fits the
terminal, colour only on a terminal, rule selection, `rules ID`, help that teaches."""
import json
import os
import pty
import re
import subprocess
import sys

import pytest

from clitools import EXAMPLES, ROOT, run_cli

ARN = re.compile(r"arn:aws:[a-z0-9-]+:[^\s\"']*")


@pytest.fixture(scope="module")
def demo_outputs(tmp_path_factory):
    pytest.importorskip("moto")
    out = tmp_path_factory.mktemp("outputs")
    names = ["r.json", "r.sarif", "r.jsonl", "r.ndjson", "r.ocsf.json", "r.md", "r.html", "r.txt"]
    proc = run_cli("demo", *[arg for name in names for arg in ("-o", out / name)])
    return proc, out


def test_several_outputs_in_one_run(demo_outputs, validate_report):
    proc, out = demo_outputs
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""                       # not a terminal: stdout stays clean
    report = validate_report(json.loads((out / "r.json").read_text()))
    assert report["summary"]["fail"] == 8
    assert json.loads((out / "r.sarif").read_text())["version"] == "2.1.0"
    for name in ("r.jsonl", "r.ndjson"):
        lines = (out / name).read_text().splitlines()
        assert len(lines) == 54 and json.loads(lines[0])["ecs"]["version"]
    assert json.loads((out / "r.ocsf.json").read_text())[0]["class_uid"] == 2004
    assert (out / "r.md").read_text().startswith("# iam-auditor pre-go-live checklist")
    assert (out / "r.html").read_text().startswith("<!doctype html>")
    assert (out / "r.txt").read_text().startswith("STATUS SEVERITY RULE")


def test_several_outputs_need_known_extensions(tmp_path):
    proc = run_cli("lint", "examples", "-o", tmp_path / "a.json", "-o", tmp_path / "b.report")
    assert proc.returncode == 2 and "b.report" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and not (tmp_path / "a.json").exists()
    proc = run_cli("lint", "examples", "-o", tmp_path / "a.json", "-o", tmp_path / "a.json")
    assert proc.returncode == 2 and "given twice" in proc.stderr


def test_one_output_keeps_v1_meaning(tmp_path):
    run_cli("lint", "examples", "--format", "json", "-o", tmp_path / "r.txt")
    assert json.loads((tmp_path / "r.txt").read_text())["mode"] == "lint"
    run_cli("lint", "examples", "-o", tmp_path / "r.sarif")
    assert json.loads((tmp_path / "r.sarif").read_text())["version"] == "2.1.0"
    run_cli("lint", "examples", "-o", tmp_path / "report")
    assert json.loads((tmp_path / "report").read_text())["mode"] == "lint"


def test_piped_output_is_the_table_without_colour():
    proc = run_cli("lint", "examples")
    assert proc.stdout.startswith("STATUS SEVERITY RULE") and "\033[" not in proc.stdout


@pytest.fixture(scope="module")
def demo_table():
    pytest.importorskip("moto")
    proc = run_cli("demo", env={"COLUMNS": "80"})
    assert proc.returncode == 1, proc.stderr
    return proc.stdout


def test_table_fits_80_columns_with_failures_first_and_counts(demo_table):
    lines = demo_table.splitlines()
    assert max(map(len, lines)) <= 80
    statuses = [line.split()[0] for line in lines if re.match(r"^(FAIL|ERROR|PASS|SKIP)\*? ", line)]
    assert statuses == ["FAIL"] * 8 + ["FAIL*"]     # open failures first, the waived one last
    assert "PASS" not in statuses
    assert "54 results: FAIL 8 (2 high, 6 medium) · ERROR 0 · waived 1 · PASS 42 · SKIP 3" in demo_table
    assert demo_table.count("\n  fix: ") == 8             # the fix under every open FAIL


def test_table_shows_whole_arns(demo_table):
    rejoined = re.sub(r"([:/])\n  ", r"\1", demo_table)    # an ARN longer than a line
    for arn in ("arn:aws:iam::123456789012:role/read_secrets_role_legacy",
                "arn:aws:iam::123456789012:user/catalog-secrets-reader"):
        assert arn in demo_table
    assert re.search(r"arn:aws:secretsmanager:us-east-1:123456789012:secret:catalog/prod-db-\w{6}",
                     rejoined)


def test_table_width_follows_columns():
    wide = run_cli("lint", "examples", env={"COLUMNS": "160"}).stdout
    narrow = run_cli("lint", "examples", env={"COLUMNS": "60"}).stdout
    assert max(map(len, narrow.splitlines())) <= 60 < max(map(len, wide.splitlines()))


def test_all_lists_pass_and_skip():
    proc = run_cli("lint", "examples", "--all")
    assert re.search(r"^PASS ", proc.stdout, re.M) and re.search(r"^SKIP ", proc.stdout, re.M)
    assert "not listed" not in proc.stdout


def _on_a_terminal(*args, env=None):
    """Run the CLI with stdout on a pseudo-terminal; returns what the terminal received."""
    controller, terminal = pty.openpty()
    full_env = {**os.environ, "COLUMNS": "100", **(env or {})}
    full_env.pop("NO_COLOR", None) if "NO_COLOR" not in (env or {}) else None
    proc = subprocess.Popen([sys.executable, "-m", "auditor", *map(str, args)], stdout=terminal,
                            stderr=subprocess.PIPE, cwd=ROOT, env=full_env)
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=120)
    os.close(controller)
    return b"".join(chunks).decode()


def test_colour_only_on_a_terminal_and_never_with_no_color(tmp_path):
    assert "\033[1;31mFAIL" in _on_a_terminal("lint", "examples")
    assert "\033[" not in _on_a_terminal("lint", "examples", "--no-color")
    assert "\033[" not in _on_a_terminal("lint", "examples", env={"NO_COLOR": "1"})
    # -o files never get colour; the terminal still gets the table
    shown = _on_a_terminal("lint", "examples", "-o", tmp_path / "r.txt", "-o", tmp_path / "r.json")
    assert "STATUS SEVERITY RULE" in shown
    assert "\033[" not in (tmp_path / "r.txt").read_text()


def test_control_characters_in_file_names_are_escaped(tmp_path):
    evil = tmp_path / "trust\x1b]0;pwned\x07.json"
    evil.write_text((EXAMPLES / "trust_public.json").read_text())
    proc = run_cli("lint", evil)
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert "trust\\x1b]0;pwned\\x07.json" in proc.stdout


# --- rule selection ------------------------------------------------------------------------

def _rule_ids(*args):
    proc = run_cli("lint", "examples", "--format", "json", *args)
    return proc, {r["rule_id"] for r in json.loads(proc.stdout)["results"]}


def test_rule_and_skip_rule_globs():
    _, ids = _rule_ids("--rule", "trust-*")
    assert ids == {f"TRUST-00{n}" for n in range(1, 6)}
    _, ids = _rule_ids("--rule", "TRUST-*", "--skip-rule", "TRUST-00[1-3]")
    assert ids == {"TRUST-004", "TRUST-005"}
    proc = run_cli("lint", "examples", "--skip-rule", "TRUST-9*")
    assert proc.returncode == 2 and "TRUST-9*" in proc.stderr and "matches no rule" in proc.stderr


def test_rule_selection_in_the_configuration(tmp_path):
    from auditor.config import load_config
    from auditor.errors import UsageError

    base = (ROOT / "sample_reports" / "demo-config.yaml").read_text()
    env = {"DEMO_HEALTHY_EXTERNAL_ID": "x" * 20, "DEMO_LEGACY_EXTERNAL_ID": "y" * 20,
           "DEMO_ACCESS_KEY_ID": "AKIA", "DEMO_SECRET_ACCESS_KEY": "s", "DEMO_SECRET_ARN": "a",
           "DEMO_WAREHOUSE_SECRET_ARN": "b"}
    path = tmp_path / "c.yaml"
    path.write_text(base.replace("version: 1\n", "version: 1\nsettings:\n  rules: ['KEY-*', "
                                 "CHAIN-001]\n  skip_rules: [KEY-003]\n  new_key_grace_days: 0\n"))
    settings = load_config(path, environ=env).settings
    assert [r for r in ("KEY-001", "KEY-003", "CHAIN-001", "LP-001") if settings.selects(r)] == \
        ["KEY-001", "CHAIN-001"]
    assert settings.new_key_grace_days == 0
    for bad, word in (("  rules: [KEY-9*]\n", "KEY-9*"), ("  severity: {KEY-009: low}\n", "KEY-009"),
                      ("  new_key_grace_days: -1\n", "new_key_grace_days")):
        path.write_text(base.replace("version: 1\n", "version: 1\nsettings:\n" + bad))
        with pytest.raises(UsageError, match=re.escape(word)):
            load_config(path, environ=env)


# --- rules ID ------------------------------------------------------------------------------

def test_rules_id_shows_one_rule_in_full():
    proc = run_cli("rules", "lp-001")
    assert proc.returncode == 0
    for part in ("LP-001  secrets-read-wildcard-resource", "severity: medium", "step: 1",
                 "Checks:", "Fix:", "Example that gives FAIL:", "Example that gives PASS:"):
        assert part in proc.stdout
    assert "TRUST-001" not in proc.stdout
    assert run_cli("rules", "NOPE-001").returncode == 2
    data = json.loads(run_cli("rules", "KEY-*", "--format", "json").stdout)
    assert [r["id"] for r in data["rules"]] == ["KEY-001", "KEY-002", "KEY-003"]


def test_rule_examples_give_the_status_they_show(tmp_path):
    from auditor.engine import load_rules
    from auditor.lint import lint_paths
    from auditor.rule_examples import EXAMPLES as RULE_EXAMPLES

    registered = load_rules()
    for rule_id in ("CHAIN-001", "LP-001", "TRUST-003", "KEY-002", "CONFIG-002", "POLICY-001"):
        assert set(RULE_EXAMPLES[rule_id]) == {"FAIL", "PASS"}
    for rule_id, examples in RULE_EXAMPLES.items():
        assert rule_id in registered
        for status, example in examples.items():
            if not isinstance(example, dict):
                continue
            path = tmp_path / f"{rule_id}-{status}.json"
            path.write_text(json.dumps(example))
            got = {r.status for r in lint_paths([str(path)]) if r.rule_id == rule_id}
            assert got == {status}, (rule_id, status, got)


# --- help ----------------------------------------------------------------------------------

def test_every_option_has_help_and_every_help_has_examples_and_exit_codes():
    import argparse

    from auditor.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in commands.choices.items():
        for action in sub._actions:
            assert action.help and action.help != argparse.SUPPRESS, (name, action.dest)
        text = sub.format_help()
        assert "examples:" in text and "exit codes:" in text, name
    top = run_cli("--help").stdout
    assert "examples:" in top and "3  no failing result" in top


@pytest.mark.parametrize("command", [["lint", "examples"], ["demo"]])
@pytest.mark.parametrize("option", ["--aws-profile", "--region"])
def test_aws_options_rejected_where_they_do_not_apply(command, option):
    proc = run_cli(*command, option, "x")
    assert proc.returncode == 2 and f"{option} does not apply" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_verbose_logs_each_call_without_secrets():
    pytest.importorskip("moto")
    proc = run_cli("demo", "-v", "--format", "json")
    calls = [line for line in proc.stderr.splitlines() if " call " in line]
    assert any("call iam:GetRole RoleName=read_secrets_role " in line for line in calls)
    assert all(re.search(r" \d+ ms ", line) for line in calls)
    report = json.loads(proc.stdout)
    assert len(calls) == report["api_calls"]
    assert "testing" not in proc.stderr and "SecretAccessKey" not in proc.stderr


def test_call_log_names_entities_only():
    from auditor import calllog

    context = {}
    calllog._before({"RoleName": "r", "SecretString": "hunter2", "ExternalId": "sesame",
                     "PolicyDocument": "{}"}, None, context)
    assert context[calllog._START][1] == "RoleName=r"


def test_no_credentials_is_one_line_before_any_call(tmp_path):
    empty = tmp_path / "empty"
    empty.write_text("")
    config = tmp_path / "c.yaml"
    config.write_text((ROOT / "sample_reports" / "demo-config.yaml").read_text())
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env.update({"AWS_CONFIG_FILE": str(empty), "AWS_SHARED_CREDENTIALS_FILE": str(empty),
           "AWS_EC2_METADATA_DISABLED": "true",
           # any call would go here and fail as a connection error, not as this one line
           "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
           "DEMO_HEALTHY_EXTERNAL_ID": "x" * 20, "DEMO_LEGACY_EXTERNAL_ID": "y" * 20,
           "DEMO_ACCESS_KEY_ID": "AKIA", "DEMO_SECRET_ACCESS_KEY": "s", "DEMO_SECRET_ARN": "a",
           "DEMO_WAREHOUSE_SECRET_ARN": "b"})
    for command in (["scan", "-c", config], ["collect", "-c", config, "-o", tmp_path / "s.json"],
                    ["discover"]):
        proc = subprocess.run([sys.executable, "-m", "auditor", *map(str, command), "-v"],
                              capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
        assert proc.returncode == 2, (command, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "no AWS credentials" in lines[0], (command, lines)
