"""`--format ocsf`: a JSON array of OCSF 1.1.0 Detection Finding events, one per emitted result.

Detection Finding is class 2004 in category 2 (Findings); every event is a Create activity, so
`type_uid` = 2004 * 100 + 1 = 200401. The result's own status (PASS, FAIL, ERROR, SKIP) is the
source's status code (`status_code`); `status_id` is the finding's lifecycle: New, or Suppressed
when a waiver matched. With `--baseline`, a FAIL or ERROR already in the baseline is In Progress
(an Update activity), and each baseline failure that no longer fails is one more event, Resolved
(a Close activity), with `status_code` RESOLVED. Severity: a FAIL or an ERROR (a check that could not be made) carries the
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
ACTIVITY_CREATE, ACTIVITY_UPDATE, ACTIVITY_CLOSE = 1, 2, 3
ACTIVITY_NAMES = {ACTIVITY_CREATE: "Create", ACTIVITY_UPDATE: "Update", ACTIVITY_CLOSE: "Close"}
TYPE_UID = CLASS_UID * 100 + ACTIVITY_CREATE          # 200401
SEVERITY_IDS = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
SEVERITY_CAPTIONS = {1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical"}
STATUS_NEW, STATUS_IN_PROGRESS, STATUS_SUPPRESSED, STATUS_RESOLVED = 1, 2, 3, 4
STATUS_CAPTIONS = {STATUS_NEW: "New", STATUS_IN_PROGRESS: "In Progress",
                   STATUS_SUPPRESSED: "Suppressed", STATUS_RESOLVED: "Resolved"}
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
    activity = ACTIVITY_CREATE
    if result.suppressed is not None:
        status_id = STATUS_SUPPRESSED
    elif result.baseline == "unchanged" and result.status in ("FAIL", "ERROR"):
        status_id, activity = STATUS_IN_PROGRESS, ACTIVITY_UPDATE
    else:
        status_id = STATUS_NEW
    cloud = _drop_none({"provider": "AWS", "region": result.region})
    if result.account_id:
        # `name` is only recommended by OCSF; stricter consumers require it, and the scan knows no
        # account alias, so it repeats the ID.
        cloud["account"] = {"uid": result.account_id, "name": result.account_id,
                            "type_id": ACCOUNT_AWS, "type": "AWS Account"}
    return _drop_none({
        **_activity(activity),
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


def _activity(activity: int) -> dict:
    return {"activity_id": activity, "activity_name": ACTIVITY_NAMES[activity],
            "category_uid": CATEGORY_UID, "category_name": CATEGORY_NAME,
            "class_uid": CLASS_UID, "class_name": CLASS_NAME,
            "type_uid": CLASS_UID * 100 + activity,
            "type_name": f"{CLASS_NAME}: {ACTIVITY_NAMES[activity]}"}


def resolved_event(old: dict, time_ms: int) -> dict:
    """A baseline failure that no longer fails: the finding closed, Resolved."""
    severity_id = SEVERITY_IDS.get(old.get("severity"), 1)
    message = f"resolved since the baseline: {old.get('message')}"
    return _drop_none({
        **_activity(ACTIVITY_CLOSE),
        "time": time_ms,
        "severity_id": severity_id,
        "severity": SEVERITY_CAPTIONS[severity_id],
        "status_id": STATUS_RESOLVED,
        "status": STATUS_CAPTIONS[STATUS_RESOLVED],
        "status_code": "RESOLVED",
        "status_detail": f"now {old.get('now')}",
        "message": message,
        "finding_info": {
            "uid": old.get("fingerprint"),
            "title": old.get("rule_id"),
            "desc": message,
            "modified_time": time_ms,
            "types": ["iam-auditor RESOLVED"],
            "analytic": {"uid": old.get("rule_id"), "type_id": ANALYTIC_RULE, "type": "Rule"},
        },
        "resources": [_drop_none({"uid": old.get("resource")})],
        "cloud": {"provider": "AWS"},
        "metadata": {"version": OCSF_VERSION, "product": dict(PRODUCT), "profiles": ["cloud"]},
        "unmapped": {"iam_auditor": {**old, "baseline": "resolved"}},
    })


def events(report) -> list[dict]:
    time_ms = epoch_ms(report.generated_at)
    return [event(result, time_ms) for result in report.shown] + \
        [resolved_event(old, time_ms) for old in report.extra.get("resolved") or ()]


def render(report, *, color: bool = False, **_options) -> str:
    return json.dumps(events(report), indent=2, ensure_ascii=False) + "\n"
