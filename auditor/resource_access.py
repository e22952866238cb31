"""Requests on a secret and its KMS key, as resource-based policies see them.

The project's evaluator (`auditor.evaluation.decide` with `caller=`) decides secret resource
policies and key policies; this module says what the request looks like. Two requests matter:

- the role's own `secretsmanager:GetSecretValue` on the secret, made with the role's session;
- the `kms:Decrypt` that Secrets Manager makes on the role's behalf to decrypt the secret value.
  AWS documents its context: `kms:ViaService` is `secretsmanager.<region>.amazonaws.com`,
  `kms:CallerAccount` is the role's account, and the encryption context holds `SecretARN`
  (and `SecretVersionId`, whose value is not known here): see "Secret encryption and
  decryption in AWS Secrets Manager" in the Secrets Manager User Guide.

Keys the auditor cannot know (aws:PrincipalOrgID, aws:SourceVpce, aws:SourceIp, tags, the
secret version ID's value) stay unknown, so a decision that hinges on them is CONDITIONAL.
"""
from __future__ import annotations

from dataclasses import dataclass

from .evaluation import (RequestContext, Tri, evaluate_condition, statement_covers_action,
                         statement_covers_principal, statement_covers_resource)
from .policy import Condition, Policy, Statement

GET_SECRET_VALUE = "secretsmanager:GetSecretValue"
KMS_DECRYPT = "kms:Decrypt"


def _principal_keys(role_arn: str, role_account: str | None) -> dict[str, tuple[str, ...]]:
    values = {"aws:PrincipalArn": (role_arn,), "aws:PrincipalType": ("AssumedRole",),
              "aws:SecureTransport": ("true",)}
    if role_account:
        values["aws:PrincipalAccount"] = (role_account,)
    return values


def secret_read_context(role_arn: str, role_account: str | None) -> RequestContext:
    """The role's session calling GetSecretValue."""
    return RequestContext({**_principal_keys(role_arn, role_account), "aws:ViaAWSService": ("false",)})


def decrypt_context(role_arn: str, role_account: str | None, secret_arn: str, region: str) -> RequestContext:
    """Secrets Manager calling kms:Decrypt for the role, to decrypt `secret_arn`'s value."""
    values = {**_principal_keys(role_arn, role_account),
              "kms:ViaService": (f"secretsmanager.{region}.amazonaws.com",),
              "kms:EncryptionContext:SecretARN": (secret_arn,),
              "kms:EncryptionContextKeys": ("SecretARN", "SecretVersionId"),
              "kms:EncryptionAlgorithm": ("SYMMETRIC_DEFAULT",)}
    if role_account:
        values["kms:CallerAccount"] = (role_account,)
    return RequestContext(values)


def outsider_context(account: str) -> RequestContext:
    """A principal of another account and another organization reading the secret."""
    return RequestContext({**_principal_keys(f"arn:aws:iam::{account}:role/outsider", account),
                           "aws:PrincipalOrgID": ("o-iamauditoroutsider",),
                           "aws:PrincipalOrgPaths": ("o-iamauditoroutsider/r-out/ou-out-outsider/",),
                           "aws:ViaAWSService": ("false",)})


@dataclass(frozen=True)
class Unmet:
    """An Allow that would apply to the request but for conditions that do not hold."""

    statement: Statement
    conditions: tuple[Condition, ...]

    def describe(self) -> str:
        keys = ", ".join(f"{c.raw_operator} {c.raw_key} {list(c.values)}" for c in self.conditions)
        return f"{self.statement.location_label} would allow it, but its condition does not hold: {keys}"


def unmet_allows(policies: list[Policy], action: str, resource: str, caller: tuple[str, str | None],
                 context: RequestContext) -> list[Unmet]:
    """Allow statements naming the caller, the action and the resource whose conditions fail:
    why a key policy written for the role still does not let it decrypt."""
    out = []
    for policy in policies:
        for statement in policy.statements:
            if not (statement.is_allow and statement_covers_action(statement, action)
                    and statement_covers_resource(statement, resource)
                    and statement_covers_principal(statement, *caller)):
                continue
            failing = tuple(c for c in statement.conditions
                            if evaluate_condition(c, context) is Tri.FALSE)
            if failing:
                out.append(Unmet(statement, failing))
    return out
