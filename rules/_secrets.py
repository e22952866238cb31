"""Helpers of the secret-side rules (CHAIN-006, CHAIN-007, SECRET-001): each configured secret
with its collected state, the role that reads it, and the statements remediations quote."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterator

from auditor.collectors_secrets import arn_part
from auditor.engine import Finding, Unavailable, errored, skipped
from auditor.policy import TRUST
from auditor.scan_view import Document, parse_once
from auditor.snapshot import SecretState

from ._common import role_account, secret_arn

SECRET_TYPE = "AwsSecretsManagerSecret"


@dataclass(frozen=True)
class SecretCase:
    """One configured secret as a rule sees it."""

    secret: str                 # as configured
    state: SecretState
    arn: str                    # resolved ARN (or the best guess from the configuration)
    region: str
    account: str | None         # the secret's account
    role_arn: str
    role_account: str | None

    @property
    def cross_account(self) -> bool:
        return bool(self.account and self.role_account and self.account != self.role_account)

    def location(self, document: str, statement=None) -> dict:
        loc = {"document": document, "secret": self.secret}
        if statement is not None:
            loc.update(statement=statement.index, sid=statement.sid)
        return loc

    def evidence(self, **extra) -> dict:
        return {"secret": self.secret, "secret_arn": self.arn, **extra}

    def resource_policy(self) -> Document | None:
        raw = self.state.resource_policy
        if raw is None:
            return None
        return Document("secret-policy", parse_once(raw, TRUST))


def _first_error(state: SecretState, *operations: str):
    return next((e for e in state.errors if e.operation in operations), None)


def secret_cases(view, *, needs_policy: bool = False) -> Iterator[SecretCase | Finding]:
    """Each configured secret as a SecretCase, or the SKIP/ERROR finding that stands for it:
    ERROR when it could not be described (or, with `needs_policy`, its policy not read); SKIP
    when it does not exist (CHAIN-006 reports that)."""
    if not view.profile.secrets:
        raise Unavailable("SKIP", "no secrets are configured for the profile")
    role_arn = view.role_arn
    account_of_role = role_account(role_arn)
    for secret in view.profile.secrets:
        state = view.secrets.get(secret)
        where = {"location": {"document": "profile", "secret": secret},
                 "resource": secret, "resource_type": SECRET_TYPE}
        if state is None:
            yield errored(f"{secret} was not collected (a snapshot without the secret side?)", **where)
            continue
        described = _first_error(state, "secretsmanager:DescribeSecret")
        if state.exists is False:
            yield skipped(f"{secret} does not exist in {state.region} (CHAIN-006)", **where)
            continue
        if described is not None or state.exists is None:
            why = described.describe() if described else "it was not described"
            yield errored(f"could not describe {secret}: {why}", **where)
            continue
        policy_error = _first_error(state, "secretsmanager:GetResourcePolicy")
        if needs_policy and policy_error is not None:
            yield errored(f"could not read the resource policy of {secret}: {policy_error.describe()}",
                          **{**where, "resource": state.arn or secret})
            continue
        arn = state.arn or secret_arn(secret, state.region, account_of_role)
        yield SecretCase(secret, state, arn, state.region, arn_part(arn, 4) or account_of_role,
                         role_arn, account_of_role)


def statement_json(statement: dict) -> str:
    return json.dumps(statement, separators=(", ", ": "))


def role_read_statement(role_arn: str) -> str:
    """The resource-policy statement that lets a role of another account read the secret."""
    return statement_json({"Sid": "AllowProductRoleRead", "Effect": "Allow",
                           "Principal": {"AWS": role_arn},
                           "Action": "secretsmanager:GetSecretValue", "Resource": "*"})


def key_policy_statement(role_arn: str, region: str) -> str:
    """The key-policy statement that lets the role decrypt through Secrets Manager only."""
    return statement_json({"Sid": "AllowProductRoleDecryptViaSecretsManager", "Effect": "Allow",
                           "Principal": {"AWS": role_arn}, "Action": "kms:Decrypt", "Resource": "*",
                           "Condition": {"StringEquals": {
                               "kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}}})


def identity_decrypt_statement(key_arn: str, region: str) -> str:
    """The identity-policy statement the role needs when the key policy delegates to its account."""
    return statement_json({"Sid": "DecryptSecretsKey", "Effect": "Allow", "Action": "kms:Decrypt",
                           "Resource": key_arn, "Condition": {"StringEquals": {
                               "kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}}})
