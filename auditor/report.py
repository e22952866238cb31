"""The report: results plus summary, and the exit code they imply."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Sequence

from . import __version__
from .engine import ERROR, FAIL, PASS, SEVERITIES, SEVERITY_RANK, SKIP, Result

SCHEMA_VERSION = "1.0"
EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3


def utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class Report:
    mode: str
    results: list[Result]
    generated_at: str = field(default_factory=utc_now)
    extra: dict[str, Any] = field(default_factory=dict)   # mode-specific top-level fields
    statuses: frozenset[str] | None = None                # --status: which results are emitted
    fail_on: str = "low"                                   # --fail-on: the go-live threshold
    summary_extra: dict[str, Any] = field(default_factory=dict)   # e.g. lint's files_skipped

    @property
    def shown(self) -> list[Result]:
        """The results a renderer emits; the summary always counts them all."""
        if self.statuses is None:
            return self.results
        return [r for r in self.results if r.status in self.statuses]

    def summary(self) -> dict:
        counts = {PASS: 0, FAIL: 0, ERROR: 0, SKIP: 0}
        by_severity = {s: 0 for s in SEVERITIES}
        suppressed = 0
        for result in self.results:
            if result.suppressed is not None:
                suppressed += 1
                if result.status == FAIL:
                    continue
            counts[result.status] += 1
            if result.status == FAIL:
                by_severity[result.severity] += 1
        return {"results": len(self.results), "pass": counts[PASS], "fail": counts[FAIL],
                "error": counts[ERROR], "skip": counts[SKIP], "suppressed": suppressed,
                "failing_by_severity": by_severity, **self.summary_extra}

    def to_dict(self) -> dict:
        return {"schema_version": SCHEMA_VERSION,
                "tool": {"name": "iam-auditor", "version": __version__},
                "mode": self.mode, "generated_at": self.generated_at,
                "summary": self.summary(), **self.extra,
                "results": [r.to_dict() for r in self.shown]}


def failing(result: Result, fail_on: str) -> bool:
    """An unsuppressed FAIL at or above `fail_on`: what makes the exit code 1 and what the
    go-live verdicts (markdown, HTML) count as blocking, so they never disagree."""
    return (fail_on != "none" and result.status == FAIL and result.suppressed is None
            and SEVERITY_RANK.get(result.severity, 0) >= SEVERITY_RANK[fail_on])


def exit_code(results: Sequence[Result], fail_on: str, *, new_only: bool = False) -> int:
    """0 clean, 1 an unsuppressed FAIL at or above `fail_on` (only new ones with `new_only`),
    3 otherwise incomplete (ERROR)."""
    if any(failing(r, fail_on) and (not new_only or r.baseline == "new") for r in results):
        return EXIT_FAIL
    if any(r.status == ERROR for r in results):
        return EXIT_INCOMPLETE
    return EXIT_OK
