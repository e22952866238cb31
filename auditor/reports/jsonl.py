"""`--format jsonl`: one JSON object per emitted result, one per line, for Elastic and Splunk.

Each line follows the Elastic Common Schema (ECS 8.11) field names, which Splunk HEC and
Splunk's JSON sourcetypes index as they come:

    @timestamp          when the report was generated (the same for every line of a run)
    ecs.version         "8.11.0"
    event.kind          "alert" for FAIL, "state" for PASS, ERROR and SKIP; with --baseline,
                        "alert" only for a FAIL that is new since the baseline
    event.category      ["configuration", "iam"]
    event.type          ["info"]; with --baseline ["creation"] for a new result, ["info"] for
                        an unchanged one, ["deletion"] for a resolved one (values both
                        categories allow)
    event.severity      the result's severity as a number:
                            info 1, low 2, medium 3, high 4, critical 5
    event.outcome       "success" for PASS, "failure" for FAIL, "unknown" for ERROR and SKIP
    rule.id             e.g. "TRUST-002"
    rule.name           e.g. "external-id-required"
    rule.description    the rule's title
    rule.ruleset        "iam-auditor"
    cloud.provider      "aws"
    cloud.account.id    the audited account (null in `lint`)
    cloud.account.name  discover: the account's name (its organization's, or how it was given)
    cloud.region        the profile's region (null in `lint`)
    message             the result's message
    iam_auditor         the whole result, exactly as in the JSON report (`Result.to_dict()`)

Suppressed (waived) results keep their status and kind; `iam_auditor.suppressed` says so.
`--status` picks which results are emitted (`Report.shown`); no result gives empty output.

With `--baseline`, each failure of the baseline that no longer fails is one more line after
the results: `event.kind` "state", `event.type` ["deletion"], `event.outcome` "success", and
under `iam_auditor` what the baseline said of it plus `baseline: "resolved"` and `now` (PASS,
or "gone" when nothing reports on it any more).
"""
from __future__ import annotations

import json

from ..engine import FAIL, PASS

ECS_VERSION = "8.11.0"
RULESET = "iam-auditor"
SEVERITY_NUMBER = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
_OUTCOME = {PASS: "success", FAIL: "failure"}
# Line separators other than LF that some line readers split on (Python's str.splitlines,
# JavaScript): escaped, so that one result is always exactly one line whoever reads it.
_ESCAPES = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))   # made once, not per line


def line(document: dict) -> str:
    """One JSON line. The escapes are only looked for in text that is not ASCII (most is not)."""
    text = _ENCODER.encode(document)
    return (text if text.isascii() else text.translate(_ESCAPES)) + "\n"


_BASELINE_TYPE = {"new": "creation", "unchanged": "info", "resolved": "deletion"}


def event(result, timestamp: str) -> dict:
    """The ECS document of one result."""
    alert = result.status == FAIL and result.baseline in (None, "new")
    return {
        "@timestamp": timestamp,
        "ecs": {"version": ECS_VERSION},
        "event": {
            "kind": "alert" if alert else "state",
            "category": ["configuration", "iam"],
            "type": [_BASELINE_TYPE.get(result.baseline, "info")],
            "severity": SEVERITY_NUMBER.get(result.severity, 0),
            "outcome": _OUTCOME.get(result.status, "unknown"),
        },
        "rule": {"id": result.rule_id, "name": result.rule_name, "ruleset": RULESET,
                 "description": result.title},
        "cloud": {"provider": "aws", "account": {"id": result.account_id, **(
                      {"name": result.account_name} if result.account_name else {})},
                  "region": result.region},
        "message": result.message,
        "iam_auditor": result.to_dict(),
    }


def resolved_event(old: dict, timestamp: str) -> dict:
    """The ECS document of a baseline failure that no longer fails."""
    return {
        "@timestamp": timestamp,
        "ecs": {"version": ECS_VERSION},
        "event": {"kind": "state", "category": ["configuration", "iam"], "type": ["deletion"],
                  "severity": SEVERITY_NUMBER.get(old.get("severity"), 0), "outcome": "success"},
        "rule": {"id": old.get("rule_id"), "ruleset": RULESET},
        "cloud": {"provider": "aws"},
        "message": f"resolved since the baseline: {old.get('message')}",
        "iam_auditor": {**old, "baseline": "resolved"},
    }


def render(report, *, color: bool = False, **_options) -> str:
    events = [event(result, report.generated_at) for result in report.shown]
    events += [resolved_event(old, report.generated_at)
               for old in report.extra.get("resolved") or ()]
    return "".join(line(e) for e in events)
