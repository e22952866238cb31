"""Report renderers: each module exposes `render(report, options) -> str`."""
from __future__ import annotations

import importlib

FORMATS = ("table", "json", "jsonl", "sarif", "ocsf", "markdown")
_MODULES = {"table": "table", "json": "json_report", "jsonl": "jsonl", "sarif": "sarif",
            "ocsf": "ocsf", "markdown": "markdown"}


_JSON_FORMATS = frozenset(("json", "jsonl", "sarif", "ocsf"))


def render(report, fmt: str, *, color: bool = False) -> str:
    """The report as text any UTF-8 stream can take: a lone surrogate (an undecodable file name,
    an escaped "\\ud800" in a policy) stays an escape in the JSON formats, valid JSON that
    reads back the same, and becomes U+FFFD in the formats people read."""
    from ..lines import encodable
    from ..safejson import escape_surrogates

    module = importlib.import_module(f"auditor.reports.{_MODULES[fmt]}")
    text = module.render(report, color=color)
    return escape_surrogates(text) if fmt in _JSON_FORMATS else encodable(text)
