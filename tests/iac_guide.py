"""The set-up guide's account with the mistakes people make (the one `iam-auditor demo` deploys
into moto), as infrastructure code will define it: one `Inventory`, built from the same facts as
`auditor.demo.build_account`, with the ARNs Secrets Manager has not picked yet (`NAME-??????`).

It is what the CloudFormation and Terraform readers must produce from the fixtures in
tests/data/iac/guide/ (the comparison with them lives in test_scan_iac.py), so `scan --iac`'s
snapshot building is tested on its own and again through each reader.
"""
from __future__ import annotations

import json

from auditor import demo
from auditor.iac.model import (CLOUDFORMATION, IDENTITY, KEY_POLICY, SECRET_POLICY, TRUST,
                               AccessKeyDef, Inventory, KeyDef, PolicyDocument, RoleDef, SecretDef,
                               Source, UserDef)

DB_SECRET, WAREHOUSE_SECRET = "catalog/prod-db", "catalog/prod-warehouse"
DB_KEY, WAREHOUSE_KEY = "alias/catalog-prod-db", "alias/catalog-prod-warehouse"

GUIDE_CONFIG = demo.DEMO_CONFIG.replace(
    "      - ${DEMO_SECRET_ARN}\n      - ${DEMO_WAREHOUSE_SECRET_ARN}\n",
    f"      - {DB_SECRET}\n      - {WAREHOUSE_SECRET}\n")


def _doc(statements, name, role, source, arn=None):
    return PolicyDocument(name, role, {"Version": "2012-10-17", "Statement": statements}, source,
                          managed_arn=arn)


def guide_inventory(path: str, account_id: str, region: str, partition: str = "aws",
                    kind: str = CLOUDFORMATION) -> Inventory:
    """The guide's set-up as a reader resolves it for this account, region and partition."""
    assert (account_id, region, partition) == (demo.ACCOUNT, demo.REGION, "aws")

    def src(address):
        return Source(path, address, None, kind)

    user_arn = f"arn:aws:iam::{account_id}:user/{demo.USER}"
    policy_arn = f"arn:aws:iam::{account_id}:policy/read_secrets_policy"
    read_policy = _doc([{"Sid": "VisualEditor0", "Effect": "Allow",
                         "Action": "secretsmanager:GetSecretValue", "Resource": "*"}],
                       "read_secrets_policy", IDENTITY, src("ReadSecretsPolicy"), policy_arn)
    user = UserDef(demo.USER, user_arn, src("CatalogUser"), inline=(_doc(
        [{"Sid": "VisualEditor0", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
        "AssumeAllRoles", IDENTITY, src("CatalogUser")),),
        access_keys=(AccessKeyDef(demo.USER, "Active", src("CatalogUserKey")),))
    ec2 = {"Sid": "EC2UseCase", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
           "Action": "sts:AssumeRole"}
    healthy = RoleDef(
        "read_secrets_role", f"arn:aws:iam::{account_id}:role/read_secrets_role", src("ReadSecretsRole"),
        managed_arns=(policy_arn,), max_session_duration=14400,
        trust_policy=_doc([ec2, {"Sid": "TrustCatalogUser", "Effect": "Allow",
                                 "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole",
                                 "Condition": {"StringEquals": {"sts:ExternalId": demo.HEALTHY_EXTERNAL_ID}}}],
                          "AssumeRolePolicyDocument", TRUST, src("ReadSecretsRole")))
    legacy = RoleDef(
        "read_secrets_role_legacy", f"arn:aws:iam::{account_id}:role/read_secrets_role_legacy",
        src("ReadSecretsRoleLegacy"), managed_arns=(policy_arn,), max_session_duration=7200,
        trust_policy=_doc([{"Sid": "TrustCatalogUser", "Effect": "Allow", "Principal": {"AWS": user_arn},
                            "Action": "sts:AssumeRole",
                            "Condition": {"StringLikeIfExists": {"sts:ExternalId": "catalog*"}}}],
                          "AssumeRolePolicyDocument", TRUST, src("ReadSecretsRoleLegacy")))

    def key(alias, statements, address):
        return KeyDef(alias, None, src(address),
                      policy=_doc(statements, "KeyPolicy", KEY_POLICY, src(address)))

    def secret_arn(name):
        return f"arn:{partition}:secretsmanager:{region}:{account_id}:secret:{name}-??????"

    warehouse_policy = _doc([{"Sid": "CatalogRoleReads", "Effect": "Allow",
                              "Principal": {"AWS": demo.ROLE_ARN},
                              "Action": "secretsmanager:GetSecretValue", "Resource": "*"}],
                            "ResourcePolicy", SECRET_POLICY, src("WarehouseSecretPolicy"))
    return Inventory(
        path, kind, roles=[healthy, legacy], users=[user], managed_policies=[read_policy],
        secrets=[SecretDef(DB_SECRET, secret_arn(DB_SECRET), src("DatabaseSecret"), DB_KEY),
                 SecretDef(WAREHOUSE_SECRET, secret_arn(WAREHOUSE_SECRET), src("WarehouseSecret"),
                           WAREHOUSE_KEY, warehouse_policy)],
        keys=[key(DB_KEY, demo.FORGETFUL_KEY_POLICY, "DatabaseKey"),
              key(WAREHOUSE_KEY, demo.FORGETFUL_KEY_POLICY[:1] + [demo.ROLE_KEY_STATEMENT],
                  "WarehouseKey")])


def deploy(session) -> dict:
    """The same set-up deployed (moto): the demo's account; returns the configuration's values."""
    return demo.build_account(session)


def dumps(value) -> str:
    return json.dumps(value, indent=2)
