"""`-o` cannot destroy anything, and stdout failures are one line (interfaces.md v1.1)."""
import json
import os
import stat
import subprocess
import sys
import threading

import pytest

from auditor import cli
from auditor.errors import UsageError
from auditor.output import check_targets, write_report
from clitools import EXAMPLES, ROOT, run_cli

POLICY = EXAMPLES  # any directory `lint` can read


def lint_to(target, *extra):
    return run_cli("lint", POLICY, "--format", "json", "-o", target, *extra)


def test_a_device_stays_a_device(tmp_path):
    # As root, the old temporary-file-and-rename turned /dev/null into a regular file; use a
    # private device node when we may create one, /dev/null otherwise.
    device = "/dev/null"
    if os.geteuid() == 0:
        device = str(tmp_path / "null")
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    proc = lint_to(device)
    assert proc.returncode in (0, 1), proc.stderr
    assert stat.S_ISCHR(os.stat(device).st_mode)


def test_dev_stdout_prints():
    proc = lint_to("/dev/stdout")
    assert proc.returncode in (0, 1), proc.stderr
    assert json.loads(proc.stdout)["mode"] == "lint"


def test_a_fifo_is_written_through(tmp_path):
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received = {}

    def read():
        with open(fifo, encoding="utf-8") as handle:
            received["text"] = handle.read()

    reader = threading.Thread(target=read)
    reader.start()
    write_report(str(fifo), '{"ok": true}\n')
    reader.join(10)
    assert received["text"] == '{"ok": true}\n'
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_symlinked_report_is_written_through_its_target(tmp_path):
    target = tmp_path / "reports" / "latest.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "report.json"
    link.symlink_to(target)
    proc = lint_to(link)
    assert proc.returncode in (0, 1), proc.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert json.loads(target.read_text())["mode"] == "lint"
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".iam-auditor-")]


def test_an_existing_file_keeps_its_mode_and_a_new_one_gets_the_default(tmp_path):
    existing = tmp_path / "private.json"
    existing.write_text("old")
    existing.chmod(0o600)
    assert lint_to(existing).returncode in (0, 1)
    assert stat.S_IMODE(existing.stat().st_mode) == 0o600
    assert json.loads(existing.read_text())["mode"] == "lint"
    fresh = tmp_path / "fresh.json"
    write_report(str(fresh), "{}\n")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644


def _config(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("version: 1\nprofiles:\n  - {name: p, auth_type: iam_role, region: us-east-1, "
                      "user: u, role_arn: 'arn:aws:iam::123456789012:role/r', external_id: "
                      "'6c1f0e0b-7d4e-4e8a-9a51-3f1b6f2d9c47', sts_duration: 3600}\n")
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(json.dumps({"version": 1, "generated_at": "2026-01-01T00:00:00Z",
                                    "caller": {}, "roles": {}, "users": {}}))
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"results": []}))
    return config, snapshot, baseline


@pytest.mark.parametrize("which", ["config", "snapshot", "baseline", "config-by-link"])
def test_input_files_are_refused(tmp_path, which):
    config, snapshot, baseline = _config(tmp_path)
    target = {"config": config, "snapshot": snapshot, "baseline": baseline,
              "config-by-link": tmp_path / "link.yaml"}[which]
    if which == "config-by-link":
        target.symlink_to(config)
    before = {p: p.read_text() for p in (config, snapshot, baseline)}
    code = cli.main(["scan", "-c", str(config), "--snapshot", str(snapshot), "--baseline",
                     str(baseline), "--format", "json", "-o", str(target)])
    assert code == 2
    assert {p: p.read_text() for p in before} == before


def test_a_missing_directory_stops_the_run_before_any_api_call(tmp_path, monkeypatch, capsys):
    config, _, _ = _config(tmp_path)
    import auditor.collectors

    def no_calls(*args, **kwargs):
        raise AssertionError("collect was called although the report cannot be written")

    monkeypatch.setattr(auditor.collectors, "collect", no_calls)
    for command in (["scan", "-c", str(config), "-o", str(tmp_path / "missing" / "r.json")],
                    ["collect", "-c", str(config), "-o", str(tmp_path / "missing" / "s.json")]):
        assert cli.main(command) == 2
        err = capsys.readouterr().err
        assert "does not exist" in err and err.count("\n") == 1


def test_check_targets_names_the_problem(tmp_path):
    with pytest.raises(UsageError, match="is a directory"):
        check_targets([str(tmp_path)])
    check_targets([str(tmp_path / "new.json"), "/dev/stdout", "-"])


def test_stdout_on_a_full_device_is_one_line():
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "auditor", "lint", str(POLICY), "--format", "json"],
                              stdout=full, stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "No space left on device" in proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr


def test_a_closed_pipe_is_quiet():
    command = f"{sys.executable} -m auditor lint {POLICY} --format json | head -c 10 >/dev/null"
    proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.stderr == ""
