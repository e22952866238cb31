"""The last line of defence: secrets the process knows never leave it in full.

Values are masked where they are produced (auditor.masking); this module catches what slips
through anyway: an exception text quoting an AWS answer, a library's log line, a report field
nobody thought of. The command registers the secrets it holds (configured external IDs and
secret access keys, credentials of roles it assumed); `scrub` replaces each of them, in the
forms a report may spell it (as is, JSON-escaped, URL-encoded, HTML-escaped), with
`[redacted]`. The report writers (auditor.output) scrub what they write; `guarded_streams`
scrubs everything else written to stdout and stderr, tracebacks included.

Values shorter than MIN_LENGTH are not scrubbed: replacing every "ab" would garble reports,
and TRUST-004 flags such an ID anyway.
"""
from __future__ import annotations

import html
import json
import re
import sys
import threading
import traceback
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator
from urllib.parse import quote, quote_plus

MIN_LENGTH = 4
REPLACEMENT = "[redacted]"

_lock = threading.Lock()
_forms: dict[str, int] = {}          # spelling -> how many registered values spell it so
_pattern: re.Pattern | None = None
_stale = False                       # compiled on the next scrub, not at every register


def spellings(value: str) -> set[str]:
    """The ways a value can appear in text the tool writes."""
    forms = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1],
             quote(value, safe=""), quote_plus(value, safe=""), html.escape(value)}
    return {form for form in forms if len(form) >= MIN_LENGTH}


def _count(values, change: int) -> None:
    """Add `change` to how many registered values spell each form of `values` (a form counted
    by none is dropped); the pattern is recompiled on the next scrub."""
    global _stale
    values = [v for v in values if isinstance(v, str) and len(v) >= MIN_LENGTH]
    if not values:
        return
    with _lock:
        for value in values:
            for form in spellings(value):
                count = _forms.get(form, 0) + change
                if count > 0:
                    _forms[form] = count
                else:
                    _forms.pop(form, None)
        _stale = True


def register(*values: str | None) -> None:
    """Add secrets to scrub from everything written from now on."""
    _count(values, +1)


def forget(*values: str | None) -> None:
    """Stop scrubbing values registered earlier (an account's assumed-role credentials, once its
    results are scrubbed of them and its clients dropped). The pattern then follows the accounts
    in flight, not every account the run has read: its compile cost, paid at each change, and its
    match cost both grow with it (150 credentials: 65 ms to compile, 270 ms to scrub 200 KB)."""
    _count(values, -1)


def reset() -> None:
    """Forget every registered secret (one command run starts clean)."""
    global _pattern, _stale
    with _lock:
        _forms.clear()
        _pattern = None
        _stale = False


def _compile(forms: Iterable[str]) -> re.Pattern:
    # Longest first, so a secret containing another is replaced whole.
    return re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)))


def _current() -> re.Pattern | None:
    global _pattern, _stale
    if _stale:
        with _lock:
            if _stale:
                _pattern = _compile(_forms) if _forms else None
                _stale = False
    return _pattern


def scrub(text: str) -> str:
    if not text:
        return text
    pattern = _current()
    if pattern is None:
        return text
    return pattern.sub(REPLACEMENT, text)


def spellings_of(values: Iterable[str | None]) -> set[str]:
    """Every spelling of every value long enough to be scrubbed."""
    return set().union(*(spellings(v) for v in values if isinstance(v, str) and len(v) >= MIN_LENGTH))


def scrubber_of(values: Iterable[str | None]) -> Callable[[str], str]:
    """A function giving its text without any of `values` (without registering them)."""
    forms = spellings_of(values)
    if not forms:
        return lambda text: text
    pattern = _compile(forms)
    return lambda text: pattern.sub(REPLACEMENT, text) if text else text


def scrub_with(text: str, values: Iterable[str]) -> str:
    """`text` without any of `values` (for one message, without registering them)."""
    return scrubber_of(values or ())(text)


class ScrubbingStream:
    """A text stream that scrubs every write before passing it on; the rest is delegated."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(scrub(text))
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _scrubbed_excepthook(kind, value, tb) -> None:
    text = "".join(traceback.format_exception(kind, value, tb))
    try:
        sys.__stderr__.write(scrub(text))
        sys.__stderr__.flush()
    except (OSError, ValueError, AttributeError):
        pass


def _scrubbed_thread_hook(args) -> None:
    if args.exc_type is SystemExit:
        return
    _scrubbed_excepthook(args.exc_type, args.exc_value, args.exc_traceback)


@contextmanager
def guarded_streams() -> Iterator[None]:
    """For one command run: start with no secrets, scrub stdout and stderr, and scrub the
    tracebacks of exceptions nobody caught (in any thread)."""
    reset()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = ScrubbingStream(sys.stdout), ScrubbingStream(sys.stderr)
    sys.excepthook = _scrubbed_excepthook
    threading.excepthook = _scrubbed_thread_hook
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
