"""Baselines: compare a run with a previous JSON report by result fingerprint.

Each result is marked `new` or `unchanged`; failures of the previous report that no longer fail
(now passing, or gone) are listed as resolved. A periodic scan sends exactly this to a SIEM.
"""
from __future__ import annotations

import json
from typing import Sequence

from .engine import FAIL, STATUSES, Result
from .errors import UsageError


# Fields of a previous report's result that comparing reads, and the JSON types they may have.
_FIELDS = {"fingerprint": (str,), "status": (str,), "rule_id": (str,), "profile": (str, type(None)),
           "resource": (str, type(None)), "location": (dict, type(None)),
           "severity": (str, type(None)), "message": (str, type(None)),
           "suppressed": (dict, type(None))}


def read_baseline(path: str) -> list[dict]:
    from .safejson import JSONInputError, load_json_file

    try:
        data = load_json_file(path)
    except OSError as error:
        raise UsageError(f"--baseline {path}: {error.strerror or error}") from None
    except JSONInputError as error:
        raise UsageError(f"--baseline {path}: not a JSON report ({error})") from None
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list) or not all(
            isinstance(r, dict) and isinstance(r.get("fingerprint"), str) for r in results):
        raise UsageError(f"--baseline {path}: not an iam-auditor JSON report")
    for index, result in enumerate(results):
        for key, types in _FIELDS.items():
            value = result.get(key)
            if (value is not None or key in ("status", "rule_id")) and (
                    isinstance(value, bool) or not isinstance(value, types)):
                raise UsageError(f"--baseline {path}: result #{index + 1}: {key!r} must be "
                                 f"{' or '.join(_TYPE_NAMES[t] for t in types)}")
        if result["status"] not in STATUSES:
            raise UsageError(f"--baseline {path}: result #{index + 1}: 'status' must be one "
                             f"of {', '.join(STATUSES)}")
    return results


_TYPE_NAMES = {str: "a string", dict: "an object", type(None): "null"}


def _failing(result: dict) -> bool:
    return result.get("status") == FAIL and not result.get("suppressed")


def compare(results: Sequence[Result], previous: Sequence[dict]) -> list[dict]:
    """Mark `results` in place; return the resolved failures of `previous`."""
    before = {(r["fingerprint"], r.get("status")) for r in previous}
    for result in results:
        result.baseline = "unchanged" if (result.fingerprint, result.status) in before else "new"
    now_failing = {r.fingerprint for r in results if r.status == FAIL and r.suppressed is None}
    # A fixed finding's PASS has another location (none), hence another fingerprint: what the
    # rule now says of the same profile and resource tells "now passing" from "gone".
    now_by_place: dict[tuple, set[str]] = {}
    for r in results:
        now_by_place.setdefault((r.rule_id, r.profile, r.resource), set()).add(r.status)
    resolved = []
    for old in previous:
        if _failing(old) and old["fingerprint"] not in now_failing:
            place = now_by_place.get((old.get("rule_id"), old.get("profile"), old.get("resource")), set())
            now = "PASS" if place == {"PASS"} else (sorted(place - {FAIL})[0] if place - {FAIL} else "gone")
            resolved.append({key: old.get(key) for key in (
                "rule_id", "profile", "resource", "location", "severity", "message", "fingerprint")}
                | {"now": now})
    return resolved
