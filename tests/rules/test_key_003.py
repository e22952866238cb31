"""KEY-003 profile-key-owner: the configured access_key_id is an active key of the user."""
import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from scan_helpers import (KEY_ID, OTHER_KEY_ID, USER_NAME, denied, key,  # noqa: E402
                          keys_denied_user, missing_user, profile, run, statuses, user_state, view)

RULE = "KEY-003"
LOCATION = {"document": "profile", "key": "access_key_id"}


def check(access_key_id, *keys, **user_changes):
    return run(RULE, view(profile(access_key_id=access_key_id), user=user_state(*keys, **user_changes)))


def test_active_key_of_the_user_passes():
    [result] = check(KEY_ID, key(KEY_ID), key(OTHER_KEY_ID, status="Inactive"))
    assert (result.status, result.severity) == ("PASS", "high")
    assert result.location == LOCATION


def test_key_of_someone_else_fails_high():
    [result] = check(OTHER_KEY_ID, key(KEY_ID))
    assert (result.status, result.severity) == ("FAIL", "high")
    assert OTHER_KEY_ID in result.message and USER_NAME in result.message
    assert result.location == LOCATION
    assert result.evidence["user_keys"] == {KEY_ID: "Active"}


def test_user_without_keys_fails():
    assert statuses(check(KEY_ID)) == [("FAIL", "high")]


def test_inactive_key_fails_high():
    [result] = check(KEY_ID, key(KEY_ID, status="Inactive"))
    assert (result.status, result.severity) == ("FAIL", "high")
    assert "Inactive" in result.message


def test_no_key_configured_skips():
    assert statuses(check(None, key(KEY_ID))) == [("SKIP", "high")]
    assert statuses(check("", key(KEY_ID))) == [("SKIP", "high")]


def test_list_access_keys_denied_is_an_error():
    [result] = run(RULE, view(profile(access_key_id=KEY_ID), user=keys_denied_user()))
    assert result.status == "ERROR"
    assert "iam:ListAccessKeys" in result.message


def test_last_used_denied_does_not_matter():
    results = check(KEY_ID, key(KEY_ID), errors=(denied("iam:GetAccessKeyLastUsed"),))
    assert statuses(results) == [("PASS", "high")]


def test_missing_user_skips():
    [result] = run(RULE, view(profile(access_key_id=KEY_ID), user=missing_user()))
    assert result.status == "SKIP"
    assert "does not exist" in result.message


def test_get_user_denied_is_an_error():
    user = user_state(key(KEY_ID), exists=None, access_keys=None, errors=(denied("iam:GetUser"),))
    assert run(RULE, view(profile(access_key_id=KEY_ID), user=user))[0].status == "ERROR"
