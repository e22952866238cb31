"""`--format markdown`: the pre-go-live checklist, for people signing off a set-up on GitHub.

At the top, a verdict that counts every result (whatever `--status` shows): ready to go live
only when no ERROR and no unsuppressed FAIL at or above the run's `--fail-on` (default low)
remains, so the verdict and the exit code never disagree. With `--baseline`, each item says
whether it is new, and the failures resolved since the baseline are listed. Then one section per profile (in `lint`, per file) with
the set-up guide's five steps in order; each result is one item under its first step:
checked when it passed or was waived, unchecked (with the fix) when it failed or could not be
checked. Results that did not apply are folded into a <details> block.
"""
from __future__ import annotations

import re

from .. import __version__
from ..lines import printable
from ..report import failing

STEPS = {
    1: "Create a policy to read secrets",
    2: "Create the role",
    3: "The IAM user and its access key",
    4: "The trust relationship",
    5: "The product's authentication profile",
}
SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")

# Text that reads best as code: existing `code`, ARNs, and JSON objects (a policy statement).
_ARN = re.compile(r"arn:[A-Za-z0-9-]+:[^\s\"',;)]*[^\s\"',;).]")
_ESCAPE = re.compile(r"([\\*\[\]<>|~`])")
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def _code(text: str) -> str:
    """A code span on one line: controls and newlines (a file name may hold them) are shown as
    escapes, and the fence is one backtick longer than any run of backticks inside."""
    text = printable(str(text))
    if "`" not in text:
        return f"`{text}`"
    fence = "`" * (max(len(run) for run in re.findall("`+", text)) + 1)
    return f"{fence} {text} {fence}"


def _escape(text: str) -> str:
    text = _ESCAPE.sub(r"\\\1", text)
    return _UNDERSCORE.sub(r"\\_", text)


def _plain(text: str) -> str:
    """Escape prose, wrapping ARNs in code spans."""
    out, last = [], 0
    for match in _ARN.finditer(text):
        out.append(_escape(text[last:match.start()]))
        out.append(_code(match.group()))
        last = match.end()
    out.append(_escape(text[last:]))
    return "".join(out)


def _json_end(text: str, start: int) -> int | None:
    """End (exclusive) of the balanced {...} starting at `start`, strings respected."""
    depth, in_string, escaped = 0, False, False
    for index in range(start, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index + 1
    return None


def inline(text: str | None) -> str:
    """A message or remediation as one line of GitHub Markdown: code stays code, the rest is
    escaped just enough not to turn into emphasis, links, HTML or table cells."""
    text = printable(" ".join((text or "").split()))
    out, plain_start, index = [], 0, 0
    while index < len(text):
        char = text[index]
        end = None
        if char == "`":
            close = text.find("`", index + 1)
            end = close + 1 if close > index + 1 else None
            if end is not None:
                out.append(_plain(text[plain_start:index]) + text[index:end])
        elif char == "{":
            end = _json_end(text, index)
            if end is not None:
                out.append(_plain(text[plain_start:index]) + _code(text[index:end]))
        if end is None:
            index += 1
        else:
            plain_start = index = end
    out.append(_plain(text[plain_start:]))
    return "".join(out)


def _blocking(results, fail_on: str) -> list:
    return [r for r in results if failing(r, fail_on) or r.status == "ERROR"]


def _severity_counts(results) -> str:
    counts = {}
    for r in results:
        if r.status == "FAIL":
            counts[r.severity] = counts.get(r.severity, 0) + 1
    errors = sum(1 for r in results if r.status == "ERROR")
    parts = [f"{counts[s]} {s}" for s in SEVERITY_ORDER if counts.get(s)]
    if errors:
        parts.append(f"{errors} could not be checked")
    return ", ".join(parts)


def verdict(results, fail_on: str = "low") -> str:
    blocking = _blocking(results, fail_on)
    if not blocking:
        minor = [r for r in results if r.status == "FAIL" and r.suppressed is None]
        note = (f" ({len(minor)} finding{'s' if len(minor) != 1 else ''} below --fail-on "
                f"{fail_on} to review)") if minor else ""
        return f"**✅ Ready to go live**{note}"
    plural = "s" if len(blocking) != 1 else ""
    return (f"**❌ Not ready to go live: {len(blocking)} blocking finding{plural}** "
            f"({_severity_counts(blocking)})")


def _waiver_text(suppressed: dict) -> str:
    expires = suppressed.get("expires")
    reason = inline(suppressed.get("reason") or "no reason given")
    return f"waived: {reason} ({'expires ' + str(expires) if expires else 'no expiry'})"


def item(result) -> list[str]:
    """The checklist lines of one result."""
    message = result.message or ""
    if result.title and message.startswith(result.title + ": "):
        message = message[len(result.title) + 2:]   # "<title>: no problem found"
    rid, title, message = result.rule_id, inline(result.title), inline(message)
    if result.status == "PASS":
        lines = [f"- [x] **{rid}** {title} — {message}"]
    elif result.status == "FAIL" and result.suppressed is not None:
        lines = [f"- [x] **{rid}** ({result.severity}) {title} — {_waiver_text(result.suppressed)}",
                 f"  - Finding: {message}"]
    elif result.status == "FAIL":
        lines = [f"- [ ] **{rid}** ({result.severity}) {title} — {message}",
                 f"  - Fix: {inline(result.remediation)}"]
    elif result.status == "ERROR":
        lines = [f"- [ ] **{rid}** ⚠️ could not be checked — {message}"]
    else:  # SKIP
        lines = [f"- [x] ~~{rid}~~ not applicable — {message}"]
    if result.baseline == "new" and result.status in ("FAIL", "ERROR"):
        lines[0] += " _(new since the baseline)_"
    for expired in (result.evidence or {}).get("expired_waivers", ()) if result.status == "FAIL" \
            else ():
        lines.append(f"  - Waiver expired on {expired.get('expired')}, no longer applies: "
                     f"{inline(expired.get('reason'))}")
    return lines


def _groups(results) -> list[tuple[str, str, list]]:
    """(kind, name, results) per profile, or per file when a result has no profile, in order."""
    groups: dict[tuple[str, str], list] = {}
    for r in results:
        key = ("Profile", r.profile) if r.profile is not None else ("File", r.resource)
        groups.setdefault(key, []).append(r)
    return [(kind, name, members) for (kind, name), members in groups.items()]


# Step 1's checks of the secrets themselves, listed apart from the role's policy checks.
SECRET_SIDE = ("CHAIN-006", "CHAIN-007", "SECRET-001")


def _step_lines(number: int, title: str, results: list) -> list[str]:
    lines = [f"### Step {number} — {title}", ""]
    checks = [r for r in results if r.status != "SKIP"]
    skipped = [r for r in results if r.status == "SKIP"]
    secret_side = [r for r in checks if r.rule_id in SECRET_SIDE]
    for r in checks:
        if r.rule_id not in SECRET_SIDE:
            lines.extend(item(r))
    if secret_side:
        lines += ["", "The secrets themselves (resource policy, KMS key):", ""]
        for r in secret_side:
            lines.extend(item(r))
    if not checks:
        lines.append("_No automated check here._" if not skipped
                     else "_No check applies here._")
    lines.append("")
    if skipped:
        plural = "s" if len(skipped) != 1 else ""
        lines += ["<details>", f"<summary>{len(skipped)} check{plural} not applicable</summary>",
                  ""]
        for r in skipped:
            lines.extend(item(r))
        lines += ["", "</details>", ""]
    return lines


def _context(results, fail_on: str) -> str:
    first = results[0]
    parts = []
    if first.profile is not None:
        if first.account_id:
            parts.append(f"account {_code(first.account_id)}")
        if first.region:
            parts.append(f"region {_code(first.region)}")
    blocking = _blocking(results, fail_on)
    status = "✅ no blocking finding" if not blocking else \
        f"❌ {len(blocking)} blocking ({_severity_counts(blocking)})"
    return " · ".join(parts + [status])


def _summary(report) -> str:
    s = report.summary()
    by = ", ".join(f"{n} {sev}" for sev, n in reversed(s["failing_by_severity"].items()) if n)
    return (f"{s['results']} results: {s['pass']} pass, {s['fail']} fail" + (f" ({by})" if by else "")
            + f", {s['error']} error, {s['skip']} not applicable"
            + (f", {s['suppressed']} waived" if s["suppressed"] else ""))


def _waiver_lines(waivers) -> list[str]:
    notable = [w for w in waivers or () if isinstance(w, dict) and w.get("state") in ("expired", "stale")]
    if not notable:
        return []
    lines = ["## Waivers to review", ""]
    for w in notable:
        scope = ", ".join(f"{key} {_code(w[key])}" for key in ("profile", "resource") if w.get(key))
        what = (f"expired on {w.get('expires')}, no longer applies" if w["state"] == "expired"
                else "stale: matched no result")
        lines.append(f"- **{w.get('rule')}**" + (f" ({scope})" if scope else "")
                     + f" — {what}: {inline(w.get('reason'))}")
    return lines + [""]


def _resolved_lines(resolved) -> list[str]:
    if not resolved:
        return []
    lines = ["## Resolved since the baseline", ""]
    for old in resolved:
        where = old.get("profile") if old.get("profile") is not None else old.get("resource")
        lines.append(f"- [x] **{old.get('rule_id')}** ({old.get('severity')}) {_code(str(where))} — now "
                     f"{old.get('now')}: {inline(old.get('message'))}")
    return lines + [""]


def _scope(mode: str, groups) -> str:
    profiles = sum(1 for kind, _, _ in groups if kind == "Profile")
    files = len(groups) - profiles
    counted = [f"{n} {word}{'s' if n != 1 else ''}"
               for n, word in ((profiles, "profile"), (files, "policy document")) if n]
    what = {"lint": "Lint", "scan": "Scan"}.get(mode, mode.capitalize())
    return f"{what} of {' and '.join(counted) or 'nothing'}"


def render(report, *, color: bool = False, **_options) -> str:
    everything = list(report.results)
    shown = report.shown
    groups = _groups(shown)
    lines = ["# iam-auditor pre-go-live checklist", "", verdict(everything, report.fail_on), "",
             f"_{_scope(report.mode, groups)}, checked step by step along the set-up guide. A "
             "checked box passed or was waived; an unchecked box needs work before going "
             "live._", ""]
    if len(shown) < len(everything):
        lines += [f"_Showing {len(shown)} of {len(everything)} results (`--status`); the "
                  "verdict counts them all._", ""]
    for kind, name, results in groups:
        lines += [f"## {kind} {_code(name)}", "", _context(results, report.fail_on), ""]
        by_step: dict[int, list] = {}
        for r in results:
            by_step.setdefault(r.step if r.step in STEPS else 0, []).append(r)
        for number, title in STEPS.items():
            lines += _step_lines(number, title, by_step.get(number, []))
        if by_step.get(0):
            lines += ["### Other checks", ""] + _step_lines(0, "", by_step[0])[2:]
    lines += _resolved_lines(report.extra.get("resolved"))
    lines += _waiver_lines(report.extra.get("waivers"))
    lines += ["---", "", f"{_summary(report)}.", "",
              f"_Generated {report.generated_at} by iam-auditor {__version__}._", ""]
    return "\n".join(lines)
