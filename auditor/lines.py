"""Text from outside (file names, policy values, AWS answers) made safe to show on one line.

A file name may hold a newline (forging a line of the report), ANSI escape sequences (driving
the terminal), bidirectional overrides (reordering what is read) or a lone surrogate (which no
UTF-8 stream can encode). `printable` writes each such character as a visible escape.
"""
from __future__ import annotations

import re

# C0 and C1 controls, DEL, line/paragraph separators, bidi embeddings/overrides/isolates,
# and lone surrogates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control, separator, bidi-override and surrogate character escaped."""
    return _UNSAFE.sub(_escape, text)


def has_unsafe(text: str) -> bool:
    return _UNSAFE.search(text) is not None


_SURROGATE = re.compile("[\ud800-\udfff]")


def encodable(text: str) -> str:
    """`text` with any lone surrogate replaced by U+FFFD, so that UTF-8 can encode it (the JSON
    formats escape them before this; the others show the replacement character)."""
    if text.isascii():          # O(1): most reports are ASCII, and a 13 MB one took 50 ms to scan
        return text
    return _SURROGATE.sub("\ufffd", text)
