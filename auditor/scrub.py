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
from typing import Iterable, Iterator
from urllib.parse import quote, quote_plus

MIN_LENGTH = 4
REPLACEMENT = "[redacted]"

_lock = threading.Lock()
_forms: set[str] = set()
_pattern: re.Pattern | None = None


def spellings(value: str) -> set[str]:
    """The ways a value can appear in text the tool writes."""
    forms = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1],
             quote(value, safe=""), quote_plus(value, safe=""), html.escape(value)}
    return {form for form in forms if len(form) >= MIN_LENGTH}


def register(*values: str | None) -> None:
    """Add secrets to scrub from everything written from now on."""
    global _pattern
    new = set()
    for value in values:
        if isinstance(value, str) and len(value) >= MIN_LENGTH:
            new |= spellings(value)
    with _lock:
        if new - _forms:
            _forms.update(new)
            _pattern = _compile(_forms)


def reset() -> None:
    """Forget every registered secret (one command run starts clean)."""
    global _pattern
    with _lock:
        _forms.clear()
        _pattern = None


def _compile(forms: Iterable[str]) -> re.Pattern:
    # Longest first, so a secret containing another is replaced whole.
    return re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)))


def scrub(text: str) -> str:
    pattern = _pattern
    if pattern is None or not text:
        return text
    return pattern.sub(REPLACEMENT, text)


def scrub_with(text: str, values: Iterable[str]) -> str:
    """`text` without any of `values` (for one message, without registering them)."""
    forms = set().union(*(spellings(v) for v in values if isinstance(v, str))) if values else set()
    return _compile(forms).sub(REPLACEMENT, text) if forms else text


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
