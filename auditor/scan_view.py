"""What a scan rule sees for one profile: its configuration and the parsed state it depends on.

Documents are parsed once per entity and shared by every profile and rule. When the state a
rule needs could not be collected, the accessor raises `Unavailable`; the engine turns that
into the rule's ERROR (could not be checked) or SKIP (does not apply) result.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable, Mapping, Sequence

from .policy import IDENTITY, TRUST, Policy, parse_policy
from .settings import Settings
from .snapshot import (KNOWN_AFTER_DEPLOY, NO_SUCH_ENTITY, CallError, KeyState, NamedPolicy,
                       RoleState, SecretState, UserState)


from .engine import Unavailable  # noqa: E402 - re-exported for rules


@dataclass(frozen=True)
class Document:
    label: str            # how results locate it: "trust-policy", "role:inline:name", ...
    policy: Policy
    source: NamedPolicy | None = None


_PARSED: dict[tuple[int, str], tuple[Any, Policy]] = {}


class UnreadableDocuments(Unavailable):
    """Documents were read, but one of them holds no statement IAM could read (not JSON, not an
    object...): a rule judging them could only PASS on nothing, so it is ERROR; POLICY-001 still
    reports each document's grammar (all_documents)."""

    def __init__(self, documents: list["Document"], message: str):
        super().__init__("ERROR", message)
        self.documents = documents


def _readable(documents: list["Document"], what: str) -> list["Document"]:
    for document in documents:
        if not document.policy.statements and document.policy.problems:
            raise UnreadableDocuments(documents, f"could not read {what}: {document.label}: "
                                                 f"{document.policy.problems[0].message}")
    return documents


def parse_once(raw: Any, kind: str) -> Policy:
    """Parse once per document: entities (and so documents) are shared by profiles and rules.
    The cache holds the raw document too, so its id cannot be reused by another object."""
    key = (id(raw), kind)
    cached = _PARSED.get(key)
    if cached is None or cached[0] is not raw:
        cached = _PARSED[key] = (raw, parse_policy(raw, kind))
    return cached[1]


def forget(raws: Iterable[Any]) -> None:
    """Drop these documents' parses (an account that is done): the cache would otherwise keep
    every account of an organization's documents until the process ends."""
    for raw in raws:
        for key in [(id(raw), IDENTITY), (id(raw), TRUST)]:
            cached = _PARSED.get(key)
            if cached is not None and cached[0] is raw:
                _PARSED.pop(key, None)


def _label(named: NamedPolicy) -> str:
    return f"{named.source}:{named.kind}:{named.name}"


def _unavailable_from(errors: Sequence[CallError], operations: Sequence[str], what: str) -> None:
    for error in errors:
        if error.operation in operations and error.kind == KNOWN_AFTER_DEPLOY:
            raise Unavailable("SKIP", error.describe())
        if error.operation in operations and error.kind != NO_SUCH_ENTITY:
            raise Unavailable("ERROR", f"could not read {what}: {error.describe()}")


def _boundary(entity, kind: str) -> list[Document] | None:
    """The role's or user's permissions boundary as a document list; None when it has none."""
    if not entity.has_boundary:
        return None
    if entity.boundary is None:
        raise Unavailable("ERROR", f"could not read the {kind}'s permissions boundary")
    return [Document(f"{kind}:boundary", parse_once(entity.boundary.document, IDENTITY), entity.boundary)]


@dataclass
class ProfileView:
    profile: Any                       # auditor.config.Profile
    role: RoleState | None
    user: UserState | None
    settings: Settings
    caller_account: str | None = None
    peers: tuple = field(default_factory=tuple)   # every profile of the scan (TRUST-004)
    # The secret side: each configured secret's state (by the secret as configured) and the keys.
    secrets: Mapping[str, SecretState] = field(default_factory=dict)
    keys: Mapping[str, KeyState] = field(default_factory=dict)

    # -- role -------------------------------------------------------------------------------
    @property
    def role_missing(self) -> bool:
        return self.role is not None and self.role.exists is False

    def require_role(self, *operations: str, what: str = "the role") -> RoleState:
        role = self.role
        if role is None:
            raise Unavailable("ERROR", "the role was not collected")
        _unavailable_from(role.errors, ("iam:GetRole",) + operations, what)
        if role.exists is False:
            raise Unavailable("SKIP", f"the role {self.profile.role_arn} does not exist (CHAIN-002)")
        return role

    @cached_property
    def trust(self) -> Document:
        role = self.require_role(what="the role's trust policy")
        if role.trust_policy is None:
            # Missing from the answer (or the snapshot): nothing was checked, so nothing may PASS.
            raise Unavailable("ERROR", "could not read the role's trust policy: it is missing from "
                                       "the answer")
        return _readable([Document("trust-policy", parse_once(role.trust_policy, TRUST))],
                         "the role's trust policy")[0]

    @cached_property
    def role_documents(self) -> list[Document]:
        role = self.require_role("iam:ListAttachedRolePolicies", "iam:GetPolicy",
                                 "iam:GetPolicyVersion", "iam:ListRolePolicies",
                                 "iam:GetRolePolicy", what="the role's policies")
        return _readable([Document(_label(p), parse_once(p.document, IDENTITY), p) for p in role.policies],
                         "the role's policies")

    @cached_property
    def role_boundary(self) -> list[Document] | None:
        return _boundary(self.require_role("iam:GetPolicy", "iam:GetPolicyVersion",
                                           what="the role's permissions boundary"), "role")

    # -- user -------------------------------------------------------------------------------
    @property
    def user_missing(self) -> bool:
        return self.user is not None and self.user.exists is False

    def require_user(self, *operations: str, what: str = "the user") -> UserState:
        user = self.user
        if user is None:
            raise Unavailable("ERROR", "the user was not collected")
        _unavailable_from(user.errors, ("iam:GetUser",) + operations, what)
        if user.exists is False:
            raise Unavailable("SKIP", f"the user {self.profile.user} does not exist (CHAIN-001)")
        return user

    @cached_property
    def user_documents(self) -> list[Document]:
        user = self.require_user("iam:ListAttachedUserPolicies", "iam:ListUserPolicies",
                                 "iam:GetUserPolicy", "iam:GetPolicy", "iam:GetPolicyVersion",
                                 "iam:ListGroupsForUser", "iam:ListAttachedGroupPolicies",
                                 "iam:ListGroupPolicies", "iam:GetGroupPolicy",
                                 what="the user's policies")
        return _readable([Document(_label(p), parse_once(p.document, IDENTITY), p) for p in user.policies],
                         "the user's policies")

    @cached_property
    def user_boundary(self) -> list[Document] | None:
        return _boundary(self.require_user("iam:GetPolicy", "iam:GetPolicyVersion",
                                           what="the user's permissions boundary"), "user")

    # -- identities ---------------------------------------------------------------------------
    @property
    def role_arn(self) -> str:
        return (self.role.arn if self.role and self.role.arn else None) or self.profile.role_arn

    @property
    def user_arn(self) -> str | None:
        if self.user is not None and self.user.arn:
            return self.user.arn
        return self.profile.user if str(self.profile.user).startswith("arn:") else None

    @property
    def user_account(self) -> str | None:
        arn = self.user_arn
        return arn.split(":")[4] if arn and arn.count(":") >= 5 else self.caller_account

    def caller(self) -> tuple[str, str | None]:
        """The user's ARN and account, as a trust policy sees the caller; SKIP when the user does
        not exist (CHAIN-001 reports it), ERROR when it could not be read."""
        self.require_user()
        arn = self.user_arn
        account = self.user_account
        if arn is None and account:
            arn = f"arn:aws:iam::{account}:user/{self.profile.user}"
        if arn is None:
            raise Unavailable("SKIP", "the user's ARN is unknown")
        return arn, account

    def all_documents(self) -> tuple[list[Document], list[str]]:
        """Every document that could be read (for POLICY-001), and why the others could not be
        (an entity that does not exist has no documents, and discover hands each rule run only
        the role or only the user: neither is an error)."""
        out, unread = [], []
        names = (("trust", "role_documents", "role_boundary") if self.role is not None else ()) \
            + (("user_documents", "user_boundary") if self.user is not None else ())
        for name in names:
            try:
                value = getattr(self, name)
            except UnreadableDocuments as unreadable:
                out.extend(unreadable.documents)     # POLICY-001 reports why each is unreadable
                continue
            except Unavailable as missing:
                if missing.status == "ERROR":
                    unread.append(missing.message)
                continue
            if isinstance(value, Document):
                out.append(value)
            elif value:
                out.extend(value)
        return out, list(dict.fromkeys(unread))
