"""`iam-auditor discover --authorization-details FILE`: discover from a saved dump, offline.

The file is what `aws iam get-account-authorization-details` printed (the CLI pages by itself
and merges the pages): the same answer the live discover downloads, so it goes through the same
pipeline (auditor.discover: GAAD's roles and users, pairing, the rules) with no AWS call at all.
What the answer does not carry cannot be judged and says so: access keys and their last use
(KEY-001, KEY-002), the console password (LP-004's second half) and the roles'
MaxSessionDuration (SESSION-001) SKIP with the reason. A managed policy the dump lacks (a dump
saved with `--filter`) makes its role's or user's policy rules ERROR, never PASS on less.
"""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from .accounts import AccountSpec
from .engine import ERROR, PASS, SKIP, Result
from .errors import UsageError
from .lines import printable
from .settings import Settings

DUMP_LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
# Items of each list and the keys every item must have to be read at all.
_REQUIRED = {"UserDetailList": ("UserName", "Arn"), "GroupDetailList": ("GroupName",),
             "RoleDetailList": ("RoleName", "Arn"), "Policies": ("Arn",)}
_NOT_IN_DUMP = "not in a get-account-authorization-details answer"
# What each rule cannot see in a dump, and the reason its SKIP gives.
OFFLINE_SKIPS = {
    "KEY-001": f"the user's access keys are {_NOT_IN_DUMP}: run discover against the account to check them",
    "KEY-002": f"the user's access keys and their last use are {_NOT_IN_DUMP}: run discover against "
               "the account to check them",
    "SESSION-001": f"the role's MaxSessionDuration is {_NOT_IN_DUMP} (ListRoles has it): run discover "
                   "against the account to check it",
}
LP_004_PARTIAL = (f"the user's policies allow nothing beyond sts:AssumeRole; its console password is "
                  f"{_NOT_IN_DUMP} and was not checked")


def load_dump(path: str) -> dict:
    """The dump, checked enough for the pipeline to read it; a UsageError (exit 2, one line)
    naming what is wrong otherwise."""
    import os
    import stat

    shown = printable(path)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):   # a FIFO or device would never end
            raise UsageError(f"--authorization-details {shown}: not a regular file")
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise UsageError(f"--authorization-details {shown}: cannot read it: {error.strerror or error}") from None
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UsageError(f"--authorization-details {shown}: not UTF-8 text") from None
    except RecursionError:
        raise UsageError(f"--authorization-details {shown}: nested too deeply to be a dump") from None
    except ValueError as error:
        raise UsageError(f"--authorization-details {shown}: not valid JSON ({error})") from None
    if not isinstance(data, dict) or not any(key in data for key in DUMP_LISTS):
        raise UsageError(f"--authorization-details {shown}: not the output of `aws iam "
                         "get-account-authorization-details` (no RoleDetailList, UserDetailList, "
                         "GroupDetailList or Policies)")
    if data.get("IsTruncated") is True:
        raise UsageError(f"--authorization-details {shown}: the answer is truncated (IsTruncated is "
                         "true): save the whole answer (without --max-items or --no-paginate)")
    details: dict[str, list] = {}
    for key in DUMP_LISTS:
        items = data.get(key, [])
        if not isinstance(items, list):
            raise UsageError(f"--authorization-details {shown}: {key} is not a list")
        for index, item in enumerate(items):
            missing = [k for k in _REQUIRED[key] if not isinstance(item, dict) or not isinstance(item.get(k), str)]
            if missing:
                raise UsageError(f"--authorization-details {shown}: {key}[{index}] has no {missing[0]}")
        details[key] = items
    return details


def _account_of(details: dict) -> str | None:
    for key in ("RoleDetailList", "UserDetailList"):
        for item in details[key]:
            parts = item["Arn"].split(":")
            if len(parts) > 4 and parts[4].isdigit():
                return parts[4]
    return None


def _decoded(details: dict) -> dict:
    """Documents as objects: the CLI decodes them, an answer saved raw has them URL-encoded.
    Undecodable text is left as it is: the rules' parser reports it (POLICY-001)."""
    from .policy import PolicyParseError, load_document

    def decode(value: Any) -> Any:
        if isinstance(value, str):
            try:
                return load_document(value)
            except PolicyParseError:
                return value
        return value

    for item in details["RoleDetailList"]:
        if "AssumeRolePolicyDocument" in item:
            item["AssumeRolePolicyDocument"] = decode(item["AssumeRolePolicyDocument"])
    for key, inline in (("RoleDetailList", "RolePolicyList"), ("UserDetailList", "UserPolicyList"),
                        ("GroupDetailList", "GroupPolicyList")):
        for item in details[key]:
            for entry in item.get(inline) or ():
                if isinstance(entry, dict) and "PolicyDocument" in entry:
                    entry["PolicyDocument"] = decode(entry["PolicyDocument"])
    for policy in details["Policies"]:
        for version in policy.get("PolicyVersionList") or ():
            if isinstance(version, dict) and "Document" in version:
                version["Document"] = decode(version["Document"])
    return details


def offline_results(results: list[Result]) -> list[Result]:
    """The results of the rules that need what a dump lacks, as SKIPs saying so."""
    out = []
    for result in results:
        if result.rule_id in OFFLINE_SKIPS and result.status in (ERROR, PASS):
            result = replace(result, status=SKIP, message=OFFLINE_SKIPS[result.rule_id])
        elif result.rule_id == "LP-004" and result.status == PASS:
            result = replace(result, status=SKIP, message=LP_004_PARTIAL)
        out.append(result)
    return out


def discover_dump(path: str, region: str | None, settings: Settings):
    """The AccountOutcome of one dump: no client, no credentials, no call."""
    from .discover import AccountOutcome, AccountState, evaluate_account, find_pairs
    from .gaad import gaad_documents, gaad_roles, gaad_users

    details = load_dump(path)
    spec = AccountSpec(printable(path))
    try:
        details = _decoded(details)
        documents = gaad_documents(details)
        users = gaad_users(details, documents, strict=True)
        roles = gaad_roles(details, documents, {}, strict=True)
    except (KeyError, TypeError, AttributeError) as error:
        raise UsageError(f"--authorization-details {printable(path)}: an entry is not as "
                         f"get-account-authorization-details writes it ({type(error).__name__}: {error})") from None
    state = AccountState(_account_of(details), roles, users)
    try:
        pairs, secret_roles = find_pairs(state)
        results = offline_results(evaluate_account(state, pairs, secret_roles, region or "us-east-1",
                                                   settings))
    except Exception as error:  # noqa: BLE001 - last resort: an ERROR naming the dump, no traceback
        from .discover import account_error

        results = [account_error(spec.label, state.account,
                                 f"{spec.label} could not be audited: internal error "
                                 f"{type(error).__name__}; its results are missing")]
    for result in results:
        result.account_name = spec.label
    return AccountOutcome(spec, results, state.account, 0)
