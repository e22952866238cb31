"""auditor.policy.parse_policy: the normalized model every rule reads."""
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
from urllib.parse import quote  # noqa: E402

import pytest  # noqa: E402

from auditor.policy import (ALLOW, DENY, IDENTITY, TRUST, Principal, detect_kind, load_document,  # noqa: E402
                            parse_operator, parse_policy, PolicyParseError)
from lint_helpers import ROLE, ROOT_ARN, STRONG_ID, USER, allow, deny, external_id, policy, trust_allow  # noqa: E402


def only_statement(doc, kind=None):
    parsed = parse_policy(doc, kind)
    assert parsed.is_valid, parsed.problems
    assert len(parsed.statements) == 1
    return parsed.statements[0]


def test_statement_object_and_list_give_the_same_model():
    statement = allow(Sid="S", Action="s3:GetObject", Resource="arn:aws:s3:::b/*")
    as_object = parse_policy(policy(statement, as_list=False))
    as_list = parse_policy(policy(statement))
    assert as_object == as_list
    assert as_object.version == "2012-10-17" and as_object.kind == IDENTITY and as_object.problems == ()


def test_strings_and_single_value_lists_are_the_same():
    one = only_statement(policy(allow(Action="s3:GetObject", Resource="arn:aws:s3:::b")))
    listed = only_statement(policy(allow(Action=["s3:GetObject"], Resource=["arn:aws:s3:::b"])))
    assert one == listed
    assert one.actions == ("s3:getobject",) and one.resources == ("arn:aws:s3:::b",)


def test_actions_are_lower_cased_resources_keep_their_case():
    statement = only_statement(policy(allow(Action=["SecretsManager:GetSecretValue", "S3:*"],
                                            Resource="arn:aws:s3:::My-Bucket/Key")))
    assert statement.actions == ("secretsmanager:getsecretvalue", "s3:*")
    assert statement.resources == ("arn:aws:s3:::My-Bucket/Key",)


def test_not_action_and_not_resource_are_kept_apart():
    statement = only_statement(policy(allow(NotAction="IAM:*", NotResource=["arn:aws:s3:::b"])))
    assert statement.actions is None and statement.not_actions == ("iam:*",)
    assert statement.resources is None and statement.not_resources == ("arn:aws:s3:::b",)


def test_effect_and_element_names_are_normalized():
    statement = only_statement({"version": "2012-10-17",
                                "statement": {"effect": "deny", "action": "s3:*", "resource": "*"}})
    assert statement.effect == DENY and not statement.is_allow
    assert only_statement(policy(allow(Action="*", Resource="*"))).effect == ALLOW


def test_document_with_principal_is_a_trust_policy():
    doc = policy(trust_allow(condition=external_id(STRONG_ID)))
    assert detect_kind(doc) == TRUST
    assert detect_kind(policy(allow(Action="*", Resource="*"))) == IDENTITY
    assert detect_kind(policy(deny(NotPrincipal={"AWS": USER}, Action="*"), as_list=False)) == TRUST
    statement = only_statement(doc)
    assert parse_policy(doc).kind == TRUST
    assert statement.principals == (Principal("AWS", USER),)
    assert statement.resources is None and statement.not_resources is None


@pytest.mark.parametrize("raw, expected", [
    ("*", (Principal("*", "*"),)),
    ({"AWS": "*"}, (Principal("AWS", "*"),)),
    ({"AWS": "123456789012"}, (Principal("AWS", ROOT_ARN),)),
    ({"AWS": 123456789012}, (Principal("AWS", ROOT_ARN),)),          # a JSON number
    ({"AWS": [ROOT_ARN]}, (Principal("AWS", ROOT_ARN),)),
    ({"aws": USER, "Service": ["ec2.amazonaws.com"]},
     (Principal("AWS", USER), Principal("Service", "ec2.amazonaws.com"))),
])
def test_principals_are_normalized(raw, expected):
    statement = only_statement(policy(trust_allow(raw)))
    assert statement.principals == expected


def test_principal_properties():
    assert Principal("*", "*").is_public and Principal("AWS", "*").is_public
    assert not Principal("Service", "*").is_public
    root = Principal("AWS", ROOT_ARN)
    assert root.is_account_root and root.account_id == "123456789012"
    user = Principal("AWS", USER)
    assert not user.is_account_root and user.account_id == "123456789012"
    assert Principal("Service", "ec2.amazonaws.com").account_id is None


def test_not_principal_is_kept_apart():
    statement = only_statement(policy(allow(NotPrincipal={"AWS": USER}, Action="sts:AssumeRole")))
    assert statement.principals is None
    assert statement.not_principals == (Principal("AWS", USER),)


def test_conditions_are_split_into_operator_qualifier_if_exists_and_lower_cased_key():
    doc = policy(trust_allow(condition={"ForAnyValue:StringLikeIfExists": {"STS:EXTERNALID": ["a*", 12]},
                                        "StringEquals": {"aws:PrincipalTag/Team": "x"}}))
    statement = only_statement(doc)
    first, second = statement.conditions
    assert (first.operator, first.qualifier, first.if_exists) == ("StringLike", "ForAnyValue", True)
    assert (first.key, first.raw_key, first.raw_operator) == ("sts:externalid", "STS:EXTERNALID",
                                                              "ForAnyValue:StringLikeIfExists")
    assert first.values == ("a*", "12")
    assert (second.operator, second.qualifier, second.if_exists) == ("StringEquals", None, False)
    assert statement.conditions_on("sts:ExternalId") == (first,)


@pytest.mark.parametrize("raw, expected", [
    ("StringEquals", ("StringEquals", None, False)),
    ("stringequals", ("StringEquals", None, False)),
    ("StringNotEqualsIfExists", ("StringNotEquals", None, True)),
    ("ForAllValues:StringEquals", ("StringEquals", "ForAllValues", False)),
    ("forallvalues:StringEquals", ("StringEquals", "ForAllValues", False)),
    ("ForAnyValue:ArnLikeIfExists", ("ArnLike", "ForAnyValue", True)),
    ("Null", ("Null", None, False)),
    ("NullIfExists", None),
    ("IfExists", None),
    ("StringEqualz", None),
    ("ForSomeValues:StringEquals", None),
])
def test_parse_operator(raw, expected):
    assert parse_operator(raw) == expected


def test_numbers_and_booleans_become_text():
    doc = policy(allow(Action="*", Resource="*", Condition={"Bool": {"aws:SecureTransport": False},
                                                            "NumericLessThan": {"aws:MultiFactorAuthAge": 3600}}))
    values = [c.values for c in only_statement(doc).conditions]
    assert values == [("false",), ("3600",)]


def test_url_encoded_document_is_decoded():
    doc = policy(trust_allow(condition=external_id("a+b=c/d")))
    encoded = quote(json.dumps(doc))
    assert encoded.startswith("%7B")
    parsed = parse_policy(encoded)
    assert parsed == parse_policy(doc)
    assert parsed.kind == TRUST
    assert parsed.statements[0].conditions[0].values == ("a+b=c/d",)
    assert parse_policy(encoded.replace("%7B", "%7b", 1)) == parsed


def test_text_and_bytes_are_decoded():
    doc = policy(allow(Action="s3:GetObject", Resource=ROLE))
    assert parse_policy(json.dumps(doc)) == parse_policy(doc)
    assert parse_policy(json.dumps(doc).encode()) == parse_policy(doc)


@pytest.mark.parametrize("text", ['{"Version": ', b"\xff\xfe", "%7B%22Statement%22"])
def test_undecodable_text_is_a_problem_not_an_exception(text):
    parsed = parse_policy(text)
    assert not parsed.is_valid and parsed.statements == ()
    assert [p.severity for p in parsed.problems] == ["high"]


def test_load_document_yaml_only_when_allowed():
    text = "Version: '2012-10-17'\nStatement: []\n"
    with pytest.raises(PolicyParseError):
        load_document(text)
    assert load_document(text, yaml_allowed=True) == {"Version": "2012-10-17", "Statement": []}


def test_invalid_statements_are_dropped_valid_ones_kept():
    doc = policy(allow(Action="s3:GetObject", Resource="*"),
                 {"Effect": "Permit", "Action": "*", "Resource": "*"},
                 "not a statement",
                 deny(Sid="D", Action="iam:*", Resource="*"))
    parsed = parse_policy(doc)
    assert not parsed.is_valid
    assert [s.index for s in parsed.statements] == [0, 3]
    assert parsed.statements[1].sid == "D"
    assert [(p.severity, p.statement) for p in parsed.problems] == [("high", 1), ("high", 2)]


def test_medium_problems_keep_the_document_valid():
    parsed = parse_policy(policy(allow(Action="*", Resource="*"), version="2008-10-17"))
    assert parsed.is_valid
    assert [p.severity for p in parsed.problems] == ["medium"]
    assert len(parsed.statements) == 1


def test_forced_identity_kind_rejects_principal():
    parsed = parse_policy(policy(trust_allow()), IDENTITY)
    assert parsed.kind == IDENTITY and not parsed.is_valid and parsed.statements == ()


def test_location_label():
    assert only_statement(policy(allow(Sid="ReadSecrets", Action="*", Resource="*"))).location_label \
        == "statement 0 (ReadSecrets)"
    assert only_statement(policy(allow(Action="*", Resource="*"))).location_label == "statement 0"


def test_numeric_sid_is_text():
    assert only_statement(policy(allow(Sid=1, Action="*", Resource="*"))).sid == "1"
