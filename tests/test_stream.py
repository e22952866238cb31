"""discover's JSONL stream: each account on disk as it completes, the summary last."""
import json

import pytest

from auditor import discover as module
from auditor.discover import AccountSpec, discover, discover_accounts, open_clients
from auditor.settings import Settings
from auditor.stream import JsonlStream
from test_discover import account, arn  # noqa: F401 - the fixture


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_each_account_is_written_before_the_next_starts(account, tmp_path, monkeypatch):
    out = tmp_path / "discover.jsonl"
    specs = [AccountSpec("first"), AccountSpec("second"), AccountSpec("third")]
    clients = open_clients(specs, "us-east-1")
    stream = JsonlStream(str(out))
    real, on_disk = module.discover_account, {}

    def crashing(spec, *args, **kwargs):
        on_disk[spec.label] = _lines(out)          # what a crash at this moment would leave
        if spec.label == "third":
            raise KeyboardInterrupt                 # the run dies at the third account
        return real(spec, *args, **kwargs)

    monkeypatch.setattr(module, "discover_account", crashing)
    with pytest.raises(KeyboardInterrupt):
        try:
            for outcome in discover_accounts(specs, clients, "us-east-1", Settings(), max_accounts=1):
                stream.add(outcome)
        finally:
            stream.finish(clients.calls, fail_on="low", new_only=False, complete=False)
    done = [line["iam_auditor_account"]["account_name"] for line in on_disk["third"]
            if line["event"].get("action") == "iam-auditor-account"]
    assert done == ["first", "second"]
    assert sum("iam_auditor" in line for line in on_disk["third"]) > 10   # both accounts' results
    last = _lines(out)[-1]
    assert last["event"]["action"] == "iam-auditor-summary"
    assert last["iam_auditor_summary"]["complete"] is False
    assert [a["account_name"] for a in last["iam_auditor_summary"]["accounts"]] == ["first", "second"]


def test_stream_marks_baseline_and_lists_resolved(account, tmp_path):
    results, _ = discover([AccountSpec("default")], "us-east-1", Settings())
    gone = {"rule_id": "TRUST-001", "status": "FAIL", "fingerprint": "f" * 64, "profile": None,
            "resource": arn("deleted"), "suppressed": None}
    previous = [r.to_dict() for r in results] + [gone]
    out = tmp_path / "discover.jsonl"
    specs = [AccountSpec("default")]
    clients = open_clients(specs, "us-east-1")
    stream = JsonlStream(str(out), statuses=["FAIL"], baseline=previous)
    for outcome in discover_accounts(specs, clients, "us-east-1", Settings()):
        stream.add(outcome)
    code = stream.finish(clients.calls, fail_on="low", new_only=True)
    lines = _lines(out)
    shown = [line["iam_auditor"] for line in lines if "iam_auditor" in line]
    assert shown and {r["status"] for r in shown} == {"FAIL"}
    assert {r["baseline"] for r in shown} == {"unchanged"}
    summary = lines[-1]["iam_auditor_summary"]
    assert [(r["fingerprint"], r["now"]) for r in summary["resolved"]] == [("f" * 64, "gone")]
    assert summary["summary"]["results"] == len(results)        # counts every result, shown or not
    assert code == 0       # --fail-on-new-only: nothing new


def test_an_account_done_leaves_no_parsed_document_behind(account):
    """Memory follows the accounts in flight: the parse cache forgets an account once it is done."""
    from auditor import scan_view

    specs = [AccountSpec(f"copy-{i}") for i in range(3)]
    clients = open_clients(specs, "us-east-1")
    before = len(scan_view._PARSED)
    outcomes = list(discover_accounts(specs, clients, "us-east-1", Settings(), max_accounts=2))
    assert all(o.readable and o.results for o in outcomes)
    assert len(scan_view._PARSED) == before


def _discover_cli(*argv):
    from auditor import cli

    return cli.main(["discover", "--fail-on", "none", "-q", *map(str, argv)])


def test_jsonl_and_json_targets_of_one_run(account, tmp_path, capsys):
    """Several -o: the JSONL file is streamed (account line, summary last), the JSON report is
    rendered at the end from the same results."""
    streamed, whole = tmp_path / "r.jsonl", tmp_path / "r.json"
    assert _discover_cli("-o", streamed, "-o", whole) == 0
    lines = _lines(streamed)
    assert [line["event"]["action"] for line in lines[-2:]] == ["iam-auditor-account", "iam-auditor-summary"]
    report = json.loads(whole.read_text())
    assert len(report["results"]) == sum("iam_auditor" in line for line in lines) > 0
    assert report["accounts"][0]["status"] == "read"
    assert capsys.readouterr().out == ""        # not a terminal: no table on stdout


def test_the_stream_goes_through_the_scrubber(account, tmp_path, monkeypatch, capsys):
    """A secret the process holds never reaches the streamed file or stdout in full."""
    from auditor import scrub

    secret = "catalog"          # a role name: it is in every streamed line about that role
    real_reset = scrub.reset
    monkeypatch.setattr(scrub, "reset", lambda: None)
    scrub.register(secret)
    try:
        out = tmp_path / "r.jsonl"
        _discover_cli("-o", out)
        _discover_cli("--format", "jsonl")
        printed = capsys.readouterr().out
    finally:
        real_reset()
    assert scrub.REPLACEMENT in out.read_text() and f":role/{secret}" not in out.read_text()
    assert scrub.REPLACEMENT in printed and f":role/{secret}" not in printed


def test_a_stream_target_is_checked_before_any_call(account, tmp_path, monkeypatch, capsys):
    from auditor import discover as module

    monkeypatch.setattr(module, "discover_accounts", lambda *a, **k: pytest.fail("called AWS"))
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text("accounts:\n  - {account: a, aws_profile: default}\n")
    assert _discover_cli("-o", tmp_path / "missing" / "r.jsonl") == 2
    assert _discover_cli("--accounts", accounts, "--format", "jsonl", "-o", accounts) == 2
    assert accounts.read_text().startswith("accounts:")       # the input is never overwritten
    err = capsys.readouterr().err.splitlines()
    assert "does not exist" in err[0] and "input file" in err[1]


def test_interrupted_run_ends_the_stream_and_spares_the_other_reports(account, tmp_path, monkeypatch):
    """Ctrl-C: the JSONL file gets its summary line (complete: false); a previous JSON report
    stays as it was (written atomically at the end only)."""
    from auditor import discover as module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
        yield

    monkeypatch.setattr(module, "discover_accounts", interrupted)
    streamed, whole = tmp_path / "r.jsonl", tmp_path / "r.json"
    whole.write_text("previous")
    assert _discover_cli("-o", streamed, "-o", whole) == 130
    assert _lines(streamed)[-1]["iam_auditor_summary"]["complete"] is False
    assert whole.read_text() == "previous"
