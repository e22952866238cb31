"""SECRET-001 secret-policy-exposure: nobody beyond the role and its account may read the secret.

Policies follow the Secrets Manager User Guide's resource-policy examples
(https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_resource-policies.html)
and its note on public policies (BlockPublicPolicy: a "*" principal without an account or
organization condition is public).
"""
import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from scan_helpers import ACCOUNT, ROLE_ARN, SECRET_ARN, denied, profile, run, secret_state, view  # noqa: E402

RULE = "SECRET-001"
GSV = "secretsmanager:GetSecretValue"
OTHER = "444455556666"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(principal, action=GSV, sid="Read", **extra):
    return {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*", **extra}


def check(*statements, errors=()):
    policy = doc(*statements) if statements else None
    return run(RULE, view(secrets=(secret_state(policy=policy, errors=errors),)))


def test_policy_naming_only_the_role_passes():
    [result] = check(allow({"AWS": ROLE_ARN}))
    assert result.status == "PASS"
    [none] = check()
    assert none.status == "PASS" and "no resource policy" in none.message


def test_public_principal_is_critical():
    for principal in ("*", {"AWS": "*"}):
        [result] = check(allow(principal))
        assert (result.status, result.severity) == ("FAIL", "critical"), principal
        assert result.location["sid"] == "Read" and result.resource == SECRET_ARN
        assert '"aws:PrincipalAccount"' in result.remediation and ROLE_ARN in result.remediation


def test_wildcard_actions_read_too():
    for action in ("secretsmanager:*", "*", "secretsmanager:Get*"):
        assert [r.severity for r in check(allow("*", action=action))] == ["critical"], action
    assert [r.status for r in check(allow("*", action="secretsmanager:DescribeSecret"))] == ["PASS"]


def test_public_principal_scoped_to_the_account_or_organization_passes():
    scoped = allow("*", Condition={"StringEquals": {"aws:PrincipalAccount": ACCOUNT}})
    assert [r.status for r in check(scoped)] == ["PASS"]
    org = allow("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})
    assert [r.status for r in check(org)] == ["PASS"]


def test_conditions_that_do_not_limit_accounts_stay_critical():
    ip = allow("*", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})
    assert [(r.status, r.severity) for r in check(ip)] == [("FAIL", "critical")]
    if_exists = allow("*", Condition={"StringEqualsIfExists": {"aws:PrincipalAccount": ACCOUNT}})
    assert [r.severity for r in check(if_exists)] == ["critical"]


def test_principals_of_other_accounts_are_high():
    [result] = check(allow({"AWS": f"arn:aws:iam::{OTHER}:root"}))
    assert (result.status, result.severity) == ("FAIL", "high") and OTHER in result.message
    scoped_elsewhere = allow("*", Condition={"StringEquals": {"aws:PrincipalAccount": OTHER}})
    assert [(r.status, r.severity) for r in check(scoped_elsewhere)] == [("FAIL", "high")]


def test_a_deny_guard_for_other_organizations_neutralizes_the_exposure():
    guard = {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:*", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}
    assert [r.status for r in check(allow("*"), guard)] == ["PASS"]


def test_each_exposing_statement_is_its_own_result():
    results = check(allow("*", sid="Public"), allow({"AWS": OTHER}, sid="Partner"))
    assert [(r.status, r.severity, r.location["sid"]) for r in results] == [
        ("FAIL", "critical", "Public"), ("FAIL", "high", "Partner")]


def test_unreadable_policy_is_an_error_and_no_secrets_skip():
    [result] = check(errors=(denied("secretsmanager:GetResourcePolicy"),))
    assert result.status == "ERROR"
    [skip] = run(RULE, view(profile(secrets=())))
    assert skip.status == "SKIP"
