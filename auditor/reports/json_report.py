"""`--format json`: the report contract of interfaces.md, validated by report.schema.json.

The envelope is indented; each result is one compact line. That reads well with grep and diff,
and lets the C encoder write the results: the indented pure-Python encoder took a third of a
second per thousand results, as long as the rest of an account-wide discovery's evaluation.
"""
from __future__ import annotations

import json

_SLOT = "\x00results\x00"


def render(report, *, color: bool = False, **_options) -> str:
    data = report.to_dict()
    results = data["results"]
    data["results"] = _SLOT
    envelope = json.dumps(data, indent=2, ensure_ascii=False)
    rows = ",\n".join("    " + json.dumps(r, ensure_ascii=False) for r in results)
    body = f"[\n{rows}\n  ]" if results else "[]"
    # "results" is the envelope's last key: its slot is the last match, whatever the fields
    # before it (waiver reasons, paths) hold.
    head, slot, tail = envelope.rpartition(json.dumps(_SLOT))
    return head + body + tail + "\n"
