"""LP-004 user-excess-permissions: the user may only assume the role (and GetCallerIdentity)."""
import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from auditor.snapshot import NamedPolicy  # noqa: E402
from scan_helpers import ROLE_ARN, USER_NAME, denied, key, run, user_state, view  # noqa: E402

RULE = "LP-004"
GOOD = ({"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE_ARN},
        {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"})


def named(*statements, name="p", source="user"):
    return NamedPolicy(name=name, kind="inline", source=source,
                       document={"Version": "2012-10-17", "Statement": list(statements)})


def check(*policies, **changes):
    return run(RULE, view(user=user_state(key(), policies=tuple(policies), **changes)))


def test_only_assume_role_and_caller_identity_passes():
    [result] = check(named(*GOOD))
    assert (result.status, result.severity) == ("PASS", "medium")


def test_extra_action_fails_medium():
    [result] = check(named(*GOOD), named({"Effect": "Allow", "Action": "s3:ListAllMyBuckets",
                                          "Resource": "*"}, name="extra", source="group:g"))
    assert (result.status, result.severity) == ("FAIL", "medium")
    assert "s3:ListAllMyBuckets" in result.message
    assert "group:g" in result.message


def test_login_profile_fails():
    [result] = check(named(*GOOD), has_login_profile=True)
    assert (result.status, result.severity) == ("FAIL", "medium")
    assert "console password" in result.message
    assert USER_NAME in result.remediation


def test_login_profile_denied_is_an_error():
    [result] = check(named(*GOOD), has_login_profile=None, errors=(denied("iam:GetLoginProfile"),))
    assert result.status == "ERROR"
    assert "iam:GetLoginProfile" in result.message
