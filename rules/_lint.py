"""What every lint check does with documents it does not apply to."""
from __future__ import annotations

import functools

from auditor.engine import skipped
from auditor.policy import IDENTITY, TRUST


def readable_only(check):
    """For checks of every kind of document: SKIP what could not be read or is no policy."""
    @functools.wraps(check)
    def wrapper(doc, settings):
        if doc.error is not None:
            return [skipped(f"{doc.label} could not be read (see POLICY-001)")]
        if not doc.policy.statements and not doc.policy.is_valid:
            return [skipped(f"{doc.label} is not a valid policy document (see POLICY-001)")]
        return check(doc, settings)
    return wrapper


def _only(kind: str):
    def decorate(check):
        @readable_only
        @functools.wraps(check)
        def wrapper(doc, settings):
            if doc.policy.kind != kind:
                article = "an" if doc.policy.kind == IDENTITY else "a"
                return [skipped(f"applies to {kind} policies; this is {article} {doc.policy.kind} policy")]
            return check(doc, settings)
        return wrapper
    return decorate


identity_only = _only(IDENTITY)
trust_only = _only(TRUST)
