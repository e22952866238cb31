"""Helpers shared by the KEY rules: the user's access keys and their timestamps."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from auditor.engine import SKIP, Unavailable

from ._common import location

if TYPE_CHECKING:  # the snapshot module is only needed when a scan runs
    from auditor.snapshot import AccessKey, CallError

NO_SUCH_ENTITY = "NoSuchEntity"  # auditor.snapshot.NO_SUCH_ENTITY, without importing it at start
LAST_USED_OPERATION = "iam:GetAccessKeyLastUsed"


def listed_keys(view) -> tuple[AccessKey, ...]:
    """The user's access keys as iam:ListAccessKeys returned them.

    Unlike `ProfileView.access_keys()`, a denied iam:GetAccessKeyLastUsed does not make the keys
    unavailable: only the rules that read `last_used` need it (see `last_used_error`).
    """
    user = view.require_user("iam:ListAccessKeys", what="the user's access keys")
    if user.access_keys is None:
        raise Unavailable("ERROR", "the user's access keys were not collected")
    return user.access_keys


def last_used_error(view) -> CallError | None:
    """The first failure of iam:GetAccessKeyLastUsed for the user (its `last_used` is unknown)."""
    for error in view.user.errors if view.user is not None else ():
        if error.operation == LAST_USED_OPERATION and error.kind != NO_SUCH_ENTITY:
            return error
    return None


def is_active(key: AccessKey) -> bool:
    return str(key.status).lower() == "active"


def active_keys(view) -> list[AccessKey]:
    """The user's active keys; a user without one makes the KEY rules SKIP."""
    active = [k for k in listed_keys(view) if is_active(k)]
    if not active:
        raise Unavailable(SKIP, "the user has no active access key")
    return active


def now() -> datetime:
    """The current time (UTC). Each KEY rule calls it through its own module's name, so a test
    can replace `rules.key_001.now` alone."""
    return datetime.now(timezone.utc)


def parse_time(text: str | None) -> datetime | None:
    """An ISO 8601 timestamp (possibly ending in Z) as an aware UTC datetime; None if unreadable."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def key_location(key_id: str) -> dict:
    return location("access-keys", key=key_id)


def day(value: datetime) -> str:
    return value.strftime("%Y-%m-%d")
