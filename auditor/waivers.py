"""Waivers: accepted risks mark matching results as suppressed; they never drop a result.

An expired waiver no longer applies; the report lists every waiver with its state, so an
expired one (and a stale one, that matched nothing) is visible rather than silently ignored.
"""
from __future__ import annotations

import datetime
from typing import Iterable, Sequence

from .engine import ERROR, FAIL, Result
from .evaluation import glob_match


def _matches(waiver, result: Result) -> bool:
    if waiver.rule != result.rule_id:
        return False
    if waiver.profile is not None and waiver.profile != result.profile:
        return False
    return waiver.resource is None or glob_match(waiver.resource, result.resource)


def apply_waivers(results: Iterable[Result], waivers: Sequence, today: datetime.date | None = None) -> list[dict]:
    """Mark results in place; return the waivers' states for the report."""
    today = today or datetime.datetime.now(datetime.timezone.utc).date()
    states = [{"rule": w.rule, "profile": w.profile, "resource": w.resource, "reason": w.reason,
               "expires": w.expires.isoformat() if w.expires else None,
               "state": "expired" if w.is_expired(today) else "active", "matched": 0}
              for w in waivers]
    for result in results:
        if result.status not in (FAIL, ERROR):
            continue  # a waiver accepts a finding; there is nothing to accept in a PASS or SKIP
        for waiver, state in zip(waivers, states):
            if not _matches(waiver, result):
                continue
            state["matched"] += 1
            if state["state"] == "expired":
                result.evidence.setdefault("expired_waivers", []).append(
                    {"reason": waiver.reason, "expired": state["expires"]})
                continue
            if result.suppressed is None:
                result.suppressed = {"reason": waiver.reason, "expires": state["expires"]}
    for state in states:
        if state["matched"] == 0 and state["state"] == "active":
            state["state"] = "stale"
    return states
