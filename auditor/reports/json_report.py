"""`--format json`: the report contract of interfaces.md, validated by report.schema.json."""
from __future__ import annotations

import json


def render(report, *, color: bool = False) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
