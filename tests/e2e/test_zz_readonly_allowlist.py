"""Seen from the moto server: every call the auditor made in the end-to-end suite is a read of
its allowlist (this module runs after the others; it also scans once itself, to run alone)."""
import base64
import json
import re
from urllib.parse import parse_qs

from auditor.readonly import ALLOWED_OPERATIONS, ALWAYS_REFUSED
from conftest import RECORDING
from test_scan_e2e import narrow_setup

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


def auditor_calls(path):
    calls = []
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        headers = {k.lower(): v for k, v in entry["headers"].items()}
        if "iam-auditor/" not in headers.get("user-agent", ""):
            continue
        service = _SCOPE.search(headers.get("authorization", ""))
        body = entry.get("body") or ""
        if entry.get("body_encoded"):
            body = base64.b64decode(body).decode()
        action = parse_qs(body).get("Action", [None])[0] or headers.get("x-amz-target", "").split(".")[-1]
        calls.append(f"{service.group(1) if service else '?'}:{action}")
    return calls


def test_auditor_made_only_allowlisted_reads(account):
    account.scan(account.config(narrow_setup(account)), env={"CATALOG_SECRET": "x" * 40})
    calls = auditor_calls(RECORDING["path"])
    assert calls, "the recording holds no call of the auditor"
    outside = sorted({c for c in calls if c not in ALLOWED_OPERATIONS or c in ALWAYS_REFUSED})
    assert outside == [], outside
    assert "iam:GetRole" in calls and "sts:GetCallerIdentity" in calls
