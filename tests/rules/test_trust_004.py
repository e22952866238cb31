"""TRUST-004 external-id-strength (lint, on the values found): AWS's format (high), length below
min_external_id_length and very low variety (medium). The ID is never shown in full."""
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

from auditor.settings import Settings  # noqa: E402
from lint_helpers import (STRONG_ID, USER, allow, deny, external_id, lint, policy, single,  # noqa: E402
                          statuses, trust_allow)

RULE = "TRUST-004"


def check(value, operator="StringEquals", settings=None, **kwargs):
    return lint(policy(trust_allow(condition=external_id(value, operator), Sid="Trust", **kwargs)), RULE,
                settings=settings)


def shown(results):
    """Everything a user can see of the results."""
    return json.dumps([r.to_dict() for r in results], ensure_ascii=False)


@pytest.mark.parametrize("value", [STRONG_ID, "Zx8-Qm2_vR9pL4+tW7=nB3,kD6.yH1@s:a/b",
                                   "a" * 10 + "B7c9d2e4f6", "x" * 1200 + "aB3_"])
def test_long_random_id_passes(value):
    result = single(check(value))
    assert (result.status, result.severity, result.rule_id, result.location) == ("PASS", "medium", "TRUST-004", None)


@pytest.mark.parametrize("value, fragment", [
    ("Zx8Qm2vR9pL", "11 characters long (minimum 16)"),
    ("c1f0e0b2-7d4e", "13 characters long"),
])
def test_short_id_is_medium(value, fragment):
    result = single(check(value))
    assert (result.status, result.severity) == ("FAIL", "medium")
    assert result.location == {"document": "trust-policy", "statement": 0, "sid": "Trust", "value": 0}
    assert fragment in result.message
    assert result.evidence == {"external_id": value[:3] + "…", "length": len(value)}


def test_account_number_as_json_number_is_digits_only_medium():
    result = single(check(123456789012))
    assert (result.status, result.severity) == ("FAIL", "medium")
    assert "digits only" in result.message and "account number" in result.message
    assert result.evidence == {"external_id": "123…", "length": 12}


@pytest.mark.parametrize("value, fragment", [
    ("12345678901234567890", "digits only"),
    ("a" * 24, "repeats one character"),
    ("abababababababababab", "only 2 distinct characters"),
])
def test_low_variety_long_id_is_medium(value, fragment):
    result = single(check(value))
    assert (result.status, result.severity) == ("FAIL", "medium")
    assert fragment in result.message


@pytest.mark.parametrize("value", ["c1f0e0b2 7d4e 4e8a 9a51", "c1f0e0b2#7d4e#4e8a#9a51", "c1f0é0b2-7d4e-4e8a-9a51",
                                   "x", "a" * 1225, "c1f0e0b2-7d4e-4e8a;9a51"])
def test_value_breaking_aws_format_is_high(value):
    result = single(check(value))
    assert (result.status, result.severity) == ("FAIL", "high")
    assert "breaks AWS's format" in result.message


def test_trailing_newline_breaks_aws_format():
    result = single(check(STRONG_ID + "\n"))
    assert (result.status, result.severity) == ("FAIL", "high")


def test_min_length_setting():
    assert statuses(check("Zx8Qm2vR9pL", settings=Settings(min_external_id_length=8))) == [("PASS", "medium")]
    assert statuses(check(STRONG_ID, settings=Settings(min_external_id_length=64))) == [("FAIL", "medium")]
    assert Settings().min_external_id_length == 16


@pytest.mark.parametrize("value", ["*", "c1f0e0b2-*", ["c1f0e0b2-????", "*"]])
def test_string_like_patterns_with_wildcards_are_skipped(value):
    # Only patterns, no ID to judge: SKIP (TRUST-003 reports the pattern), never PASS.
    assert [r.status for r in check(value, "StringLike")] == ["SKIP"]
    assert [r.status for r in check(value, "ForAnyValue:StringLikeIfExists")] == ["SKIP"]


def test_string_like_without_wildcard_is_an_id():
    assert statuses(check("short-id", "StringLike")) == [("FAIL", "medium")]


def test_each_weak_value_is_its_own_result():
    results = check([STRONG_ID, "shortid1", "Zx8-Qm2 vR9pL4tW7"])
    assert statuses(results) == [("FAIL", "medium"), ("FAIL", "high")]
    assert [r.location["value"] for r in results] == [1, 2]
    assert len({r.fingerprint for r in results}) == 2


def test_repeated_weak_value_results_have_distinct_fingerprints():
    results = check(["shortid1", "shortid1"])
    assert {r.status for r in results} == {"FAIL"}
    assert len({r.fingerprint for r in results}) == len(results)


def test_values_in_several_statements():
    doc = policy(trust_allow(Sid="A", condition=external_id("abc123XYZ")),
                 trust_allow({"AWS": "arn:aws:iam::123456789012:user/b"}, Sid="B", condition=external_id(STRONG_ID)),
                 trust_allow({"AWS": "arn:aws:iam::123456789012:user/c"}, Sid="C", condition=external_id("9" * 20)))
    results = lint(doc, RULE)
    assert statuses(results) == [("FAIL", "medium"), ("FAIL", "medium")]
    assert [r.location["sid"] for r in results] == ["A", "C"]


def test_external_id_key_is_case_insensitive():
    doc = policy(trust_allow(condition=external_id("shortid1", key="STS:EXTERNALID")))
    assert statuses(lint(doc, RULE)) == [("FAIL", "medium")]


def test_conditions_on_other_keys_are_not_external_ids():
    doc = policy(trust_allow(condition={"StringEquals": {"sts:ExternalId": STRONG_ID, "aws:PrincipalTag/t": "x"}}))
    assert statuses(lint(doc, RULE)) == [("PASS", "medium")]


def test_null_condition_value_is_not_an_external_id():
    assert [r.status for r in check("false", "Null")] == ["SKIP"]


def test_trust_policy_without_external_id_is_skipped():
    result = single(lint(policy(trust_allow({"AWS": USER})), RULE))
    assert result.status == "SKIP" and "no sts:ExternalId condition" in result.message


def test_external_id_in_explicit_deny_pattern_is_checked():
    """The "Deny unless the ID matches" pattern (TRUST-002 accepts it) keeps the ID in the Deny."""
    doc = policy(trust_allow({"AWS": USER}),
                 deny(Sid="RequireId", Principal="*", Action="sts:AssumeRole",
                      Condition={"StringNotEquals": {"sts:ExternalId": "12345"}}))
    result = single(lint(doc, RULE))
    assert (result.status, result.severity, result.location["sid"]) == ("FAIL", "medium", "RequireId")
    assert "12345" not in shown([result])


def test_strong_external_id_in_explicit_deny_pattern_passes():
    doc = policy(trust_allow({"AWS": USER}),
                 deny(Principal="*", Action="sts:*", Condition={"StringNotEquals": {"sts:ExternalId": STRONG_ID}}))
    assert statuses(lint(doc, RULE)) == [("PASS", "medium")]


def test_deny_of_other_actions_holds_no_external_id():
    doc = policy(trust_allow({"AWS": USER}, condition=external_id(STRONG_ID)),
                 deny(Principal="*", Action="sts:TagSession", Condition={"StringNotEquals": {"sts:ExternalId": "1"}}))
    assert statuses(lint(doc, RULE)) == [("PASS", "medium")]


# --- masking -------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["Zx8Qm2vR9pL", "210987654321", "c1f0e0b2 7d4e 4e8a 9a51", "a" * 24,
                                   "abc#def", STRONG_ID])
def test_external_id_is_never_shown_in_full(value):
    doc = policy(trust_allow(condition=external_id(value)),
                 trust_allow("*", condition=external_id(value, "StringLike")))
    results = lint(doc)
    assert value not in shown(results)
    weak = [r for r in results if r.rule_id == RULE and r.status == "FAIL"]
    for result in weak:
        assert result.evidence["external_id"] == (value[:3] + "…" if len(value) > 6 else "…")
        assert value[:3] + "…" in result.message or len(value) <= 6


def test_masking_of_a_short_value_hides_it_entirely():
    result = single(check("ab#cd"))
    assert result.evidence["external_id"] == "…"
    assert "ab#" not in result.message


def test_identity_policy_is_skipped():
    doc = policy(allow(Action="*", Resource="*", Condition=external_id("x")))
    assert single(lint(doc, RULE)).status == "SKIP"


# --- scan: the snapshot holds the trust policy's IDs as tokens ------------------------------

@pytest.mark.parametrize("value, expected", [("qqqqqq", ("FAIL", "medium")), (STRONG_ID, ("PASS", "medium"))])
def test_scan_decides_on_the_tokens_of_a_deny_pattern(value, expected):
    from auditor.redact import redact_trust_policy, tokens_to_values
    from scan_helpers import profile, role_state, run, user_state, view

    trust = policy(trust_allow({"AWS": USER}),
                   deny(Sid="RequireId", Principal="*", Action="sts:AssumeRole",
                        Condition={"StringNotEquals": {"sts:ExternalId": value}}))
    redacted = redact_trust_policy(trust)
    assert value not in json.dumps(redacted)
    read_back = tokens_to_values(redacted)  # as the snapshot reader gives it to the rules
    results = run(RULE, view(profile(external_id=STRONG_ID), role_state(trust_policy=read_back), user_state()))
    assert statuses(results) == [expected]
    assert value not in shown(results)
