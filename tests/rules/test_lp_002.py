"""LP-002 assume-role-wildcard-resource (lint): an Allow of sts:AssumeRole on "*", through
NotResource or on a wildcard role pattern FAILs medium; one exact role ARN PASSes."""
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

from lint_helpers import ROLE, USER, allow, deny, lint, policy, single, statuses, trust_allow  # noqa: E402

RULE = "LP-002"


def check(*statements, **kwargs):
    return lint(policy(*statements, **kwargs), RULE)


@pytest.mark.parametrize("action", ["sts:AssumeRole", "STS:assumerole", "sts:*", "sts:Assume*", "*",
                                    ["sts:AssumeRole"], "sts:AssumeRol?"])
def test_assume_role_on_star_fails_medium(action):
    result = single(check(allow(Sid="Assume", Action=action, Resource="*")))
    assert (result.status, result.severity, result.rule_id) == ("FAIL", "medium", "LP-002")
    assert result.location == {"document": "identity-policy", "statement": 0, "sid": "Assume"}
    assert result.evidence == {"resources": ["*"], "not_resource": False}


@pytest.mark.parametrize("resource", ["arn:aws:iam::123456789012:role/*",
                                      "arn:aws:iam::*:role/read-secrets",
                                      "arn:aws:iam::123456789012:role/read-*",
                                      "arn:aws:iam::123456789012:*",
                                      [ROLE, "arn:aws:iam::123456789012:role/admin-?"]])
def test_wildcard_role_patterns_fail(resource):
    result = single(check(allow(Action="sts:AssumeRole", Resource=resource)))
    assert (result.status, result.severity) == ("FAIL", "medium")
    assert "pattern" in result.message


def test_not_resource_fails():
    result = single(check(allow(Action="sts:AssumeRole", NotResource="arn:aws:iam::123456789012:role/admin")))
    assert (result.status, result.severity) == ("FAIL", "medium")
    assert result.evidence["not_resource"] is True


def test_not_action_on_star_grants_assume_role():
    result = single(check(allow(NotAction=["s3:*", "iam:*"], Resource="*")))
    assert (result.status, result.severity) == ("FAIL", "medium")


@pytest.mark.parametrize("statement", [
    allow(Action="sts:AssumeRole", Resource=ROLE),
    allow(Action="sts:AssumeRole", Resource=[ROLE]),
    allow(Action="sts:*", Resource="arn:aws:iam::123456789012:user/*"),   # no role reachable
    allow(Action="sts:AssumeRoleWithSAML", Resource="*"),
    allow(Action="sts:GetCallerIdentity", Resource="*"),
    allow(NotAction="sts:*", Resource="*"),
    deny(Action="sts:AssumeRole", Resource="*"),
], ids=["exact", "exact-list", "users-only", "saml", "caller-identity", "not-action-sts", "deny"])
def test_narrow_or_unrelated_statements_pass(statement):
    result = single(check(statement, as_list=False))
    assert (result.status, result.severity, result.location) == ("PASS", "medium", None)


def test_one_fail_per_bad_statement():
    results = check(allow(Sid="Ok", Action="sts:AssumeRole", Resource=ROLE),
                    allow(Sid="Star", Action="sts:AssumeRole", Resource="*"),
                    allow(Sid="Pattern", Action="sts:*", Resource="arn:aws:iam::123456789012:role/*"))
    assert statuses(results) == [("FAIL", "medium"), ("FAIL", "medium")]
    assert [r.location["sid"] for r in results] == ["Star", "Pattern"]
    assert [r.location["statement"] for r in results] == [1, 2]


def test_remediation_names_a_single_role():
    result = single(check(allow(Sid="Assume", Action="sts:AssumeRole", Resource="*")))
    assert '"Resource": "arn:aws:iam::<account>:role/' in result.remediation
    assert '"Sid": "Assume"' in result.remediation


def test_trust_policy_is_skipped():
    assert single(lint(policy(trust_allow({"AWS": USER})), RULE)).status == "SKIP"
