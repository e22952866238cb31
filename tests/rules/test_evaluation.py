"""auditor.evaluation: IAM matching, conditions and decide() over the normalized model."""
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

from auditor.evaluation import (EMPTY_CONTEXT, RequestContext, Tri, Verdict, action_matches, decide,  # noqa: E402
                                evaluate_condition, glob_match, principal_matches,
                                statement_covers_action, statement_covers_principal,
                                statement_covers_resource)
from auditor.policy import Principal, parse_policy  # noqa: E402
from lint_helpers import (ACCOUNT, ROLE, ROOT_ARN, SECRET, STRONG_ID, USER, allow, deny,  # noqa: E402
                          policy, trust_allow)

GSV = "secretsmanager:GetSecretValue"


def parsed(*statements):
    result = parse_policy(policy(*statements))
    assert result.is_valid, result.problems
    return result


def stmt(**fields):
    return parsed(allow(**fields)).statements[0]


def verdict(policies, action=GSV, resource=SECRET, **kwargs):
    return decide(policies, action, resource, **kwargs).verdict


# --- action matching -----------------------------------------------------------------------

@pytest.mark.parametrize("pattern", ["secretsmanager:GetSecretValue", "SecretsManager:getsecretvalue",
                                     "SECRETSMANAGER:GETSECRETVALUE", "secretsmanager:Get*",
                                     "secretsmanager:*", "*", "secretsmanager:GetSecretValu?",
                                     "secrets*:*Secret*", "s?cretsmanager:GetSecretValue"])
def test_action_matches_case_insensitively_with_wildcards(pattern):
    assert statement_covers_action(stmt(Action=pattern, Resource="*"), GSV)
    assert statement_covers_action(stmt(Action=pattern, Resource="*"), "SECRETSMANAGER:getSECRETvalue")


@pytest.mark.parametrize("pattern", ["secretsmanager:GetSecretValu", "secretsmanager:List*", "sts:*",
                                     "secretsmanager:GetSecretValue?", "secretsmanager:Get?", "s3:*"])
def test_action_does_not_match(pattern):
    assert not statement_covers_action(stmt(Action=pattern, Resource="*"), GSV)


def test_action_matches_helper_takes_lower_cased_pattern():
    assert action_matches("sts:assume*", "STS:AssumeRole")
    assert not action_matches("sts:assume?", "sts:AssumeRole")


def test_not_action_matches_everything_it_does_not_list():
    statement = stmt(NotAction=["iam:*", "sts:AssumeRole"], Resource="*")
    assert statement_covers_action(statement, GSV)
    assert statement_covers_action(statement, "sts:AssumeRoleWithSAML")
    assert not statement_covers_action(statement, "IAM:CreateUser")
    assert not statement_covers_action(statement, "STS:ASSUMEROLE")


# --- resource matching ---------------------------------------------------------------------

def test_resource_matches_case_sensitively_with_wildcards():
    assert statement_covers_resource(stmt(Action="*", Resource="*"), SECRET)
    assert statement_covers_resource(stmt(Action="*", Resource="arn:aws:secretsmanager:*:*:secret:*"), SECRET)
    pinned = SECRET[:-6] + "??????"
    assert statement_covers_resource(stmt(Action="*", Resource=pinned), SECRET)
    assert not statement_covers_resource(stmt(Action="*", Resource=pinned), SECRET + "x")
    assert not statement_covers_resource(stmt(Action="*", Resource=SECRET.upper()), SECRET)
    assert not statement_covers_resource(stmt(Action="*", Resource="arn:aws:secretsmanager:*:*:secret:Catalog/*"),
                                         SECRET)


def test_not_resource_matches_everything_it_does_not_list():
    statement = stmt(Action="*", NotResource="arn:aws:s3:::*")
    assert statement_covers_resource(statement, SECRET)
    assert not statement_covers_resource(statement, "arn:aws:s3:::bucket/key")


def test_trust_statement_without_resource_covers_the_role():
    statement = parsed(trust_allow()).statements[0]
    assert statement_covers_resource(statement, ROLE)


def test_glob_match():
    assert glob_match("a*c", "abbbc") and glob_match("a?c", "abc") and not glob_match("a?c", "abbc")
    assert not glob_match("ABC", "abc") and glob_match("ABC", "abc", ignore_case=True)
    assert glob_match("a.c", "a.c") and not glob_match("a.c", "abc")      # no regex leaks
    assert glob_match("arn:aws:iam::${aws:userid}:root", ROOT_ARN)       # a variable is a wildcard


# --- principals ----------------------------------------------------------------------------

def test_principal_matching():
    caller = (USER, ACCOUNT)
    assert principal_matches(Principal("*", "*"), *caller)
    assert principal_matches(Principal("AWS", "*"), *caller)
    assert principal_matches(Principal("AWS", USER), *caller)
    assert principal_matches(Principal("AWS", ROOT_ARN), *caller)
    assert not principal_matches(Principal("AWS", "arn:aws:iam::999999999999:root"), *caller)
    assert not principal_matches(Principal("AWS", USER.upper()), *caller)
    assert not principal_matches(Principal("Service", "ec2.amazonaws.com"), *caller)


def test_not_principal_covers_everyone_else():
    statement = parsed(allow(NotPrincipal={"AWS": USER}, Action="sts:AssumeRole")).statements[0]
    assert not statement_covers_principal(statement, USER, ACCOUNT)
    assert statement_covers_principal(statement, USER.replace("reader", "other"), ACCOUNT)


# --- conditions ----------------------------------------------------------------------------

KEY = "aws:PrincipalTag/team"
ABSENT = RequestContext(absent=frozenset({KEY.lower()}))


def present(*values):
    return RequestContext({KEY.lower(): tuple(values)})


def cond(operator, values, key=KEY):
    return stmt(Action="*", Resource="*", Condition={operator: {key: values}}).conditions[0]


@pytest.mark.parametrize("operator, values, context, expected", [
    ("StringEquals", "a", present("a"), Tri.TRUE),
    ("StringEquals", "a", present("A"), Tri.FALSE),
    ("StringEquals", ["x", "a"], present("a"), Tri.TRUE),
    ("StringEquals", "a", ABSENT, Tri.FALSE),
    ("StringEquals", "a", EMPTY_CONTEXT, Tri.UNKNOWN),
    ("StringEqualsIgnoreCase", "a", present("A"), Tri.TRUE),
    ("StringNotEquals", "a", present("a"), Tri.FALSE),
    ("StringNotEquals", "a", present("b"), Tri.TRUE),
    ("StringNotEquals", ["a", "b"], present("b"), Tri.FALSE),
    ("StringNotEquals", "a", ABSENT, Tri.TRUE),          # negated operators match an absent key
    ("StringNotLike", "a*", ABSENT, Tri.TRUE),
    ("StringEqualsIfExists", "a", ABSENT, Tri.TRUE),
    ("StringEqualsIfExists", "a", present("b"), Tri.FALSE),
    ("StringEqualsIfExists", "a", present("a"), Tri.TRUE),
    ("ForAllValues:StringEquals", "a", ABSENT, Tri.TRUE),  # vacuously true
    ("ForAllValues:StringEquals", ["a", "b"], present("a", "b"), Tri.TRUE),
    ("ForAllValues:StringEquals", ["a", "b"], present("a", "c"), Tri.FALSE),
    ("ForAnyValue:StringEquals", "a", ABSENT, Tri.FALSE),
    ("ForAnyValue:StringEquals", "a", present("z", "a"), Tri.TRUE),
    ("ForAnyValue:StringNotEquals", "a", ABSENT, Tri.FALSE),
    ("ForAnyValue:StringNotEquals", "a", present("a", "b"), Tri.TRUE),
    ("StringLike", "a*c", present("abbc"), Tri.TRUE),
    ("StringLike", "a?c", present("abc"), Tri.TRUE),
    ("StringLike", "a?c", present("abbc"), Tri.FALSE),
    ("StringLike", "a*c", present("ABC"), Tri.FALSE),
    ("StringLike", "*", ABSENT, Tri.FALSE),
    ("StringLikeIfExists", "*", ABSENT, Tri.TRUE),
    ("Null", "true", ABSENT, Tri.TRUE),
    ("Null", "true", present("a"), Tri.FALSE),
    ("Null", "false", present("a"), Tri.TRUE),
    ("Null", "false", ABSENT, Tri.FALSE),
    ("Null", True, ABSENT, Tri.TRUE),                     # a JSON boolean
    ("Null", "true", EMPTY_CONTEXT, Tri.UNKNOWN),
    ("Bool", "true", present("true"), Tri.TRUE),
    ("Bool", True, present("false"), Tri.FALSE),
    ("Bool", "true", ABSENT, Tri.FALSE),
    ("NumericLessThan", 10, present("9"), Tri.TRUE),
    ("NumericLessThan", "10", present("10"), Tri.FALSE),
    ("NumericLessThan", "10", present("ten"), Tri.UNKNOWN),
    ("NumericGreaterThanEquals", "10", present("10"), Tri.TRUE),
    ("DateGreaterThan", "2020-01-01T00:00:00Z", present("2024-06-01T00:00:00Z"), Tri.TRUE),
    ("DateLessThan", "2020-01-01T00:00:00Z", present("2024-06-01T00:00:00Z"), Tri.FALSE),
    ("IpAddress", "10.0.0.0/8", present("10.1.2.3"), Tri.TRUE),
    ("IpAddress", "10.0.0.0/8", present("192.168.0.1"), Tri.FALSE),
    ("NotIpAddress", "10.0.0.0/8", present("10.1.2.3"), Tri.FALSE),
    ("NotIpAddressIfExists", "10.0.0.0/8", ABSENT, Tri.TRUE),
    ("ArnLike", "arn:aws:iam::*:role/*", present(ROLE), Tri.TRUE),
    ("ArnNotLike", "arn:aws:iam::*:user/*", present(ROLE), Tri.TRUE),
])
def test_condition_operators(operator, values, context, expected):
    assert evaluate_condition(cond(operator, values), context) is expected


def test_condition_keys_are_case_insensitive_in_policies():
    condition = cond("StringEquals", STRONG_ID, key="STS:EXTERNALID")
    context = RequestContext({"sts:externalid": (STRONG_ID,)})
    assert evaluate_condition(condition, context) is Tri.TRUE
    assert evaluate_condition(condition, RequestContext({"sts:externalid": ("other",)})) is Tri.FALSE


def test_condition_keys_are_case_insensitive_in_the_context():
    condition = cond("StringEquals", STRONG_ID, key="sts:ExternalId")
    assert evaluate_condition(condition, RequestContext({"sts:ExternalId": (STRONG_ID,)})) is Tri.TRUE


# --- decisions -----------------------------------------------------------------------------

def test_allow_and_implicit_deny():
    grants = parsed(allow(Action="secretsmanager:Get*", Resource="*"))
    assert verdict([grants]) is Verdict.ALLOWED
    assert verdict([grants], action="secretsmanager:PutSecretValue") is Verdict.NOT_ALLOWED
    assert verdict([]) is Verdict.NOT_ALLOWED
    assert not decide([grants], "s3:GetObject", "*").allowed


def test_explicit_deny_wins_across_policies():
    grants = parsed(allow(Action="*", Resource="*"))
    denies = parsed(deny(Action="secretsmanager:*", Resource="arn:aws:secretsmanager:*:*:secret:catalog/*"))
    decision = decide([grants, denies], GSV, SECRET)
    assert decision.verdict is Verdict.DENIED and not decision.allowed
    assert [s.effect for s in decision.denies] == ["Deny"]
    assert verdict([grants, denies], resource=SECRET.replace("catalog/", "other/")) is Verdict.ALLOWED


def test_not_action_not_resource_grants():
    # NotAction iam:* on * grants GetSecretValue.
    assert verdict([parsed(allow(NotAction="iam:*", Resource="*"))]) is Verdict.ALLOWED
    assert verdict([parsed(allow(Action="*", NotResource=SECRET))]) is Verdict.NOT_ALLOWED
    assert verdict([parsed(allow(Action="*", NotResource="arn:aws:s3:::*"))]) is Verdict.ALLOWED


def test_unknown_condition_makes_a_conditional_allow():
    grants = parsed(allow(Action=GSV, Resource="*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    decision = decide([grants], GSV, SECRET)
    assert decision.verdict is Verdict.CONDITIONAL and decision.allowed
    assert any("aws:SourceIp" in note for note in decision.notes)
    assert len(decision.allows) == 1


def test_definite_allow_with_conditional_deny_is_conditional():
    grants = parsed(allow(Action=GSV, Resource="*"),
                    deny(Action="*", Resource="*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}}))
    assert verdict([grants]) is Verdict.CONDITIONAL


def test_conditional_deny_alone_does_not_allow():
    denies = parsed(deny(Action="*", Resource="*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}}))
    assert verdict([denies]) is Verdict.NOT_ALLOWED


def test_known_false_condition_drops_the_statement():
    grants = parsed(allow(Action=GSV, Resource="*", Condition={"StringEquals": {"aws:PrincipalTag/team": "x"}}))
    context = RequestContext({"aws:principaltag/team": ("y",)})
    assert verdict([grants], context=context) is Verdict.NOT_ALLOWED
    assert verdict([grants], context=RequestContext({"aws:principaltag/team": ("x",)})) is Verdict.ALLOWED


@pytest.mark.parametrize("boundary, expected", [
    (None, Verdict.ALLOWED),                                                          # no boundary
    ([parsed(allow(Action="secretsmanager:*", Resource="*"))], Verdict.ALLOWED),
    ([parsed(allow(Action="s3:*", Resource="*"))], Verdict.NOT_ALLOWED),
    ([], Verdict.NOT_ALLOWED),                                             # a boundary allowing nothing
    ([parsed(allow(Action="*", Resource="*"), deny(Action=GSV, Resource="*"))], Verdict.DENIED),
    ([parsed(allow(Action="*", Resource="*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))],
     Verdict.CONDITIONAL),
])
def test_permissions_boundary_intersects(boundary, expected):
    identity = [parsed(allow(Action="secretsmanager:GetSecretValue", Resource="*"))]
    decision = decide(identity, GSV, SECRET, boundary=boundary)
    assert decision.verdict is expected
    if boundary is not None and expected is not Verdict.ALLOWED:
        assert any("permissions boundary" in note for note in decision.notes)


def test_boundary_does_not_grant_on_its_own():
    boundary = [parsed(allow(Action="*", Resource="*"))]
    assert verdict([parsed(allow(Action="s3:*", Resource="*"))], boundary=boundary) is Verdict.NOT_ALLOWED


def test_trust_decision_with_caller_and_external_id():
    trust = parsed(trust_allow(condition={"StringEquals": {"STS:EXTERNALID": STRONG_ID}}))
    caller = (USER, ACCOUNT)
    with_id = RequestContext({"sts:externalid": (STRONG_ID,)})
    assert verdict([trust], "sts:AssumeRole", ROLE, caller=caller, context=with_id) is Verdict.ALLOWED
    assert verdict([trust], "sts:AssumeRole", ROLE, caller=caller,
                   context=RequestContext(absent=frozenset({"sts:externalid"}))) is Verdict.NOT_ALLOWED
    assert verdict([trust], "sts:AssumeRole", ROLE, caller=caller) is Verdict.CONDITIONAL
    other = (USER.replace("reader", "other"), ACCOUNT)
    assert verdict([trust], "sts:AssumeRole", ROLE, caller=other, context=with_id) is Verdict.NOT_ALLOWED


def test_trust_decision_account_root_and_deny():
    trust = parsed(trust_allow({"AWS": ACCOUNT}),
                   deny(Principal="*", Action="sts:AssumeRole",
                        Condition={"StringNotEquals": {"sts:ExternalId": STRONG_ID}}))
    caller = (USER, ACCOUNT)
    absent = RequestContext(absent=frozenset({"sts:externalid"}))
    assert verdict([trust], "sts:AssumeRole", ROLE, caller=caller, context=absent) is Verdict.DENIED
    assert verdict([trust], "sts:AssumeRole", ROLE, caller=caller,
                   context=RequestContext({"sts:externalid": (STRONG_ID,)})) is Verdict.ALLOWED
    assert verdict([trust], "sts:AssumeRole", ROLE, caller=("arn:aws:iam::999999999999:user/x", "999999999999"),
                   context=RequestContext({"sts:externalid": (STRONG_ID,)})) is Verdict.NOT_ALLOWED


def test_service_principal_does_not_admit_a_user():
    trust = parsed(trust_allow({"Service": "ec2.amazonaws.com"}))
    assert verdict([trust], "sts:AssumeRole", ROLE, caller=(USER, ACCOUNT)) is Verdict.NOT_ALLOWED


# --- linear-time wildcard matching ------------------------------------------------------------

def _reference(pattern, text):
    """What IAM's `*`/`?` mean, as a regular expression (slow on hostile input, fine on small)."""
    import re

    return re.fullmatch("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern),
                        text, re.DOTALL) is not None


def test_glob_match_agrees_with_the_reference_meaning():
    import random

    rng = random.Random(20261202)   # seeded: 3,000 small cases, the same every run
    for _ in range(3000):
        pattern = "".join(rng.choice("ab*?:/") for _ in range(rng.randint(0, 8)))
        text = "".join(rng.choice("ab:/*?") for _ in range(rng.randint(0, 10)))
        assert glob_match(pattern, text) == _reference(pattern, text), (pattern, text)


@pytest.mark.parametrize("pattern, text", [
    ("*" * 1000, "x" * 1000),
    ("*a" * 500, "a" * 2000 + "b"),                      # every star must be tried by a backtracker
    ("arn:" + "*a" * 16 + "*", "arn:" + "a" * 190 + "b"),  # the 190-character resource that hung scan
    ("?*" * 500, "x" * 999),
], ids=["stars", "star-a", "scan-resource", "any-star"])
def test_hostile_patterns_match_in_milliseconds(pattern, text):
    import time

    start = time.perf_counter()
    glob_match(pattern + "z", text)        # a fresh pattern: the compile is timed too
    glob_match(pattern, text)
    assert time.perf_counter() - start < 0.5   # a backtracking regex takes minutes on these


def test_policy_variable_is_literal_without_variables():
    assert glob_match("arn:aws:iam::1:user/${aws:username}", "arn:aws:iam::1:user/bob")
    assert not glob_match("arn:aws:iam::1:user/${aws:username}", "arn:aws:iam::1:user/bob", variables=False)
    assert glob_match("a${x}", "a${x}", variables=False)
