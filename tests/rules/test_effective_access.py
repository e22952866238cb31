"""Effective access in lint (catalogue v1.1): an explicit Deny in the same document subtracts from
what an Allow grants; NotResource "*" grants nothing; a resource that is not an ARN grants nothing;
under Version 2008-10-17 `${...}` is literal text. Documents written from AWS's documentation:
- policy evaluation logic, "explicit deny":
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
- NotResource ("Deny ... NotResource" to allow only some resources):
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html
- Resource element (an ARN or "*"):
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
- policy variables exist only in Version 2012-10-17:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
"""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for _path in (str(HERE), str(HERE.parent.parent)):
    if _path in sys.path:
        sys.path.remove(_path)
    sys.path.insert(0, _path)

import pytest  # noqa: E402

from lint_helpers import SECRET, allow, deny, lint, policy, single, statuses  # noqa: E402

ALL_ROLES = "arn:aws:iam::*:role/*"


def rule(rule_id, *statements, **kwargs):
    return lint(policy(*statements, **kwargs), rule_id)


@pytest.mark.parametrize("rule_id, service_star, action", [
    ("LP-001", "secretsmanager:*", "secretsmanager:GetSecretValue"),
    ("LP-002", "sts:*", "sts:AssumeRole"),
])
def test_deny_of_the_same_grant_leaves_nothing(rule_id, service_star, action):
    # Evaluation logic: "an explicit deny in any policy overrides any allows".
    assert statuses(rule(rule_id, allow(Action=service_star, Resource="*"),
                         deny(Action=service_star, Resource="*"))) == [("PASS", "medium")]
    assert statuses(rule(rule_id, allow(Action=action, Resource="*"),
                         deny(Action="*", Resource="*"))) == [("PASS", "medium")]


def test_deny_of_part_of_the_grant_leaves_the_rest_and_says_which_deny():
    result = single(rule("LP-001", allow(Action="secretsmanager:*", Resource="*"),
                         deny(Sid="NoProd", Action="secretsmanager:GetSecretValue",
                              Resource="arn:aws:secretsmanager:*:*:secret:prod/*")))
    assert result.status == "FAIL"
    assert result.evidence["trimmed_by"] == ["identity-policy statement 1 (NoProd)"]
    assert "after the Deny in identity-policy statement 1 (NoProd)" in result.message


def test_deny_in_one_region_leaves_the_others():
    result = single(rule("LP-001", allow(Action="secretsmanager:GetSecretValue", Resource="*"),
                         deny(Action="secretsmanager:*", Resource="arn:aws:secretsmanager:us-east-1:*:secret:*")))
    assert result.status == "FAIL"


def test_deny_not_resource_leaves_only_the_listed_secret():
    # NotResource page: Deny with NotResource denies everything except the listed resources.
    assert statuses(rule("LP-001", allow(Action="secretsmanager:GetSecretValue", Resource="*"),
                         deny(Action="secretsmanager:GetSecretValue", NotResource=SECRET))) == [("PASS", "medium")]


def test_deny_not_resource_with_a_wildcard_leaves_that_wildcard():
    result = single(rule("LP-001", allow(Action="secretsmanager:GetSecretValue", Resource="*"),
                         deny(Action="secretsmanager:GetSecretValue",
                              NotResource="arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/*")))
    assert result.status == "FAIL"


def test_conditional_deny_trims_nothing_and_is_named():
    result = single(rule("LP-002", allow(Action="sts:AssumeRole", Resource="*"),
                         deny(Action="sts:AssumeRole", Resource="*",
                              Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})))
    assert result.status == "FAIL"
    assert result.evidence["denies_under_conditions"] == ["identity-policy statement 1"]


def test_deny_of_another_action_trims_nothing():
    result = single(rule("LP-002", allow(Action="sts:AssumeRole", Resource=ALL_ROLES),
                         deny(Action="sts:TagSession", Resource="*")))
    assert result.status == "FAIL" and "trimmed_by" not in result.evidence


@pytest.mark.parametrize("rule_id, action", [("LP-001", "secretsmanager:GetSecretValue"),
                                             ("LP-002", "sts:AssumeRole")])
def test_not_resource_star_grants_nothing(rule_id, action):
    assert statuses(rule(rule_id, allow(Action=action, NotResource="*"))) == [("PASS", "medium")]


@pytest.mark.parametrize("resource", ["abc*", "secret:*", "*secret*"])
def test_a_resource_that_is_not_an_arn_grants_nothing_and_is_a_grammar_finding(resource):
    results = lint(policy(allow(Action="secretsmanager:GetSecretValue", Resource=resource)))
    by_rule = {r.rule_id: r for r in results}
    assert by_rule["LP-001"].status == "PASS"
    assert (by_rule["POLICY-001"].status, by_rule["POLICY-001"].severity) == ("FAIL", "high")
    assert "neither" in by_rule["POLICY-001"].message


def test_policy_variable_is_literal_text_under_2008_version():
    # Under 2008-10-17 "${aws:username}" is literal: the pattern names one role, literally.
    statement = allow(Action="sts:AssumeRole", Resource="arn:aws:iam::123456789012:role/${aws:username}")
    assert statuses(rule("LP-002", statement, version="2008-10-17")) == [("PASS", "medium")]
    # Under 2012-10-17 the variable stands for any user name: every role of that shape.
    assert single(rule("LP-002", statement)).status == "FAIL"
