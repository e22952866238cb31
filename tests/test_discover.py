"""`discover` on a synthetic account (in-process moto): finds every planted integration, no other."""
import json

import boto3
import pytest
from moto import mock_aws

from auditor.discover import AccountSpec, discover, find_pairs, read_account
from auditor.aws import Clients
from auditor.settings import Settings

ACCOUNT = "123456789012"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(principal, condition=None):
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return doc(statement)


@pytest.fixture
def account(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        read = iam.create_policy(PolicyName="read", PolicyDocument=doc(
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))["Policy"]["Arn"]
        # Planted 1: the guide's set-up, trust by user ARN, user allowed on the role ARN.
        alice = iam.create_user(UserName="alice")["User"]["Arn"]
        iam.create_access_key(UserName="alice")
        iam.create_role(RoleName="catalog", AssumeRolePolicyDocument=trust(
            {"AWS": alice}, {"StringEquals": {"sts:ExternalId": "5f0c1e7a-93b2-4d1e-8a6f-2c4b9e7d3a10"}}))
        iam.attach_role_policy(RoleName="catalog", PolicyArn=read)
        iam.put_user_policy(UserName="alice", PolicyName="p", PolicyDocument=doc(
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/catalog"}))
        # Planted 2: a forgotten role trusting the whole account; bob may assume any role (group).
        iam.create_role(RoleName="forgotten", AssumeRolePolicyDocument=trust({"AWS": ACCOUNT}))
        iam.create_user(UserName="bob")
        iam.create_group(GroupName="assumers")
        iam.add_user_to_group(GroupName="assumers", UserName="bob")
        iam.put_group_policy(GroupName="assumers", PolicyName="p", PolicyDocument=doc(
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))
        # Noise: a service role, and a user-trusting role nobody may assume.
        iam.create_role(RoleName="ec2-only", AssumeRolePolicyDocument=trust({"Service": "ec2.amazonaws.com"}))
        carol = iam.create_user(UserName="carol")["User"]["Arn"]
        iam.create_role(RoleName="orphan", AssumeRolePolicyDocument=trust({"AWS": carol}))
        # A service role that reads secrets: the secret-reading rules still run on it.
        iam.create_role(RoleName="lambda-reader", AssumeRolePolicyDocument=trust({"Service": "lambda.amazonaws.com"}))
        iam.attach_role_policy(RoleName="lambda-reader", PolicyArn=read)
        yield iam


def arn(name):
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def test_pairs_found_and_nothing_else(account):
    state = read_account(Clients("us-east-1"), None)
    pairs, secret_roles = find_pairs(state)
    found = {(r.name, u.name) for r, u in pairs}
    assert found == {("catalog", "alice"), ("forgotten", "bob")}
    assert {r.name for r in secret_roles} == {"catalog", "lambda-reader"}


def test_discover_results(account, validate_report):
    results, calls = discover([AccountSpec("default")], "us-east-1", Settings())
    roles = {r.resource for r in results}
    # orphan: no user here may assume it, but its trust names a user of the account (v1.1).
    assert roles == {arn("catalog"), arn("forgotten"), arn("lambda-reader"), arn("orphan")}
    by = {(r.resource, r.rule_id): r for r in results}
    assert by[(arn("orphan"), "TRUST-002")].status == "FAIL"
    assert by[(arn("orphan"), "TRUST-002")].evidence["trusted_principals"] == [f"arn:aws:iam::{ACCOUNT}:user/carol"]
    assert by[(arn("forgotten"), "TRUST-001")].status == "FAIL"
    assert by[(arn("forgotten"), "TRUST-002")].status == "FAIL"
    assert by[(arn("catalog"), "TRUST-003")].status == "PASS"
    assert by[(arn("catalog"), "LP-001")].status == "FAIL"
    assert by[(arn("lambda-reader"), "LP-001")].status == "FAIL"
    assert not any(r.rule_id.startswith(("CHAIN", "CONFIG")) or r.rule_id == "KEY-003" for r in results)
    assert all(r.profile is None for r in results)
    fingerprints = [r.fingerprint for r in results]
    assert len(fingerprints) == len(set(fingerprints))
    # bulk reads: GAAD + ListRoles + identity, then key calls for the two paired users only
    assert calls <= 3 + 2 * 3
    from auditor.report import Report

    validate_report(Report("discover", results).to_dict())


def test_exposed_roles_are_audited_though_no_user_is_paired(account):
    """Catalogue v1.1: the TRUST rules run on every role whose trust lets in "*", another account
    or a user of the account. The confused-deputy hole external IDs exist to close:
    https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html"""
    read = f"arn:aws:iam::{ACCOUNT}:policy/read"
    account.create_role(RoleName="public", AssumeRolePolicyDocument=trust({"AWS": "*"}))
    account.attach_role_policy(RoleName="public", PolicyArn=read)
    account.create_role(RoleName="vendor", AssumeRolePolicyDocument=trust(
        {"AWS": "arn:aws:iam::999988887777:root"}, {"StringLike": {"sts:ExternalId": "*"}}))
    results, _ = discover([AccountSpec("default")], "us-east-1", Settings())
    by = {(r.resource, r.rule_id): r for r in results}
    public = by[(arn("public"), "TRUST-001")]
    assert (public.status, public.severity, public.evidence["trusted_principals"]) == ("FAIL", "critical", ["*"])
    assert by[(arn("public"), "LP-001")].status == "FAIL"
    assert (by[(arn("vendor"), "TRUST-001")].status, by[(arn("vendor"), "TRUST-001")].severity) == ("FAIL", "high")
    assert (by[(arn("vendor"), "TRUST-003")].status, by[(arn("vendor"), "TRUST-003")].severity) == ("FAIL", "high")
    assert by[(arn("vendor"), "TRUST-003")].evidence["trusted_principals"] == ["arn:aws:iam::999988887777:root"]
    assert not any(r.resource == arn("ec2-only") for r in results)


def test_unreadable_account_is_an_error_result(account, monkeypatch):
    from botocore.exceptions import ClientError

    from auditor import discover as module

    def denied(iam, filters, stop=None):
        from auditor.aws import CallFailed, classify

        raise CallFailed(classify("iam:GetAccountAuthorizationDetails", ClientError(
            {"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetAccountAuthorizationDetails")))

    monkeypatch.setattr(module, "_gaad", denied)
    results, _ = discover([AccountSpec("default")], "us-east-1", Settings())
    assert [(r.rule_id, r.status) for r in results] == [("DISCOVER-001", "ERROR")]
    assert "iam:GetAccountAuthorizationDetails" in results[0].message


def test_one_failing_account_does_not_stop_the_others(account, monkeypatch):
    from auditor import discover as module

    real = module.start_download

    def flaky(clients, key, account=None):
        if key == "role:arn:aws:iam::210987654321:role/auditor":
            from botocore.exceptions import EndpointConnectionError

            from auditor.aws import CallFailed, classify

            raise CallFailed(classify("iam:GetAccountAuthorizationDetails",
                                      EndpointConnectionError(endpoint_url="http://127.0.0.1:1")))
        return real(clients, key, account)

    monkeypatch.setattr(module, "start_download", flaky)
    specs = [AccountSpec("default"), AccountSpec("other", role_arn="arn:aws:iam::210987654321:role/auditor")]
    results, _ = discover(specs, "us-east-1", Settings(), max_accounts=2)
    errors = [r for r in results if r.status == "ERROR"]
    assert [(r.rule_id, r.account_id) for r in errors] == [("DISCOVER-001", "210987654321")]
    assert arn("catalog") in {r.resource for r in results}


def test_an_accounts_results_carry_no_trace_of_the_credentials_it_assumed(account, monkeypatch):
    """Whatever quotes them (an error text, evidence), an assumed role's secret key and session
    token leave the account scrubbed; then they are forgotten (the scrubber's pattern follows
    the accounts in flight, not every account read)."""
    from auditor import discover as module
    from auditor import scrub
    registered, real_register, real_evaluate = [], scrub.register, module.evaluate_account

    def register(*values):
        registered.extend(values)
        real_register(*values)

    def evaluate(*args, **kwargs):
        quoted = " ".join(registered)
        quoting = module.account_error("other", "210987654321", f"AWS said: {quoted}")
        quoting.evidence = {"answer": {"quoted": registered[:]}}
        return real_evaluate(*args, **kwargs) + [quoting]

    monkeypatch.setattr(scrub, "register", register)
    monkeypatch.setattr(module, "evaluate_account", evaluate)
    scrub.reset()
    results, _ = discover([AccountSpec("other", role_arn="arn:aws:iam::210987654321:role/auditor")],
                          "us-east-1", Settings())
    assert len(registered) == 2                      # the secret key and the session token
    text = json.dumps([(r.message, r.evidence) for r in results])
    assert scrub.REPLACEMENT in text and not any(value in text for value in registered)
    assert scrub.scrub(" ".join(registered)) == " ".join(registered)     # forgotten
    scrub.reset()


def _stale_trusts(monkeypatch, replacements):
    """ListRoles answers with other trust policies than GAAD (a role changed between the reads)."""
    from dataclasses import replace

    from auditor import discover as module

    real = module.AccountDownload.trusts

    def trusts(self):
        listed = real(self)
        return {a: replace(r, trust_policy=replacements[r.name]) if r.name in replacements else r
                for a, r in listed.items()}

    monkeypatch.setattr(module.AccountDownload, "trusts", trusts)


def test_a_role_whose_trust_changed_between_the_reads_is_paired_on_gaads_copy(account, monkeypatch):
    # ListRoles still shows catalog trusting only EC2; GAAD (what the rules read) trusts alice.
    _stale_trusts(monkeypatch, {"catalog": json.loads(trust({"Service": "ec2.amazonaws.com"}))})
    results, _ = discover([AccountSpec("default")], "us-east-1", Settings())
    by = {(r.resource, r.rule_id): r for r in results}
    assert by[(arn("catalog"), "TRUST-003")].status == "PASS"
    # alice was only found paired after GAAD: her keys were still read (not an ERROR).
    assert by[(arn("catalog"), "KEY-001")].status == "PASS"


def test_a_role_no_longer_trusting_users_is_not_reported(account, monkeypatch):
    # ListRoles shows ec2-only trusting the account (bob could assume it); GAAD: EC2 only.
    _stale_trusts(monkeypatch, {"ec2-only": json.loads(trust({"AWS": ACCOUNT}))})
    results, _ = discover([AccountSpec("default")], "us-east-1", Settings())
    assert arn("ec2-only") not in {r.resource for r in results}


def test_a_failed_stream_stops_the_others(account, monkeypatch):
    """ListRoles denied: one DISCOVER-001 ERROR, and no call of that account is made after it."""
    from botocore.exceptions import ClientError

    from auditor import aws, discover as module

    real = aws.pages

    def pages(client, operation, *args, **kwargs):
        if operation == "iam:ListRoles":
            raise aws.CallFailed(aws.classify(operation, ClientError(
                {"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListRoles")))
        return real(client, operation, *args, **kwargs)

    monkeypatch.setattr(module, "pages", pages)
    results, calls = discover([AccountSpec("default")], "us-east-1", Settings())
    assert [(r.rule_id, r.status) for r in results] == [("DISCOVER-001", "ERROR")]
    assert "iam:ListRoles" in results[0].message
    import threading

    assert not [t for t in threading.enumerate() if t.name.startswith(("download", "keys"))]
