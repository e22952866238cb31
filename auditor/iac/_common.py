"""Helpers the Terraform and AWS CLI readers share: decoding policy text and finding lines.

A policy attribute is JSON text in a plan (and URL-encoded text in raw IAM answers); the AWS
CLI hands documents over already decoded. `decode_policy` takes either and says why text could
not be decoded, so the reader turns that into one Problem instead of a document.
"""
from __future__ import annotations

import json
import re
from typing import Any

from ..policy import PolicyParseError, load_document
from ..unknown import Unknown


def decode_policy(value: Any) -> tuple[Any, str | None]:
    """(document, None), or (None, why) when `value` is text that is not a JSON document.

    An `Unknown` stays itself (the whole document is known only at deploy); an object or list
    is already decoded; text (JSON, or URL-encoded JSON as IAM's API returns it) is decoded
    keeping duplicate keys visible to POLICY-001."""
    if isinstance(value, Unknown) or not isinstance(value, (str, bytes)):
        return value, None
    text = value.decode() if isinstance(value, bytes) else value
    try:
        return load_document(text), None
    except PolicyParseError as error:
        return None, str(error)
    except UnicodeDecodeError:
        return None, "not valid UTF-8"


class LineIndex:
    """Line numbers of `"key": "value"` pairs in a pretty-printed JSON file (1-based, first
    occurrence). A file on one line (as `terraform show -json` writes it) has none: None."""

    def __init__(self, text: str | None, keys: tuple[str, ...]):
        self._lines: dict[tuple[str, str], int] = {}
        if not text or text.count("\n", 0, 4096) < 2:
            return
        pattern = re.compile(r'^[ \t]*"(' + "|".join(map(re.escape, keys)) +
                             r')"[ \t]*:[ \t]*("(?:[^"\\\n]|\\.)*")', re.MULTILINE)
        line, position = 1, 0
        for match in pattern.finditer(text):
            line += text.count("\n", position, match.start())
            position = match.start()
            try:
                value = json.loads(match.group(2))
            except ValueError:
                continue
            self._lines.setdefault((match.group(1), value), line)

    def line(self, key: str, value: Any) -> int | None:
        if not isinstance(value, str):
            return None
        return self._lines.get((key, value))
