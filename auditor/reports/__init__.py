"""Report renderers: each module exposes `render(report, options) -> str`."""
from __future__ import annotations

import importlib

FORMATS = ("table", "json")
_MODULES = {"table": "table", "json": "json_report"}


def render(report, fmt: str, *, color: bool = False) -> str:
    module = importlib.import_module(f"auditor.reports.{_MODULES[fmt]}")
    return module.render(report, color=color)
