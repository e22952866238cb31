"""TRUST-002 external-id-required: every Allow letting an AWS principal assume the role carries
an sts:ExternalId condition (FAIL high otherwise); service principals are not AWS principals."""
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

from lint_helpers import (ACCOUNT, OTHER_USER, ROOT_ARN, STRONG_ID, USER, allow, deny, external_id, lint, policy,  # noqa: E402
                          single, statuses, trust_allow)

RULE = "TRUST-002"


def check(*statements, **kwargs):
    return lint(policy(*statements, **kwargs), RULE)


@pytest.mark.parametrize("principal", [{"AWS": USER}, {"AWS": ACCOUNT}, "*", {"AWS": "*"},
                                       {"AWS": USER, "Service": "ec2.amazonaws.com"}])
def test_aws_principal_without_external_id_fails_high(principal):
    result = single(check(trust_allow(principal, Sid="Trust")))
    assert (result.status, result.severity, result.rule_id) == ("FAIL", "high", "TRUST-002")
    assert result.location == {"document": "trust-policy", "statement": 0, "sid": "Trust"}
    assert "without sts:ExternalId" in result.message


def test_not_principal_without_external_id_fails():
    assert statuses(check(allow(NotPrincipal={"AWS": USER}, Action="sts:AssumeRole"))) == [("FAIL", "high")]


def test_condition_on_another_key_does_not_count():
    statement = trust_allow(condition={"StringEquals": {"aws:PrincipalTag/team": "x"}})
    assert statuses(check(statement)) == [("FAIL", "high")]


@pytest.mark.parametrize("condition", [
    external_id(STRONG_ID),
    external_id(STRONG_ID, key="STS:EXTERNALID"),                 # keys are case-insensitive
    external_id([STRONG_ID]),
    external_id(STRONG_ID, operator="StringEqualsIfExists"),      # present (TRUST-003 judges the operator)
])
def test_external_id_condition_passes(condition):
    result = single(check(trust_allow(condition=condition)))
    assert (result.status, result.severity, result.location) == ("PASS", "high", None)


@pytest.mark.parametrize("principal", [{"Service": "ec2.amazonaws.com"},
                                       {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]},
                                       {"Federated": "cognito-identity.amazonaws.com"}])
def test_service_principal_only_passes(principal):
    assert statuses(check(trust_allow(principal))) == [("PASS", "high")]


def test_one_fail_per_statement_missing_the_condition():
    results = check(trust_allow({"AWS": USER}, Sid="A"),
                    trust_allow({"Service": "ec2.amazonaws.com"}, Sid="B"),
                    trust_allow({"AWS": OTHER_USER}, Sid="C", condition=external_id(STRONG_ID)),
                    trust_allow("*", Sid="D"))
    assert statuses(results) == [("FAIL", "high"), ("FAIL", "high")]
    assert [(r.location["statement"], r.location["sid"]) for r in results] == [(0, "A"), (3, "D")]


def test_statements_not_granting_assume_role_are_ignored():
    assert statuses(check(trust_allow({"AWS": USER}, action="sts:TagSession"),
                          deny(Principal={"AWS": USER}, Action="sts:AssumeRole"))) == [("PASS", "high")]


@pytest.mark.parametrize("deny_condition", [
    {"StringNotEquals": {"sts:ExternalId": STRONG_ID}},
    {"StringNotEquals": {"STS:ExternalID": STRONG_ID}},
    {"Null": {"sts:ExternalId": "true"}},
])
def test_explicit_deny_pattern_enforces_the_external_id(deny_condition):
    results = check(trust_allow({"AWS": USER}),
                    deny(Principal={"AWS": "*"}, Action="sts:AssumeRole", Condition=deny_condition))
    assert statuses(results) == [("PASS", "high")]


# Catalogue v1.1: TRUST-002 accepts a Deny naming the principals the Allow lets in (not only "*"),
# with StringNotEquals or StringNotEqualsIfExists on sts:ExternalId. Condition operators page:
# "...IfExists: if the key is not present, the condition evaluates to true", so the Deny applies
# to a caller sending no ID as well. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
@pytest.mark.parametrize("deny_statement", [
    deny(Principal="*", Action="sts:AssumeRole",
         Condition={"StringNotEqualsIfExists": {"sts:ExternalId": STRONG_ID}}),
    deny(Principal={"AWS": USER}, Action="sts:AssumeRole",
         Condition={"StringNotEquals": {"sts:ExternalId": STRONG_ID}}),
    deny(Principal={"AWS": [USER, OTHER_USER]}, Action="sts:*",
         Condition={"StringNotEqualsIfExists": {"sts:ExternalId": STRONG_ID}}),
    deny(Principal={"AWS": ROOT_ARN}, Action="sts:AssumeRole",
         Condition={"StringNotEquals": {"sts:ExternalId": STRONG_ID}}),
], ids=["if-exists", "same-user", "same-user-and-more", "users-account"])
def test_deny_naming_the_same_principals_enforces_the_external_id(deny_statement):
    assert statuses(check(trust_allow({"AWS": USER}), deny_statement)) == [("PASS", "high")]


def test_deny_must_cover_every_principal_of_the_allow():
    results = check(trust_allow({"AWS": [USER, OTHER_USER]}),
                    deny(Principal={"AWS": USER}, Action="sts:AssumeRole",
                         Condition={"StringNotEquals": {"sts:ExternalId": STRONG_ID}}))
    assert statuses(results) == [("FAIL", "high")]


@pytest.mark.parametrize("deny_statement", [
    deny(Principal={"AWS": OTHER_USER}, Action="sts:AssumeRole",
         Condition={"StringNotEquals": {"sts:ExternalId": STRONG_ID}}),           # not everyone
    deny(Principal="*", Action="sts:TagSession",
         Condition={"StringNotEquals": {"sts:ExternalId": STRONG_ID}}),           # not AssumeRole
    deny(Principal="*", Action="sts:AssumeRole",
         Condition={"StringNotEquals": {"sts:ExternalId": STRONG_ID, "aws:SourceIp": "10.0.0.1"}}),
    deny(Principal="*", Action="sts:AssumeRole", Condition={"Null": {"sts:ExternalId": "false"}}),
], ids=["one-user", "other-action", "extra-key", "null-false"])
def test_incomplete_deny_patterns_do_not_count(deny_statement):
    assert statuses(check(trust_allow({"AWS": USER}), deny_statement)) == [("FAIL", "high")]


def test_identity_policy_is_skipped():
    assert single(lint(policy(allow(Action="*", Resource="*")), RULE)).status == "SKIP"
