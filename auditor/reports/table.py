"""`--format table`: a table for people, coloured only when writing to a terminal."""
from __future__ import annotations

from tabulate import tabulate

_COLORS = {"FAIL": "\033[31m", "ERROR": "\033[35m", "PASS": "\033[32m", "SKIP": "\033[2m"}
_RESET = "\033[0m"


def _status(status: str, color: bool) -> str:
    return f"{_COLORS[status]}{status}{_RESET}" if color else status


def render(report, *, color: bool = False) -> str:
    rows = []
    for r in report.results:
        where = r.profile or r.resource
        status = _status(r.status, color) + (" (waived)" if r.suppressed else "")
        rows.append([status, r.severity if r.status == "FAIL" else "", r.rule_id, where, r.message])
    table = tabulate(rows, headers=["status", "severity", "rule", "profile / file", "message"],
                     tablefmt="simple", maxcolwidths=[None, None, None, 40, 90])
    s = report.summary()
    by = ", ".join(f"{n} {sev}" for sev, n in reversed(s["failing_by_severity"].items()) if n)
    footer = (f"{s['results']} results: {s['pass']} pass, {s['fail']} fail"
              + (f" ({by})" if by else "") + f", {s['error']} error, {s['skip']} skip"
              + (f", {s['suppressed']} waived" if s["suppressed"] else ""))
    return table + "\n\n" + footer + "\n"
