"""CHAIN-001 user-can-assume-role: the user's effective permissions allow sts:AssumeRole on the role."""
import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from auditor.snapshot import NamedPolicy, UserState  # noqa: E402
from scan_helpers import (ROLE_ARN, USER_ARN, USER_NAME, denied, key, missing_user,  # noqa: E402
                          run, user_state, view)

RULE = "CHAIN-001"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action="sts:AssumeRole", resource=ROLE_ARN, **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action="sts:AssumeRole", resource=ROLE_ARN):
    return {"Effect": "Deny", "Action": action, "Resource": resource}


def named(document, name="assume", source="user", kind="inline"):
    return NamedPolicy(name=name, kind=kind, source=source, document=document)


def check(*policies, **user_changes):
    return run(RULE, view(user=user_state(key(), policies=tuple(policies), **user_changes)))


def test_inline_user_policy_allows_passes():
    [result] = check(named(doc(allow())))
    assert (result.status, result.severity) == ("PASS", "high")
    assert "sts:AssumeRole" in result.message and ROLE_ARN in result.message
    assert result.evidence["decision"] == "allowed"
    assert any("user:inline:assume" in s for s in result.evidence["allowed_by"])


def test_group_policy_allows_passes():
    [result] = check(named(doc(allow()), name="grp-assume", source="group:g", kind="managed"))
    assert result.status == "PASS"
    assert any("group:g" in s for s in result.evidence["allowed_by"])


def test_wildcard_action_case_insensitive_passes():
    [result] = check(named(doc(allow(action="STS:Assume*", resource="arn:aws:iam::*:role/read_*"))))
    assert result.status == "PASS"


def test_explicit_deny_wins_fails():
    [result] = check(named(doc(allow())), named(doc(deny(resource="*")), name="deny", source="group:g"))
    assert (result.status, result.severity) == ("FAIL", "high")
    assert "explicit Deny" in result.message
    assert result.evidence["decision"] == "denied"
    assert result.evidence["denied_by"]


def test_no_policy_fails():
    [result] = check()
    assert (result.status, result.severity) == ("FAIL", "high")
    assert "no policy of the user allows sts:AssumeRole" in result.message


def test_policy_on_other_role_fails():
    [result] = check(named(doc(allow(resource="arn:aws:iam::123456789012:role/other"))))
    assert result.status == "FAIL"


def test_boundary_not_allowing_fails():
    boundary = NamedPolicy("bnd", "managed", "boundary", doc(allow(action="s3:GetObject", resource="*")),
                           arn="arn:aws:iam::123456789012:policy/bnd")
    [result] = check(named(doc(allow())), has_boundary=True, boundary=boundary)
    assert (result.status, result.severity) == ("FAIL", "high")
    assert "boundary" in result.message


def test_boundary_allowing_passes():
    boundary = NamedPolicy("bnd", "managed", "boundary", doc(allow(resource="*")))
    [result] = check(named(doc(allow())), has_boundary=True, boundary=boundary)
    assert result.status == "PASS"


def test_conditional_allow_passes_with_note():
    cond = {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
    [result] = check(named(doc(allow(Condition=cond))))
    assert result.status == "PASS"
    assert "conditions" in result.message
    assert result.evidence["decision"] == "conditional"


def test_missing_user_fails():
    [result] = run(RULE, view(user=missing_user()))
    assert (result.status, result.severity) == ("FAIL", "high")
    assert "does not exist" in result.message and USER_NAME in result.message


def test_get_user_denied_is_an_error():
    user = UserState(USER_NAME, USER_ARN, None, errors=(denied("iam:GetUser"),))
    [result] = run(RULE, view(user=user))
    assert result.status == "ERROR"
    assert "iam:GetUser" in result.message


def test_list_policies_denied_is_an_error():
    [result] = run(RULE, view(user=user_state(key(), errors=(denied("iam:ListAttachedUserPolicies"),))))
    assert result.status == "ERROR"
