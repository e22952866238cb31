"""`--format table`: the report for people at a terminal.

What needs work comes first: unsuppressed FAIL rows (worst severity first), then ERROR rows,
then waived failures; PASS and SKIP rows only with `--all` (otherwise they are counted). Each
row is one line of columns (status, severity, rule, profile or file) followed by its details,
indented by two: the message, the resource, the fix under every FAIL. The whole fits the width
it is given (the terminal's, `COLUMNS`): prose wraps between words, and an ARN is never cut —
it moves to a line of its own, and only an ARN longer than a whole line is split, at its `:` and
`/` separators, so every character of it is shown. Colour only when the caller asks for it (a
terminal, without `--no-color` or `NO_COLOR`). Control characters in file names and messages
are shown escaped, so a crafted file name cannot drive the terminal.
"""
from __future__ import annotations

import re
import textwrap

from ..engine import ERROR, FAIL, PASS, SEVERITY_RANK, SKIP
from ..lines import printable

DEFAULT_WIDTH = 100          # files and sample reports; the CLI passes the terminal's width
MIN_WIDTH = 40
INDENT = "  "
_COLORS = {FAIL: "\033[1;31m", ERROR: "\033[1;35m", PASS: "\033[32m", SKIP: "\033[2m",
           "critical": "\033[1;31m", "high": "\033[31m", "medium": "\033[33m"}
_RESET = "\033[0m"
_COLUMNS = (("STATUS", 6), ("SEVERITY", 8), ("RULE", 11))
# C0/C1 controls, DEL, and the bidirectional overrides that reorder what a terminal shows.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_SEPARATOR = re.compile(r"(?<=[:/])")


def escape(text) -> str:
    """Text as a terminal may show it: controls as \\xNN / \\uNNNN, newlines and tabs as spaces
    (a message is one paragraph)."""
    text = str(text if text is not None else "").replace("\n", " ").replace("\t", " ")
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                       else f"\\u{ord(m.group()):04x}", text)


class _Paint:
    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, text: str, key: str) -> str:
        code = _COLORS.get(key)
        return f"{code}{text}{_RESET}" if self.enabled and code else text


def _split_long(word: str, room: int) -> list[str]:
    """A word longer than a line, in pieces ending at `:` or `/` (or hard, if it has none)."""
    pieces, current = [], ""
    for part in _SEPARATOR.split(word):
        while len(part) > room:                      # no separator for a whole line: hard split
            if current:
                pieces.append(current)
                current = ""
            pieces.append(part[:room])
            part = part[room:]
        if len(current) + len(part) > room:
            pieces.append(current)
            current = part
        else:
            current += part
    if current:
        pieces.append(current)
    return pieces


def wrap(text: str, width: int, indent: str = INDENT, label: str = "") -> list[str]:
    """`label` + text wrapped to `width`, continuation lines indented; words never broken
    except one longer than a line, split at its separators."""
    room = max(width - len(indent), 10)
    words = []
    for word in (label + escape(text)).split():
        words.extend(_split_long(word, room) if len(word) > room else [word])
    return textwrap.wrap(" ".join(words), width=width, initial_indent=indent,
                         subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False) or [indent.rstrip()]


def _order(result, index: int) -> tuple:
    if result.status == FAIL and result.suppressed is None:
        rank = 0
    elif result.status == ERROR:
        rank = 1
    elif result.status == FAIL:
        rank = 2
    else:
        rank = {PASS: 3, SKIP: 4}.get(result.status, 5)
    return rank, -SEVERITY_RANK.get(result.severity, 0) if rank == 0 else 0, index


def _head(result, width: int, paint: _Paint) -> str:
    status = result.status + ("*" if result.suppressed is not None else "")
    severity = result.severity if result.status in (FAIL, ERROR) else ""
    where = escape(result.profile if result.profile is not None else result.resource)
    if result.baseline == "new":
        where += "  [new]"
    cells = [status.ljust(_COLUMNS[0][1]), severity.ljust(_COLUMNS[1][1]),
             result.rule_id.ljust(_COLUMNS[2][1])]
    fixed = sum(size + 1 for _, size in _COLUMNS)
    line = " ".join(cells) + " " + where
    if len(line) > width and len(where) > width - fixed:
        # a long file name: on the next line, whole
        return " ".join(cells).rstrip() + "\n" + "\n".join(wrap(where, width))
    colored = [paint(cells[0], result.status), paint(cells[1], result.severity)] + cells[2:]
    return " ".join(colored) + " " + where


def _location(result) -> str:
    where = result.location or {}
    parts = []
    if where.get("resource") is not None:      # infrastructure code: the resource, its policy, its line
        policy = f", {where['policy']}" if where.get("policy") is not None else ""
        parts.append(printable(f"{where['resource']}{policy}:"))
    parts += [str(where[key]) for key in ("document",) if where.get(key) is not None]
    if isinstance(where.get("statement"), int):
        parts.append(f"statement {where['statement']}")
    if where.get("sid"):
        parts.append(f"({printable(str(where['sid']))})")
    if isinstance(where.get("line"), int) and not isinstance(where.get("line"), bool):
        parts.append(f"(line {where['line']})")
    return " ".join(parts)


def _row(result, width: int, paint: _Paint, lint: bool) -> list[str]:
    lines = [_head(result, width, paint)]
    lines += wrap(result.message, width)
    if not lint and result.resource:
        lines += wrap(result.resource, width, label="resource: ")
    elif lint and _location(result):
        lines += wrap(_location(result), width, label="where: ")
    if result.status == FAIL and result.suppressed is None and result.remediation:
        lines += wrap(result.remediation, width, label="fix: ")
    if result.suppressed is not None:
        waiver = result.suppressed if isinstance(result.suppressed, dict) else {}
        expires = waiver.get("expires")
        lines += wrap(f"{waiver.get('reason') or 'waived'}"
                      + (f" (expires {expires})" if expires else ""), width, label="waived: ")
    return lines


def _counts(report, shown_rows: int) -> list[str]:
    s = report.summary()
    by = ", ".join(f"{n} {sev}" for sev, n in reversed(s["failing_by_severity"].items()) if n)
    counts = (f"FAIL {s['fail']}" + (f" ({by})" if by else "") + f" · ERROR {s['error']}"
              + (f" · waived {s['suppressed']}" if s["suppressed"] else "")
              + f" · PASS {s['pass']} · SKIP {s['skip']}")
    lines = [f"{s['results']} results: {counts}"]
    hidden = s["results"] - shown_rows
    if hidden:
        lines.append(f"{hidden} not listed (--all lists PASS and SKIP; --status picks statuses)")
    return lines


def _resolved(report, width: int) -> list[str]:
    resolved = report.extra.get("resolved") or []
    if not resolved:
        return []
    lines = ["", f"Resolved since the baseline ({len(resolved)}):"]
    for old in resolved:
        where = old.get("profile") if old.get("profile") is not None else old.get("resource")
        lines += wrap(f"{old.get('rule_id')} {old.get('severity')} {where} — now "
                      f"{old.get('now')}: {old.get('message')}", width)
    return lines


def render(report, *, color: bool = False, width: int | None = None, show_all: bool = False,
           **_options) -> str:
    width = max(width or DEFAULT_WIDTH, MIN_WIDTH)
    paint = _Paint(color)
    if report.statuses is not None:
        shown = report.shown
    elif show_all:
        shown = list(report.results)
    else:
        shown = [r for r in report.results if r.status in (FAIL, ERROR)]
    ordered = [r for _, r in sorted(((_order(r, i), r) for i, r in enumerate(shown)),
                                    key=lambda pair: pair[0])]
    lint = report.mode == "lint"
    header = " ".join(name.ljust(size) for name, size in _COLUMNS) + " " + \
        ("FILE" if lint else "PROFILE")
    # discover: where key facts came from, and how old a credential report was (up to 4 h)
    lines = [part for note in report.extra.get("notes", ()) for part in wrap(f"note: {note}", width, indent="")]
    lines += [header, "-" * min(width, len(header) + 20)] if ordered else []
    for result in ordered:
        lines += _row(result, width, paint, lint) + [""]
    if not ordered:
        lines += ["No FAIL or ERROR result.", ""] if report.statuses is None else \
            ["No result with the chosen --status.", ""]
    footer = _counts(report, len(ordered))
    if any(r.suppressed is not None for r in ordered):
        footer.append("* waived: an accepted risk from the configuration's waivers")
    lines += [part for line in footer for part in wrap(line, width, indent="")]
    lines += _resolved(report, width)
    return "\n".join(lines) + "\n"
