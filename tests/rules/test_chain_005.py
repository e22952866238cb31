"""CHAIN-005 sts-duration-valid: 900 < sts_duration < the role's MaxSessionDuration."""
import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import pytest  # noqa: E402

from scan_helpers import (denied, denied_role, missing_role, profile, role_state, run,  # noqa: E402
                          statuses, view)

RULE = "CHAIN-005"


def check(duration, maximum=3600):
    return run(RULE, view(profile(sts_duration=duration), role_state(maximum)))


@pytest.mark.parametrize("duration,maximum", [(901, 3600), (1800, 3600), (3599, 3600), (3600, 43200)])
def test_strictly_inside_the_range_passes(duration, maximum):
    [result] = check(duration, maximum)
    assert result.status == "PASS"
    assert f"D={duration}" in result.message and f"M={maximum}" in result.message
    assert result.location == {"document": "profile", "key": "sts_duration"}


@pytest.mark.parametrize("duration", [0, 899, 3601, 43200])
def test_rejected_by_assume_role_fails_high(duration):
    [result] = check(duration)
    assert (result.status, result.severity) == ("FAIL", "high")
    assert f"D={duration}" in result.message and "M=3600" in result.message
    assert "900 < D < 3600" in result.message
    assert result.evidence["valid_range"] == "900 < D < 3600"
    assert "between 900 and 3600" in result.remediation


def test_above_maximum_suggests_raising_the_role_maximum():
    [result] = check(7200)
    assert "raise the role's maximum session duration above 7200" in result.remediation


@pytest.mark.parametrize("duration", [900, 3600])
def test_on_a_bound_fails_medium(duration):
    [result] = check(duration)
    assert (result.status, result.severity) == ("FAIL", "medium")
    assert "AWS accepts it" in result.message


def test_severity_override_applies():
    from auditor.engine import SCAN, Engine, Target
    payload = view(profile(sts_duration=100))
    target = Target(resource=payload.role_arn, resource_type="AwsIamRole", payload=payload)
    [result] = Engine(SCAN, only=[RULE], severity_overrides={RULE: "low"}).run(target, payload.settings)
    assert (result.status, result.severity) == ("FAIL", "low")


def test_unknown_max_session_duration_is_an_error():
    assert statuses(check(1800, None)) == [("ERROR", "high")]


def test_missing_role_skips():
    [result] = run(RULE, view(role=missing_role()))
    assert result.status == "SKIP"
    assert "does not exist" in result.message


def test_get_role_denied_is_an_error():
    [result] = run(RULE, view(role=denied_role()))
    assert result.status == "ERROR"
    assert "iam:GetRole" in result.message


def test_get_role_denied_on_an_existing_role_is_an_error():
    [result] = run(RULE, view(role=role_state(3600, errors=(denied("iam:GetRole"),))))
    assert result.status == "ERROR"


def test_fingerprint_is_stable_across_messages():
    assert check(100)[0].fingerprint == check(5000)[0].fingerprint
