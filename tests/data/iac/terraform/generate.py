"""Writes the Terraform plan fixtures of this folder (run it again after changing it).

The plans follow HashiCorp's "JSON Output Format" (developer.hashicorp.com/terraform/internals/
json-format): `planned_values` (known values only, child modules nested), `resource_changes`
(`after`, `after_unknown`, `after_sensitive`), `prior_state`, `configuration` (expressions with
`references`, module calls) and `variables`. They describe the set-up guide's role, user and
secret with the usual mistakes: GetSecretValue on "*", AssumeRole on "*", a trust whose external
ID condition is StringLike "*", and a second role whose external ID comes from a sensitive
variable.
"""
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
ACCOUNT = "123456789012"
EXTERNAL_ID = "Zq7-catalog-ext-4f9a2b"


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


class Plan:
    def __init__(self):
        self.planned = {"resources": [], "child_modules": []}
        self.changes = []
        self.prior = []
        self.modules = {"": self.planned}

    def module(self, address):
        if address in self.modules:
            return self.modules[address]
        parent = self.module(address.rsplit(".module.", 1)[0] if ".module." in address else "")
        entry = {"address": address, "resources": [], "child_modules": []}
        parent["child_modules"].append(entry)
        self.modules[address] = entry
        return entry

    def add(self, type_, name, values, *, module="", index=None, unknown=None, sensitive=None,
            actions=("create",), mode="managed"):
        prefix = "data." if mode == "data" else ""
        key = "" if index is None else f"[{json.dumps(index)}]"
        address = f"{module + '.' if module else ''}{prefix}{type_}.{name}{key}"
        base = {"address": address, "mode": mode, "type": type_, "name": name,
                **({"index": index} if index is not None else {}),
                "provider_name": "registry.terraform.io/hashicorp/aws"}
        if "delete" not in actions or "create" in actions:
            self.module(module)["resources"].append(
                {**base, "schema_version": 0, "values": values,
                 "sensitive_values": sensitive or {}})
        if actions != ("read-prior",):
            self.changes.append({**base, **({"module_address": module} if module else {}),
                                 "change": {"actions": list(actions),
                                            "before": None if actions == ("create",) else values,
                                            "after": None if actions == ("delete",) else values,
                                            "after_unknown": unknown or {},
                                            "before_sensitive": False,
                                            "after_sensitive": sensitive or {}}})
        if actions in (("delete",), ("no-op",), ("read-prior",)):
            self.prior.append({**base, "schema_version": 0, "values": values,
                               "sensitive_values": sensitive or {}})
        return address


def guide_plan():
    plan = Plan()
    role_mod = 'module.platform.module.integrations.module.role["catalog"]'
    # -- root: the user the product signs in as -------------------------------------------------
    plan.add("aws_iam_user", "reader", {"name": "catalog-secrets-reader", "path": "/",
                                        "permissions_boundary": None, "force_destroy": False, "tags": None},
             unknown={"arn": True, "id": True, "unique_id": True, "tags_all": True})
    plan.add("aws_iam_user_policy", "assume", {
        "name": "assume-read-secrets", "user": "catalog-secrets-reader",
        "policy": policy({"Sid": "VisualEditor0", "Effect": "Allow", "Action": "sts:AssumeRole",
                          "Resource": "*"})}, unknown={"id": True})
    plan.add("aws_iam_access_key", "reader", {"user": "catalog-secrets-reader", "status": "Active",
                                              "pgp_key": None},
             unknown={"id": True, "secret": True, "ses_smtp_password_v4": True, "create_date": True})
    plan.add("aws_iam_group", "team", {"name": "integrations-0", "path": "/"}, index=0,
             unknown={"arn": True, "id": True, "unique_id": True})
    plan.add("aws_iam_group", "team", {"name": "integrations-1", "path": "/"}, index=1,
             unknown={"arn": True, "id": True, "unique_id": True})
    plan.add("aws_iam_user_group_membership", "reader", {"user": "catalog-secrets-reader",
                                                         "groups": ["integrations-0"]},
             unknown={"id": True})
    plan.add("aws_iam_group_policy", "describe", {
        "name": "describe", "group": "integrations-1",
        "policy": policy({"Effect": "Allow", "Action": "secretsmanager:DescribeSecret", "Resource": "*"})},
             index=None, unknown={"id": True})
    # A role being destroyed: not in what the plan leaves.
    plan.add("aws_iam_role", "legacy", {
        "name": "legacy-admin", "path": "/", "arn": f"arn:aws:iam::{ACCOUNT}:role/legacy-admin",
        "assume_role_policy": policy({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}),
        "max_session_duration": 3600}, actions=("delete",))
    # -- module.secrets: the role of the guide, with its mistakes -------------------------------
    plan.add("aws_iam_role", "reader", {
        "name": "read_secrets_role", "path": "/", "max_session_duration": 43200,
        "permissions_boundary": None, "description": "catalog",
        "assume_role_policy": policy({
            "Sid": "TrustUser", "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/catalog-secrets-reader"},
            "Condition": {"StringLike": {"sts:ExternalId": "*"}}})},
             module="module.secrets",
             unknown={"arn": True, "id": True, "unique_id": True, "inline_policy": True,
                      "managed_policy_arns": True, "create_date": True})
    plan.add("aws_iam_role_policy", "read", {
        "name": "read-secrets", "role": "read_secrets_role",
        "policy": policy({"Sid": "VisualEditor0", "Effect": "Allow",
                          "Action": "secretsmanager:GetSecretValue", "Resource": "*"})},
             module="module.secrets", unknown={"id": True})
    plan.add("aws_kms_key", "secrets", {
        "description": "catalog secrets", "is_enabled": True, "enable_key_rotation": True,
        "policy": policy({"Sid": "Root", "Effect": "Allow",
                          "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                          "Action": "kms:*", "Resource": "*"})},
             module="module.secrets", unknown={"arn": True, "id": True, "key_id": True})
    plan.add("aws_secretsmanager_secret", "db", {
        "name": "catalog/prod-db", "name_prefix": None, "policy": None,
        "recovery_window_in_days": 30},
             module="module.secrets", unknown={"arn": True, "id": True, "kms_key_id": True})
    plan.add("aws_iam_policy_document", "secret", {"version": "2012-10-17"}, mode="data",
             module="module.secrets", unknown={"json": True, "id": True, "minified_json": True},
             actions=("read",))
    plan.add("aws_secretsmanager_secret_policy", "db", {"block_public_policy": True},
             module="module.secrets", unknown={"id": True, "policy": True, "secret_arn": True})
    # -- three levels of modules, for_each, names known only after apply -------------------------
    plan.add("aws_iam_role", "this", {
        "name": None, "name_prefix": "catalog-", "path": "/integrations/", "max_session_duration": 3600,
        "assume_role_policy": policy({
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/catalog-secrets-reader"},
            "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}})},
             module=role_mod,
             unknown={"arn": True, "id": True, "name": True, "unique_id": True, "inline_policy": True,
                      "managed_policy_arns": True},
             sensitive={"assume_role_policy": True})
    plan.add("aws_iam_policy_document", "read", {
        "json": policy({"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
                        "Resource": "*"}), "version": "2012-10-17"},
             mode="data", module=role_mod, actions=("read-prior",))
    plan.add("aws_iam_policy", "read", {
        "name": "catalog-read", "path": "/", "description": "",
        "policy": policy({"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
                          "Resource": "*"})},
             module=role_mod, unknown={"arn": True, "id": True, "policy_id": True})
    plan.add("aws_iam_role_policy_attachment", "this", {}, module=role_mod,
             unknown={"id": True, "policy_arn": True, "role": True})
    plan.add("aws_iam_policy", "broken", {"name": "broken", "path": "/", "policy": '{"Version": "2012-10-17",'},
             module=role_mod, unknown={"arn": True, "id": True, "policy_id": True})

    ref = lambda *refs: {"references": list(refs)}  # noqa: E731
    const = lambda value: {"constant_value": value}  # noqa: E731
    configuration = {
        "provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
                                    "expressions": {"region": const("us-east-1")}}},
        "root_module": {
            "resources": [
                {"address": "aws_iam_user.reader", "mode": "managed", "type": "aws_iam_user",
                 "name": "reader", "expressions": {"name": const("catalog-secrets-reader")}},
                {"address": "aws_iam_user_policy.assume", "mode": "managed",
                 "type": "aws_iam_user_policy", "name": "assume",
                 "expressions": {"user": ref("aws_iam_user.reader.name", "aws_iam_user.reader")}},
                {"address": "aws_iam_access_key.reader", "mode": "managed", "type": "aws_iam_access_key",
                 "name": "reader", "expressions": {"user": ref("aws_iam_user.reader.name", "aws_iam_user.reader")}},
                {"address": "aws_iam_group.team", "mode": "managed", "type": "aws_iam_group", "name": "team",
                 "count_expression": const(2)},
            ],
            "variables": {"external_id": {"sensitive": True}, "environment": {"default": "prod"}},
            "module_calls": {
                "secrets": {"source": "./secrets", "module": {"resources": [
                    {"address": "aws_iam_role.reader", "mode": "managed", "type": "aws_iam_role",
                     "name": "reader", "expressions": {"name": const("read_secrets_role")}},
                    {"address": "aws_iam_role_policy.read", "mode": "managed",
                     "type": "aws_iam_role_policy", "name": "read",
                     "expressions": {"role": ref("aws_iam_role.reader.name", "aws_iam_role.reader")}},
                    {"address": "aws_kms_key.secrets", "mode": "managed", "type": "aws_kms_key",
                     "name": "secrets", "expressions": {}},
                    {"address": "aws_secretsmanager_secret.db", "mode": "managed",
                     "type": "aws_secretsmanager_secret", "name": "db",
                     "expressions": {"name": const("catalog/prod-db"),
                                     "kms_key_id": ref("aws_kms_key.secrets.arn", "aws_kms_key.secrets")}},
                    {"address": "data.aws_iam_policy_document.secret", "mode": "data",
                     "type": "aws_iam_policy_document", "name": "secret", "expressions": {"statement": [{
                         "sid": const("ReaderOnly"),
                         "actions": const(["secretsmanager:GetSecretValue"]),
                         "resources": const(["*"]),
                         "principals": [{"type": const("AWS"),
                                         "identifiers": ref("aws_iam_role.reader.arn", "aws_iam_role.reader")}],
                     }]}},
                    {"address": "aws_secretsmanager_secret_policy.db", "mode": "managed",
                     "type": "aws_secretsmanager_secret_policy", "name": "db",
                     "expressions": {"secret_arn": ref("aws_secretsmanager_secret.db.arn",
                                                       "aws_secretsmanager_secret.db"),
                                     "policy": ref("data.aws_iam_policy_document.secret.json",
                                                   "data.aws_iam_policy_document.secret")}},
                ]}},
                "platform": {"source": "./platform", "module": {"module_calls": {
                    "integrations": {"source": "./integrations", "module": {"module_calls": {
                        "role": {"source": "./role", "for_each_expression": const({"catalog": {}}),
                                 "module": {"resources": [
                                     {"address": "aws_iam_role.this", "mode": "managed",
                                      "type": "aws_iam_role", "name": "this",
                                      "expressions": {"name_prefix": const("catalog-"),
                                                      "assume_role_policy": ref("var.external_id")}},
                                     {"address": "data.aws_iam_policy_document.read", "mode": "data",
                                      "type": "aws_iam_policy_document", "name": "read", "expressions": {}},
                                     {"address": "aws_iam_policy.read", "mode": "managed",
                                      "type": "aws_iam_policy", "name": "read",
                                      "expressions": {"policy": ref("data.aws_iam_policy_document.read.json",
                                                                    "data.aws_iam_policy_document.read")}},
                                     {"address": "aws_iam_role_policy_attachment.this", "mode": "managed",
                                      "type": "aws_iam_role_policy_attachment", "name": "this",
                                      "expressions": {"role": ref("aws_iam_role.this.name", "aws_iam_role.this"),
                                                      "policy_arn": ref("aws_iam_policy.read.arn",
                                                                        "aws_iam_policy.read")}},
                                     {"address": "aws_iam_policy.broken", "mode": "managed",
                                      "type": "aws_iam_policy", "name": "broken", "expressions": {}},
                                 ]}}}}}}}},
            },
        },
    }
    return {
        "format_version": "1.2", "terraform_version": "1.9.5",
        "variables": {"external_id": {"value": EXTERNAL_ID}, "environment": {"value": "prod"}},
        "planned_values": {"root_module": plan.planned},
        "resource_changes": plan.changes,
        "prior_state": {"format_version": "1.0", "terraform_version": "1.9.5",
                        "values": {"root_module": {"resources": plan.prior}}},
        "configuration": configuration,
        "timestamp": "2026-12-03T06:00:00Z", "errored": False,
    }


def resource_types_plan():
    """One of each IAM, Secrets Manager and KMS resource type the reader knows, all known."""
    plan = Plan()
    allow = lambda action, resource="*": policy({"Effect": "Allow", "Action": action, "Resource": resource})  # noqa: E731
    trust = policy({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    arn = lambda kind, name: f"arn:aws:iam::{ACCOUNT}:{kind}/{name}"  # noqa: E731
    plan.add("aws_iam_role", "blocks", {
        "name": "blocks", "path": "/", "arn": arn("role", "blocks"), "assume_role_policy": trust,
        "max_session_duration": 7200, "permissions_boundary": arn("policy", "boundary"),
        "inline_policy": [{"name": "inline-one", "policy": allow("s3:GetObject")}],
        "managed_policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]}, actions=("no-op",))
    plan.add("aws_iam_role", "bare", {"name": "bare", "path": "/", "arn": arn("role", "bare"),
                                      "assume_role_policy": trust, "max_session_duration": 3600},
             actions=("no-op",))
    plan.add("aws_iam_policy", "shared", {"name": "shared", "path": "/", "arn": arn("policy", "shared"),
                                          "policy": allow("sqs:SendMessage")}, actions=("no-op",))
    plan.add("aws_iam_user", "alice", {"name": "alice", "path": "/people/", "arn": arn("user", "people/alice"),
                                       "permissions_boundary": arn("policy", "boundary")}, actions=("no-op",))
    plan.add("aws_iam_user", "bob", {"name": "bob", "path": "/", "arn": arn("user", "bob")}, actions=("no-op",))
    plan.add("aws_iam_group", "ops", {"name": "ops", "path": "/", "arn": arn("group", "ops")}, actions=("no-op",))
    plan.add("aws_iam_policy_attachment", "shared", {
        "name": "shared", "policy_arn": arn("policy", "shared"), "roles": ["bare"], "users": ["bob"],
        "groups": ["ops"]})
    plan.add("aws_iam_role_policy", "bare", {"name": "bare-inline", "role": "bare", "policy": allow("sns:Publish")})
    plan.add("aws_iam_role_policy_attachment", "bare", {"role": "bare", "policy_arn": arn("policy", "shared")})
    plan.add("aws_iam_user_policy", "alice", {"name": "alice-inline", "user": "alice",
                                              "policy": allow("sts:AssumeRole", arn("role", "bare"))})
    plan.add("aws_iam_user_policy_attachment", "alice", {"user": "alice",
                                                         "policy_arn": "arn:aws:iam::aws:policy/IAMUserChangePassword"})
    plan.add("aws_iam_group_policy", "ops", {"name": "ops-inline", "group": "ops", "policy": allow("ec2:Describe*")})
    plan.add("aws_iam_group_policy_attachment", "ops", {"group": "ops", "policy_arn": arn("policy", "shared")})
    plan.add("aws_iam_group_membership", "ops", {"name": "ops-members", "group": "ops", "users": ["alice", "bob"]})
    plan.add("aws_iam_user_group_membership", "alice", {"user": "alice", "groups": ["legacy-team"]})
    plan.add("aws_iam_user_login_profile", "alice", {"user": "alice", "password_reset_required": True},
             unknown={"password": True, "encrypted_password": True})
    plan.add("aws_iam_access_key", "alice", {"user": "alice", "status": "Inactive"},
             unknown={"id": True, "secret": True})
    plan.add("aws_iam_access_key", "bob", {"user": "bob", "status": None},
             unknown={"id": True, "secret": True, "status": True})
    plan.add("aws_kms_key", "off", {"is_enabled": False, "arn": f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd",
                                    "key_id": "1234abcd", "policy": policy({
                                        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                        "Action": "kms:*", "Resource": "*"})}, actions=("no-op",))
    plan.add("aws_secretsmanager_secret", "api", {
        "name": "api-token", "arn": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:api-token-AbCdEf",
        "kms_key_id": "1234abcd", "policy": None}, actions=("no-op",))
    plan.add("aws_secretsmanager_secret_policy", "api", {
        "secret_arn": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:api-token-AbCdEf",
        "policy": policy({"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
                          "Resource": "*"})}, unknown={"id": True})
    plan.add("aws_iam_role_policy", "elsewhere", {"name": "elsewhere", "role": "a-role-not-in-this-plan",
                                                  "policy": allow("s3:ListBucket")})
    return {"format_version": "1.2", "terraform_version": "1.9.5",
            "planned_values": {"root_module": plan.planned}, "resource_changes": plan.changes,
            "prior_state": {"format_version": "1.0", "values": {"root_module": {"resources": plan.prior}}},
            "configuration": {"root_module": {"resources": []}}}


def not_iam_plan():
    plan = Plan()
    plan.add("aws_s3_bucket", "logs", {"bucket": "logs-123", "force_destroy": False},
             unknown={"arn": True, "id": True})
    return {"format_version": "1.2", "terraform_version": "1.9.5",
            "planned_values": {"root_module": plan.planned}, "resource_changes": plan.changes,
            "configuration": {"root_module": {"resources": []}}}


def main():
    data = guide_plan()
    (HERE / "guide-plan.json").write_text(json.dumps(data, indent=2) + "\n")
    # As `terraform show -json` writes it: one line.
    (HERE / "guide-plan-one-line.json").write_text(json.dumps(data, separators=(",", ":")))
    (HERE / "resource-types-plan.json").write_text(json.dumps(resource_types_plan(), indent=2) + "\n")
    (HERE / "no-iam-plan.json").write_text(json.dumps(not_iam_plan(), indent=2) + "\n")


if __name__ == "__main__":
    main()
