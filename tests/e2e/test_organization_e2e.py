"""`discover --organization` as a process against the moto server: an organization of three
member accounts, each with the read-only role holding docs/auditor-policy.json, moto enforcing
IAM; one member's role may not be assumed."""
import json

import boto3
import pytest

from clitools import ROOT, run_cli

POLICY = json.loads((ROOT / "docs" / "auditor-policy.json").read_text())
MANAGEMENT = "123456789012"


def _doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _member_iam(account, account_id):
    sts = account.session.client("sts", endpoint_url=account.endpoint)
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
                                  RoleSessionName="setup")["Credentials"]
    return boto3.client("iam", endpoint_url=account.endpoint, region_name="us-east-1",
                        aws_access_key_id=credentials["AccessKeyId"],
                        aws_secret_access_key=credentials["SecretAccessKey"],
                        aws_session_token=credentials["SessionToken"])


@pytest.fixture
def organization(account):
    org = account.session.client("organizations", endpoint_url=account.endpoint)
    org.create_organization(FeatureSet="ALL")
    members = {}
    for name in ("team-a", "team-b", "team-locked"):
        status = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
        members[name] = status["AccountId"]
    for name, account_id in members.items():
        iam = _member_iam(account, account_id)
        iam.create_role(RoleName="iam-auditor-readonly", AssumeRolePolicyDocument=_doc(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"}, "Action": "sts:AssumeRole"}))
        iam.put_role_policy(RoleName="iam-auditor-readonly", PolicyName="audit", PolicyDocument=json.dumps(POLICY))
        user = iam.create_user(UserName="catalog-reader")["User"]["Arn"]
        iam.create_access_key(UserName="catalog-reader")
        iam.put_user_policy(UserName="catalog-reader", PolicyName="assume", PolicyDocument=_doc(
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{account_id}:role/catalog"}))
        iam.create_role(RoleName="catalog", AssumeRolePolicyDocument=_doc(
            {"Effect": "Allow", "Principal": {"AWS": user}, "Action": "sts:AssumeRole"}))
    # The auditor's principal in the management account: the documented policy, except that
    # one member's role is out of its reach.
    document = json.loads(json.dumps(POLICY))
    document["Statement"].append({"Effect": "Deny", "Action": "sts:AssumeRole",
                                  "Resource": f"arn:aws:iam::{members['team-locked']}:role/*"})
    account.iam.create_user(UserName="iam-auditor")
    account.iam.put_user_policy(UserName="iam-auditor", PolicyName="auditor", PolicyDocument=json.dumps(document))
    key = account.iam.create_access_key(UserName="iam-auditor")["AccessKey"]
    env = account.env(AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"])
    account.enforce_auth(True)
    yield members, env
    account.enforce_auth(False)


def test_organization_streams_every_account_as_jsonl(organization, tmp_path):
    members, env = organization
    out = tmp_path / "org.jsonl"
    proc = run_cli("discover", "--organization", "--format", "jsonl", "-o", out, "--max-accounts", "2", env=env)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1      # FAILs found (no external ID), and one ERROR
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    summary = lines[-1]
    assert summary["event"]["action"] == "iam-auditor-summary"
    body = summary["iam_auditor_summary"]
    assert body["complete"] is True and body["mode"] == "discover"
    accounts = {a["account_id"]: a for a in body["accounts"]}
    assert set(members.values()) <= set(accounts)
    assert {accounts[i]["account_name"] for i in members.values()} == set(members)
    assert accounts[members["team-locked"]]["status"] == "error"
    for name in ("team-a", "team-b"):
        entry = accounts[members[name]]
        assert entry["status"] == "read" and entry["fail"] > 0
        assert entry["key_facts"]["source"] == "credential-report"
        assert 0 < entry["api_calls"] <= 10
    results = [line for line in lines if "iam_auditor" in line]
    assert all(r["cloud"]["account"]["name"] == r["iam_auditor"]["account_name"] for r in results)
    locked = [r["iam_auditor"] for r in results if r["cloud"]["account"]["id"] == members["team-locked"]]
    assert [(r["rule_id"], r["status"]) for r in locked] == [("DISCOVER-001", "ERROR")]
    assert (f"sts:AssumeRole on role arn:aws:iam::{members['team-locked']}:role/iam-auditor-readonly "
            "was denied") in locked[0]["message"]
    keys = [r["iam_auditor"] for r in results if r["rule"]["id"] == "KEY-002"]
    assert len(keys) == 2 and all(k["evidence"]["credential_report_generated_at"] for k in keys)
    # each account's lines are followed by its own account line (written as it completed)
    account_lines = [i for i, line in enumerate(lines) if line["event"].get("action") == "iam-auditor-account"]
    assert len(account_lines) == len(body["accounts"])


def test_organization_json_report_names_accounts(organization, validate_report):
    members, env = organization
    proc = run_cli("discover", "--organization", "--format", "json", env=env)
    assert "Traceback" not in proc.stderr, proc.stderr
    report = validate_report(json.loads(proc.stdout))
    names = {a["account_id"]: a["account_name"] for a in report["accounts"]}
    assert {names[i] for i in members.values()} == set(members)
    assert all(r["account_name"] for r in report["results"])
    assert any("credential report generated at" in note for note in report["notes"])


def test_not_an_organization_is_an_error_result(account, validate_report):
    proc = run_cli("discover", "--organization", "--format", "json", env=account.env())
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 3
    report = validate_report(json.loads(proc.stdout))
    [result] = report["results"]
    assert result["rule_id"] == "DISCOVER-001" and result["resource"] == "aws-organization"
    assert "organizations:ListAccounts" in result["message"]


@pytest.mark.parametrize("args", [["--organization", "--accounts", "x.yaml"], ["--role-name", "r"],
                                  ["--organization", "--role-name", "bad name"],
                                  ["--organization", "--aws-profile", "a", "--aws-profile", "b"]])
def test_organization_usage_errors(account, args):
    proc = run_cli("discover", *args, env=account.env())
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
