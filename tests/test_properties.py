"""Property tests: parsing and linting never raise, whatever JSON value they are given."""
import json
import os

from hypothesis import HealthCheck, given, settings, strategies as st

from auditor.engine import ERROR, STATUSES
from auditor.lint import LintDocument, lint_documents, parse_text
from auditor.policy import parse_policy

EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "2000"))

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=12), st.sampled_from(["*", "sts:AssumeRole", "s*:Get*",
                                                           "arn:aws:iam::123456789012:root"]))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=20)

keys = st.sampled_from(["Version", "Statement", "Sid", "Effect", "Action", "NotAction", "Resource",
                        "NotResource", "Principal", "NotPrincipal", "Condition", "AWS", "Service",
                        "StringEquals", "StringLikeIfExists", "ForAllValues:StringEquals",
                        "sts:ExternalId", "Null", "Bogus"])
values = st.one_of(scalars, st.sampled_from(["Allow", "Deny", "2012-10-17", "2008-10-17",
                                             "secretsmanager:GetSecretValue"]))
policy_like = st.recursive(values, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=5)), max_leaves=25)

SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _lint(document: LintDocument):
    results = list(lint_documents([document]))
    assert results
    assert all(r.status in STATUSES for r in results)
    assert not any(r.status == ERROR for r in results), [r.message for r in results if r.status == ERROR]
    return results


@SETTINGS
@given(json_values)
def test_arbitrary_json_never_raises(value):
    parse_policy(value)
    _lint(parse_text(json.dumps(value), "any.json", yaml_allowed=False))


@SETTINGS
@given(policy_like)
def test_policy_shaped_values_never_raise(value):
    policy = parse_policy({"Version": "2012-10-17", "Statement": value})
    assert all(p.severity in ("high", "medium") for p in policy.problems)
    _lint(parse_text(json.dumps({"Version": "2012-10-17", "Statement": value}), "p.json",
                     yaml_allowed=False))


@settings(max_examples=max(200, EXAMPLES // 10), deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_raises(text):
    _lint(parse_text(text, "any.yaml", yaml_allowed=True))
