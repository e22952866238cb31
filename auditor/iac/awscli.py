"""AWS CLI JSON as input: what `aws iam get-account-authorization-details`, `aws iam get-role`,
`aws iam get-user` and `aws iam get-policy-version` print.

The answers describe what exists, so there is nothing left to deploy time except what the
answer does not carry: get-account-authorization-details has no `MaxSessionDuration` (an
`Unknown`), and none of them carries access keys or console passwords. Documents are objects
(the CLI decodes them) or URL-encoded text (raw API answers saved by other tools): both are read.
Every entity is located by its ARN (`Source.address`) and, in a pretty-printed file, by the line
of its `"Arn"`.
"""
from __future__ import annotations

from typing import Any

from ..unknown import Unknown
from ._common import LineIndex, decode_policy
from .model import (AWS_CLI, IDENTITY, TRUST, GroupDef, Inventory, PolicyDocument,
                    Problem, RoleDef, Source, UserDef)

GAAD_LISTS = ("RoleDetailList", "UserDetailList", "GroupDetailList", "Policies")


def read(path: str, text: str | None, data: Any, *, account_id: str | None = None,
         region: str | None = None, partition: str = "aws") -> Inventory:
    """The inventory of one AWS CLI answer (see the module's docstring)."""
    return _Reader(path, text, data).inventory()


def default_version_document(policy: dict) -> Any:
    """The document of a managed policy's default version in a GAAD `Policies` entry (None when
    the entry lists no default version)."""
    for version in _items(policy.get("PolicyVersionList")):
        if isinstance(version, dict) and version.get("IsDefaultVersion") is True:
            return version.get("Document")
    return None


class _Reader:
    def __init__(self, path: str, text: str | None, data: Any):
        self.path = path
        self.data = data if isinstance(data, dict) else {}
        self.lines = LineIndex(text, ("Arn",))
        self.inventory_ = Inventory(path, AWS_CLI)

    def source(self, arn: Any, fallback: str) -> Source:
        address = arn if isinstance(arn, str) and arn else fallback
        return Source(self.path, address, self.lines.line("Arn", arn), AWS_CLI)

    def problem(self, source: Source, message: str) -> None:
        self.inventory_.problems.append(Problem(source, message))

    def document(self, raw: Any, name: str, role: str, source: Source,
                 managed_arn: str | None = None) -> PolicyDocument | None:
        if raw is None:
            return None
        document, error = decode_policy(raw)
        if error is not None:
            self.problem(source, f"{name} of {source.address} is {error}")
            return None
        return PolicyDocument(name, role, document, source, line=source.line, managed_arn=managed_arn)

    def inline(self, items: Any, source: Source, what: str) -> tuple[PolicyDocument, ...]:
        out = []
        for item in _list(items, what, source, self):
            if not isinstance(item, dict):
                self.problem(source, f"{what} of {source.address} holds a {type(item).__name__}, "
                                     "not a policy")
                continue
            name = str(item.get("PolicyName") or "(unnamed)")
            document = self.document(item.get("PolicyDocument"), name, IDENTITY, source)
            if document is not None:
                out.append(document)
        return tuple(out)

    def inventory(self) -> Inventory:
        data = self.data
        if any(key in data for key in GAAD_LISTS):
            self.read_gaad()
        if isinstance(data.get("Role"), dict):
            self.inventory_.roles.append(self.role(data["Role"]))
        if isinstance(data.get("User"), dict):
            self.inventory_.users.append(self.user(data["User"]))
        if isinstance(data.get("Group"), dict):
            self.inventory_.groups.append(self.group(data["Group"]))
        if isinstance(data.get("PolicyVersion"), dict):
            version = data["PolicyVersion"]
            name = f"PolicyVersion {version.get('VersionId') or '(no version ID)'}"
            source = Source(self.path, name, None, AWS_CLI)
            document = self.document(version.get("Document"), name, IDENTITY, source)
            if document is not None:
                self.inventory_.loose_documents.append(document)
            elif version.get("Document") is None:
                self.problem(source, f"{name} has no Document")
        return self.inventory_

    # -- get-account-authorization-details ------------------------------------------------------
    def read_gaad(self) -> None:
        data = self.data
        if data.get("IsTruncated") is True:
            self.problem(Source(self.path, "get-account-authorization-details", None, AWS_CLI),
                         "the answer is truncated (IsTruncated is true): entities on later pages "
                         "were not read; save the whole answer (the CLI pages by itself)")
        for entry in _list(data.get("Policies"), "Policies", None, self):
            if not isinstance(entry, dict):
                continue
            arn = entry.get("Arn")
            source = self.source(arn, str(entry.get("PolicyName")))
            raw = default_version_document(entry)
            if raw is None:
                self.problem(source, f"managed policy {source.address} lists no default version "
                                     "(IsDefaultVersion) with a Document")
                continue
            document = self.document(raw, str(entry.get("PolicyName") or arn), IDENTITY, source,
                                     managed_arn=arn)
            if document is not None:
                self.inventory_.managed_policies.append(document)
        for entry in _list(data.get("GroupDetailList"), "GroupDetailList", None, self):
            if isinstance(entry, dict):
                self.inventory_.groups.append(self.group(entry))
        for entry in _list(data.get("UserDetailList"), "UserDetailList", None, self):
            if isinstance(entry, dict):
                self.inventory_.users.append(self.user(entry))
        for entry in _list(data.get("RoleDetailList"), "RoleDetailList", None, self):
            if isinstance(entry, dict):
                self.inventory_.roles.append(self.role(entry))

    # -- entities -----------------------------------------------------------------------------
    def role(self, entry: dict) -> RoleDef:
        source = self.source(entry.get("Arn"), f"role {entry.get('RoleName')}")
        trust = self.document(entry.get("AssumeRolePolicyDocument"), "AssumeRolePolicyDocument",
                              TRUST, source)
        if "MaxSessionDuration" in entry:
            max_session = entry["MaxSessionDuration"]
        else:   # get-account-authorization-details does not carry it: not the default, unknown
            max_session = Unknown(f"MaxSessionDuration of {source.address}: not in this answer")
        return RoleDef(name=str(entry.get("RoleName") or ""), arn=entry.get("Arn"), source=source,
                       path=str(entry.get("Path") or "/"),
                       inline=self.inline(entry.get("RolePolicyList"), source, "RolePolicyList"),
                       managed_arns=_managed_arns(entry), boundary_arn=_boundary_arn(entry),
                       trust_policy=trust, max_session_duration=max_session)

    def user(self, entry: dict) -> UserDef:
        source = self.source(entry.get("Arn"), f"user {entry.get('UserName')}")
        groups = tuple(g for g in _items(entry.get("GroupList")) if isinstance(g, str))
        return UserDef(name=str(entry.get("UserName") or ""), arn=entry.get("Arn"), source=source,
                       path=str(entry.get("Path") or "/"),
                       inline=self.inline(entry.get("UserPolicyList"), source, "UserPolicyList"),
                       managed_arns=_managed_arns(entry), boundary_arn=_boundary_arn(entry),
                       groups=groups)

    def group(self, entry: dict) -> GroupDef:
        source = self.source(entry.get("Arn"), f"group {entry.get('GroupName')}")
        return GroupDef(name=str(entry.get("GroupName") or ""), arn=entry.get("Arn"), source=source,
                        path=str(entry.get("Path") or "/"),
                        inline=self.inline(entry.get("GroupPolicyList"), source, "GroupPolicyList"),
                        managed_arns=_managed_arns(entry))


def _list(value: Any, what: str, source: Source | None, reader: _Reader) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        where = source or Source(reader.path, what, None, AWS_CLI)
        reader.problem(where, f"{what} is a {type(value).__name__}, not a list: not read")
        return []
    return value


def _items(value: Any) -> list:
    return value if isinstance(value, list) else []


def _managed_arns(entry: dict) -> tuple[str, ...]:
    return tuple(item["PolicyArn"] for item in _items(entry.get("AttachedManagedPolicies"))
                 if isinstance(item, dict) and isinstance(item.get("PolicyArn"), str))


def _boundary_arn(entry: dict) -> str | None:
    boundary = entry.get("PermissionsBoundary")
    if isinstance(boundary, dict) and isinstance(boundary.get("PermissionsBoundaryArn"), str):
        return boundary["PermissionsBoundaryArn"]
    return None

