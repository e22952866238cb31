"""TRUST-003 external-id-operator: exactly StringEquals PASSes; IfExists, ForAllValues:, StringLike
with a wildcard and negated operators FAIL high; StringEqualsIgnoreCase, StringLike without a
wildcard and ForAnyValue: FAIL medium."""
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

from lint_helpers import (STRONG_ID, USER, allow, deny, external_id, lint, policy, single,  # noqa: E402
                          statuses, trust_allow)

RULE = "TRUST-003"


def check(*statements, **kwargs):
    return lint(policy(*statements, **kwargs), RULE)


@pytest.mark.parametrize("condition", [
    external_id(STRONG_ID),
    external_id([STRONG_ID]),
    external_id(STRONG_ID, key="STS:EXTERNALID"),
    {"StringEquals": {"sts:ExternalId": STRONG_ID, "aws:PrincipalTag/team": "x"}},
])
def test_string_equals_passes(condition):
    result = single(check(trust_allow(condition=condition)))
    assert (result.status, result.severity, result.rule_id) == ("PASS", "high", "TRUST-003")
    assert result.location is None


def test_no_external_id_condition_is_skipped_with_the_reason():
    # Catalogue v1.1 "Statuses are honest": nothing to judge is SKIP, not PASS (TRUST-002 reports it).
    result = single(check(trust_allow()))
    assert result.status == "SKIP" and "TRUST-002" in result.message


@pytest.mark.parametrize("operator, value, severity", [
    ("StringEqualsIfExists", STRONG_ID, "high"),
    ("StringLikeIfExists", STRONG_ID, "high"),
    ("ForAllValues:StringEquals", STRONG_ID, "high"),
    ("ForAnyValue:StringEquals", STRONG_ID, "medium"),
    ("ForAnyValue:StringEqualsIfExists", STRONG_ID, "high"),
    ("StringLike", "*", "high"),
    ("StringLike", "c1f0e0b2-*", "high"),
    ("StringLike", "c1f0e0b2-7d4e-4e8a-9a51-3f1b6f2d9c4?", "high"),
    ("StringLike", STRONG_ID, "medium"),
    ("ForAnyValue:StringLike", STRONG_ID, "medium"),
    ("StringEqualsIgnoreCase", STRONG_ID, "medium"),
    ("StringNotEquals", STRONG_ID, "high"),
    ("StringNotEqualsIgnoreCase", STRONG_ID, "high"),
    ("StringNotLike", "*", "high"),
    ("ArnNotEquals", STRONG_ID, "high"),
    ("Null", "false", "high"),
    ("Null", "true", "high"),
    ("ArnEquals", STRONG_ID, "high"),
    ("NumericEquals", 12345, "high"),
])
def test_weak_operator_fails(operator, value, severity):
    result = single(check(trust_allow(condition=external_id(value, operator=operator), Sid="Trust")))
    assert (result.status, result.severity, result.rule_id) == ("FAIL", severity, "TRUST-003")
    assert result.location == {"document": "trust-policy", "statement": 0, "sid": "Trust", "operator": operator}
    assert result.evidence == {"operator": operator}
    assert operator in result.message


def test_upper_case_key_is_still_the_external_id():
    result = single(check(trust_allow(condition=external_id(STRONG_ID, "StringEqualsIfExists", "STS:EXTERNALID"))))
    assert (result.status, result.severity) == ("FAIL", "high")


def test_each_weak_condition_is_its_own_result():
    results = check(trust_allow(Sid="A", condition={"StringEquals": {"sts:ExternalId": STRONG_ID},
                                                     "StringLike": {"sts:ExternalId": "*"}}),
                    trust_allow(Sid="B", condition=external_id(STRONG_ID, "StringEqualsIgnoreCase")),
                    trust_allow(Sid="C", condition=external_id(STRONG_ID)))
    # Statement A: the StringLike is ANDed with a StringEquals on the same key (v1.1: low, redundant).
    assert statuses(results) == [("FAIL", "low"), ("FAIL", "medium")]
    assert "redundant" in results[0].message
    assert [(r.location["statement"], r.location["operator"]) for r in results] == [
        (0, "StringLike"), (1, "StringEqualsIgnoreCase")]
    assert len({r.fingerprint for r in results}) == 2


def test_explicit_deny_pattern_is_not_flagged():
    results = check(trust_allow({"AWS": USER}),
                    deny(Principal="*", Action="sts:AssumeRole",
                         Condition={"StringNotEquals": {"sts:ExternalId": STRONG_ID}}))
    assert statuses(results) == [("PASS", "high")]


def test_statement_not_granting_assume_role_is_ignored():
    statement = trust_allow(action="sts:TagSession", condition=external_id("*", "StringLike"))
    assert [r.status for r in check(statement)] == ["SKIP"]
    assert statuses(check(statement, trust_allow(condition=external_id(STRONG_ID)))) == [("PASS", "high")]


@pytest.mark.parametrize("weak", [
    {"StringLike": {"sts:ExternalId": "*"}},
    {"StringEqualsIfExists": {"sts:ExternalId": STRONG_ID}},
    {"ForAnyValue:StringEquals": {"sts:ExternalId": STRONG_ID}},
])
def test_weak_operator_anded_with_string_equals_is_low(weak):
    # Condition element page: "If your policy has multiple condition operators ... AWS evaluates
    # them using a logical AND". https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html
    result = single(check(trust_allow(condition={"StringEquals": {"sts:ExternalId": STRONG_ID}, **weak})))
    assert (result.status, result.severity) == ("FAIL", "low")


def test_identity_policy_is_skipped():
    doc = policy(allow(Action="*", Resource="*", Condition=external_id("*", "StringLike")))
    assert single(lint(doc, RULE)).status == "SKIP"
