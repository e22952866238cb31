"""Strict JSON for the tool's own input files (snapshots, baselines): one clear error, never a crash.

`json.load` accepts `NaN` and `Infinity` (no JSON has them; `int(Infinity)` then raises
OverflowError far from the file) and recurses once per nesting level (a file nested a thousand
levels deep raises RecursionError). `load_json_file` refuses both, and documents nested deeper
than `max_depth`, with a `JSONInputError` whose message is one line.
"""
from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

DEFAULT_MAX_DEPTH = 64
# A file is read whole; inputs the tool wrote itself are far below this.
MAX_BYTES = 512 * 1024 * 1024


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class JSONInputError(ValueError):
    """The file is not the JSON it should be; the message is one line, without the file name."""


def _reject_constant(name: str):
    raise JSONInputError(f"{name} is not a JSON number")


def loads(text: str, *, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Strict `json.loads`: no NaN/Infinity, nesting at most `max_depth` arrays/objects deep."""
    depth = nesting_depth(text)
    if depth > max_depth:
        raise JSONInputError(f"nested {depth} levels deep (at most {max_depth})")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:  # unreachable after the depth check; kept as a last guard
        raise JSONInputError("nested too deeply") from None
    except JSONInputError:
        raise
    except ValueError as error:
        raise JSONInputError(f"not valid JSON ({error})") from None


def read_text(path: str, max_bytes: int = MAX_BYTES) -> str:
    """A whole input file as text: UTF-8 (a BOM allowed), at most `max_bytes`; JSONInputError
    otherwise (any reader's one-line error). OSError passes through for the caller to word."""
    with open(path, "rb") as handle:
        raw = handle.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise JSONInputError(f"larger than {max_bytes // (1024 * 1024)} MiB")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise JSONInputError(f"not UTF-8 text (byte {error.start})") from None


def load_json_file(path: str, *, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Read and decode `path` strictly; OSError passes through for the caller to word."""
    return loads(read_text(path), max_depth=max_depth)


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON text (brackets inside strings ignored),
    counted without recursion. Malformed text is the decoder's business, not this scan's."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(1 if c in "[{" else -1 for c in brackets), default=0)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_surrogates(json_text: str) -> str:
    """JSON text with each lone surrogate (from a file name or an escaped "\\ud800" in a
    policy) written as its \\uXXXX escape: valid JSON, and encodable as UTF-8. Only JSON
    strings can hold one, so the escape always lands inside a string."""
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", json_text)


def dumps(value: Any, **options) -> str:
    """`json.dumps` with UTF-8 text as it is and lone surrogates escaped."""
    return escape_surrogates(json.dumps(value, ensure_ascii=False, **options))
