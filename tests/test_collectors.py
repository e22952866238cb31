"""Collectors with in-process moto (mock_aws): each call path, and injected faults on every call."""
import json

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from moto import mock_aws

from auditor import collectors
from auditor.config import Profile
from auditor.engine import ERROR, PASS
from auditor.readonly import ReadOnlyViolation
from auditor.scan import scan_report
from auditor.settings import Settings

ACCOUNT, REGION = "123456789012", "us-east-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/read_secrets_role"
EXTERNAL_ID = "0d6e9b0c-3f1a-4c55-8e2b-9a7c51f0e2d4"
OPERATIONS = ["GetRole", "ListAttachedRolePolicies", "GetPolicy", "GetPolicyVersion",
              "ListRolePolicies", "GetRolePolicy", "GetUser", "ListAttachedUserPolicies",
              "ListUserPolicies", "GetUserPolicy", "ListGroupsForUser", "ListAttachedGroupPolicies",
              "ListGroupPolicies", "GetGroupPolicy", "ListAccessKeys", "GetAccessKeyLastUsed",
              "GetLoginProfile"]


@pytest.fixture
def aws(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        iam = boto3.client("iam", region_name=REGION)
        doc = lambda *s: json.dumps({"Version": "2012-10-17", "Statement": list(s)})  # noqa: E731
        user_arn = iam.create_user(UserName="reader")["User"]["Arn"]
        iam.create_login_profile(UserName="reader", Password="Not-a-real-password-1")
        iam.put_user_policy(UserName="reader", PolicyName="inline", PolicyDocument=doc(
            {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}))
        managed = iam.create_policy(PolicyName="assume", PolicyDocument=doc(
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE_ARN}))["Policy"]["Arn"]
        iam.attach_user_policy(UserName="reader", PolicyArn=managed)
        iam.create_group(GroupName="g")
        iam.add_user_to_group(GroupName="g", UserName="reader")
        iam.put_group_policy(GroupName="g", PolicyName="gi", PolicyDocument=doc(
            {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}))
        iam.attach_group_policy(GroupName="g", PolicyArn=managed)
        iam.create_access_key(UserName="reader")
        read = iam.create_policy(PolicyName="read", PolicyDocument=doc(
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))["Policy"]["Arn"]
        iam.create_role(RoleName="read_secrets_role", AssumeRolePolicyDocument=doc(
            {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}}),
            MaxSessionDuration=7200, PermissionsBoundary=read)
        iam.attach_role_policy(RoleName="read_secrets_role", PolicyArn=read)
        iam.put_role_policy(RoleName="read_secrets_role", PolicyName="kms", PolicyDocument=doc(
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}))
        yield iam


def profile(**changes):
    base = dict(name="p", auth_type="iam_role", region=REGION, user="reader", role_arn=ROLE_ARN,
                external_id=EXTERNAL_ID, sts_duration=3600)
    return Profile(**{**base, **changes})


class _Config:
    def __init__(self, *profiles):
        self.profiles, self.settings, self.waivers = profiles, Settings(), ()


def test_collects_every_part_of_role_and_user(aws):
    snapshot = collectors.collect([profile()], REGION)
    role = next(iter(snapshot.roles.values()))
    user = next(iter(snapshot.users.values()))
    assert role.exists and role.max_session_duration == 7200 and role.has_boundary
    assert {(p.kind, p.name) for p in role.policies} == {("managed", "read"), ("inline", "kms")}
    assert {(p.source, p.name) for p in user.policies} == {
        ("user", "assume"), ("user", "inline"), ("group:g", "gi"), ("group:g", "assume")}
    assert user.groups == ("g",) and user.has_login_profile is True
    assert len(user.access_keys) == 1 and user.access_keys[0].status == "Active"
    assert not role.errors and not user.errors
    assert snapshot.api_calls <= 24


def test_shared_entities_fetched_once(aws):
    one = collectors.collect([profile()], REGION).api_calls
    many = collectors.collect([profile(name=f"p{i}") for i in range(20)], REGION).api_calls
    assert many == one


def test_missing_entities_are_facts(aws):
    snapshot = collectors.collect([profile(user="ghost", role_arn=f"arn:aws:iam::{ACCOUNT}:role/ghost")], REGION)
    assert next(iter(snapshot.roles.values())).exists is False
    assert next(iter(snapshot.users.values())).exists is False


def _inject(monkeypatch, operation, exception):
    original = collectors.Clients.get

    def get(self, aws_profile, service):
        client = original(self, aws_profile, service)
        def fail(**_kwargs):
            raise exception
        client.meta.events.register(f"before-call.{service}.{operation}", fail,
                                    unique_id=f"inject-{operation}")
        return client
    monkeypatch.setattr(collectors.Clients, "get", get)


FAULTS = {
    "AccessDenied": lambda op: ClientError({"Error": {"Code": "AccessDenied", "Message": "denied"}}, op),
    "Throttling": lambda op: ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, op),
    "ConnectionError": lambda op: EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("operation", OPERATIONS)
def test_fault_on_any_call_gives_errors_never_a_lost_report(aws, monkeypatch, operation, fault):
    _inject(monkeypatch, operation, FAULTS[fault](operation))
    snapshot = collectors.collect([profile()], REGION)
    report = scan_report(_Config(profile()), snapshot)
    errors = [r for r in report.results if r.status == ERROR]
    assert errors, f"{fault} on {operation} gave no ERROR"
    assert any(f"iam:{operation}" in r.message for r in errors)
    assert len({r.rule_id for r in report.results}) == len(report.results) or report.results


def test_no_such_entity_on_get_role_fails_chain_002(aws, monkeypatch):
    _inject(monkeypatch, "GetRole", ClientError({"Error": {"Code": "NoSuchEntity", "Message": "x"}}, "GetRole"))
    report = scan_report(_Config(profile()), collectors.collect([profile()], REGION))
    by_rule = {r.rule_id: r for r in report.results}
    assert by_rule["CHAIN-002"].status == "FAIL" and "does not exist" in by_rule["CHAIN-002"].message
    assert by_rule["CHAIN-004"].status == "SKIP"


def test_get_role_denied_is_never_pass_for_role_rules(aws, monkeypatch):
    _inject(monkeypatch, "GetRole", FAULTS["AccessDenied"]("GetRole"))
    report = scan_report(_Config(profile()), collectors.collect([profile()], REGION))
    for rule in ("CHAIN-002", "CHAIN-003", "CHAIN-004", "CHAIN-005", "LP-001", "LP-003",
                 "TRUST-001", "TRUST-002", "TRUST-003", "TRUST-005", "SESSION-001"):
        assert {r.status for r in report.results if r.rule_id == rule} == {ERROR}, rule


def test_read_only_guard_refuses_writes_and_secret_values(aws):
    clients = collectors.Clients(REGION)
    with pytest.raises(ReadOnlyViolation):
        clients.get(None, "iam").create_user(UserName="x")
    with pytest.raises(ReadOnlyViolation):
        clients.get(None, "secretsmanager").get_secret_value(SecretId="x")
    with pytest.raises(ReadOnlyViolation):
        clients.get(None, "secretsmanager").batch_get_secret_value(SecretIdList=["x"])


def test_demo_scan_passes_chain_for_healthy_profile():
    from auditor.demo import run_demo

    report = run_demo()
    healthy = [(r.rule_id, r.status) for r in report.results
               if r.profile == "catalog-prod" and r.rule_id.startswith("CHAIN")]
    # The demo's headline failure: the database secret's key policy forgets the role.
    failing = [(rule_id, r.resource.rsplit(":", 1)[-1][:-7]) for (rule_id, status), r in zip(
        healthy, [r for r in report.results if r.profile == "catalog-prod" and r.rule_id.startswith("CHAIN")])
        if status != PASS]
    assert failing == [("CHAIN-007", "catalog/prod-db")]
    legacy = [(r.rule_id, r.status, r.severity) for r in report.results if r.profile == "catalog-legacy"]
    assert ("CHAIN-005", "FAIL", "medium") in legacy and ("TRUST-003", "FAIL", "high") in legacy


def test_shared_group_read_once(aws, monkeypatch):
    aws.create_user(UserName="other")
    aws.add_user_to_group(GroupName="g", UserName="other")
    group_reads = []
    original = collectors.Collector._attached

    def counting(self, aws_profile, list_method, list_op, source, errors, **params):
        if list_op == "iam:ListAttachedGroupPolicies":
            group_reads.append(params["GroupName"])
        return original(self, aws_profile, list_method, list_op, source, errors, **params)

    monkeypatch.setattr(collectors.Collector, "_attached", counting)
    snapshot = collectors.collect([profile(), profile(name="q", user="other")], REGION)
    assert group_reads == ["g"]
    assert all("group:g" in {p.source for p in u.policies} for u in snapshot.users.values())


def test_a_managed_policy_is_fetched_once_even_when_asked_at_the_same_moment():
    """Two users sharing a policy, collected on two threads, cost GetPolicy + GetPolicyVersion once."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from auditor.collectors import Collector

    calls = []

    class SlowIam:
        def get_policy(self, PolicyArn):
            calls.append("GetPolicy")
            time.sleep(0.05)           # both threads are inside before the first one finishes
            return {"Policy": {"DefaultVersionId": "v1"}}

        def get_policy_version(self, PolicyArn, VersionId):
            calls.append("GetPolicyVersion")
            return {"PolicyVersion": {"Document": {"Statement": []}}}

    class StubClients:
        def get(self, aws_profile, service):
            return SlowIam()

    collector = Collector(StubClients())
    arn = "arn:aws:iam::123456789012:policy/shared"
    start = threading.Barrier(8)

    def fetch(_):
        start.wait()
        return collector.managed_document(None, arn)

    with ThreadPoolExecutor(8) as pool:
        documents = list(pool.map(fetch, range(8)))
    assert documents == [{"Statement": []}] * 8
    assert calls == ["GetPolicy", "GetPolicyVersion"]
