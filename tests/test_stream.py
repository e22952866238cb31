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
