"""AWS CLI JSON as `auditor.iac.read` gives it.

Formats: the IAM API reference's GetAccountAuthorizationDetails (RoleDetailList, UserDetailList,
GroupDetailList, Policies with PolicyVersionList/IsDefaultVersion), GetRole (MaxSessionDuration)
and GetPolicyVersion (https://docs.aws.amazon.com/IAM/latest/APIReference/
API_GetAccountAuthorizationDetails.html, API_GetRole.html, API_GetPolicyVersion.html). Policy
documents are URL-encoded in the API's answers; the AWS CLI prints them decoded: both are read.
"""
import json
from pathlib import Path

import pytest

from auditor.iac import AWS_CLI, detect, read
from auditor.iac.model import IDENTITY, TRUST
from auditor.unknown import is_unknown

DATA = Path(__file__).parent / "data" / "iac" / "awscli"
ACCOUNT = "123456789012"


def load(name, data=None):
    path = DATA / name
    text = path.read_text()
    data = json.loads(text) if data is None else data
    assert detect(data) == AWS_CLI
    return read(str(path), text, data, AWS_CLI)


@pytest.fixture(scope="module")
def gaad():
    return load("authorization-details.json")


def test_authorization_details_roles_users_groups_and_managed_policies(gaad):
    roles = {r.name: r for r in gaad.roles}
    assert set(roles) == {"read_secrets_role", "public-role", "ec2-worker"}
    reader = roles["read_secrets_role"]
    assert reader.source.address == f"arn:aws:iam::{ACCOUNT}:role/read_secrets_role"
    assert reader.trust_policy.role == TRUST
    assert reader.trust_policy.document["Statement"][0]["Condition"] == {"StringLike": {"sts:ExternalId": "*"}}
    assert [p.document["Statement"][0]["Resource"] for p in reader.inline] == ["*"]
    assert reader.managed_arns == (f"arn:aws:iam::{ACCOUNT}:policy/describe-secrets",)
    assert reader.boundary_arn == f"arn:aws:iam::{ACCOUNT}:policy/secrets-boundary"
    assert roles["ec2-worker"].path == "/service-role/"
    [user] = gaad.users
    assert user.groups == ("integrations",)
    assert user.inline[0].document["Statement"][0]["Action"] == "sts:AssumeRole"
    [group] = gaad.groups
    assert group.managed_arns == (f"arn:aws:iam::{ACCOUNT}:policy/describe-secrets",)


def test_the_default_version_of_a_managed_policy_is_the_one_read(gaad):
    policies = {p.managed_arn: p for p in gaad.managed_policies}
    describe = policies[f"arn:aws:iam::{ACCOUNT}:policy/describe-secrets"]
    assert describe.role == IDENTITY
    assert describe.document["Statement"][0]["Action"] == "secretsmanager:DescribeSecret"   # v2, not v1's "*"


def test_url_encoded_documents_are_decoded(gaad):
    public = next(r for r in gaad.roles if r.name == "public-role")
    assert public.trust_policy.document["Statement"][0]["Principal"] == {"AWS": "*"}


def test_max_session_duration_missing_from_authorization_details_is_unknown_not_the_default(gaad):
    for role in gaad.roles:
        assert is_unknown(role.max_session_duration)
    [role] = load("get-role.json").roles
    assert role.max_session_duration == 43200
    assert role.source.address == f"arn:aws:iam::{ACCOUNT}:role/read_secrets_role"


def test_get_policy_version_is_a_loose_document():
    inventory = load("get-policy-version.json")
    [document] = inventory.loose_documents
    assert document.name == "PolicyVersion v3"
    assert document.document["Statement"][0]["Action"] == "secretsmanager:GetSecretValue"


def test_lines_point_at_each_entitys_arn(gaad):
    text = (DATA / "authorization-details.json").read_text().splitlines()
    for entity in (*gaad.roles, *gaad.users, *gaad.groups):
        assert entity.source.line and entity.source.address in text[entity.source.line - 1]


def test_a_malformed_document_is_one_problem_and_no_document():
    inventory = load("authorization-details-malformed-policy.json")
    [problem] = inventory.problems
    assert problem.source.address == f"arn:aws:iam::{ACCOUNT}:role/read_secrets_role"
    assert "read-secrets" in problem.message and "not valid JSON" in problem.message
    assert inventory.roles[0].inline == ()


def test_a_truncated_answer_is_a_problem():
    data = json.loads((DATA / "authorization-details.json").read_text())
    data.update(IsTruncated=True, Marker="abc")
    inventory = load("authorization-details.json", data)
    assert any("truncated" in p.message for p in inventory.problems)


def test_wrong_types_are_problems_not_crashes():
    data = {"RoleDetailList": {"not": "a list"}, "UserDetailList": [1, {"UserName": "u", "UserPolicyList": ["x"]}],
            "Policies": [{"Arn": "arn:aws:iam::1:policy/p", "PolicyName": "p", "PolicyVersionList": []}]}
    inventory = read("dump.json", None, data, AWS_CLI)
    messages = " | ".join(p.message for p in inventory.problems)
    assert "RoleDetailList is a dict" in messages and "lists no default version" in messages
    assert "UserPolicyList" in messages
    assert [u.name for u in inventory.users] == ["u"]
