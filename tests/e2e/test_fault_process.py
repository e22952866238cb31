"""The real CLI process behind the fault proxy: no leak on stderr, bounded retries, prompt Ctrl-C."""
import json
import signal
import subprocess
import sys
import time

import pytest

from clitools import ROOT
from fault_proxy import FaultProxy, wait_for
from test_scan_e2e import EXTERNAL_ID, narrow_setup


@pytest.fixture
def proxied(account):
    proxy = FaultProxy(account.endpoint, slow_seconds=60).start()
    profile = narrow_setup(account)
    config = account.config(profile)
    env = account.env(AWS_ENDPOINT_URL=proxy.url, CATALOG_SECRET="s" * 40)
    yield proxy, config, env
    proxy.stop()
    assert not proxy.errors, proxy.errors


def _start(*args, env):
    import os

    full = {**os.environ, **env}
    full.pop("AWS_PROFILE", None)
    return subprocess.Popen([sys.executable, "-m", "auditor", *map(str, args)], cwd=ROOT, env=full,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("command", ["scan", "collect"])
def test_a_truncated_get_role_leaks_nothing_and_keeps_the_report(proxied, tmp_path, command):
    proxy, config, env = proxied
    proxy.set({"GetRole": "truncated"})
    out = tmp_path / "out.json"
    extra = ["--format", "json", "--fail-on", "medium"] if command == "scan" else []
    proc = _start(command, "-c", config, *extra, "-o", out, env=env)
    stdout, stderr = proc.communicate(timeout=120)
    text = out.read_text()
    assert "Traceback" not in stderr, stderr
    assert EXTERNAL_ID not in stdout + stderr + text and "s" * 40 not in stdout + stderr + text
    assert proc.returncode == 3, stderr
    data = json.loads(text)
    if command == "scan":
        assert any(r["status"] == "ERROR" and "iam:GetRole" in r["message"] for r in data["results"])
    else:
        assert "iam:GetRole" in stderr and len(stderr.strip().splitlines()) == 1


def test_retries_honour_aws_max_attempts_and_the_read_timeout(proxied, tmp_path):
    proxy, config, env = proxied
    proxy.set({"GetRole": "slow"})
    started = time.monotonic()
    proc = _start("scan", "-c", config, "--format", "json", "--fail-on", "medium", "-o", tmp_path / "r.json",
                  env={**env, "AWS_MAX_ATTEMPTS": "2", "AWS_RETRY_MODE": "standard",
                       "IAM_AUDITOR_READ_TIMEOUT": "1"})
    _, stderr = proc.communicate(timeout=120)
    elapsed = time.monotonic() - started
    assert proc.returncode == 3, stderr
    assert proxy.faulted["GetRole"] == 2           # AWS_MAX_ATTEMPTS counts every attempt
    assert elapsed < 20, elapsed                   # was 6 attempts x 20 s


@pytest.mark.parametrize("command,operation", [("scan", "GetRole"),
                                               ("discover", "GetAccountAuthorizationDetails")])
def test_ctrl_c_ends_the_run_within_two_seconds_and_keeps_the_previous_report(
        proxied, tmp_path, command, operation):
    proxy, config, env = proxied
    proxy.set({operation: "slow"})        # the answer never comes in time
    report = tmp_path / "report.json"
    report.write_text('{"previous": true}\n')
    args = ["-c", config] if command == "scan" else []
    proc = _start(command, *args, "--format", "json", "-o", report, env=env)
    try:
        assert wait_for(lambda: proxy.seen[operation] >= 1, timeout=60), "the call never came"
        time.sleep(0.3)                   # in flight on a worker thread
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
        elapsed = time.monotonic() - started
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert elapsed < 2, elapsed
    assert stderr.strip().splitlines() == ["iam-auditor: interrupted"], stderr
    assert report.read_text() == '{"previous": true}\n'
