"""Regenerate `sample_reports/` and `docs/rules.md` from the tool's real output.

    python -m auditor.sample_reports           # rewrite the files
    python -m auditor.sample_reports --check   # exit 1 and name the stale files

The demo scan (every format) and a lint of `examples/` are rendered by the same code the CLI
uses. Volatile parts (times, dates, the tool's version) are normalized only when comparing, so
the checked-in files stay real output.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from . import __version__

ROOT = Path(__file__).resolve().parent.parent
DEMO_FORMATS = {"table": "demo.txt", "json": "demo.json", "jsonl": "demo.jsonl",
                "sarif": "demo.sarif", "ocsf": "demo.ocsf.json", "markdown": "demo.md",
                "html": "demo.html"}
TABLE_WIDTH = 80      # the table as a new user's 80-column terminal shows it
LINT_FORMATS = {"json": "lint-examples.json", "sarif": "lint-examples.sarif",
                "markdown": "lint-examples.md"}

_VOLATILE = [
    (re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?"), "<time>"),
    (re.compile(r'"(time|created_time|modified_time)": \d{10,}'), r'"\1": <ms>'),
    (re.compile(r"\b\d+ days? ago"), "N days ago"),
    (re.compile(r"\b(age|idle)_days\": \d+"), r'\1_days": N'),
]


def normalize(text: str) -> str:
    text = text.replace(__version__, "<version>")
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def render_all() -> dict[str, str]:
    """Relative path -> file content, as the tool renders it now (run from the repository root)."""
    from .catalogue_view import render_rules
    from .demo import DEMO_CONFIG, DEMO_CONFIG_PATH, run_demo
    from .lint import lint_paths
    from .report import Report
    from .reports import render

    files = {DEMO_CONFIG_PATH: DEMO_CONFIG, "docs/rules.md": render_rules("markdown")}
    demo = run_demo()
    for fmt, name in DEMO_FORMATS.items():
        files[f"sample_reports/{name}"] = render(demo, fmt, width=TABLE_WIDTH)
    lint = Report("lint", lint_paths(["examples"]))
    for fmt, name in LINT_FORMATS.items():
        files[f"sample_reports/{name}"] = render(lint, fmt)
    return files


def stale(files: dict[str, str]) -> list[str]:
    out = []
    for relative, content in files.items():
        path = ROOT / relative
        if not path.exists() or normalize(path.read_text(encoding="utf-8")) != normalize(content):
            out.append(relative)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m auditor.sample_reports", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale files")
    args = parser.parse_args(argv)
    import os

    os.chdir(ROOT)  # relative paths in reports (lint resources, SARIF URIs) as users see them
    files = render_all()
    if args.check:
        outdated = stale(files)
        for relative in outdated:
            print(f"stale: {relative} (run: python -m auditor.sample_reports)", file=sys.stderr)
        return 1 if outdated else 0
    for relative, content in files.items():
        path = ROOT / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        print(f"wrote {relative}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
