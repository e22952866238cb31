"""discover's worker processes (auditor.account_processes) against the moto server: the same
results as threads, a dead or failing worker's account as DISCOVER-001 while the others
complete, outcomes in completion order, at most --max-accounts in flight, Ctrl-C, and the
read-only guard inside the workers."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from auditor.accounts import AccountSpec
from auditor.account_processes import discover_in_processes, process_count
from auditor.errors import UsageError
from auditor.settings import Settings
from clitools import ROOT, run_cli
from fault_proxy import FaultProxy, wait_for
from process_probes import audit_with_faults
from test_organization_e2e import organization  # noqa: F401 - the fixture


def _results(path):
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    results = sorted((r["iam_auditor"]["rule_id"], r["iam_auditor"]["status"], r["iam_auditor"]["resource"],
                      r["iam_auditor"]["account_name"], r["iam_auditor"]["message"])
                     for r in lines if "iam_auditor" in r)
    summary = lines[-1]["iam_auditor_summary"]
    # api_calls not compared: the first run generates the credential report, the second finds it
    accounts = sorted((a["account_id"], a["account_name"], a["status"], a["results"])
                      for a in summary["accounts"])
    return results, accounts, summary


def test_processes_give_the_results_threads_give(organization, tmp_path):  # noqa: F811
    members, env = organization
    runs = {}
    for processes in ("2", "0"):
        out = tmp_path / f"p{processes}.jsonl"
        proc = run_cli("discover", "--organization", "--format", "jsonl", "-o", out, "--max-accounts", "4",
                       env={**env, "IAM_AUDITOR_PROCESSES": processes})
        assert "Traceback" not in proc.stderr, proc.stderr
        assert proc.returncode == 1, proc.stderr
        runs[processes] = _results(out)
    (results, accounts, summary), (t_results, t_accounts, t_summary) = runs["2"], runs["0"]
    assert results == t_results and accounts == t_accounts
    assert summary["complete"] is True and summary["api_calls"] > len(accounts)
    locked = [r for r in results if r[3] == "team-locked"]
    assert [r[:2] for r in locked] == [("DISCOVER-001", "ERROR")]       # the others completed
    assert {a[1] for a in accounts if a[2] == "read"} >= {"team-a", "team-b"}


def _specs(*names):
    return [AccountSpec(label=name, name=name) for name in names]


def _run(specs, **kwargs):
    return list(discover_in_processes(specs, "us-east-1", Settings(), audit=audit_with_faults, **kwargs))


@pytest.fixture
def in_moto(account, monkeypatch, tmp_path):
    for name, value in account.env(PROBE_DIR=str(tmp_path)).items():
        monkeypatch.setenv(name, value)
    account.user()
    return tmp_path


def test_a_dead_worker_and_a_failing_audit_are_errors_while_the_others_complete(in_moto):
    specs = _specs("first", "crash", "raise", "second", "third")
    outcomes = {o.spec.label: o for o in _run(specs, max_accounts=2, processes=2)}
    assert set(outcomes) == {s.label for s in specs}
    for name in ("crash", "raise"):
        [error] = outcomes[name].results
        assert (error.rule_id, error.status, error.account_name) == ("DISCOVER-001", "ERROR", name)
    assert "worker process ended (exit code 7)" in outcomes["crash"].results[0].message
    for name in ("first", "second", "third"):
        assert outcomes[name].readable and outcomes[name].api_calls > 0
        assert outcomes[name].spec is specs[[s.label for s in specs].index(name)]


def test_outcomes_come_as_accounts_complete_and_at_most_max_accounts_are_in_flight(in_moto):
    specs = _specs("slow", "a", "b", "c", "d", "e")
    order = [o.spec.label for o in _run(specs, max_accounts=3, processes=2)]
    assert sorted(order) == sorted(s.label for s in specs)
    assert order[-1] == "slow"                   # started first, finished last, not held back
    spans = []
    for spec in specs:
        start = json.loads((in_moto / f"{spec.label}.start.json").read_text())["at"]
        end = json.loads((in_moto / f"{spec.label}.end.json").read_text())["at"]
        spans.append((start, end))
    most = max(sum(s <= t < e for s, e in spans) for t, _ in spans)
    assert 2 <= most <= 3


def test_the_read_only_guard_holds_in_every_worker(in_moto, account):
    _run(_specs("write", "other"), max_accounts=2, processes=2)
    note = json.loads((in_moto / "write.write.json").read_text())
    assert note["outcome"] == "ReadOnlyViolation" and note["pid"] != os.getpid()
    users = [u["UserName"] for u in account.iam.list_users()["Users"]]
    assert "written-by-a-worker" not in users


@pytest.mark.parametrize("environ,expected", [({}, 2), ({"IAM_AUDITOR_PROCESSES": "0"}, 0),
                                              ({"IAM_AUDITOR_PROCESSES": "8"}, 4)])
def test_process_count(environ, expected, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert process_count(4, 50, environ) == expected
    assert process_count(1, 50, environ) == 0            # sequential: this process
    with pytest.raises(UsageError):
        process_count(4, 50, {"IAM_AUDITOR_PROCESSES": "two"})


def test_ctrl_c_ends_workers_and_keeps_a_partial_stream(organization, account, tmp_path):  # noqa: F811
    members, env = organization
    proxy = FaultProxy(account.endpoint, slow_seconds=60).start()
    try:
        proxy.set({"GetAccountAuthorizationDetails": "slow"})
        out = tmp_path / "org.jsonl"
        full = {**os.environ, **env, "AWS_ENDPOINT_URL": proxy.url, "IAM_AUDITOR_PROCESSES": "2"}
        full.pop("AWS_PROFILE", None)
        # its own process group, as a terminal's Ctrl-C reaches the CLI and its workers alike
        proc = subprocess.Popen([sys.executable, "-m", "auditor", "discover", "--organization", "--format",
                                 "jsonl", "-o", str(out), "--max-accounts", "4"], cwd=ROOT, env=full,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            assert wait_for(lambda: proxy.seen["GetAccountAuthorizationDetails"] >= 2, timeout=60)
            time.sleep(0.3)
            started = time.monotonic()
            os.killpg(proc.pid, signal.SIGINT)
            _, stderr = proc.communicate(timeout=30)
            elapsed = time.monotonic() - started
        finally:
            proc.kill()
    finally:
        proxy.stop()
    assert proc.returncode == 130, stderr
    assert elapsed < 3, elapsed
    assert stderr.strip().splitlines() == ["iam-auditor: interrupted"], stderr
    summary = json.loads(out.read_text().splitlines()[-1])["iam_auditor_summary"]
    assert summary["complete"] is False

    def group_gone():
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return True
        return False
    assert wait_for(group_gone, timeout=5), "a worker outlived the run"
