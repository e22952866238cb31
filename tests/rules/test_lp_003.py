"""LP-003 role-excess-permissions: the role's policies allow only reading secrets."""
import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from auditor.snapshot import NamedPolicy  # noqa: E402
from scan_helpers import SECRET_ARN, role_state, run, view  # noqa: E402

RULE = "LP-003"


def named(*statements, name="p"):
    return NamedPolicy(name=name, kind="inline", source="role",
                       document={"Version": "2012-10-17", "Statement": list(statements)})


def check(*policies):
    return run(RULE, view(role=role_state(policies=tuple(policies))))


def test_only_secret_read_and_decrypt_passes():
    [result] = check(named({"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "kms:Decrypt"],
                            "Resource": SECRET_ARN}))
    assert (result.status, result.severity) == ("PASS", "high")


def test_full_admin_fails_critical():
    [result] = check(named({"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"}))
    assert (result.status, result.severity) == ("FAIL", "critical")
    assert "full administrator" in result.message
    assert result.evidence["full_admin"] is True


def test_secretsmanager_star_fails_high():
    [result] = check(named({"Effect": "Allow", "Action": "secretsmanager:*", "Resource": SECRET_ARN}))
    assert (result.status, result.severity) == ("FAIL", "high")
    assert "secretsmanager:PutSecretValue" in result.evidence["excess_actions"]
    assert not any(a.lower() == "secretsmanager:getsecretvalue" for a in result.evidence["excess_actions"])


def test_read_only_extra_fails_medium():
    [result] = check(named({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}))
    assert (result.status, result.severity) == ("FAIL", "medium")
    assert "s3:GetObject" in result.message
    assert result.evidence["excess_count"] == 1


def test_not_action_fails_high():
    [result] = check(named({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))
    assert (result.status, result.severity) == ("FAIL", "high")
    assert "NotAction" in result.message


def test_deny_statements_are_ignored():
    [result] = check(named({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": SECRET_ARN},
                           {"Effect": "Deny", "Action": "*", "Resource": "*"}))
    assert result.status == "PASS"


def test_each_bad_statement_is_a_result():
    results = check(named({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                          {"Effect": "Allow", "Action": "iam:CreateUser", "Resource": "*"}))
    assert [(r.status, r.severity) for r in results] == [("FAIL", "medium"), ("FAIL", "high")]
    assert results[0].fingerprint != results[1].fingerprint


def test_a_wildcard_on_a_service_the_catalogue_does_not_know_is_excess():
    """A service newer than the catalogue (or misspelt) expands to nothing: it is reported as
    written, never taken for an empty grant (which would PASS)."""
    [result] = check(named({"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "notaservice-zz:*"],
                            "Resource": "*"}))
    assert (result.status, result.severity) == ("FAIL", "high")
    assert result.evidence["excess_actions"] == ["notaservice-zz:*"]


# --- effective access (catalogue v1.1): an explicit Deny takes its part away ----------------------
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

def test_deny_of_the_writes_leaves_only_reads_medium():
    [result] = check(named({"Effect": "Allow", "Action": "secretsmanager:*", "Resource": SECRET_ARN},
                           {"Sid": "NoWrites", "Effect": "Deny", "Resource": "*",
                            "Action": ["secretsmanager:Put*", "secretsmanager:Update*", "secretsmanager:Delete*",
                                       "secretsmanager:Create*", "secretsmanager:Restore*",
                                       "secretsmanager:Rotate*", "secretsmanager:Cancel*",
                                       "secretsmanager:Tag*", "secretsmanager:Untag*",
                                       "secretsmanager:Remove*", "secretsmanager:Replicate*",
                                       "secretsmanager:StopReplication*", "secretsmanager:Validate*"]}))
    assert result.status == "FAIL"
    assert "secretsmanager:PutSecretValue" not in result.evidence["excess_actions"]
    assert result.evidence["trimmed_by"] == ["role:inline:p statement 1 (NoWrites)"]


def test_deny_of_everything_but_reading_leaves_nothing():
    [result] = check(named({"Effect": "Allow", "Action": "*", "Resource": "*"},
                           {"Effect": "Deny", "Resource": "*",
                            "NotAction": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]}))
    assert (result.status, result.severity) == ("PASS", "high")


def test_deny_on_one_bucket_does_not_trim_the_grant_on_every_bucket():
    [result] = check(named({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                           {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::private/*"}))
    assert (result.status, result.evidence["excess_actions"]) == ("FAIL", ["s3:GetObject"])


def test_permissions_boundary_takes_away_what_it_does_not_allow():
    boundary = NamedPolicy(name="b", kind="managed", source="boundary", arn="arn:aws:iam::123456789012:policy/b",
                           document={"Version": "2012-10-17", "Statement": [
                               {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    role = role_state(policies=(named({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),),
                      has_boundary=True, boundary=boundary)
    [result] = run(RULE, view(role=role))
    assert (result.status, result.severity) == ("PASS", "high")
