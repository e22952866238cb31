"""LP-001 secrets-read-wildcard-resource (lint): an Allow reading secrets on "*", through
NotResource, or on a wildcard pattern FAILs medium; exact or "-??????"-pinned secrets PASS."""
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

from lint_helpers import SECRET, USER, allow, deny, lint, policy, single, statuses, trust_allow  # noqa: E402

RULE = "LP-001"
ALL_SECRETS = "arn:aws:secretsmanager:*:*:secret:*"
PINNED = "arn:aws:secretsmanager:us-east-1:123456789012:secret:catalog/prod-db-??????"


def check(*statements, **kwargs):
    return lint(policy(*statements, **kwargs), RULE)


@pytest.mark.parametrize("action", ["secretsmanager:GetSecretValue", "SecretsManager:getsecretvalue",
                                    "secretsmanager:Get*", "secretsmanager:*", "*",
                                    ["secretsmanager:BatchGetSecretValue", "secretsmanager:GetSecretValue"],
                                    "secretsmanager:GetSecretValu?"])
def test_secret_read_on_star_fails_medium(action):
    result = single(check(allow(Sid="Read", Action=action, Resource="*")))
    assert (result.status, result.severity, result.rule_id) == ("FAIL", "medium", "LP-001")
    assert result.location == {"document": "identity-policy", "statement": 0, "sid": "Read"}
    assert result.resource == "test.json"
    assert '"*"' in result.message and "statement 0 (Read)" in result.message


def test_statement_as_object_fails_at_statement_zero():
    result = single(check(allow(Action="secretsmanager:GetSecretValue", Resource="*"), as_list=False))
    assert (result.status, result.severity, result.location["statement"]) == ("FAIL", "medium", 0)
    assert result.location["sid"] is None


def test_not_action_iam_on_star_grants_get_secret_value():
    result = single(check(allow(NotAction="iam:*", Resource="*")))
    assert (result.status, result.severity) == ("FAIL", "medium")
    assert result.evidence["actions"] == ["secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue"]


def test_batch_get_secret_value_alone_on_star_passes():
    # Catalogue v1.1 and the Secrets Manager API reference (BatchGetSecretValue): it supports only
    # Resource "*" and needs GetSecretValue on each secret, so on its own it reads nothing.
    assert statuses(check(allow(Action="secretsmanager:BatchGetSecretValue", Resource="*"))) == [("PASS", "medium")]
    assert statuses(check(allow(NotAction="secretsmanager:GetSecretValue", Resource="*"))) == [("PASS", "medium")]


def test_batch_get_on_star_beside_a_pinned_get_secret_value_passes():
    # The only way AWS lets BatchGetSecretValue be used: GetSecretValue pinned, BatchGet on "*".
    assert statuses(check(allow(Action="secretsmanager:GetSecretValue", Resource=SECRET),
                          allow(Action="secretsmanager:BatchGetSecretValue", Resource="*"))) == [("PASS", "medium")]


def test_remediation_keeps_batch_get_on_star_apart():
    result = single(check(allow(Action="secretsmanager:*", Resource="*")))
    assert result.status == "FAIL"
    narrowed = json.loads(result.remediation.split("Replace the statement with ", 1)[1].split("; keep", 1)[0])
    assert narrowed["Action"] == "secretsmanager:GetSecretValue"
    assert "BatchGetSecretValue in a statement of its own" in result.remediation


def test_not_action_excluding_secretsmanager_passes():
    assert statuses(check(allow(NotAction="secretsmanager:*", Resource="*"))) == [("PASS", "medium")]


def test_not_resource_fails():
    result = single(check(allow(Action="secretsmanager:GetSecretValue", NotResource=SECRET)))
    assert (result.status, result.severity) == ("FAIL", "medium")
    assert result.evidence["not_resource"] is True and "NotResource" in result.message


@pytest.mark.parametrize("resource", [ALL_SECRETS,
                                      "arn:aws:secretsmanager:us-east-1:123456789012:secret:*",
                                      "arn:aws:secretsmanager:us-east-1:123456789012:secret:catalog/*",
                                      "arn:aws:secretsmanager:us-east-1:123456789012:*",
                                      "arn:aws:secretsmanager:*:123456789012:secret:catalog/prod-db-??????",
                                      "arn:aws:*:*:*:*",
                                      [SECRET, "*"]])
def test_wildcard_secret_patterns_fail(resource):
    result = single(check(allow(Action="secretsmanager:GetSecretValue", Resource=resource)))
    assert (result.status, result.severity) == ("FAIL", "medium")


@pytest.mark.parametrize("resource", [SECRET, PINNED, [PINNED, SECRET],
                                      "arn:aws:secretsmanager:us-east-1:123456789012:secret:catalog/prod-db"])
def test_pinned_or_exact_secrets_pass(resource):
    result = single(check(allow(Action="secretsmanager:GetSecretValue", Resource=resource)))
    assert (result.status, result.severity, result.location) == ("PASS", "medium", None)


@pytest.mark.parametrize("resource", ["arn:aws:s3:::my-bucket/*",
                                      ["arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/*"],
                                      "arn:aws:iam::123456789012:role/*", "arn:aws:SecretsManager:*:*:secret:*"])
def test_star_action_on_resources_that_are_not_secrets_passes(resource):
    assert statuses(check(allow(Action="*", Resource=resource))) == [("PASS", "medium")]


@pytest.mark.parametrize("action", ["secretsmanager:DescribeSecret", "secretsmanager:List*",
                                    "s3:GetObject", "secretsmanager:PutSecretValue", "kms:Decrypt"])
def test_other_actions_on_star_pass(action):
    assert statuses(check(allow(Action=action, Resource="*"))) == [("PASS", "medium")]


def test_deny_statements_are_not_grants():
    assert statuses(check(deny(Action="secretsmanager:*", Resource="*"))) == [("PASS", "medium")]


def test_conditional_allow_still_counts_as_a_grant():
    result = single(check(allow(Action="secretsmanager:GetSecretValue", Resource="*",
                                Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})))
    assert (result.status, result.severity) == ("FAIL", "medium")
    assert "under conditions" in result.message


def test_one_fail_per_bad_statement_each_with_its_own_location():
    results = check(allow(Sid="A", Action="secretsmanager:GetSecretValue", Resource="*"),
                    allow(Sid="B", Action="s3:*", Resource="*"),
                    allow(Sid="C", Action="*", Resource="arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/*"),
                    allow(Sid="D", Action="secretsmanager:GetSecretValue", Resource=PINNED))
    assert statuses(results) == [("FAIL", "medium"), ("FAIL", "medium")]
    assert [(r.location["statement"], r.location["sid"]) for r in results] == [(0, "A"), (2, "C")]
    assert len({r.fingerprint for r in results}) == 2


def test_remediation_quotes_the_narrowed_statement():
    result = single(check(allow(Sid="Read", Action="secretsmanager:Get*", Resource="*")))
    narrowed = json.loads(result.remediation.split("Replace the statement with ", 1)[1])
    assert narrowed["Sid"] == "Read" and narrowed["Effect"] == "Allow"
    assert narrowed["Action"] == "secretsmanager:GetSecretValue"
    assert narrowed["Resource"] != ["*"]


def test_trust_policy_is_skipped():
    result = single(lint(policy(trust_allow({"AWS": USER})), RULE))
    assert result.status == "SKIP"


def test_unreadable_document_is_skipped():
    assert single(lint("{nope", RULE)).status == "SKIP"


def test_url_encoded_and_yaml_documents_are_linted():
    from urllib.parse import quote

    doc = policy(allow(Action="secretsmanager:*", Resource="*"))
    assert statuses(lint(quote(json.dumps(doc)), RULE)) == [("FAIL", "medium")]
    yaml_text = "Version: '2012-10-17'\nStatement:\n  Effect: Allow\n  Action: secretsmanager:*\n  Resource: '*'\n"
    assert statuses(lint(yaml_text, RULE, yaml=True)) == [("FAIL", "medium")]
