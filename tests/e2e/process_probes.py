"""Audits a worker process runs in tests: the real account audit, with a fault on accounts named
for it. Importable by the workers (the forkserver takes the test session's sys.path)."""
import json
import os
import time
from pathlib import Path

from auditor.account_processes import audit_account


def _note(job, spec, **what) -> None:
    folder = job["environ"].get("PROBE_DIR")
    if folder:
        with open(Path(folder) / f"{spec.label}.{what.get('event', 'note')}.json", "w") as handle:
            json.dump({"pid": os.getpid(), "at": time.monotonic(), **what}, handle)


def audit_with_faults(spec, clients, job):
    if spec.name == "crash":
        os._exit(7)                      # the worker dies mid-account
    if spec.name == "raise":
        raise RuntimeError("a bug in the audit")
    if spec.name == "write":             # the guard, from inside a worker
        try:
            clients.get(spec.aws_profile, "iam").create_user(UserName="written-by-a-worker")
            outcome = "written"
        except Exception as error:  # noqa: BLE001 - its type is what the test checks
            outcome = type(error).__name__
        _note(job, spec, event="write", outcome=outcome)
    _note(job, spec, event="start")
    if spec.name == "slow":
        time.sleep(2.5)
    result = audit_account(spec, clients, job)
    _note(job, spec, event="end")
    return result
