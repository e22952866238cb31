"""KEY-002: the user has one active access key, and it is in use."""
from __future__ import annotations

from datetime import timedelta

from auditor.engine import SCAN, RuleMeta, errored, failed, passed, rule

from ._common import location
from ._keys import active_keys, day, key_location, last_used_error, now, parse_time

META = RuleMeta(
    id="KEY-002", name="access-key-hygiene", title="The user has one active access key, in use",
    severity="low", steps=(3,),
    description="The user should have exactly one active access key, the one the product uses. "
                "FAIL when the user has more than one active key, and for each active key that "
                "was never used or not used within access_key_max_age_days (default 90). A key "
                "created within new_key_grace_days (default 7) and not used yet is a PASS with a "
                "note: before go-live the product has not used it yet. A user "
                "with no active key gives SKIP; keys that could not be listed, or whose last use "
                "could not be read (iam:GetAccessKeyLastUsed), give ERROR.",
    remediation="Deactivate and delete every access key the product does not use.",
    subject="user",
)


@rule(META, SCAN)
def check(view, settings):
    settings = settings or view.settings
    max_age = settings.access_key_max_age_days
    grace = getattr(settings, "new_key_grace_days", 0)
    active = active_keys(view)
    ids = [k.access_key_id for k in active]
    problems = 0
    if len(active) > 1:
        problems += 1
        yield failed(f"the user has {len(active)} active access keys ({', '.join(ids)}); the "
                     "product needs only one", location=location("access-keys"),
                     remediation="Keep active only the key configured in the product; deactivate "
                                 "and delete the others.",
                     evidence={"active_keys": ids})
    error = last_used_error(view)
    if error is not None:
        yield errored(f"could not check when the access keys were last used: {error.describe()}",
                      location=location("access-keys", check="last-used"))
        return
    current = now()
    for key in active:
        where = key_location(key.access_key_id)
        if key.last_used is None:
            created = parse_time(key.created)
            if created is not None and current - created <= timedelta(days=grace):
                problems += 1     # reported here, as a PASS with its note
                age = (current - created).days
                yield passed(f"active access key {key.access_key_id} was created on {day(created)}"
                             f" ({age} day{'s' if age != 1 else ''} ago) and has not been used "
                             f"yet: expected before go-live (new_key_grace_days: {grace})",
                             location=where,
                             evidence={"access_key_id": key.access_key_id, "created": key.created,
                                       "last_used": None, "grace_days": grace})
                continue
            problems += 1
            since = f" (created on {day(created)})" if created else ""
            yield failed(f"active access key {key.access_key_id} has never been used{since}",
                         location=where,
                         remediation=f"Configure key {key.access_key_id} in the product, or "
                                     "deactivate and delete it.",
                         evidence={"access_key_id": key.access_key_id, "created": key.created,
                                   "last_used": None})
            continue
        last_used = parse_time(key.last_used)
        if last_used is None:
            problems += 1
            yield errored(f"access key {key.access_key_id} has an unreadable last-use date "
                          f"({key.last_used!r})", location=where)
            continue
        idle = current - last_used
        if idle > timedelta(days=max_age):
            problems += 1
            yield failed(f"active access key {key.access_key_id} was last used on "
                         f"{day(last_used)}, {idle.days} days ago (more than {max_age} days, "
                         "access_key_max_age_days)", location=where,
                         remediation=f"Deactivate and delete key {key.access_key_id} if nothing "
                                     "uses it any more.",
                         evidence={"access_key_id": key.access_key_id, "last_used": key.last_used,
                                   "idle_days": idle.days, "max_age_days": max_age})
    if not problems:
        yield passed(f"the user has one active access key ({ids[0]}), last used within "
                     f"{max_age} days", evidence={"active_keys": ids})
