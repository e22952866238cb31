"""TRUST-005 trust-extra-principals (lint): a trust policy naming more than one principal FAILs low."""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# lint_helpers is a plain module beside this file; the project root goes first so that `rules`
# is the rules package, not this tests/rules directory (a namespace package once tests/ is on sys.path).
for _path in (str(HERE), str(HERE.parent.parent)):
    if _path in sys.path:
        sys.path.remove(_path)
    sys.path.insert(0, _path)

import pytest  # noqa: E402

from lint_helpers import (ACCOUNT, OTHER_USER, ROOT_ARN, STRONG_ID, USER, allow, deny, external_id, lint,  # noqa: E402
                          policy, single, statuses, trust_allow)

RULE = "TRUST-005"
EC2 = {"Service": "ec2.amazonaws.com"}


def check(*statements, **kwargs):
    return lint(policy(*statements, **kwargs), RULE)


def test_user_and_ec2_in_two_statements_fail_low():
    result = single(check(trust_allow(condition=external_id(STRONG_ID)), trust_allow(EC2)))
    assert (result.status, result.severity, result.rule_id) == ("FAIL", "low", "TRUST-005")
    assert result.location == {"document": "trust-policy"}
    assert result.evidence == {"principals": [USER, "Service:ec2.amazonaws.com"]}
    assert "2 principals" in result.message


def test_user_and_ec2_in_one_statement_fail_low():
    result = single(check(trust_allow({"AWS": USER, **EC2}, condition=external_id(STRONG_ID))))
    assert (result.status, result.severity) == ("FAIL", "low")


def test_two_users_fail_low():
    result = single(check(trust_allow({"AWS": [USER, OTHER_USER]}, condition=external_id(STRONG_ID))))
    assert (result.status, result.severity) == ("FAIL", "low")
    assert result.evidence["principals"] == [USER, OTHER_USER]


@pytest.mark.parametrize("statements", [
    [trust_allow(condition=external_id(STRONG_ID))],
    [trust_allow(condition=external_id(STRONG_ID), action="sts:AssumeRole"),
     trust_allow({"AWS": [USER]}, action="sts:*")],
    [trust_allow({"AWS": [ACCOUNT, ROOT_ARN]})],                        # the same principal, two spellings
    [trust_allow(EC2)],
    [trust_allow(condition=external_id(STRONG_ID)), deny(Principal={"AWS": OTHER_USER}, Action="sts:AssumeRole")],
    [trust_allow(condition=external_id(STRONG_ID)), trust_allow({"AWS": OTHER_USER}, action="sts:TagSession")],
], ids=["one-user", "same-user-twice", "bare-and-root", "service-only", "deny-ignored", "other-action"])
def test_single_principal_passes(statements):
    result = single(check(*statements))
    assert (result.status, result.severity, result.location) == ("PASS", "low", None)


def test_statement_as_object():
    assert statuses(check(trust_allow({"AWS": USER, **EC2}), as_list=False)) == [("FAIL", "low")]


def test_identity_policy_is_skipped():
    assert single(lint(policy(allow(Action="*", Resource="*")), RULE)).status == "SKIP"
