"""CHAIN-006 secret-policy-allows-role: the secret's resource policy lets the role read it.

Resource policies follow the Secrets Manager User Guide: the cross-account example ("Access
AWS Secrets Manager secrets from a different account",
https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html:
both the resource policy and the identity policy must allow) and the resource-policy examples
(https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_resource-policies.html).
"""
import sys
from dataclasses import replace
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from scan_helpers import (ACCOUNT, ROLE_ARN, SECRET_ARN, denied, no_such_entity, profile, run,  # noqa: E402
                          secret_state, view)

RULE = "CHAIN-006"
GSV = "secretsmanager:GetSecretValue"
OTHER = "444455556666"
OTHER_SECRET = f"arn:aws:secretsmanager:us-east-1:{OTHER}:secret:shared/db-AbCdEf"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(principal, action=GSV, **extra):
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*", **extra}


def deny(principal="*", action=GSV, **extra):
    return {"Sid": "DenyOthers", "Effect": "Deny", "Principal": principal, "Action": action,
            "Resource": "*", **extra}


def check(policy=None, arn=SECRET_ARN, **changes):
    return run(RULE, view(profile(secrets=(arn,)), secrets=(secret_state(arn, policy=policy, **changes),)))


def test_no_resource_policy_in_the_role_account_passes():
    [result] = check()
    assert result.status == "PASS" and "CHAIN-004" in result.message
    assert result.resource == SECRET_ARN


def test_explicit_deny_of_the_role_fails():
    [result] = check(doc(deny("*", action="secretsmanager:*")))
    assert (result.status, result.severity) == ("FAIL", "high")
    assert result.location == {"document": "secret-policy", "secret": SECRET_ARN, "statement": 0,
                               "sid": "DenyOthers"}
    assert ROLE_ARN in result.remediation


def test_deny_for_everyone_but_the_role_passes():
    """The usual lock-down: Deny unless aws:PrincipalArn is the role (decided from the role's ARN)."""
    guard = deny(Condition={"StringNotEquals": {"aws:PrincipalArn": ROLE_ARN}})
    assert [r.status for r in check(doc(guard))] == ["PASS"]
    other_role = f"arn:aws:iam::{ACCOUNT}:role/etl"
    assert [r.status for r in check(doc(deny(Condition={"StringNotEquals": {"aws:PrincipalArn": other_role}})))] \
        == ["FAIL"]


def test_deny_on_an_unknown_condition_is_an_error_not_a_pass():
    guard = deny(Condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}})
    [result] = check(doc(guard))
    assert result.status == "ERROR" and "aws:SourceVpce" in result.message


def test_cross_account_needs_an_allow_naming_the_role():
    [none] = check(arn=OTHER_SECRET)
    assert none.status == "FAIL" and '"Principal": {"AWS": "%s"}' % ROLE_ARN in none.remediation
    [named] = check(doc(allow({"AWS": ROLE_ARN})), arn=OTHER_SECRET)
    assert named.status == "PASS"
    [by_account] = check(doc(allow({"AWS": ACCOUNT})), arn=OTHER_SECRET)
    assert by_account.status == "PASS"
    [someone_else] = check(doc(allow({"AWS": f"arn:aws:iam::{ACCOUNT}:role/etl"})), arn=OTHER_SECRET)
    assert someone_else.status == "FAIL"


def test_cross_account_allow_on_principal_org_id_is_never_a_pass():
    statement = allow("*", Condition={"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})
    [result] = check(doc(statement), arn=OTHER_SECRET)
    assert result.status == "ERROR" and "aws:PrincipalOrgID" in result.message


def test_missing_secret_fails_and_unreadable_secret_errors():
    gone = replace(secret_state(), arn=None, exists=False,
                   errors=(no_such_entity("secretsmanager:DescribeSecret"),))
    [missing] = run(RULE, view(secrets=(gone,)))
    assert missing.status == "FAIL" and "does not exist" in missing.message
    [unreadable] = run(RULE, view(secrets=(replace(secret_state(), arn=None, exists=None,
                                                   errors=(denied("secretsmanager:DescribeSecret"),)),)))
    assert unreadable.status == "ERROR"
    [policy_denied] = check(errors=(denied("secretsmanager:GetResourcePolicy"),))
    assert policy_denied.status == "ERROR" and "GetResourcePolicy" in policy_denied.message


def test_cross_account_without_credentials_is_an_error_naming_the_setting():
    from auditor.collectors_secrets import secret_reader

    prof = profile(secrets=(OTHER_SECRET,))
    reader, error = secret_reader(prof, OTHER_SECRET, "audit-prod")
    assert reader == "audit-prod" and "secrets_aws_profile" in error.message
    state = replace(secret_state(OTHER_SECRET), arn=None, exists=None, errors=(error,))
    [result] = run(RULE, view(prof, secrets=(state,)))
    assert result.status == "ERROR" and "secrets_aws_profile" in result.message
    assert secret_reader(profile(secrets_aws_profile="audit-shared"), OTHER_SECRET, "audit-prod") \
        == ("audit-shared", None)


def test_no_secrets_configured_skips():
    [result] = run(RULE, view(profile(secrets=())))
    assert result.status == "SKIP"
