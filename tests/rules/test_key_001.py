"""KEY-001 access-key-rotated: one FAIL per active key older than access_key_max_age_days."""
import sys
from datetime import datetime, timezone
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import pytest  # noqa: E402

import rules.key_001  # noqa: E402
from auditor.settings import Settings  # noqa: E402
from scan_helpers import (KEY_ID, OTHER_KEY_ID, denied, key, keys_denied_user,  # noqa: E402
                          missing_user, run, statuses, user_state, view)

RULE = "KEY-001"
NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(rules.key_001, "now", lambda: NOW)


def check(*keys, settings=None, **user_changes):
    return run(RULE, view(user=user_state(*keys, **user_changes)), settings)


def test_young_key_passes():
    [result] = check(key(created="2024-12-01T00:00:00Z"))
    assert (result.status, result.severity) == ("PASS", "medium")


def test_exactly_max_age_passes():
    [result] = check(key(created="2024-10-03T00:00:00Z"))   # 90 days before NOW
    assert result.status == "PASS"


def test_old_active_key_fails_with_its_location():
    [result] = check(key(created="2024-01-01T00:00:00Z"))
    assert (result.status, result.severity) == ("FAIL", "medium")
    assert result.location == {"document": "access-keys", "key": KEY_ID}
    assert KEY_ID in result.message and "366 days" in result.message and "2024-01-01" in result.message
    assert result.evidence["age_days"] == 366


def test_one_fail_per_old_key_and_inactive_keys_ignored():
    results = check(key(KEY_ID, created="2023-01-01T00:00:00Z"),
                    key(OTHER_KEY_ID, created="2023-06-01T00:00:00+00:00"),
                    key("AKIAOLDINACTIVEKEY00", status="Inactive", created="2020-01-01T00:00:00Z"))
    assert statuses(results) == [("FAIL", "medium"), ("FAIL", "medium")]
    assert [r.location["key"] for r in results] == [KEY_ID, OTHER_KEY_ID]
    assert len({r.fingerprint for r in results}) == 2


def test_old_and_young_keys_give_only_the_fail():
    results = check(key(KEY_ID, created="2023-01-01T00:00:00Z"),
                    key(OTHER_KEY_ID, created="2024-12-30T00:00:00Z"))
    assert statuses(results) == [("FAIL", "medium")]


def test_max_age_comes_from_the_settings():
    results = check(key(created="2024-12-01T00:00:00Z"), settings=Settings(access_key_max_age_days=10))
    assert statuses(results) == [("FAIL", "medium")]


def test_naive_timestamp_is_read_as_utc():
    assert statuses(check(key(created="2024-12-01T00:00:00"))) == [("PASS", "medium")]


def test_unreadable_creation_date_is_an_error():
    assert statuses(check(key(created="yesterday"))) == [("ERROR", "medium")]


def test_no_active_key_skips():
    [result] = check(key(status="Inactive", created="2020-01-01T00:00:00Z"))
    assert result.status == "SKIP"
    assert "no active access key" in result.message
    assert check()[0].status == "SKIP"


def test_list_access_keys_denied_is_an_error():
    [result] = run(RULE, view(user=keys_denied_user()))
    assert result.status == "ERROR"
    assert "iam:ListAccessKeys" in result.message


def test_last_used_denied_does_not_block_the_age_check():
    results = check(key(created="2023-01-01T00:00:00Z", last_used=None),
                    errors=(denied("iam:GetAccessKeyLastUsed"),))
    assert statuses(results) == [("FAIL", "medium")]


def test_missing_user_skips():
    assert run(RULE, view(user=missing_user()))[0].status == "SKIP"


def test_default_clock_is_utc_now(monkeypatch):
    monkeypatch.undo()
    assert rules.key_001.now().tzinfo is not None
    assert abs((datetime.now(timezone.utc) - rules.key_001.now()).total_seconds()) < 5
