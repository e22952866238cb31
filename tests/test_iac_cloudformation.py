"""The CloudFormation reader: templates → Inventory.

Formats and meanings from the AWS CloudFormation User Guide:
- Intrinsic function reference: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
- Pseudo parameters: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html
- Ref return values per type, e.g. AWS::IAM::Role ("Ref returns the resource name"):
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-role.html
- AWS::SecretsManager::Secret ("Ref returns the ARN of the secret"), and the six random
  characters Secrets Manager appends to a secret's ARN:
  https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html#iam-resources
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.iac import CLOUDFORMATION, detect, read
from auditor.policy import load_document
from auditor.unknown import Unknown, is_unknown

DATA = Path(__file__).parent / "data" / "iac" / "cloudformation"


def inventory_of(name: str | None = None, text: str | None = None, **known):
    if name:
        text = (DATA / name).read_text()
    data = load_document(text, yaml_allowed=True)
    assert detect(data) == CLOUDFORMATION
    return read(name or "inline.yaml", text, data, CLOUDFORMATION, **known)


def template(resources: str, extra: str = "") -> str:
    return "AWSTemplateFormatVersion: '2010-09-09'\n" + extra + "Resources:\n" + resources


def test_guide_template_resolves_entities_and_lines():
    inv = inventory_of("guide-setup.yaml")
    assert inv.problems == []
    role, = inv.roles
    assert role.name == "secret-reader" and role.path == "/saas/"
    assert role.source.address == "ReaderRole" and role.source.line == 40
    assert role.max_session_duration == 43200                        # Fn::FindInMap resolved
    assert role.trust_policy.statement_lines == (55, 62)
    trust = role.trust_policy.document["Statement"]
    assert trust[1]["Condition"]["StringEquals"]["sts:ExternalId"] == Unknown("parameter ExternalIdParameter")
    # A parameter's Default is not its value.
    assert "not-the-value" not in str(role.trust_policy.document)
    assert [w.rule for w in role.waivers] == ["SESSION-001"]
    user, = inv.users
    assert [d.name for d in user.inline] == ["assume-reader"]         # AWS::IAM::Policy attached
    assert [k.source.address for k in user.access_keys] == ["SaasUserKey"]


def test_account_is_unknown_in_lint_and_known_when_given():
    role, = inventory_of("guide-setup.yaml").roles
    assert is_unknown(role.arn) and role.arn.shape == "arn:aws:iam::*:role/saas/secret-reader"
    role, = inventory_of("guide-setup.yaml", account_id="111122223333", region="eu-west-1").roles
    assert role.arn == "arn:aws:iam::111122223333:role/saas/secret-reader" and not is_unknown(role.arn)
    secret, = inventory_of("guide-setup.yaml", account_id="111122223333", region="eu-west-1").secrets
    assert secret.arn == "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/db/password-??????"


def test_secret_policy_key_and_if_on_undecidable_condition():
    inv = inventory_of("guide-setup.yaml")
    secret, = inv.secrets
    assert secret.name == "app/db/password"                           # Fn::Join resolved
    assert secret.resource_policy is not None and secret.resource_policy.source.address == "AppSecretPolicy"
    key, = inv.keys
    assert secret.kms_key_id == key.key_id and is_unknown(key.key_id)
    kms_statement = inv.roles[0].inline[0].document["Statement"][2]
    assert is_unknown(kms_statement["Resource"])                      # IsProd depends on a parameter


def test_json_template_managed_policies_groups_generated_names():
    inv = inventory_of("managed-and-groups.json")
    role, = inv.roles
    assert is_unknown(role.name) and [d.name for d in role.inline] == ["extra"]
    assert is_unknown(role.max_session_duration)
    policy, = inv.managed_policies
    assert role.managed_arns == (policy.managed_arn,)
    assert policy.source.line == 10 and policy.statement_lines == (14,)
    assert policy.document["Statement"][0]["Resource"].shape == "arn:aws:secretsmanager:*:*:secret:app/*"
    user, = inv.users
    group, = inv.groups
    assert user.groups == (group.name,) and user.has_login_profile
    assert is_unknown(role.inline[0].document["Statement"][0]["Resource"])   # Fn::ImportValue
    messages = [p.message for p in inv.problems]
    assert any("NoType has no Type" in m for m in messages)
    assert any("Nowhere" in m for m in messages)


@pytest.mark.parametrize("expression, expected", [
    ("!Sub 'arn:aws:s3:::${Name}-logs'", "arn:aws:s3:::bucket-logs"),
    ("!Sub ['${A}/${!Literal}', {A: x}]", "x/${Literal}"),
    ("!Join [':', [a, !Select [1, [b, c]]]]", "a:c"),
    ("!Select [0, !Split [',', 'p,q']]", "p"),
    ("!If [Always, left, right]", "left"),
    ("!If [Never, left, right]", "right"),
    ("!Base64 abc", "YWJj"),
])
def test_intrinsics_with_known_inputs(expression, expected):
    text = template(f"""  R:
    Type: AWS::IAM::Role
    Properties:
      RoleName: {expression}
      AssumeRolePolicyDocument: {{Version: '2012-10-17', Statement: []}}
""", "Mappings: {}\nConditions:\n  Always: !Equals [a, a]\n  Never: !Not [!Condition Always]\n"
     "Parameters: {P: {Type: String}}\n").replace("${Name}", "bucket")
    role, = inventory_of(text=text).roles
    assert role.name == expected and not is_unknown(role.name)


@pytest.mark.parametrize("expression", [
    "!Ref P", "!ImportValue Shared", "!Sub '${P}-x'", "!Join ['', [a, !Ref P]]",
    "!If [Maybe, a, b]", "!Select [0, !GetAZs '']", "!Select [0, !Split [',', !Ref P]]",
])
def test_intrinsics_with_deploy_time_inputs_are_unknown(expression):
    text = template(f"""  R:
    Type: AWS::IAM::Role
    Properties:
      RoleName: {expression}
      AssumeRolePolicyDocument: {{Version: '2012-10-17', Statement: []}}
""", "Parameters: {P: {Type: String, Default: known}}\nConditions:\n  Maybe: !Equals [!Ref P, x]\n")
    role, = inventory_of(text=text).roles
    assert is_unknown(role.name) and "*" not in role.name


@pytest.mark.parametrize("body, fragment", [
    ("  R:\n    Type: AWS::IAM::Role\n    Properties: [1]\n", "Properties is not a mapping"),
    ("  R:\n    Type: AWS::IAM::Role\n    Properties: {RoleName: !Select [x, []]}\n", "Fn::Select"),
    ("  R:\n    Type: AWS::IAM::Role\n    Properties: {RoleName: !If [Missing, a, b]}\n", "Missing"),
    ("  R:\n    Type: AWS::IAM::Role\n    Properties: {RoleName: !Sub [1, 2, 3]}\n", "Fn::Sub"),
    ("  R: just text\n", "not a mapping"),
    ("  R:\n    Type: AWS::IAM::Role\n    Properties: {RoleName: !GetAtt R.Arn}\n", "nested too deeply"),
    ("  R:\n    Type: AWS::IAM::Role\n    Metadata: {iam-auditor: {waivers: [{rule: LP-001}]}}\n"
     "    Properties: {AssumeRolePolicyDocument: {}}\n", "waiver 1"),
    ("  R:\n    Type: AWS::IAM::Role\n    Metadata: {iam-auditor: {waivers: [{rule: LP-001, reason: r, "
     "expires: soon}]}}\n    Properties: {AssumeRolePolicyDocument: {}}\n", "is not a date"),
    ("  R:\n    Type: AWS::IAM::Role\n    Metadata: {iam-auditor: [1]}\n"
     "    Properties: {AssumeRolePolicyDocument: {}}\n", "must hold a list of waivers"),
])
def test_malformed_content_is_a_problem_not_an_exception(body, fragment):
    inv = inventory_of(text=template(body))
    assert any(fragment in p.message for p in inv.problems), inv.problems


def test_resources_not_a_mapping():
    inv = inventory_of(text="AWSTemplateFormatVersion: '2010-09-09'\nResources: [1, 2]\n")
    assert [p.message for p in inv.problems] == ["the template's Resources is not a mapping of resources"]


def test_policy_document_as_json_string_and_other_types_ignored():
    text = template("""  Bucket:
    Type: AWS::S3::Bucket
  U:
    Type: AWS::IAM::User
    Properties:
      UserName: u
      Policies:
        - PolicyName: p
          PolicyDocument: '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}'
""")
    inv = inventory_of(text=text)
    user, = inv.users
    assert user.inline[0].document["Statement"][0]["Action"] == "s3:*"
    assert inv.problems == [] and inv.roles == [] and inv.secrets == []


def test_user_policy_group_policy_and_inactive_key():
    text = template("""  G:
    Type: AWS::IAM::Group
    Properties: {GroupName: g}
  U:
    Type: AWS::IAM::User
    Properties: {UserName: u, Groups: [!Ref G]}
  UP:
    Type: AWS::IAM::UserPolicy
    Properties: {UserName: !Ref U, PolicyName: up, PolicyDocument: {Version: '2012-10-17', Statement: []}}
  GP:
    Type: AWS::IAM::GroupPolicy
    Properties: {GroupName: g, PolicyName: gp, PolicyDocument: {Version: '2012-10-17', Statement: []}}
  K:
    Type: AWS::IAM::AccessKey
    Properties: {UserName: u, Status: Inactive}
""")
    inv = inventory_of(text=text)
    user, = inv.users
    group, = inv.groups
    assert [d.name for d in user.inline] == ["up"] and [d.name for d in group.inline] == ["gp"]
    assert user.groups == ("g",) and user.access_keys[0].status == "Inactive"


def test_kms_alias_and_key_enabled_parameter():
    text = template("""  Key:
    Type: AWS::KMS::Key
    Properties:
      Enabled: !Ref KeyOn
      KeyPolicy: {Version: '2012-10-17', Statement: []}
  Alias:
    Type: AWS::KMS::Alias
    Properties: {AliasName: alias/app, TargetKeyId: !Ref Key}
  Secret:
    Type: AWS::SecretsManager::Secret
    Properties: {KmsKeyId: !Ref Alias}
""", "Parameters: {KeyOn: {Type: String, AllowedValues: ['true', 'false']}}\n")
    inv = inventory_of(text=text)
    key, = inv.keys
    secret, = inv.secrets
    assert is_unknown(key.enabled) and key.policy.name == "KeyPolicy"
    assert secret.kms_key_id == "alias/app"
    assert is_unknown(secret.name) and is_unknown(secret.arn)      # no Name: generated


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8),
                     st.sampled_from(["AWS::AccountId", "AWS::NoValue", "P", "R", "R.Arn", "${P}-${R.Arn}"]))
_INTRINSICS = ["Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::Select", "Fn::Split", "Fn::If",
               "Fn::FindInMap", "Fn::Base64", "Fn::ImportValue", "Fn::Equals", "Fn::Not", "Condition"]
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(_INTRINSICS + ["Statement", "Effect", "Resource", "PolicyDocument"]),
                    inner, max_size=2)), max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(properties=st.dictionaries(st.sampled_from(
    ["RoleName", "Policies", "AssumeRolePolicyDocument", "ManagedPolicyArns", "MaxSessionDuration",
     "Path", "PolicyDocument", "Roles", "Users", "Groups", "Name", "KmsKeyId", "KeyPolicy", "SecretId",
     "ResourcePolicy", "UserName", "GroupName", "Status"]), _VALUES, max_size=5),
       kind=st.sampled_from(["AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Policy",
                             "AWS::IAM::ManagedPolicy", "AWS::IAM::AccessKey", "AWS::SecretsManager::Secret",
                             "AWS::SecretsManager::ResourcePolicy", "AWS::KMS::Key", "AWS::IAM::RolePolicy"]))
def test_reader_never_raises(properties, kind):
    data = {"Parameters": {"P": {"Type": "String"}}, "Conditions": {"C": {"Fn::Equals": [{"Ref": "P"}, "x"]}},
            "Resources": {"R": {"Type": kind, "Properties": properties},
                          "Other": {"Type": "AWS::IAM::Role", "Properties": properties}}}
    inv = read("t.json", "", data, CLOUDFORMATION)
    list(inv.documents())
