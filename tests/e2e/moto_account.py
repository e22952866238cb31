"""A moto-server-backed account the end-to-end tests build, and the CLI run against it."""
import json
import os
import urllib.request
from pathlib import Path

import boto3

from clitools import run_cli

ACCOUNT = "123456789012"
REGION = "us-east-1"


def _post(url: str, body: bytes = b"") -> None:
    # text/plain: a form content type would make the server parse the body away
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(request, timeout=10).read()


class Account:
    """Builds IAM state on the moto server with plain boto3, and runs the CLI against it."""

    def __init__(self, endpoint: str, tmp_path: Path):
        self.endpoint = endpoint
        self.tmp = tmp_path
        self.session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                     region_name=REGION)
        self.iam = self.session.client("iam", endpoint_url=endpoint)
        self.secrets = self.session.client("secretsmanager", endpoint_url=endpoint)

    def env(self, **extra):
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION,
                "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_MAX_ATTEMPTS": "2", **extra}

    # -- building blocks of the guide's set-up --------------------------------------------
    def policy(self, name, statements):
        return self.iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": statements}))["Policy"]["Arn"]

    def user(self, name="catalog-reader", statements=None, key=True):
        arn = self.iam.create_user(UserName=name)["User"]["Arn"]
        if statements:
            self.iam.put_user_policy(UserName=name, PolicyName="assume", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": statements}))
        key_id = self.iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"] if key else None
        return arn, key_id

    def role(self, name, trust_statements, max_session=14400, policy_arns=(), boundary=None):
        kwargs = {"PermissionsBoundary": boundary} if boundary else {}
        arn = self.iam.create_role(RoleName=name, MaxSessionDuration=max_session,
                                   AssumeRolePolicyDocument=json.dumps(
                                       {"Version": "2012-10-17", "Statement": trust_statements}),
                                   **kwargs)["Role"]["Arn"]
        for policy_arn in policy_arns:
            self.iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
        return arn

    def secret(self, name="catalog/prod-db", kms_key_id=None, resource_policy=None):
        extra = {"KmsKeyId": kms_key_id} if kms_key_id else {}
        arn = self.secrets.create_secret(Name=name, SecretString="not-a-real-password", **extra)["ARN"]
        if resource_policy is not None:
            self.secrets.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps(resource_policy),
                                             BlockPublicPolicy=False)
        return arn

    def kms_key(self, statements):
        """A customer managed key with this key policy; its ARN."""
        kms = self.session.client("kms", endpoint_url=self.endpoint)
        return kms.create_key(Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))[
            "KeyMetadata"]["Arn"]

    def config(self, *profiles, settings=None, waivers=None):
        import yaml

        body = {"version": 1, "profiles": list(profiles)}
        if settings:
            body["settings"] = settings
        if waivers:
            body["waivers"] = waivers
        path = self.tmp / "config.yaml"
        path.write_text(yaml.safe_dump(body, sort_keys=False))
        return path

    def scan(self, config, *args, env=None):
        proc = run_cli("scan", "-c", config, "--format", "json", *args, env=self.env(**(env or {})))
        assert "Traceback" not in proc.stderr, proc.stderr
        report = json.loads(proc.stdout) if proc.stdout.strip() else None
        return proc, report

    def enforce_auth(self, on: bool):
        _post(f"{self.endpoint}/moto-api/reset-auth", b"0" if on else b"inf")


def statuses(report, profile=None):
    """{rule_id: [(status, severity), ...]} of a report (optionally one profile's)."""
    out = {}
    for r in report["results"]:
        if profile is None or r["profile"] == profile:
            out.setdefault(r["rule_id"], []).append((r["status"], r["severity"]))
    return out
