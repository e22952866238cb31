"""`--format table`: a table for people, coloured only when writing to a terminal."""
from __future__ import annotations

from tabulate import tabulate

_COLORS = {"FAIL": "\033[31m", "ERROR": "\033[35m", "PASS": "\033[32m", "SKIP": "\033[2m"}
_RESET = "\033[0m"


def _status(status: str, color: bool) -> str:
    return f"{_COLORS[status]}{status}{_RESET}" if color else status


def render(report, *, color: bool = False) -> str:
    rows = []
    # People read the table: unless --status says otherwise, rules that did not apply are only counted.
    shown = report.shown if report.statuses is not None else [r for r in report.results if r.status != "SKIP"]
    for r in shown:
        where = r.profile or r.resource
        status = _status(r.status, color) + (" (waived)" if r.suppressed else "")
        rows.append([status, r.severity if r.status == "FAIL" else "", r.rule_id, where, r.message])
    table = tabulate(rows, headers=["status", "severity", "rule", "profile / file", "message"],
                     tablefmt="simple", maxcolwidths=[None, None, None, 40, 90])
    s = report.summary()
    by = ", ".join(f"{n} {sev}" for sev, n in reversed(s["failing_by_severity"].items()) if n)
    footer = (f"{s['results']} results: {s['pass']} pass, {s['fail']} fail"
              + (f" ({by})" if by else "") + f", {s['error']} error, {s['skip']} skip"
              + (f", {s['suppressed']} waived" if s["suppressed"] else "")
              + (f"; {len(report.results) - len(shown)} not shown (--status to list them)"
                 if len(shown) < len(report.results) else ""))
    # discover: where key facts came from, and how old a credential report was (up to 4 h)
    notes = "".join(f"note: {note}\n" for note in report.extra.get("notes", ()))
    return notes + table + "\n\n" + footer + "\n"
