"""Secrets cannot escape: whatever path a configured secret takes to an output, it is scrubbed."""
import json
import subprocess
import sys
import textwrap

import pytest

from auditor import cli, scrub
from auditor.output import write_report
from clitools import ROOT

EXTERNAL_ID = "5b0e1c9d-5b6a-4a7e-9f21-0c3d2e1f4a68"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture(autouse=True)
def _clean():
    scrub.reset()
    yield
    scrub.reset()


def test_every_spelling_of_a_registered_secret_is_scrubbed(tmp_path):
    scrub.register(SECRET, "ab")   # too short to scrub without garbling reports
    text = json.dumps({"raw": SECRET, "url": "a=" + SECRET.replace("/", "%2F"), "ab": "ab"})
    target = tmp_path / "out.json"
    write_report(str(target), text)
    written = target.read_text()
    assert SECRET not in written and "%2FK7MDENG%2F" not in written
    assert json.loads(written) == {"raw": "[redacted]", "url": "a=[redacted]", "ab": "ab"}


def config_file(tmp_path, **profile):
    fields = {"name": "p", "auth_type": "iam_role", "region": "us-east-1", "user": "u",
              "role_arn": "arn:aws:iam::123456789012:role/r", "external_id": "${EXT}",
              "sts_duration": 3600, **profile}
    path = tmp_path / "config.yaml"
    path.write_text(json.dumps({"version": 1, "profiles": [fields]}))
    return path


def snapshot_file(tmp_path):
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps({"version": 1, "generated_at": "2026-01-01T00:00:00Z",
                                "caller": {}, "roles": {}, "users": {}}))
    return path


def test_a_traceback_quoting_the_external_id_is_scrubbed(tmp_path):
    # The last line of a traceback quotes what broke, e.g. a raw AWS answer holding the
    # trust policy: whatever raises, the external ID does not reach stderr.
    config, snapshot = config_file(tmp_path), snapshot_file(tmp_path)
    program = textwrap.dedent(f"""
        import os, sys
        import auditor.scan
        from auditor import cli

        def broken(*args, **kwargs):
            raise RuntimeError("unparseable answer: ExternalId%22%3A%22" + os.environ["EXT"])

        # Past the last-resort guards (which name an error by its type only): a real traceback.
        cli.finish = broken
        sys.exit(cli.main(["scan", "-c", {str(config)!r}, "--snapshot", {str(snapshot)!r}]))
    """)
    proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT,
                          env={"EXT": EXTERNAL_ID, "PATH": "/usr/bin:/bin"}, timeout=120)
    assert "RuntimeError" in proc.stderr
    assert EXTERNAL_ID not in proc.stderr + proc.stdout and "[redacted]" in proc.stderr


def test_text_written_to_stderr_during_a_run_is_scrubbed(tmp_path, monkeypatch, capsys):
    config, snapshot = config_file(tmp_path, secret_access_key="${KEY}"), snapshot_file(tmp_path)
    monkeypatch.setenv("EXT", EXTERNAL_ID)
    monkeypatch.setenv("KEY", SECRET)
    import auditor.scan

    real = auditor.scan.scan_report

    def chatty(*args, **kwargs):
        print(f"debug: {EXTERNAL_ID} {SECRET}", file=sys.stderr)
        return real(*args, **kwargs)

    monkeypatch.setattr(auditor.scan, "scan_report", chatty)
    cli.main(["scan", "-c", str(config), "--snapshot", str(snapshot), "--format", "json"])
    out, err = capsys.readouterr()
    assert "debug: [redacted] [redacted]" in err
    assert EXTERNAL_ID not in out + err and SECRET not in out + err


@pytest.mark.parametrize("key, value", [("sts_duration", "${LEAK}"), ("region", ["${LEAK}"]),
                                        ("auth_type", "${LEAK}")])
def test_a_config_error_never_echoes_an_environment_value(tmp_path, monkeypatch, capsys, key, value):
    monkeypatch.setenv("EXT", EXTERNAL_ID)
    monkeypatch.setenv("LEAK", SECRET)
    config = config_file(tmp_path, **{key: value})
    assert cli.main(["scan", "-c", str(config), "--snapshot", str(snapshot_file(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert key in err and err.count("\n") == 1
    assert SECRET not in err


def test_forget_drops_one_registration_of_each_value():
    from auditor import scrub as scrubber

    scrubber.reset()
    scrubber.register("kept-by-the-command", "shared-secret-value")
    scrubber.register("ASIAWORKERSECRET123", "shared-secret-value")     # an account's credentials
    assert scrubber.scrub("x ASIAWORKERSECRET123 y") == "x [redacted] y"
    scrubber.forget("ASIAWORKERSECRET123", "shared-secret-value")
    text = "ASIAWORKERSECRET123 kept-by-the-command shared-secret-value"
    assert scrubber.scrub(text) == "ASIAWORKERSECRET123 [redacted] [redacted]"
    scrubber.reset()
