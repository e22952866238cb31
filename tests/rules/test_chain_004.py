"""CHAIN-004 role-can-read-secrets: the role may read every configured secret."""
import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from auditor.snapshot import NamedPolicy  # noqa: E402
from scan_helpers import ACCOUNT, SECRET_ARN, profile, role_state, run, view  # noqa: E402

RULE = "CHAIN-004"
GSV = "secretsmanager:GetSecretValue"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(resource, action=GSV):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(resource, action=GSV):
    return {"Effect": "Deny", "Action": action, "Resource": resource}


def named(document, name="read"):
    return NamedPolicy(name=name, kind="inline", source="role", document=document)


def check(*policies, secrets=(SECRET_ARN,), **role_changes):
    return run(RULE, view(profile(secrets=tuple(secrets)),
                          role=role_state(policies=tuple(policies), **role_changes)))


def test_configured_arn_allowed_passes():
    [result] = check(named(doc(allow(SECRET_ARN))))
    assert (result.status, result.severity) == ("PASS", "high")
    assert SECRET_ARN in result.message
    assert result.evidence["secret"] == SECRET_ARN
    assert result.evidence["decision"] == "allowed"


def test_name_only_secret_allowed_by_pinned_pattern_passes():
    pattern = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:catalog/prod-db-??????"
    [result] = check(named(doc(allow(pattern))), secrets=("catalog/prod-db",))
    assert result.status == "PASS"
    assert "catalog/prod-db" in result.message


def test_secret_not_covered_fails():
    other = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:other-AbCdEf"
    [result] = check(named(doc(allow(other))))
    assert (result.status, result.severity) == ("FAIL", "high")
    assert "cannot read" in result.message and "no policy of the role allows it" in result.message
    assert result.location == {"document": "profile", "secret": SECRET_ARN}


def test_one_result_per_secret():
    other = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:other-AbCdEf"
    results = check(named(doc(allow(SECRET_ARN))), secrets=(SECRET_ARN, other))
    assert [r.status for r in results] == ["PASS", "FAIL"]


def test_explicit_deny_fails():
    [result] = check(named(doc(allow("*"))), named(doc(deny(SECRET_ARN, "secretsmanager:*")), "deny"))
    assert (result.status, result.severity) == ("FAIL", "high")
    assert "explicit Deny" in result.message


def test_role_boundary_not_allowing_fails():
    boundary = NamedPolicy("bnd", "managed", "boundary", doc(allow("*", "s3:*")))
    [result] = check(named(doc(allow(SECRET_ARN))), has_boundary=True, boundary=boundary)
    assert (result.status, result.severity) == ("FAIL", "high")
    assert "cannot read" in result.message


def test_role_boundary_allowing_passes():
    boundary = NamedPolicy("bnd", "managed", "boundary", doc(allow("*", "secretsmanager:*")))
    [result] = check(named(doc(allow(SECRET_ARN))), has_boundary=True, boundary=boundary)
    assert result.status == "PASS"


def test_no_secrets_and_policy_on_star_passes():
    [result] = check(named(doc(allow("*"))), secrets=())
    assert (result.status, result.severity) == ("PASS", "high")
    assert "no secrets configured" in result.message and "us-east-1" in result.message


def test_no_secrets_and_no_policy_fails():
    [result] = check(secrets=())
    assert (result.status, result.severity) == ("FAIL", "high")
    assert "cannot read any secret in us-east-1" in result.message
