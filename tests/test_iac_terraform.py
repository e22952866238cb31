"""Terraform plan JSON as `auditor.iac.read` gives it (the inventory lint and `scan --iac` use).

Fixtures follow HashiCorp's "JSON Output Format"
(https://developer.hashicorp.com/terraform/internals/json-format): `planned_values` with
`child_modules`, `resource_changes[].change.after` / `after_unknown` / `after_sensitive`,
`prior_state`, `configuration` expressions with `references`, and `variables`. They are written
by tests/data/iac/terraform/generate.py.
"""
import copy
import json
from pathlib import Path

import pytest

from auditor.iac import TERRAFORM_PLAN, detect, read
from auditor.iac.model import IDENTITY, SECRET_POLICY, TRUST
from auditor.iac.terraform_plan import strip_keys
from auditor.unknown import Unknown, is_unknown, unknowns_in

DATA = Path(__file__).parent / "data" / "iac" / "terraform"
EXTERNAL_ID = "Zq7-catalog-ext-4f9a2b"      # the sensitive variable's value in the fixture
ACCOUNT = "123456789012"
ROLE_MODULE = 'module.platform.module.integrations.module.role["catalog"]'


def load(name="guide-plan.json", **kwargs):
    path = DATA / name
    text = path.read_text()
    data = json.loads(text)
    assert detect(data) == TERRAFORM_PLAN
    return read(str(path), text, data, TERRAFORM_PLAN, **kwargs)


@pytest.fixture(scope="module")
def plan():
    return load()


def by_address(entities):
    return {e.source.address: e for e in entities}


def test_roles_in_child_modules_at_any_depth_are_read(plan):
    roles = by_address(plan.roles)
    assert set(roles) == {"module.secrets.aws_iam_role.reader", f"{ROLE_MODULE}.aws_iam_role.this"}
    reader = roles["module.secrets.aws_iam_role.reader"]
    assert reader.name == "read_secrets_role"
    assert reader.max_session_duration == 43200
    statement = reader.trust_policy.document["Statement"][0]
    assert reader.trust_policy.role == TRUST
    assert statement["Condition"] == {"StringLike": {"sts:ExternalId": "*"}}   # kept for TRUST-003


def test_a_resource_being_destroyed_is_not_in_the_inventory(plan):
    assert all("legacy" not in r.source.address for r in plan.roles)
    assert all(r.name != "legacy-admin" for r in plan.roles)


def test_values_known_after_apply_are_unknown_never_wildcards(plan):
    roles = by_address(plan.roles)
    this = roles[f"{ROLE_MODULE}.aws_iam_role.this"]
    assert is_unknown(this.name) and this.name.shape == "catalog-*"      # name_prefix
    assert is_unknown(this.arn) and this.arn.shape == "arn:aws:iam::*:role/integrations/*"
    assert "*" not in str(this.arn) and this.arn != "*"
    reader = roles["module.secrets.aws_iam_role.reader"]
    assert is_unknown(reader.arn) and reader.arn.shape == "arn:aws:iam::*:role/read_secrets_role"


def test_the_account_a_profile_knows_makes_arns_known():
    inventory = load(account_id="123456789012")
    roles = by_address(inventory.roles)
    assert roles["module.secrets.aws_iam_role.reader"].arn == \
        "arn:aws:iam::123456789012:role/read_secrets_role"
    secret = inventory.secrets[0]
    # Secrets Manager's random suffix stays unknown, the region comes from the provider.
    assert is_unknown(secret.arn)
    assert secret.arn.shape == "arn:aws:secretsmanager:us-east-1:123456789012:secret:catalog/prod-db-*"


def test_attachment_by_reference_when_names_are_known_only_after_apply(plan):
    this = by_address(plan.roles)[f"{ROLE_MODULE}.aws_iam_role.this"]
    [policy] = [p for p in plan.managed_policies if "aws_iam_policy.read" in p.source.address]
    assert this.managed_arns == (policy.managed_arn,)     # the same Unknown: they match
    assert policy.document["Statement"][0]["Action"] == ["secretsmanager:GetSecretValue"]


def test_inline_policies_attach_by_name_and_users_get_groups_keys(plan):
    reader = by_address(plan.roles)["module.secrets.aws_iam_role.reader"]
    [inline] = reader.inline
    assert inline.role == IDENTITY and inline.name == "read-secrets"
    assert inline.document["Statement"][0]["Resource"] == "*"
    [user] = plan.users
    assert user.name == "catalog-secrets-reader"
    assert [p.document["Statement"][0]["Action"] for p in user.inline] == ["sts:AssumeRole"]
    assert user.groups == ("integrations-0",)
    assert [k.status for k in user.access_keys] == ["Active"]


def test_count_indexes_are_distinct_entities(plan):
    groups = by_address(plan.groups)
    assert set(groups) == {"aws_iam_group.team[0]", "aws_iam_group.team[1]"}
    assert [p.name for p in groups["aws_iam_group.team[1]"].inline] == ["describe"]
    assert groups["aws_iam_group.team[0]"].inline == ()


def test_data_source_policy_known_after_apply_is_rebuilt_from_its_statements(plan):
    [secret] = plan.secrets
    policy = secret.resource_policy
    assert policy.role == SECRET_POLICY
    [statement] = policy.document["Statement"]
    assert statement["Sid"] == "ReaderOnly" and statement["Resource"] == ["*"]
    # The principal is the role of the plan, by the very Unknown its RoleDef carries.
    role = by_address(plan.roles)["module.secrets.aws_iam_role.reader"]
    assert statement["Principal"] == {"AWS": [role.arn]}


def test_secret_names_its_key_by_reference(plan):
    [secret] = plan.secrets
    [key] = plan.keys
    assert secret.kms_key_id == key.key_id and is_unknown(key.key_id)
    assert key.enabled is True and key.policy.document["Statement"][0]["Sid"] == "Root"


def test_a_data_source_used_by_a_resource_is_not_linted_twice(plan):
    names = [d.name for d in plan.loose_documents]
    assert not any("policy_document.secret" in n for n in names)


def test_sensitive_values_are_unknown_and_never_kept(plan):
    this = by_address(plan.roles)[f"{ROLE_MODULE}.aws_iam_role.this"]
    value = this.trust_policy.document["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"]
    assert is_unknown(value) and "external_id" in value.what
    everything = repr([d.document for d in plan.documents()]) + repr(plan)
    assert EXTERNAL_ID not in everything


def test_malformed_policy_json_is_one_problem_naming_the_resource(plan):
    [problem] = plan.problems
    assert problem.source.address == f"{ROLE_MODULE}.aws_iam_policy.broken"
    assert "not valid JSON" in problem.message
    assert not any("broken" in str(p.source.address) for p in plan.managed_policies)


def test_lines_of_resources_in_a_pretty_printed_plan_and_none_on_one_line(plan):
    text = (DATA / "guide-plan.json").read_text().splitlines()
    for role in plan.roles:
        assert role.source.line is not None
        assert json.dumps(role.source.address) in text[role.source.line - 1]
    one_line = load("guide-plan-one-line.json")
    assert all(r.source.line is None for r in one_line.roles)
    assert {r.source.address for r in one_line.roles} == {r.source.address for r in plan.roles}


def test_a_plan_without_iam_resources_is_an_empty_inventory():
    inventory = load("no-iam-plan.json")
    assert not list(inventory.documents()) and not inventory.problems and not inventory.roles


def test_an_unsupported_major_format_version_is_one_problem():
    data = json.loads((DATA / "guide-plan.json").read_text())
    data["format_version"] = "2.0"
    inventory = read("plan.json", None, data, TERRAFORM_PLAN)
    assert len(inventory.problems) == 1 and "format_version" in inventory.problems[0].message
    assert not inventory.roles


def test_a_policy_known_only_after_apply_without_a_data_source_is_an_unknown_document():
    data = json.loads((DATA / "guide-plan.json").read_text())
    for change in data["resource_changes"]:
        if change["address"] == "module.secrets.aws_iam_role_policy.read":
            change["change"]["after"].pop("policy")
            change["change"]["after_unknown"]["policy"] = True
    inventory = read("plan.json", None, data, TERRAFORM_PLAN)
    reader = by_address(inventory.roles)["module.secrets.aws_iam_role.reader"]
    [inline] = reader.inline
    assert is_unknown(inline.document) and unknowns_in(inline.document) == [inline.document]


def test_a_replaced_resource_stays_and_a_deposed_object_does_not_count():
    data = json.loads((DATA / "guide-plan.json").read_text())
    for change in data["resource_changes"]:
        if change["address"] == "aws_iam_user.reader":
            change["change"]["actions"] = ["delete", "create"]
    deposed = copy.deepcopy(next(c for c in data["resource_changes"] if c["address"] == "aws_iam_user.reader"))
    deposed.update(deposed="00000001")
    deposed["change"]["actions"] = ["delete"]
    data["resource_changes"].append(deposed)
    inventory = read("plan.json", None, data, TERRAFORM_PLAN)
    assert [u.name for u in inventory.users] == ["catalog-secrets-reader"]


def test_instance_keys_are_stripped_for_configuration_lookups():
    assert strip_keys('module.a[0].module.b["x]y"].aws_iam_role.r[2]') == "module.a.module.b.aws_iam_role.r"


def test_unknown_values_equal_only_themselves():
    assert Unknown("known after apply: x.arn") != "*"
    assert Unknown("known after apply: x.arn") == Unknown("known after apply: x.arn")


@pytest.fixture(scope="module")
def types_plan():
    return load("resource-types-plan.json")


def test_every_resource_type_attaches_where_aws_would(types_plan):
    roles, users = {r.name: r for r in types_plan.roles}, {u.name: u for u in types_plan.users}
    [group] = types_plan.groups
    shared = f"arn:aws:iam::{ACCOUNT}:policy/shared"
    blocks = roles["blocks"]        # inline_policy blocks, managed_policy_arns, boundary, duration
    assert [p.name for p in blocks.inline] == ["inline-one"]
    assert blocks.managed_arns == ("arn:aws:iam::aws:policy/ReadOnlyAccess",)
    assert blocks.boundary_arn == f"arn:aws:iam::{ACCOUNT}:policy/boundary"
    assert blocks.max_session_duration == 7200 and blocks.trust_policy.role == TRUST
    # aws_iam_policy_attachment (roles, users, groups), aws_iam_role_policy(_attachment)
    assert roles["bare"].managed_arns == (shared,) and [p.name for p in roles["bare"].inline] == ["bare-inline"]
    assert users["bob"].managed_arns == (shared,) and group.managed_arns == (shared,)
    assert [p.name for p in group.inline] == ["ops-inline"]
    alice = users["alice"]
    assert alice.path == "/people/" and alice.arn == f"arn:aws:iam::{ACCOUNT}:user/people/alice"
    assert alice.boundary_arn == f"arn:aws:iam::{ACCOUNT}:policy/boundary"
    assert alice.managed_arns == ("arn:aws:iam::aws:policy/IAMUserChangePassword",)
    assert [p.name for p in alice.inline] == ["alice-inline"]
    # aws_iam_group_membership and aws_iam_user_group_membership
    assert set(alice.groups) == {"ops", "legacy-team"} and users["bob"].groups == ("ops",)
    # aws_iam_user_login_profile and aws_iam_access_key (status, or Unknown)
    assert alice.has_login_profile is True and users["bob"].has_login_profile is False
    assert [k.status for k in alice.access_keys] == ["Inactive"]
    assert [is_unknown(k.status) for k in users["bob"].access_keys] == [True]
    assert [p.managed_arn for p in types_plan.managed_policies] == [shared]


def test_secret_key_and_secret_policy_resources(types_plan):
    [secret], [key] = types_plan.secrets, types_plan.keys
    assert key.enabled is False
    assert secret.kms_key_id == key.key_id == f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd"
    assert secret.resource_policy.role == SECRET_POLICY
    assert secret.resource_policy.document["Statement"][0]["Principal"] == "*"


def test_an_inline_policy_for_a_role_outside_the_plan_is_linted_alone(types_plan):
    [loose] = types_plan.loose_documents
    assert loose.source.address == "aws_iam_role_policy.elsewhere" and loose.role == IDENTITY


def test_a_variable_that_is_not_sensitive_is_known_in_the_plan():
    data = json.loads((DATA / "guide-plan.json").read_text())
    data["configuration"]["root_module"]["variables"]["external_id"].pop("sensitive")
    for change in data["resource_changes"]:
        change["change"]["after_sensitive"] = {}
    inventory = read("plan.json", None, data, TERRAFORM_PLAN)
    this = by_address(inventory.roles)[f"{ROLE_MODULE}.aws_iam_role.this"]
    condition = this.trust_policy.document["Statement"][0]["Condition"]
    assert condition == {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}


def test_a_sensitive_policy_without_a_sensitive_variable_hides_every_condition_value():
    data = json.loads((DATA / "guide-plan.json").read_text())
    data["variables"]["external_id"]["value"] = "another-value-entirely"
    inventory = read("plan.json", None, data, TERRAFORM_PLAN)
    this = by_address(inventory.roles)[f"{ROLE_MODULE}.aws_iam_role.this"]
    value = this.trust_policy.document["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"]
    assert is_unknown(value)
    assert EXTERNAL_ID not in repr(inventory)


def test_a_data_source_with_arguments_the_rebuild_cannot_follow_is_unknown():
    data = json.loads((DATA / "guide-plan.json").read_text())
    calls = data["configuration"]["root_module"]["module_calls"]["secrets"]["module"]["resources"]
    source = next(r for r in calls if r["address"] == "data.aws_iam_policy_document.secret")
    source["expressions"]["source_policy_documents"] = {"references": ["local.extra"]}
    inventory = read("plan.json", None, data, TERRAFORM_PLAN)
    [secret] = inventory.secrets
    assert is_unknown(secret.resource_policy.document)
