"""`iam-auditor demo`: a full scan of a sample account built on moto, in-process (no AWS).

The account follows the set-up guide with the mistakes people make: GetSecretValue on "*",
AssumeRole on "*", ec2.amazonaws.com left in the trust policy, and two product profiles: one
healthy, one whose role accepts any external ID (StringLike "*" ... IfExists) and whose STS
duration equals the role's maximum. The healthy profile's database secret is encrypted with a
customer managed key whose key policy forgets the role (it delegates to the account, and the
role's policies lack kms:Decrypt): the connection test would fail with "Access to KMS is not
allowed". Its warehouse secret is done right: a key policy naming the role through Secrets
Manager, and a resource policy naming the role.
"""
from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager

ACCOUNT = "123456789012"
REGION = "us-east-1"
USER = "catalog-secrets-reader"
# Fixed, random-looking values so the demo's reports are reproducible (sample_reports/).
HEALTHY_EXTERNAL_ID = "b7e4c1d2-58f3-4a9e-9c07-6d2f1a3e8b54"
LEGACY_EXTERNAL_ID = "catalog2024"

DEMO_CONFIG_PATH = "sample_reports/demo-config.yaml"
DEMO_CONFIG = """\
version: 1
profiles:
  - name: catalog-prod
    auth_type: iam_role
    region: us-east-1
    user: catalog-secrets-reader
    role_arn: arn:aws:iam::123456789012:role/read_secrets_role
    external_id: ${DEMO_HEALTHY_EXTERNAL_ID}
    sts_duration: 3600
    access_key_id: ${DEMO_ACCESS_KEY_ID}
    secret_access_key: ${DEMO_SECRET_ACCESS_KEY}
    secrets:
      - ${DEMO_SECRET_ARN}
      - ${DEMO_WAREHOUSE_SECRET_ARN}
  - name: catalog-legacy
    auth_type: iam_role
    region: us-east-1
    user: catalog-secrets-reader
    role_arn: arn:aws:iam::123456789012:role/read_secrets_role_legacy
    external_id: ${DEMO_LEGACY_EXTERNAL_ID}
    sts_duration: 7200
    access_key_id: ${DEMO_ACCESS_KEY_ID}
    secret_access_key: ${DEMO_SECRET_ACCESS_KEY}
waivers:
  - rule: TRUST-005
    profile: catalog-prod
    resource: "arn:aws:iam::123456789012:role/read_secrets_role"
    reason: "EC2 instance profile still used by the nightly export job, ticket SEC-142"
  - rule: LP-001
    profile: catalog-legacy
    reason: "legacy secrets layout, ticket SEC-99"
    expires: 2025-01-31
"""


def _trust(statements):
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/read_secrets_role"
# The default key policy (AWS KMS Developer Guide, "Default key policy") and a key administrator:
# nothing names the product's role, so it needs kms:Decrypt in its own policies, which it lacks.
FORGETFUL_KEY_POLICY = [
    {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
     "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
    {"Sid": "Allow access for Key Administrators", "Effect": "Allow",
     "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/KeyAdmin"},
     "Action": ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*",
                "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*",
                "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"], "Resource": "*"}]
ROLE_KEY_STATEMENT = {
    "Sid": "AllowCatalogRoleViaSecretsManager", "Effect": "Allow", "Principal": {"AWS": ROLE_ARN},
    "Action": "kms:Decrypt", "Resource": "*",
    "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}}


def _secrets(session) -> dict:
    """The database secret under a key that forgets the role; the warehouse secret done right."""
    kms = session.client("kms", region_name=REGION)
    secrets = session.client("secretsmanager", region_name=REGION)

    def key(statements, alias):
        arn = kms.create_key(Description=alias, Policy=json.dumps(
            {"Version": "2012-10-17", "Statement": statements}))["KeyMetadata"]["Arn"]
        kms.create_alias(AliasName=f"alias/{alias}", TargetKeyId=arn.rsplit("/", 1)[-1])
        return f"alias/{alias}"

    database = secrets.create_secret(Name="catalog/prod-db", SecretString="demo-not-a-real-password",
                                     KmsKeyId=key(FORGETFUL_KEY_POLICY, "catalog-prod-db"))["ARN"]
    warehouse = secrets.create_secret(
        Name="catalog/prod-warehouse", SecretString="demo-not-a-real-password",
        KmsKeyId=key(FORGETFUL_KEY_POLICY[:1] + [ROLE_KEY_STATEMENT], "catalog-prod-warehouse"))["ARN"]
    secrets.put_resource_policy(SecretId=warehouse, ResourcePolicy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Sid": "CatalogRoleReads", "Effect": "Allow", "Principal": {"AWS": ROLE_ARN},
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
    return {"DEMO_SECRET_ARN": database, "DEMO_WAREHOUSE_SECRET_ARN": warehouse}


def build_account(session) -> dict:
    """Create the sample account's IAM and Secrets Manager state; returns values for the config."""
    iam = session.client("iam")
    secret_arns = _secrets(session)
    read_policy = iam.create_policy(PolicyName="read_secrets_policy", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Sid": "VisualEditor0", "Effect": "Allow",
                                                "Action": "secretsmanager:GetSecretValue",
                                                "Resource": "*"}]}))["Policy"]["Arn"]
    user_arn = iam.create_user(UserName=USER)["User"]["Arn"]
    iam.put_user_policy(UserName=USER, PolicyName="AssumeAllRoles", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Sid": "VisualEditor0", "Effect": "Allow",
                                                "Action": "sts:AssumeRole", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=USER)["AccessKey"]

    ec2 = {"Sid": "EC2UseCase", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
           "Action": "sts:AssumeRole"}
    iam.create_role(RoleName="read_secrets_role", MaxSessionDuration=14400,
                    AssumeRolePolicyDocument=_trust([ec2, {
                        "Sid": "TrustCatalogUser", "Effect": "Allow", "Principal": {"AWS": user_arn},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringEquals": {"sts:ExternalId": HEALTHY_EXTERNAL_ID}}}]))
    iam.attach_role_policy(RoleName="read_secrets_role", PolicyArn=read_policy)
    iam.create_role(RoleName="read_secrets_role_legacy", MaxSessionDuration=7200,
                    AssumeRolePolicyDocument=_trust([{
                        "Sid": "TrustCatalogUser", "Effect": "Allow", "Principal": {"AWS": user_arn},
                        "Action": "sts:AssumeRole",
                        "Condition": {"StringLikeIfExists": {"sts:ExternalId": "catalog*"}}}]))
    iam.attach_role_policy(RoleName="read_secrets_role_legacy", PolicyArn=read_policy)
    return {"DEMO_HEALTHY_EXTERNAL_ID": HEALTHY_EXTERNAL_ID,
            "DEMO_LEGACY_EXTERNAL_ID": LEGACY_EXTERNAL_ID,
            "DEMO_ACCESS_KEY_ID": key["AccessKeyId"],
            "DEMO_SECRET_ACCESS_KEY": key["SecretAccessKey"], **secret_arns}


@contextmanager
def _isolated_environment():
    """Fake credentials and no endpoint override: nothing can reach a real AWS account."""
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith("AWS_"):
            del os.environ[name]
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": os.devnull,
                       "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_demo(severity_overrides=None, rules=(), skip_rules=()):
    import boto3

    try:
        from moto import mock_aws
    except ImportError:
        from .errors import UsageError

        raise UsageError("demo needs moto: pip install 'iam-auditor[demo]'") from None

    from .collectors import collect
    from .config import load_config
    from .scan import scan_report

    from moto.moto_api._internal import mock_random

    with _isolated_environment(), mock_aws():
        mock_random.seed(2024)  # the same key IDs and secret ARN every run: reproducible reports
        values = build_account(boto3.Session(region_name=REGION))
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "demo-config.yaml")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(DEMO_CONFIG)
            config = load_config(path, environ={**os.environ, **values})
        if severity_overrides or rules or skip_rules:
            from dataclasses import replace

            config = replace(config, settings=replace(config.settings, severity_overrides={
                **config.settings.severity_overrides, **(severity_overrides or {})},
                rules=tuple(rules), skip_rules=tuple(skip_rules)))
        snapshot = collect(config.profiles, REGION)
        report = scan_report(config, snapshot, mode="scan")
    report.extra["demo"] = True
    # The demo's configuration is published beside the sample reports; SARIF points into it.
    report.extra["config_path"] = DEMO_CONFIG_PATH
    return report
