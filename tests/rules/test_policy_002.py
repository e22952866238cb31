"""POLICY-002 unknown-action (catalogue v1.1): an Action naming no action AWS knows grants nothing,
so the set-up breaks at go-live. Action names follow the Service Authorization Reference:
https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html"""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for _path in (str(HERE), str(HERE.parent.parent)):
    if _path in sys.path:
        sys.path.remove(_path)
    sys.path.insert(0, _path)

import pytest  # noqa: E402

from lint_helpers import SECRET, allow, lint, policy, single, statuses, trust_allow  # noqa: E402
from scan_helpers import role_state, run, view  # noqa: E402
from auditor.snapshot import NamedPolicy  # noqa: E402

RULE = "POLICY-002"


def check(*actions, element="Action"):
    return lint(policy(allow(**{element: list(actions)}, Resource=SECRET)), RULE)


@pytest.mark.parametrize("actions", [
    ["secretsmanager:GetSecretValue"], ["SecretsManager:getsecretvalue"], ["secretsmanager:Get*"],
    ["secretsmanager:*"], ["*"], ["*:Get*"], ["secretsmanager:BatchGetSecretValue"],
    ["sts:SetContext"],                       # permission-only: no API operation has that name
    ["s3:ListBucket"],                        # an IAM action, not an operation (ListObjects)
], ids=str)
def test_known_actions_pass(actions):
    assert statuses(check(*actions)) == [("PASS", "medium")]


@pytest.mark.parametrize("action, hint", [
    ("secretsmanagr:GetSecretValue", "did you mean secretsmanager?"),
    ("secretsmanager:GetSecretValues", "did you mean secretsmanager:GetSecretValue?"),
    ("secretsmanager:Fetch*", None),
    ("secretsmanagr*:Get*", None),
])
def test_unknown_actions_fail_medium(action, hint):
    result = single(check(action))
    assert (result.status, result.severity, result.location["action"]) == ("FAIL", "medium", action.lower())
    assert "grants nothing" in result.message
    if hint:
        assert hint in result.message


def test_typo_in_not_action_excludes_nothing():
    result = single(check("secretsmanager:DeleteSecrett", element="NotAction"))
    assert result.status == "FAIL" and "excludes nothing" in result.message


def test_each_unknown_action_is_its_own_result():
    results = check("secretsmanager:GetSecretValue", "secretsmanager:GetSecretValues", "kms:Decrpyt")
    assert statuses(results) == [("FAIL", "medium"), ("FAIL", "medium")]
    assert len({r.fingerprint for r in results}) == 2


def test_a_service_the_catalogue_does_not_know_is_a_note_not_a_fail():
    result = single(check("brandnewservice2027:DoThing", "secretsmanager:GetSecretValue"))
    assert result.status == "PASS"
    assert result.evidence["services_not_in_catalogue"] == ["brandnewservice2027"]
    assert "not checked" in result.message


def test_trust_policy_actions_are_checked_too():
    doc = policy(trust_allow(action=["sts:AssumeRole", "sts:AssumeRol"]))
    assert statuses(lint(doc, RULE)) == [("FAIL", "medium")]


def test_typo_in_the_role_policy_fails_in_scan():
    typo = NamedPolicy(name="read", kind="inline", source="role", document={
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "secretsmanagr:GetSecretValue", "Resource": SECRET}]})
    results = run(RULE, view(role=role_state(policies=(typo,))))
    assert [r.status for r in results] == ["FAIL"]
    assert results[0].location["document"] == "role:inline:read"
