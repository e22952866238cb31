"""KEY-002 access-key-hygiene: one active key, used within access_key_max_age_days."""
import sys
from datetime import datetime, timezone
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import pytest  # noqa: E402

import rules.key_002  # noqa: E402
from auditor.settings import Settings  # noqa: E402
from scan_helpers import (KEY_ID, OTHER_KEY_ID, denied, key, keys_denied_user,  # noqa: E402
                          missing_user, run, statuses, user_state, view)

RULE = "KEY-002"
NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)
RECENT = "2024-12-20T08:00:00Z"


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(rules.key_002, "now", lambda: NOW)


def check(*keys, settings=None, **user_changes):
    return run(RULE, view(user=user_state(*keys, **user_changes)), settings)


def test_one_recently_used_key_passes():
    [result] = check(key(last_used=RECENT), key(OTHER_KEY_ID, status="Inactive", last_used=None))
    assert (result.status, result.severity) == ("PASS", "low")
    assert KEY_ID in result.message


def test_two_active_keys_fail_once():
    [result] = check(key(KEY_ID, last_used=RECENT), key(OTHER_KEY_ID, last_used=RECENT))
    assert (result.status, result.severity) == ("FAIL", "low")
    assert result.location == {"document": "access-keys"}
    assert KEY_ID in result.message and OTHER_KEY_ID in result.message
    assert result.evidence["active_keys"] == [KEY_ID, OTHER_KEY_ID]


def test_never_used_key_fails():
    [result] = check(key(last_used=None))
    assert (result.status, result.severity) == ("FAIL", "low")
    assert result.location == {"document": "access-keys", "key": KEY_ID}
    assert "never been used" in result.message and "2024-05-01" in result.message


def test_long_unused_key_fails():
    [result] = check(key(last_used="2024-06-01T10:00:00Z"))
    assert result.status == "FAIL"
    assert "213 days ago" in result.message and "2024-06-01" in result.message


def test_all_problems_reported_separately():
    results = check(key(KEY_ID, last_used=None), key(OTHER_KEY_ID, last_used="2020-01-01T00:00:00Z"))
    assert statuses(results) == [("FAIL", "low")] * 3
    assert [r.location for r in results] == [
        {"document": "access-keys"},
        {"document": "access-keys", "key": KEY_ID},
        {"document": "access-keys", "key": OTHER_KEY_ID}]


def test_max_age_comes_from_the_settings():
    relaxed = Settings(access_key_max_age_days=365)
    assert statuses(check(key(last_used="2024-06-01T10:00:00Z"), settings=relaxed)) == [("PASS", "low")]


def test_no_active_key_skips():
    [result] = check(key(status="Inactive"))
    assert result.status == "SKIP"
    assert "no active access key" in result.message


def test_list_access_keys_denied_is_an_error():
    [result] = run(RULE, view(user=keys_denied_user()))
    assert result.status == "ERROR"
    assert "iam:ListAccessKeys" in result.message


def test_last_used_denied_is_an_error_but_key_count_still_checked():
    results = check(key(KEY_ID, last_used=None), key(OTHER_KEY_ID, last_used=None),
                    errors=(denied("iam:GetAccessKeyLastUsed"),))
    assert statuses(results) == [("FAIL", "low"), ("ERROR", "low")]
    assert "iam:GetAccessKeyLastUsed" in results[1].message


def test_missing_user_skips():
    assert run(RULE, view(user=missing_user()))[0].status == "SKIP"


def test_new_unused_key_within_grace_passes_with_a_note():
    [result] = check(key(created="2024-12-28T09:00:00Z", last_used=None))
    assert result.status == "PASS"
    assert "has not been used yet" in result.message and "new_key_grace_days: 7" in result.message
    assert result.evidence["grace_days"] == 7


def test_unused_key_past_grace_fails():
    [result] = check(key(created="2024-12-20T09:00:00Z", last_used=None))
    assert (result.status, result.severity) == ("FAIL", "low")
    assert "never been used" in result.message


def test_grace_zero_turns_it_off():
    [result] = check(key(created="2024-12-31T23:00:00Z", last_used=None),
                     settings=Settings(new_key_grace_days=0))
    assert result.status == "FAIL"


def test_grace_does_not_hide_a_second_active_key():
    results = check(key(KEY_ID, created="2024-12-30T09:00:00Z", last_used=None),
                    key(OTHER_KEY_ID, last_used=RECENT))
    assert sorted(statuses(results)) == [("FAIL", "low"), ("PASS", "low")]
