"""CHAIN-003 external-id-accepted: the configured external ID satisfies the trust condition."""
import json
import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import pytest  # noqa: E402

from scan_helpers import USER_ARN, profile, role_state, run, view  # noqa: E402

RULE = "CHAIN-003"
EXT = "abcSecretExternalId-2024-XYZ"


def trust_with(operator=None, value=None):
    statement = {"Effect": "Allow", "Principal": {"AWS": USER_ARN}, "Action": "sts:AssumeRole"}
    if operator:
        statement["Condition"] = {operator: {"sts:ExternalId": value}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def check(operator=None, value=None, external_id=EXT):
    return run(RULE, view(profile(external_id=external_id),
                          role=role_state(trust_policy=trust_with(operator, value))))


def assert_masked(result, external_id=EXT):
    dumped = json.dumps(result.to_dict(), ensure_ascii=False)
    assert external_id not in dumped
    assert json.dumps(result.to_dict()).count(external_id) == 0


def test_string_equals_matching_passes():
    [result] = check("StringEquals", EXT)
    assert (result.status, result.severity) == ("PASS", "high")
    assert "satisfies" in result.message
    assert_masked(result)


def test_string_equals_not_matching_fails_high():
    [result] = check("StringEquals", "someOtherExternalId-0000")
    assert (result.status, result.severity) == ("FAIL", "high")
    assert "StringEquals" in result.message and "AssumeRole will fail" in result.message
    assert result.location["document"] == "trust-policy"
    assert_masked(result)


def test_string_like_glob_matching_passes():
    [result] = check("StringLike", "abc*")
    assert result.status == "PASS"
    assert_masked(result)


def test_string_like_glob_not_matching_fails():
    [result] = check("StringLike", "xyz*")
    assert (result.status, result.severity) == ("FAIL", "high")
    assert "StringLike" in result.message
    assert_masked(result)


def test_string_equals_ignore_case_passes():
    [result] = check("StringEqualsIgnoreCase", EXT.upper())
    assert result.status == "PASS"
    assert_masked(result)


def test_string_equals_different_case_fails():
    [result] = check("StringEquals", EXT.upper())
    assert result.status == "FAIL"
    assert_masked(result)


def test_no_external_id_condition_passes():
    [result] = check()
    assert (result.status, result.severity) == ("PASS", "high")
    assert "no sts:ExternalId condition" in result.message
    assert_masked(result)


@pytest.mark.parametrize("operator,value", [("StringEquals", EXT), ("StringEquals", "nope-nope-nope-1")])
def test_evidence_carries_masked_id(operator, value):
    [result] = check(operator, value)
    assert result.evidence["external_id"] == EXT[:3] + "…"
    assert_masked(result)
