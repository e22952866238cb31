"""Examples of a FAIL and a PASS for each rule, shown by `iam-auditor rules ID`.

Rules that `lint` runs have policy documents as examples: the test suite lints each one and
checks that the rule gives the status shown. Rules that need a live profile have the situation
in words (configuration and account state)."""
from __future__ import annotations

USER = "arn:aws:iam::123456789012:user/catalog-secrets-reader"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:catalog/prod-db-AbCdEf"
EXTERNAL_ID = "c1f0e0b2-7d4e-4e8a-9a51-3f1b6f2d9c47"


def _policy(*statements) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _trust(condition=None, principal=None, **extra) -> dict:
    statement = {"Effect": "Allow", "Principal": principal or {"AWS": USER},
                 "Action": "sts:AssumeRole", **extra}
    if condition is not None:
        statement["Condition"] = condition
    return _policy(statement)


_EQUALS = {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}
_READ = {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue"}
_ASSUME = {"Effect": "Allow", "Action": "sts:AssumeRole"}

# rule ID -> {"FAIL": example, "PASS": example}; a dict is a policy document `lint` checks.
EXAMPLES: dict[str, dict[str, object]] = {
    "CHAIN-001": {"FAIL": "The user's only policy allows sts:AssumeRole on another role, or a "
                          "Deny on sts:AssumeRole matches the configured role.",
                  "PASS": "An inline policy of the user allows sts:AssumeRole on the role ARN."},
    "CHAIN-002": {"FAIL": "The trust policy names arn:aws:iam::123456789012:user/someone-else, "
                          "or the role does not exist.",
                  "PASS": f"The trust policy's Allow names {USER}."},
    "CHAIN-003": {"FAIL": "external_id in the configuration is catalog-2024 while the trust "
                          f"policy requires StringEquals sts:ExternalId {EXTERNAL_ID}.",
                  "PASS": "The configured external_id is the trust policy's value."},
    "CHAIN-004": {"FAIL": "The role's policy allows secretsmanager:GetSecretValue only on "
                          "catalog/dev-* and the profile lists catalog/prod-db.",
                  "PASS": "The role's policy allows secretsmanager:GetSecretValue on each "
                          "configured secret's ARN."},
    "CHAIN-005": {"FAIL": "sts_duration: 7200 with the role's MaxSessionDuration 7200 (the "
                          "product needs 900 < D < M).",
                  "PASS": "sts_duration: 3600 with MaxSessionDuration 14400."},
    "LP-001": {"FAIL": _policy({**_READ, "Resource": "*"}),
               "PASS": _policy({**_READ, "Resource": SECRET})},
    "LP-002": {"FAIL": _policy({**_ASSUME, "Resource": "*"}),
               "PASS": _policy({**_ASSUME,
                                "Resource": "arn:aws:iam::123456789012:role/read_secrets_role"})},
    "LP-003": {"FAIL": "The role also has secretsmanager:PutSecretValue, or AdministratorAccess.",
               "PASS": "The role's policies allow GetSecretValue and DescribeSecret only."},
    "LP-004": {"FAIL": "The user may also call s3:GetObject, or has a console password.",
               "PASS": "The user's only permission is sts:AssumeRole on the role."},
    "TRUST-001": {"FAIL": _trust(_EQUALS, principal={"AWS": "arn:aws:iam::123456789012:root"}),
                  "PASS": _trust(_EQUALS)},
    "TRUST-002": {"FAIL": _trust(),
                  "PASS": _trust(_EQUALS)},
    "TRUST-003": {"FAIL": _trust({"StringLikeIfExists": {"sts:ExternalId": "catalog*"}}),
                  "PASS": _trust(_EQUALS)},
    "TRUST-004": {"FAIL": _trust({"StringEquals": {"sts:ExternalId": "123456789012"}}),
                  "PASS": _trust(_EQUALS)},
    "TRUST-005": {"FAIL": _policy(
                      {"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "sts:AssumeRole",
                       "Condition": _EQUALS},
                      {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                       "Action": "sts:AssumeRole"}),
                  "PASS": _trust(_EQUALS)},
    "SESSION-001": {"FAIL": "The role's MaxSessionDuration is 43200 s (limit 14400).",
                    "PASS": "MaxSessionDuration 3600 s."},
    "KEY-001": {"FAIL": "The user's active key was created 200 days ago "
                        "(access_key_max_age_days: 90).",
                "PASS": "The active key is 30 days old."},
    "KEY-002": {"FAIL": "The user has two active keys, or its key was created 30 days ago and "
                        "never used.",
                "PASS": "One active key, used yesterday; or created 2 days ago and not used "
                        "yet (new_key_grace_days: 7), with a note."},
    "KEY-003": {"FAIL": "access_key_id names a key of another user, or an inactive key.",
                "PASS": "access_key_id is the user's active key."},
    "CONFIG-001": {"FAIL": "secret_access_key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                   "PASS": "secret_access_key: ${CATALOG_SECRET}"},
    "CONFIG-002": {"FAIL": "region: us-east-1 with a secret ARN in eu-west-1, or a role_arn "
                           "without role/.",
                   "PASS": "The region is known, the role ARN well formed, the secrets in the "
                           "profile's region."},
    "POLICY-001": {"FAIL": {"Version": "2012-10-17",
                            "Statement": [{"Effect": "Permit", "Action": "sts:AssumeRole",
                                           "Resource": "*"}]},
                   "PASS": _policy({**_READ, "Resource": SECRET})},
    "POLICY-002": {"FAIL": _policy({"Effect": "Allow", "Action": "secretsmanagr:GetSecretValue",
                                    "Resource": SECRET}),
                   "PASS": _policy({**_READ, "Resource": SECRET})},
}
