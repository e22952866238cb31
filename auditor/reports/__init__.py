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


def render(report, fmt: str, *, color: bool = False, **options) -> str:
    module = importlib.import_module(f"auditor.reports.{_MODULES[fmt]}")
    return module.render(report, color=color, **options)
