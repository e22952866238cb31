"""CONFIG-002 profile-consistency: region, role ARN, secret ARNs and auth type are coherent."""
import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import pytest  # noqa: E402

import rules.config_002  # noqa: E402
from auditor.scan_view import ProfileView  # noqa: E402
from auditor.settings import Settings  # noqa: E402
from scan_helpers import ACCOUNT, denied_role, missing_role, profile, run, statuses, view  # noqa: E402

RULE = "CONFIG-002"


def check(**changes):
    return run(RULE, view(profile(**changes)))


def fails(**changes):
    results = check(**changes)
    assert all(r.status == "FAIL" for r in results), [(r.status, r.message) for r in results]
    return results


def test_coherent_profile_passes():
    [result] = check()
    assert (result.status, result.severity) == ("PASS", "high")


@pytest.mark.parametrize("region,role_arn,secret", [
    ("cn-north-1", f"arn:aws-cn:iam::{ACCOUNT}:role/r", f"arn:aws-cn:secretsmanager:cn-north-1:{ACCOUNT}:secret:s-AbCdEf"),
    ("us-gov-west-1", f"arn:aws-us-gov:iam::{ACCOUNT}:role/path/r+=,.@-_",
     f"arn:aws-us-gov:secretsmanager:us-gov-west-1:{ACCOUNT}:secret:s"),
    ("eu-west-3", f"arn:aws:iam::{ACCOUNT}:role/r", "catalog/prod-db"),
])
def test_other_partitions_names_and_partial_arns_pass(region, role_arn, secret):
    assert statuses(check(region=region, role_arn=role_arn, secrets=(secret,))) == [("PASS", "high")]


def test_no_secrets_passes():
    assert statuses(check(secrets=())) == [("PASS", "high")]


@pytest.mark.parametrize("region", ["us-east-7", "US-EAST-1", "", None, "eu-west"])
def test_unknown_region_fails(region):
    [result] = fails(region=region, secrets=())
    assert result.severity == "high"
    assert result.location == {"document": "profile", "key": "region"}
    assert "not a known AWS region" in result.message


def test_unknown_region_suggests_a_close_one():
    [result] = fails(region="us-east-7", secrets=())
    assert "did you mean us-east-" in result.message


@pytest.mark.parametrize("role_arn", [
    "read_secrets_role", f"arn:aws:iam::{ACCOUNT}:user/someone", "arn:aws:iam::12345:role/r",
    f"arn:aws:iam:us-east-1:{ACCOUNT}:role/r", f"arn:aws-iso:iam::{ACCOUNT}:role/r",
    f"arn:aws:iam::{ACCOUNT}:role/", f"arn:aws:iam::{ACCOUNT}:role/bad name",
])
def test_malformed_role_arn_fails(role_arn):
    [result] = fails(role_arn=role_arn)
    assert result.location == {"document": "profile", "key": "role_arn"}
    assert "not a well-formed IAM role ARN" in result.message


def test_secret_in_another_region_fails():
    other = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:catalog/prod-db-AbCdEf"
    good = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:catalog/other"
    [result] = fails(secrets=(good, "plain-name", other))
    assert result.location == {"document": "profile", "key": "secrets", "index": 2, "check": "region"}
    assert "eu-west-1" in result.message and "us-east-1" in result.message


def test_secret_in_another_partition_fails():
    secret = f"arn:aws-cn:secretsmanager:us-east-1:{ACCOUNT}:secret:s"
    [result] = fails(secrets=(secret,))
    assert result.location["check"] == "partition"
    assert "aws-cn" in result.message


def test_malformed_secret_arn_fails():
    [result] = fails(secrets=("arn:aws:secretsmanager:us-east-1",))
    assert "not a well-formed Secrets Manager ARN" in result.message


def test_region_outside_the_role_partition_fails():
    [result] = fails(region="cn-north-1", secrets=())
    assert result.location == {"document": "profile", "key": "region", "check": "partition"}


def test_wrong_auth_type_fails():
    [result] = fails(auth_type="access_key")
    assert result.location == {"document": "profile", "key": "auth_type"}
    assert "'access_key'" in result.message


def test_one_finding_per_problem():
    results = fails(region="mars-1", role_arn="nope", auth_type="basic",
                    secrets=(f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:a",
                             f"arn:aws:secretsmanager:eu-west-2:{ACCOUNT}:secret:b"))
    assert [r.location["key"] for r in results] == ["region", "role_arn", "secrets", "secrets", "auth_type"]
    assert len({r.fingerprint for r in results}) == 5


def test_needs_no_aws_state():
    """A missing or unreadable role does not SKIP or ERROR this rule: it reads the configuration."""
    assert statuses(run(RULE, view(role=missing_role()))) == [("PASS", "high")]
    assert statuses(run(RULE, view(role=denied_role()))) == [("PASS", "high")]
    bare = ProfileView(profile=profile(auth_type="x"), role=None, user=None, settings=Settings())
    assert statuses(run(RULE, bare)) == [("FAIL", "high")]


def test_region_data_unavailable_is_an_error(monkeypatch):
    def broken():
        raise OSError("botocore data missing")
    monkeypatch.setattr(rules.config_002, "known_regions", broken)
    [result] = check()
    assert result.status == "ERROR"
    assert "botocore data missing" in result.message
