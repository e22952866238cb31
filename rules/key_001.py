"""KEY-001: the user's active access keys are rotated."""
from __future__ import annotations

from datetime import timedelta

from auditor.engine import SCAN, RuleMeta, errored, failed, passed, rule

from ._keys import active_keys, day, key_location, now, parse_time

META = RuleMeta(
    id="KEY-001", name="access-key-rotated", title="The user's access keys are rotated",
    severity="medium", steps=(3,),
    description="Each active access key of the user must be younger than access_key_max_age_days "
                "(default 90): one FAIL per older key. Inactive keys are not counted. A user with "
                "no active access key gives SKIP (there is nothing to rotate; KEY-003 checks the "
                "key the product is configured with); a user whose keys could not be listed "
                "gives ERROR, and a missing user SKIP (CHAIN-001 reports it).",
    remediation="Rotate the key: create a second access key for the user, configure it in the "
                "product, check the connection, then deactivate and delete the old key.",
    subject="user",
)


@rule(META, SCAN)
def check(view, settings):
    max_age = (settings or view.settings).access_key_max_age_days
    active = active_keys(view)
    current = now()
    problems = 0
    for key in active:
        created = parse_time(key.created)
        if created is None:
            problems += 1
            yield errored(f"access key {key.access_key_id} has no readable creation date "
                          f"({key.created!r})", location=key_location(key.access_key_id))
            continue
        age = current - created
        if age > timedelta(days=max_age):
            problems += 1
            yield failed(f"active access key {key.access_key_id} was created on {day(created)}, "
                         f"{age.days} days ago (more than {max_age} days, access_key_max_age_days)",
                         location=key_location(key.access_key_id),
                         evidence={"access_key_id": key.access_key_id, "created": key.created,
                                   "age_days": age.days, "max_age_days": max_age})
    if not problems:
        yield passed(f"every active access key ({len(active)}) is at most {max_age} days old",
                     evidence={"active_keys": [k.access_key_id for k in active]})
