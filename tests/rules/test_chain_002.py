"""CHAIN-002 trust-allows-user: the role's trust policy admits the user."""
import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from scan_helpers import (ACCOUNT, ROLE_ARN, USER_ARN, denied_role, missing_role,  # noqa: E402
                          missing_user, role_state, run, view)

RULE = "CHAIN-002"
EXT = "c1f0e0b2-7d4e-4e8a-9a51-3f1b6f2d9c47"


def trust(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def admit(principal, effect="Allow", **extra):
    return {"Effect": effect, "Principal": {"AWS": principal}, "Action": "sts:AssumeRole", **extra}


def check(*statements, **kwargs):
    return run(RULE, view(role=role_state(trust_policy=trust(*statements)), **kwargs))


def test_user_arn_named_passes():
    [result] = check(admit(USER_ARN, Condition={"StringEquals": {"sts:ExternalId": EXT}}))
    assert (result.status, result.severity) == ("PASS", "high")
    assert USER_ARN in result.message and "its ARN" in result.message


def test_account_root_passes():
    [result] = check(admit(f"arn:aws:iam::{ACCOUNT}:root"))
    assert result.status == "PASS"
    assert "its account" in result.message


def test_bare_account_id_passes():
    [result] = check(admit(ACCOUNT))
    assert result.status == "PASS"
    assert "its account" in result.message


def test_other_user_fails():
    [result] = check(admit(f"arn:aws:iam::{ACCOUNT}:user/someone-else"))
    assert (result.status, result.severity) == ("FAIL", "high")
    assert "does not name" in result.message and USER_ARN in result.message


def test_other_account_fails():
    [result] = check(admit("arn:aws:iam::999999999999:root"))
    assert result.status == "FAIL"


def test_deny_for_user_fails():
    [result] = check(admit(USER_ARN), admit(USER_ARN, effect="Deny"))
    assert (result.status, result.severity) == ("FAIL", "high")
    assert "Deny" in result.message
    assert result.evidence["decision"] == "denied"


def test_wrong_external_id_still_admitted_here():
    [result] = check(admit(USER_ARN, Condition={"StringEquals": {"sts:ExternalId": "another-id-123456"}}))
    assert result.status == "PASS"


def test_missing_role_fails():
    [result] = run(RULE, view(role=missing_role()))
    assert (result.status, result.severity) == ("FAIL", "high")
    assert "does not exist" in result.message and ROLE_ARN in result.message


def test_get_role_denied_is_an_error():
    [result] = run(RULE, view(role=denied_role()))
    assert result.status == "ERROR"
    assert "iam:GetRole" in result.message


def test_missing_user_skips():
    [result] = check(admit(USER_ARN), user=missing_user())
    assert result.status == "SKIP"
    assert "does not exist" in result.message
