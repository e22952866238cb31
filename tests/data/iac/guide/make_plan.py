"""Writes plan.json: the guide's set-up as `terraform show -json` prints a plan of it.

The shape follows HashiCorp's "JSON Output Format" page (format_version 1.2): `planned_values`
holds what is known at plan time, `resource_changes[].change.after_unknown` marks what is known
only after apply (ARNs, IDs), and `configuration` keeps the references (`aws_iam_policy.read.arn`)
a reader needs to attach what the plan cannot name yet. The facts are auditor/demo.py's; run
`python tests/data/iac/guide/make_plan.py` after changing them.
"""
import json
from pathlib import Path

from auditor.demo import ACCOUNT, FORGETFUL_KEY_POLICY, ROLE_ARN, ROLE_KEY_STATEMENT

USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/catalog-secrets-reader"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


FORGETFUL = FORGETFUL_KEY_POLICY
ROLE_KEY = ROLE_KEY_STATEMENT
EC2 = {"Sid": "EC2UseCase", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
       "Action": "sts:AssumeRole"}

# (type, name, values known at plan, attributes known after apply, references in configuration)
RESOURCES = [
    ("aws_iam_policy", "read_secrets", {"name": "read_secrets_policy", "path": "/", "policy": doc(
        {"Sid": "VisualEditor0", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
         "Resource": "*"})}, ["arn", "id", "policy_id"], {}),
    ("aws_iam_user", "catalog", {"name": "catalog-secrets-reader", "path": "/"}, ["arn", "id", "unique_id"], {}),
    ("aws_iam_user_policy", "assume_all", {"name": "AssumeAllRoles", "user": "catalog-secrets-reader",
                                           "policy": doc({"Sid": "VisualEditor0", "Effect": "Allow",
                                                          "Action": "sts:AssumeRole", "Resource": "*"})},
     ["id"], {"user": ["aws_iam_user.catalog.name", "aws_iam_user.catalog"]}),
    ("aws_iam_access_key", "catalog", {"user": "catalog-secrets-reader", "status": "Active"},
     ["id", "secret", "create_date"], {"user": ["aws_iam_user.catalog.name", "aws_iam_user.catalog"]}),
    ("aws_iam_role", "read_secrets", {"name": "read_secrets_role", "path": "/", "max_session_duration": 14400,
                                      "assume_role_policy": doc(EC2, {
                                          "Sid": "TrustCatalogUser", "Effect": "Allow",
                                          "Principal": {"AWS": USER_ARN}, "Action": "sts:AssumeRole",
                                          "Condition": {"StringEquals": {
                                              "sts:ExternalId": "b7e4c1d2-58f3-4a9e-9c07-6d2f1a3e8b54"}}})},
     ["arn", "id", "unique_id"], {}),
    ("aws_iam_role", "legacy", {"name": "read_secrets_role_legacy", "path": "/", "max_session_duration": 7200,
                                "assume_role_policy": doc({
                                    "Sid": "TrustCatalogUser", "Effect": "Allow",
                                    "Principal": {"AWS": USER_ARN}, "Action": "sts:AssumeRole",
                                    "Condition": {"StringLikeIfExists": {"sts:ExternalId": "catalog*"}}})},
     ["arn", "id", "unique_id"], {}),
    ("aws_iam_role_policy_attachment", "read_secrets", {"role": "read_secrets_role"}, ["id", "policy_arn"],
     {"role": ["aws_iam_role.read_secrets.name", "aws_iam_role.read_secrets"],
      "policy_arn": ["aws_iam_policy.read_secrets.arn", "aws_iam_policy.read_secrets"]}),
    ("aws_iam_role_policy_attachment", "legacy", {"role": "read_secrets_role_legacy"}, ["id", "policy_arn"],
     {"role": ["aws_iam_role.legacy.name", "aws_iam_role.legacy"],
      "policy_arn": ["aws_iam_policy.read_secrets.arn", "aws_iam_policy.read_secrets"]}),
    ("aws_kms_key", "db", {"description": "catalog-prod-db", "is_enabled": True,
                           "policy": doc(*FORGETFUL)}, ["arn", "id", "key_id"], {}),
    ("aws_kms_alias", "db", {"name": "alias/catalog-prod-db"}, ["arn", "id", "target_key_arn", "target_key_id"],
     {"target_key_id": ["aws_kms_key.db.key_id", "aws_kms_key.db"]}),
    ("aws_kms_key", "warehouse", {"description": "catalog-prod-warehouse", "is_enabled": True,
                                  "policy": doc(FORGETFUL[0], ROLE_KEY)}, ["arn", "id", "key_id"], {}),
    ("aws_kms_alias", "warehouse", {"name": "alias/catalog-prod-warehouse"},
     ["arn", "id", "target_key_arn", "target_key_id"],
     {"target_key_id": ["aws_kms_key.warehouse.key_id", "aws_kms_key.warehouse"]}),
    ("aws_secretsmanager_secret", "db", {"name": "catalog/prod-db"}, ["arn", "id", "kms_key_id"],
     {"kms_key_id": ["aws_kms_key.db.arn", "aws_kms_key.db"]}),
    ("aws_secretsmanager_secret", "warehouse", {"name": "catalog/prod-warehouse"}, ["arn", "id", "kms_key_id"],
     {"kms_key_id": ["aws_kms_key.warehouse.arn", "aws_kms_key.warehouse"]}),
    ("aws_secretsmanager_secret_policy", "warehouse", {"policy": doc({
        "Sid": "CatalogRoleReads", "Effect": "Allow", "Principal": {"AWS": ROLE_ARN},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"})}, ["id", "secret_arn"],
     {"secret_arn": ["aws_secretsmanager_secret.warehouse.arn", "aws_secretsmanager_secret.warehouse"]}),
]


def plan(resources=RESOURCES) -> dict:
    planned, changes, configured = [], [], []
    for rtype, name, values, unknown, refs in resources:
        address = f"{rtype}.{name}"
        common = {"address": address, "mode": "managed", "type": rtype, "name": name,
                  "provider_name": "registry.terraform.io/hashicorp/aws"}
        planned.append({**common, "schema_version": 0, "values": values,
                        "sensitive_values": {}})
        changes.append({**common, "change": {"actions": ["create"], "before": None, "after": values,
                                             "after_unknown": {k: True for k in unknown},
                                             "before_sensitive": False, "after_sensitive": {}}})
        expressions = {k: ({"constant_value": v} if k not in refs else {"references": refs[k]})
                       for k, v in values.items()}
        expressions.update({k: {"references": v} for k, v in refs.items()})
        configured.append({"address": address, "mode": "managed", "type": rtype, "name": name,
                           "provider_config_key": "aws", "expressions": expressions,
                           "schema_version": 0})
    return {"format_version": "1.2", "terraform_version": "1.9.8",
            "planned_values": {"root_module": {"resources": planned}},
            "resource_changes": changes,
            "configuration": {"provider_config": {"aws": {"name": "aws",
                                                          "full_name": "registry.terraform.io/hashicorp/aws",
                                                          "expressions": {"region": {"constant_value": "us-east-1"}}}},
                              "root_module": {"resources": configured}},
            "applyable": True, "complete": True, "errored": False}


if __name__ == "__main__":
    out = Path(__file__).with_name("plan.json")
    out.write_text(json.dumps(plan(), indent=2) + "\n")
    print(f"wrote {out}")
