"""KEY-003: the access key configured in the product is an active key of the configured user."""
from __future__ import annotations

from auditor.engine import SCAN, RuleMeta, failed, passed, rule, skipped

from ._common import location
from ._keys import is_active, listed_keys

META = RuleMeta(
    id="KEY-003", name="profile-key-owner",
    title="The configured access key is an active key of the configured user",
    severity="high", steps=(5,),
    description="The profile's access_key_id must be one of the configured user's access keys, "
                "and active: otherwise the product authenticates as someone else or not at all "
                "(FAIL high). SKIP when the profile configures no access_key_id, or the user does "
                "not exist (CHAIN-001 reports it); ERROR when the user's keys could not be listed.",
    remediation="Configure in the product an active access key of the configured user (IAM "
                "console: the user's Security credentials tab), or fix the profile's user.",
    subject="user",
)

LOCATION = location("profile", key="access_key_id")


@rule(META, SCAN)
def check(view, settings):
    key_id = view.profile.access_key_id
    if not key_id:
        yield skipped("the profile configures no access_key_id", location=LOCATION)
        return
    key_id = str(key_id).strip()
    keys = listed_keys(view)
    user = view.user.name if view.user is not None else view.profile.user
    evidence = {"access_key_id": key_id,
                "user_keys": {k.access_key_id: k.status for k in keys}}
    match = next((k for k in keys if k.access_key_id == key_id), None)
    if match is None:
        yield failed(f"the configured access key {key_id} is not a key of the user {user} "
                     f"(its keys: {', '.join(k.access_key_id for k in keys) or 'none'})",
                     location=LOCATION, severity="high", evidence=evidence)
    elif not is_active(match):
        yield failed(f"the configured access key {key_id} of the user {user} is {match.status}: "
                     "the product cannot authenticate with it", location=LOCATION,
                     severity="high",
                     remediation=f"Reactivate key {key_id} if it is not compromised, or configure "
                                 "an active key of the user in the product.",
                     evidence=evidence)
    else:
        yield passed(f"the configured access key {key_id} is an active key of the user {user}",
                     location=LOCATION, evidence=evidence)
