"""Report renderers: each module exposes `render(report, options) -> str`."""
from __future__ import annotations

import importlib

FORMATS = ("table", "json", "jsonl", "sarif", "ocsf", "markdown")
_MODULES = {"table": "table", "json": "json_report", "jsonl": "jsonl", "sarif": "sarif",
            "ocsf": "ocsf", "markdown": "markdown"}


def render(report, fmt: str, *, color: bool = False) -> str:
    module = importlib.import_module(f"auditor.reports.{_MODULES[fmt]}")
    return module.render(report, color=color)
