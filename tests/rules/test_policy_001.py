"""POLICY-001 policy-grammar: invalid IAM grammar FAILs high; a missing or 2008-10-17 Version medium."""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# lint_helpers is a plain module beside this file; the project root goes first so that `rules`
# is the rules package, not this tests/rules directory (a namespace package once tests/ is on sys.path).
for _path in (str(HERE), str(HERE.parent.parent)):
    if _path in sys.path:
        sys.path.remove(_path)
    sys.path.insert(0, _path)

import json  # noqa: E402

import pytest  # noqa: E402

from lint_helpers import (ROLE, STRONG_ID, USER, allow, external_id, lint, lint_as, policy, single,  # noqa: E402
                          statuses, trust_allow)

RULE = "POLICY-001"
OTHER_RULES = ("LP-001", "LP-002", "TRUST-001", "TRUST-002", "TRUST-003", "TRUST-004", "TRUST-005", "POLICY-002",
               "SECRET-001")
GOOD_IDENTITY = allow(Action="secretsmanager:GetSecretValue", Resource=ROLE)


def problems(doc, **kwargs):
    """(severity, location, message) of each POLICY-001 FAIL."""
    results = lint(doc, RULE, **kwargs)
    assert all(r.status == "FAIL" for r in results) or statuses(results) == [("PASS", "high")]
    return [(r.severity, r.location, r.message) for r in results if r.status == "FAIL"]


# --- valid documents -------------------------------------------------------------------------

@pytest.mark.parametrize("doc", [
    policy(GOOD_IDENTITY),
    policy(GOOD_IDENTITY, as_list=False),                                   # Statement as an object
    policy(allow(Action=["s3:GetObject"], Resource=["arn:aws:s3:::b/*"])),   # single-value lists
    policy(allow(NotAction="iam:*", NotResource="arn:aws:s3:::b/*")),
    policy(trust_allow(condition=external_id(STRONG_ID))),
    policy(trust_allow({"Service": "ec2.amazonaws.com"})),
    policy(trust_allow("*")),                                                # valid, TRUST-001 flags it
    policy(trust_allow({"AWS": 123456789012})),                              # a number as account ID
    policy(allow(Action="*", Resource="*", Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": 3600},
                                                      "Bool": {"aws:SecureTransport": True}})),
    {"Version": "2012-10-17", "Id": "doc-id", "Statement": [GOOD_IDENTITY]},
], ids=["list", "object", "single-value-lists", "not-elements", "trust", "service-trust",
        "public-trust", "numeric-account", "numbers-and-booleans", "with-id"])
def test_valid_document_passes(doc):
    result = single(lint(doc, RULE))
    assert (result.status, result.severity, result.rule_id) == ("PASS", "high", "POLICY-001")
    assert result.location is None


def test_valid_yaml_document_passes():
    text = ('Version: "2012-10-17"\nStatement:\n  - Sid: TrustUser\n    Effect: Allow\n'
            f'    Principal:\n      AWS: "{USER}"\n    Action: sts:AssumeRole\n'
            f'    Condition:\n      StringEquals:\n        sts:ExternalId: "{STRONG_ID}"\n')
    assert statuses(lint(text, RULE, yaml=True)) == [("PASS", "high")]


def test_url_encoded_document_is_decoded():
    from urllib.parse import quote

    assert statuses(lint(quote(json.dumps(policy(GOOD_IDENTITY))), RULE)) == [("PASS", "high")]


# --- unreadable documents ------------------------------------------------------------------

def test_malformed_json_fails_high_and_every_other_rule_skips():
    results = lint('{"Version": "2012-10-17", "Statement": [', display="broken.json")
    grammar = single([r for r in results if r.rule_id == RULE])
    assert (grammar.status, grammar.severity) == ("FAIL", "high")
    assert grammar.resource == "broken.json"
    assert "not valid JSON" in grammar.message
    others = {r.rule_id: r.status for r in results if r.rule_id != RULE}
    assert others == {rule_id: "SKIP" for rule_id in OTHER_RULES}
    assert all("POLICY-001" in r.message for r in results if r.rule_id != RULE)


def test_yaml_is_not_accepted_for_json_files():
    text = "Version: '2012-10-17'\nStatement: []\n"
    assert statuses(lint(text, RULE, yaml=False)) == [("FAIL", "high")]


def test_malformed_yaml_fails_high_with_position():
    result = single(lint("Version: [unclosed\nStatement: {\n", RULE, yaml=True))
    assert (result.status, result.severity) == ("FAIL", "high")
    assert "not valid YAML" in result.message and "line" in result.message


@pytest.mark.parametrize("doc, fragment", [
    ([GOOD_IDENTITY], "JSON list, not an object"),
    ("42", "JSON number, not an object"),
    ({"Version": "2012-10-17"}, "no Statement"),
    ({"Version": "2012-10-17", "Statement": "Allow everything"}, "Statement is a string"),
    ({"Version": "2012-10-17", "Statement": [GOOD_IDENTITY], "Statment": []}, "unknown top-level element"),
    ({"Version": "2012-10-18", "Statement": [GOOD_IDENTITY]}, "not a policy language version"),
])
def test_document_level_errors_fail_high(doc, fragment):
    result = single(lint(doc, RULE))
    assert (result.status, result.severity) == ("FAIL", "high")
    assert fragment in result.message
    assert "statement" not in result.location


# --- Version ---------------------------------------------------------------------------------

def test_missing_version_is_medium():
    result = single(lint(policy(GOOD_IDENTITY, version=None), RULE))
    assert (result.status, result.severity, result.rule_id) == ("FAIL", "medium", "POLICY-001")
    assert "Version is missing" in result.message
    assert result.location == {"document": "identity-policy", "problem": 0}


def test_version_2008_is_medium():
    result = single(lint(policy(GOOD_IDENTITY, version="2008-10-17"), RULE))
    assert (result.status, result.severity) == ("FAIL", "medium")
    assert "2008-10-17" in result.message


def test_unquoted_yaml_version_is_the_2012_version():
    text = "Version: 2012-10-17\nStatement:\n  - Effect: Allow\n    Action: s3:GetObject\n    Resource: '*'\n"
    assert statuses(lint(text, RULE, yaml=True)) == [("PASS", "high")]


# --- statement errors ----------------------------------------------------------------------

@pytest.mark.parametrize("statement, fragment", [
    (allow(Action="*", Resource="*", Condition={"StringEqualz": {"aws:SourceIp": "10.0.0.0/8"}}),
     "unknown condition operator 'StringEqualz'"),
    (allow(Action="*", Resource="*", Condition={"NullIfExists": {"aws:SourceIp": "true"}}),
     "unknown condition operator"),
    (allow(Action="*", Resource="*", Condition={"ForSomeValues:StringEquals": {"aws:TagKeys": "a"}}),
     "unknown condition operator"),
    (allow(Action="s3:GetObject", NotAction="iam:*", Resource="*"), "has both Action and NotAction"),
    (allow(Resource="*"), "has neither Action nor NotAction"),
    (allow(Action="s3:GetObject", Resource="*", NotResource="arn:aws:s3:::b"), "has both Resource and NotResource"),
    (allow(Action="s3:GetObject"), "has neither Resource nor NotResource"),
    ({"Effect": "Permit", "Action": "s3:GetObject", "Resource": "*"}, "not 'Permit'"),
    ({"Action": "s3:GetObject", "Resource": "*"}, "Effect must be"),
    (allow(Action="s3 GetObject", Resource="*"), "is not of the form"),
    (allow(Action=[], Resource="*"), "empty list"),
    (allow(Action="s3:GetObject", Resource=""), "empty string"),
    (allow(Action="s3:GetObject", Resource=None), "null"),
    (allow(Action="s3:GetObject", Resource="*", Condition=["x"]), "Condition must be a map"),
    (allow(Action="s3:GetObject", Resource="*", Condtion={}), "unknown element 'Condtion'"),
])
def test_statement_error_fails_high_at_its_statement(statement, fragment):
    doc = policy(GOOD_IDENTITY, dict(statement, Sid="Bad"))
    result = single(lint(doc, RULE))
    assert (result.status, result.severity, result.rule_id) == ("FAIL", "high", "POLICY-001")
    assert result.location["statement"] == 1 and result.location["sid"] == "Bad"
    assert fragment in result.message


def test_statement_that_is_not_an_object_fails_high():
    result = single(lint(policy("Allow s3:*", GOOD_IDENTITY), RULE))
    assert (result.status, result.severity) == ("FAIL", "high")
    assert result.location["statement"] == 0
    assert "statement 0 is a string, not an object" in result.message


def test_each_problem_is_its_own_result_with_its_own_fingerprint():
    doc = policy({"Sid": "S", "Effect": "Permit", "Action": "*", "NotAction": "iam:*", "Resource": "*"},
                 version=None)
    results = lint(doc, RULE)
    assert statuses(results) == [("FAIL", "medium"), ("FAIL", "high"), ("FAIL", "high")]
    assert [r.location.get("statement") for r in results] == [None, 0, 0]
    assert len({r.fingerprint for r in results}) == 3


def test_identity_document_with_principal_fails_high():
    doc = policy(allow(Action="s3:GetObject", Resource="*", Principal={"AWS": USER}))
    result = single(lint_as(doc, "identity", RULE))
    assert (result.status, result.severity) == ("FAIL", "high")
    assert "Principal/NotPrincipal is not allowed in an identity policy" in result.message


def test_stray_principal_makes_the_document_a_trust_policy_missing_principals():
    # A document is a trust policy when any statement carries Principal: the others then lack one.
    doc = policy(GOOD_IDENTITY, trust_allow(condition=external_id(STRONG_ID)))
    result = single(lint(doc, RULE))
    assert (result.status, result.severity, result.location["statement"]) == ("FAIL", "high", 0)
    assert "has neither Principal nor NotPrincipal" in result.message


@pytest.mark.parametrize("principal, fragment", [
    ({"AWS": []}, "empty list"),
    ({}, "Principal must be"),
    ("arn:aws:iam::123456789012:root", "Principal must be"),
    ({"Amazon": USER}, "unknown principal type"),
])
def test_trust_principal_errors_fail_high(principal, fragment):
    result = single(lint(policy(trust_allow(principal)), RULE))
    assert (result.status, result.severity, result.location["statement"]) == ("FAIL", "high", 0)
    assert fragment in result.message


def test_trust_statement_with_both_principal_and_not_principal_fails_high():
    statement = trust_allow(NotPrincipal={"AWS": USER})
    result = single(lint(policy(statement), RULE))
    assert (result.status, result.severity) == ("FAIL", "high")
    assert "has both Principal and NotPrincipal" in result.message


def test_operators_and_qualifiers_are_known_with_if_exists():
    condition = {"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": "a*"},
                 "ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]},
                 "ArnNotLikeIfExists": {"aws:SourceArn": "arn:*"}, "Null": {"aws:TokenIssueTime": "true"}}
    assert statuses(lint(policy(allow(Action="*", Resource="*", Condition=condition)), RULE)) \
        == [("PASS", "high")]


def test_invalid_statement_is_not_used_by_other_rules_but_valid_ones_are():
    doc = policy(allow(Action="secretsmanager:GetSecretValue", Resource="*"),
                 {"Effect": "Permit", "Action": "sts:AssumeRole", "Resource": "*"})
    results = {r.rule_id: r for r in lint(doc)}
    assert (results["POLICY-001"].status, results["POLICY-001"].location["statement"]) == ("FAIL", 1)
    assert (results["LP-001"].status, results["LP-001"].location["statement"]) == ("FAIL", 0)
    assert results["LP-002"].status == "PASS"


def test_non_object_document_does_not_pass_other_rules():
    results = lint([allow(Action="*", Resource="*")])
    assert statuses([r for r in results if r.rule_id == RULE]) == [("FAIL", "high")]
    assert {r.status for r in results if r.rule_id != RULE} <= {"SKIP", "ERROR"}


@pytest.mark.parametrize("inner", [policy(allow(Action="*", Resource="*")),
                                   policy(trust_allow(condition=external_id(STRONG_ID)))],
                         ids=["identity", "trust"])
def test_double_encoded_document_is_not_an_object(inner):
    result = single(lint(json.dumps(json.dumps(inner)), RULE))
    assert (result.status, result.severity) == ("FAIL", "high")
    assert "not an object" in result.message


# --- catalogue v1.1 clarifications ---------------------------------------------------------------

def test_empty_string_condition_value_is_legal():
    # IAM User Guide, "Condition element": "s3:prefix": ["", "home/"] lists the bucket's root.
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_s3_home-directory-console.html
    doc = policy(allow(Action="s3:ListBucket", Resource="arn:aws:s3:::bucket",
                       Condition={"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/"]}}))
    assert problems(doc) == []


def test_duplicate_sids_are_high():
    # Sid element page: "Sid values must be unique within a JSON policy".
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html
    found = problems(policy(allow(Sid="Read", Action="s3:GetObject", Resource="arn:aws:s3:::b/*"),
                            allow(Sid="Read", Action="s3:PutObject", Resource="arn:aws:s3:::b/*")))
    assert [(severity, "Sid 'Read'" in message) for severity, _, message in found] == [("high", True)]


@pytest.mark.parametrize("text, key", [
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Effect": "Allow", '
     '"Action": "s3:*", "Resource": "*"}]}', "Effect"),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
     '"Resource": "arn:aws:s3:::a/*", "Resource": "*"}]}', "Resource"),
    ('{"Version": "2012-10-17", "Version": "2012-10-17", "Statement": []}', "Version"),
    ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root", '
     '"AWS": "*"}, "Action": "sts:AssumeRole"}]}', "AWS"),
])
def test_duplicate_json_keys_are_high(text, key):
    found = problems(text)
    assert any(severity == "high" and f"'{key}'" in message for severity, _, message in found), found


def test_duplicate_yaml_keys_are_high():
    text = "Version: 2012-10-17\nStatement:\n  - Effect: Allow\n    Effect: Deny\n    Action: '*'\n    Resource: '*'\n"
    found = problems(text, yaml=True)
    assert any(severity == "high" and "'Effect' 2 times" in message for severity, _, message in found)


def test_case_variant_keys_are_high():
    text = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "effect": "Deny", "Action": "*", "Resource": "*"}]}'
    assert any(severity == "high" and "'effect'" in message for severity, _, message in problems(text))


def test_conflicting_duplicates_leave_the_statement_to_no_other_rule():
    # Two Effects: IAM rejects the document, and which one a reader keeps is arbitrary.
    text = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Effect": "Allow", '
            '"Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}')
    assert [r.status for r in lint(text, "LP-001")] == ["SKIP"]


@pytest.mark.parametrize("principal", [
    {"AWS": "arn:aws:iam::123456789012:user/*"}, {"AWS": "arn:aws:iam::*:root"},
    {"AWS": "arn:aws:iam::123456789012:role/app-?"},
])
def test_wildcard_inside_a_principal_arn_is_high(principal):
    # Principal element page: "You cannot use a wildcard to match part of a principal name or ARN."
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
    found = problems(policy(trust_allow(principal, condition=external_id(STRONG_ID))))
    assert [severity for severity, _, _ in found] == ["high"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_number_literals_are_high(literal):
    text = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
            f'"Resource": "arn:aws:s3:::b/*", "Condition": {{"NumericLessThan": {{"s3:max-keys": {literal}}}}}}}]}}')
    found = problems(text)
    assert any(severity == "high" and literal in message for severity, _, message in found), found


def test_resource_that_is_not_an_arn_is_high():
    found = problems(policy(allow(Action="s3:GetObject", Resource="abc*")))
    assert [severity for severity, _, _ in found] == ["high"]


def test_statement_with_a_grammar_problem_is_still_evaluated():
    # The shape of SageMakerStudioProjectUserRolePolicy: a statement that IAM reads clearly, in a
    # document with a problem elsewhere, still counts for the other rules.
    doc = policy(allow(Action="sts:AssumeRole", Resource="*", Conditon={"Bool": {"aws:SecureTransport": "true"}}),
                 allow(Sid="S", Action="s3:GetObject", Resource="not-an-arn"))
    results = {r.rule_id: r for r in lint(doc)}
    assert (results["POLICY-001"].status, results["POLICY-001"].severity) == ("FAIL", "high")
    assert results["LP-002"].status == "FAIL"


def test_deeply_nested_document_is_one_finding_not_a_crash():
    result = single(lint("[" * 5000 + "]" * 5000, RULE))
    assert (result.status, result.severity) == ("FAIL", "high")
