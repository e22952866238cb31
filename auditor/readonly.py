"""Read-only by construction: every boto3 client the auditor makes refuses other operations.

A botocore `before-call` hook checks each operation against an allowlist of reads before the
request is signed or sent. Reading a secret's value is refused even though it is a "Get".
"""
from __future__ import annotations

ALLOWED_OPERATIONS = frozenset({
    "sts:GetCallerIdentity",
    "sts:AssumeRole",  # discover --accounts: a read-only role in each account
    "iam:GetRole", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:GetRolePolicy",
    "iam:GetPolicy", "iam:GetPolicyVersion",
    "iam:GetUser", "iam:ListAttachedUserPolicies", "iam:ListUserPolicies", "iam:GetUserPolicy",
    "iam:ListGroupsForUser", "iam:ListAttachedGroupPolicies", "iam:ListGroupPolicies",
    "iam:GetGroupPolicy", "iam:ListAccessKeys", "iam:GetAccessKeyLastUsed", "iam:GetLoginProfile",
    "iam:GetAccountAuthorizationDetails", "iam:ListRoles", "iam:ListUsers",
    # The secret side of the chain: a secret's metadata and resource policy (never its value),
    # the key that encrypts it and that key's policy.
    "secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy",
    "secretsmanager:ListSecrets",  # discover --secrets only
    "kms:DescribeKey", "kms:GetKeyPolicy",
    # discover's key facts. GenerateCredentialReport is the one call here that is not a Get or a
    # List, and AWS's own catalogue files it under the Read access level: it asks IAM to compute
    # the report of facts IAM already holds (users, key ages and last use, passwords), and it
    # creates, changes or deletes no user, key, policy or setting; nothing in the account reads
    # it but GetCredentialReport. The report holds no secret (no key, no password).
    "iam:GenerateCredentialReport", "iam:GetCredentialReport",
    "organizations:ListAccounts",  # discover --organization: the accounts to audit
})
ALWAYS_REFUSED = frozenset({"secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue"})


class ReadOnlyViolation(RuntimeError):
    """The auditor tried an operation outside its read-only allowlist (a bug, never a finding)."""


def iam_action(service_model, operation_name: str) -> str:
    prefix = service_model.signing_name or service_model.endpoint_prefix
    return f"{prefix}:{operation_name}"


def _guard(model, **_kwargs) -> None:
    action = iam_action(model.service_model, model.name)
    if action in ALWAYS_REFUSED or action not in ALLOWED_OPERATIONS:
        raise ReadOnlyViolation(f"iam-auditor is read-only and refuses {action}")


def install(session) -> None:
    """Guard every client created from this boto3 session (or botocore session)."""
    events = session.events if hasattr(session, "events") else session._session.get_component("event_emitter")
    events.register("before-call.*.*", _guard, unique_id="iam-auditor-readonly")
