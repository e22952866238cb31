"""`--format ocsf`: a JSON array of OCSF 1.1.0 Detection Finding events, one per emitted result.

Detection Finding is class 2004 in category 2 (Findings); every event is a Create activity, so
`type_uid` = 2004 * 100 + 1 = 200401. The result's own status (PASS, FAIL, ERROR, SKIP) is the
source's status code (`status_code`); `status_id` is the finding's lifecycle: New, or Suppressed
when a waiver matched. Severity: a FAIL or an ERROR (a check that could not be made) carries the
result's severity; a PASS or a SKIP is Informational, so a SIEM alerting on High never fires on a
passing check. The whole result, as in `--format json`, is under `unmapped.iam_auditor`.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from .. import __version__

OCSF_VERSION = "1.1.0"
CATEGORY_UID, CATEGORY_NAME = 2, "Findings"
CLASS_UID, CLASS_NAME = 2004, "Detection Finding"
ACTIVITY_CREATE = 1
TYPE_UID = CLASS_UID * 100 + ACTIVITY_CREATE          # 200401
SEVERITY_IDS = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
SEVERITY_CAPTIONS = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}
STATUS_NEW, STATUS_SUPPRESSED = 1, 3                  # finding.status_id: 1 New ... 3 Suppressed
STATUS_CAPTIONS = {STATUS_NEW: "New", STATUS_SUPPRESSED: "Suppressed"}
ANALYTIC_RULE = 1                                     # analytic.type_id: 1 Rule
ACCOUNT_AWS = 10                                      # account.type_id: 10 AWS Account
PRODUCT = {"name": "iam-auditor", "vendor_name": "iam-auditor", "version": __version__,
           "lang": "en"}


def epoch_ms(timestamp: str) -> int:
    """ISO 8601 (`...Z` or with an offset; naive means UTC) to epoch milliseconds."""
    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def _severity_id(result) -> int:
    if result.status in ("FAIL", "ERROR"):
        return SEVERITY_IDS[result.severity]
    return SEVERITY_IDS["info"]


def _status_detail(result) -> str | None:
    if result.suppressed is None:
        return None
    reason = result.suppressed.get("reason") or "waived"
    expires = result.suppressed.get("expires")
    return f"waived: {reason}" + (f" (expires {expires})" if expires else "")


def _drop_none(mapping: dict) -> dict:
    return {key: value for key, value in mapping.items() if value is not None}


def event(result, time_ms: int) -> dict:
    """One result as an OCSF 1.1.0 Detection Finding (Create) event."""
    severity_id = _severity_id(result)
    status_id = STATUS_SUPPRESSED if result.suppressed is not None else STATUS_NEW
    cloud = _drop_none({"provider": "AWS", "region": result.region})
    if result.account_id:
        # `name` is only recommended by OCSF; stricter consumers require it, and the scan knows no
        # account alias, so it repeats the ID.
        cloud["account"] = {"uid": result.account_id, "name": result.account_id,
                            "type_id": ACCOUNT_AWS, "type": "AWS Account"}
    return _drop_none({
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": CATEGORY_NAME,
        "class_uid": CLASS_UID,
        "class_name": CLASS_NAME,
        "type_uid": TYPE_UID,
        "type_name": f"{CLASS_NAME}: Create",
        "time": time_ms,
        "severity_id": severity_id,
        "severity": SEVERITY_CAPTIONS[severity_id],
        "status_id": status_id,
        "status": STATUS_CAPTIONS[status_id],
        "status_code": result.status,
        "status_detail": _status_detail(result),
        "message": result.message,
        "finding_info": {
            "uid": result.fingerprint,
            "title": result.title,
            "desc": result.message,
            "created_time": time_ms,
            "types": [f"iam-auditor {result.status}"],
            "analytic": {"uid": result.rule_id, "name": result.rule_name,
                         "type_id": ANALYTIC_RULE, "type": "Rule"},
        },
        "resources": [_drop_none({"uid": result.resource, "type": result.resource_type,
                                  "region": result.region})],
        "cloud": cloud,
        "remediation": {"desc": result.remediation} if result.remediation else None,
        "metadata": {"version": OCSF_VERSION, "product": dict(PRODUCT), "profiles": ["cloud"]},
        "unmapped": {"iam_auditor": result.to_dict()},
    })


def events(report) -> list[dict]:
    time_ms = epoch_ms(report.generated_at)
    return [event(result, time_ms) for result in report.shown]


def render(report, *, color: bool = False, **_options) -> str:
    return json.dumps(events(report), indent=2, ensure_ascii=False) + "\n"
