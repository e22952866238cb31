"""discover's outputs, fed one account at a time as accounts complete.

`JsonlStream` (`--format jsonl`) writes each account's results as ECS lines the moment the
account is done, then one line for the account, and flushes: a run that dies at account 900
leaves the first 899 in the file or pipe. The last line is the run's summary
(`event.action` "iam-auditor-summary", `iam_auditor_summary.complete`); a file without it is
an incomplete run. Only FAIL and ERROR results stay in memory (for the exit code), and with
`--baseline` the results at the places of the previous failures (for `resolved`).

`ReportCollector` (every other format) keeps the results and renders one report at the end.
"""
from __future__ import annotations

import time
from collections import Counter

from .engine import ERROR, FAIL, SEVERITIES
from .errors import UsageError
from .report import Report, exit_code, utc_now
from .reports.jsonl import ECS_VERSION, event
from .reports.jsonl import line as _line


def _key_facts_notes(accounts: list[dict]) -> list[str]:
    """The header's lines on where key facts came from (credential reports are up to 4 h old)."""
    reports = [e["key_facts"]["credential_report_generated_at"] for e in accounts
               if (e.get("key_facts") or {}).get("source") == "credential-report"]
    if len(accounts) > 10:     # one line, not one per account
        per_user = sum(1 for e in accounts if (e.get("key_facts") or {}).get("note"))
        return ([f"{len(reports)} accounts: access keys and passwords from IAM's credential reports "
                 f"generated between {min(reports)} and {max(reports)} (--fresh-keys reads them per user)"]
                if reports else []) + ([f"{per_user} accounts: access keys read per user (see accounts)"]
                                       if per_user else [])
    notes = []
    for entry in accounts:
        facts = entry.get("key_facts") or {}
        who = f"account {entry.get('account_id') or entry.get('account_name')}"
        if facts.get("source") == "credential-report":
            notes.append(f"{who}: access keys and passwords from IAM's credential report generated "
                         f"at {facts['credential_report_generated_at']} (--fresh-keys reads them per user)")
        elif facts.get("note"):
            notes.append(f"{who}: access keys read per user ({facts['note']})")
    return notes


class _Baseline:
    """--baseline, one account at a time: each result is marked as it is written; the places
    of the previous failures are kept to list the resolved ones at the end."""

    def __init__(self, previous: list[dict]):
        self.previous = previous
        self.before = {(r["fingerprint"], r.get("status")) for r in previous}
        self.places = {(r.get("rule_id"), r.get("profile"), r.get("resource")) for r in previous
                       if r.get("status") == FAIL and not r.get("suppressed")}
        self.kept = []

    def mark(self, results) -> None:
        for result in results:
            result.baseline = "unchanged" if (result.fingerprint, result.status) in self.before else "new"
            if (result.rule_id, result.profile, result.resource) in self.places:
                self.kept.append(result)

    def resolved(self) -> list[dict]:
        from .baseline import compare

        return compare(self.kept, self.previous)


class ReportCollector:
    """Every other format: one report, rendered at the end by the CLI."""

    streaming = False

    def __init__(self):
        self.outcomes, self.header, self.results = [], [], []

    def add(self, outcome=None, *, results=(), entry: dict | None = None) -> None:
        if outcome is not None:
            self.outcomes.append(outcome)
        self.results += results
        if entry is not None:
            self.header.append(entry)

    def report(self, specs, api_calls: int) -> Report:
        """Accounts in the order they were given (not the order they completed)."""
        order = {id(spec): index for index, spec in enumerate(specs)}
        outcomes = sorted(self.outcomes, key=lambda o: order.get(id(o.spec), len(order)))
        accounts = self.header + [o.summary() for o in outcomes]
        extra = {"api_calls": api_calls, "accounts": accounts}
        notes = _key_facts_notes(accounts)
        if notes:
            extra["notes"] = notes
        return Report("discover", self.results + [r for o in outcomes for r in o.results], extra=extra)


class JsonlStream:
    streaming = True

    def __init__(self, output: str | None, *, statuses=None, baseline: list[dict] | None = None):
        from .output import ReportStream

        self.generated_at = utc_now()
        self._started = time.monotonic()
        self.statuses = frozenset(statuses) if statuses else None
        self.baseline = _Baseline(baseline) if baseline is not None else None
        self.counts: Counter = Counter()
        self.accounts: list[dict] = []
        self.kept = []                     # FAIL and ERROR results: the exit code
        self.output = output
        self.error: str | None = None      # why the stream stopped being written, if it did
        # Opened before any API call: a path that cannot be written is exit 2 at once.
        self._stream = ReportStream(output)

    def _write(self, text: str) -> None:
        """Through the scrubber (auditor.output). A target that fails is written no more, and
        the run goes on: the other reports are still written (the exit code says 2)."""
        if self.error is not None:
            return
        try:
            self._stream.write(text)
        except UsageError as error:
            self.error = str(error)
            self._stream.close()

    def add(self, outcome=None, *, results=(), entry: dict | None = None) -> None:
        """One account's results (or results standing alone, or a header entry alone)."""
        results = outcome.results if outcome is not None else list(results)
        if self.baseline is not None:
            self.baseline.mark(results)
        summary = Report("discover", results).summary()
        self.counts.update({k: v for k, v in summary.items() if k != "failing_by_severity"})
        self.counts.update({f"sev:{k}": v for k, v in summary["failing_by_severity"].items()})
        self.kept += [r for r in results if r.status in (FAIL, ERROR)]
        lines = [_line(event(r, self.generated_at)) for r in results
                 if self.statuses is None or r.status in self.statuses]
        entry = outcome.summary() if outcome is not None else entry
        if entry is not None:
            self.accounts.append(entry)
            lines.append(_line(self._account_event(entry)))
        self._write("".join(lines))

    def _envelope(self, action: str, message: str, outcome: str) -> dict:
        return {"@timestamp": self.generated_at, "ecs": {"version": ECS_VERSION},
                "event": {"kind": "event", "category": ["configuration", "iam"], "type": ["info"],
                          "action": action, "outcome": outcome},
                "message": message}

    def _account_event(self, entry: dict) -> dict:
        name = entry.get("account_name")
        document = self._envelope(
            "iam-auditor-account",
            f"account {entry.get('account_id') or name}: {entry['status']}, {entry['results']} results, "
            f"{entry['fail']} fail, {entry['error']} error",
            "failure" if entry["status"] == "error" else "success")
        document["cloud"] = {"provider": "aws", "account": {"id": entry.get("account_id"), "name": name}}
        document["iam_auditor_account"] = entry
        return document

    def finish(self, api_calls: int, *, fail_on: str, new_only: bool, complete: bool = True) -> int:
        from . import __version__
        from .report import SCHEMA_VERSION

        c = self.counts
        summary = {"results": c["results"], "pass": c["pass"], "fail": c["fail"], "error": c["error"],
                   "skip": c["skip"], "suppressed": c["suppressed"],
                   "failing_by_severity": {s: c[f"sev:{s}"] for s in SEVERITIES}}
        body = {"schema_version": SCHEMA_VERSION, "tool": {"name": "iam-auditor", "version": __version__},
                "mode": "discover", "generated_at": self.generated_at, "finished_at": utc_now(),
                "elapsed_s": round(time.monotonic() - self._started, 3),
                "complete": complete, "summary": summary, "api_calls": api_calls, "accounts": self.accounts}
        notes = _key_facts_notes(self.accounts)
        if notes:
            body["notes"] = notes
        if self.baseline is not None:
            body["resolved"] = self.baseline.resolved()
        read = sum(1 for a in self.accounts if a["status"] == "read")
        document = self._envelope(
            "iam-auditor-summary",
            f"discover {'finished' if complete else 'interrupted'}: {len(self.accounts)} accounts "
            f"({read} read), {summary['results']} results, {summary['fail']} fail, {summary['error']} error",
            "success" if complete else "unknown")
        document["iam_auditor_summary"] = body
        self._write(_line(document))
        self._stream.close()
        return exit_code(self.kept, fail_on, new_only=new_only)
