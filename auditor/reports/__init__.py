"""Report renderers: each module exposes `render(report, *, color=False, **options) -> str`."""
from __future__ import annotations

import importlib

FORMATS = ("table", "json", "jsonl", "sarif", "ocsf", "markdown", "html")
_MODULES = {"table": "table", "json": "json_report", "jsonl": "jsonl", "sarif": "sarif",
            "ocsf": "ocsf", "markdown": "markdown", "html": "html"}
# interfaces.md v1.1: a file's format from its extension (the longest match wins).
EXTENSIONS = ((".ocsf.json", "ocsf"), (".json", "json"), (".jsonl", "jsonl"),
              (".ndjson", "jsonl"), (".sarif", "sarif"), (".md", "markdown"),
              (".html", "html"), (".htm", "html"), (".txt", "table"))


def format_of(path: str) -> str | None:
    """The format a file name's extension names, or None."""
    name = str(path).lower()
    for extension, fmt in EXTENSIONS:   # .ocsf.json is listed before .json
        if name.endswith(extension):
            return fmt
    return None


# HTML is text for people, but its escapes are its own: like the JSON formats it keeps what it
# was given, as character references, rather than U+FFFD.
_JSON_FORMATS = frozenset(("json", "jsonl", "sarif", "ocsf"))


def render(report, fmt: str, *, color: bool = False, **options) -> str:
    """The report as text any UTF-8 stream can take: a lone surrogate (an undecodable file name,
    an escaped "\\ud800" in a policy) stays an escape in the JSON formats, valid JSON that
    reads back the same, and becomes U+FFFD in the formats people read."""
    from ..lines import encodable
    from ..safejson import escape_surrogates

    module = importlib.import_module(f"auditor.reports.{_MODULES[fmt]}")
    text = module.render(report, color=color, **options)
    return escape_surrogates(text) if fmt in _JSON_FORMATS else encodable(text)
