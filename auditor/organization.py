"""`discover --organization`: every active account of an AWS Organization, read through a role.

The accounts come from organizations:ListAccounts, which answers in the management account or
in a delegated administrator account for Organizations. In each ACTIVE account the auditor
assumes a read-only role of the same name (`--role-name`, default `iam-auditor-readonly`:
deploy it with docs/auditor-policy.json, e.g. as a StackSet). Accounts that are suspended or
closing are listed in the report's header as skipped, never audited and never silently lost.
"""
from __future__ import annotations

import re

from .aws import CallFailed, Clients, pages, reading
from .collectors import _open_sessions
from .accounts import AccountSpec
from .discover import account_error
from .engine import Result
from .errors import UsageError

DEFAULT_ROLE_NAME = "iam-auditor-readonly"
_ACCOUNT_ID = re.compile(r"^\d{12}\Z")
_ROLE_NAME = re.compile(r"^(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$")


def check_role_name(name: str) -> str:
    """A role name, optionally with its path (`audit/iam-auditor-readonly`); exit 2 otherwise."""
    if not _ROLE_NAME.match(name or ""):
        raise UsageError(f"--role-name {name!r}: not an IAM role name (letters, digits and +=,.@_-, "
                         "optionally after a path such as audit/)")
    return name


def _partition(account: dict) -> str:
    arn = account.get("Arn") or ""
    return arn.split(":")[1] if arn.startswith("arn:") and arn.count(":") >= 5 else "aws"


def account_specs(accounts: list[dict], role_name: str, via_profile: str | None
                  ) -> tuple[list[AccountSpec], list[dict]]:
    """(the ACTIVE accounts to audit, the others as header entries saying why they were skipped)."""
    specs, skipped = [], []
    for account in accounts:
        account_id, name = account["Id"], account.get("Name")
        state = account.get("State") or account.get("Status")   # State replaces Status (2025)
        reason = (f"account state {state}" if state != "ACTIVE" else
                  None if _ACCOUNT_ID.match(str(account_id)) else "not an account ID")
        if reason:
            skipped.append({"account_id": account_id, "account_name": name, "status": "skipped",
                            "results": 0, "fail": 0, "error": 0, "api_calls": 0, "reason": reason})
            continue
        role_arn = f"arn:{_partition(account)}:iam::{account_id}:role/{role_name}"
        specs.append(AccountSpec(label=f"{account_id} ({name})" if name else account_id,
                                 role_arn=role_arn, name=name or account_id, via_profile=via_profile))
    return specs, skipped


def _organization_error(via_profile: str | None, what: str) -> Result:
    label = f"organization (listed with {via_profile or 'the default credentials'})"
    return account_error(label, None, f"the organization's accounts {what}; run from the management "
                                      "account or a delegated administrator account",
                         resource="aws-organization")


def open_clients(clients: Clients, via_profile: str | None) -> None:
    """The clients that list the organization and assume the roles (a missing profile is a usage
    error before any call)."""
    _open_sessions(clients, {via_profile}, services=("organizations", "sts"))


def list_organization(clients: Clients, via_profile: str | None, role_name: str
                      ) -> tuple[list[AccountSpec], list[dict], list[Result]]:
    """(accounts to audit, skipped accounts, an ERROR result when the organization could not be
    listed: not the management or a delegated administrator account, denied, throttled)."""
    try:
        accounts = pages(clients.get(via_profile, "organizations"), "organizations:ListAccounts",
                         "list_accounts", "Accounts", entity="the organization")
        with reading("organizations:ListAccounts", "the organization"):
            specs, skipped = account_specs(accounts, role_name, via_profile)
    except CallFailed as failure:
        return [], [], [_organization_error(via_profile, f"could not be listed: {failure.error.describe()}")]
    if not accounts:   # never a clean report for an organization nobody looked into
        return [], [], [_organization_error(via_profile, "could not be listed: organizations:ListAccounts "
                                                         "returned no account")]
    return specs, skipped, []
