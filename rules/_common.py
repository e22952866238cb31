"""Helpers shared by rules: the statement questions several rules ask."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from auditor.evaluation import glob_match, has_wildcard, statement_covers_action
from auditor.policy import Policy, Statement

SECRET_READ_ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue")
ASSUME_ROLE = "sts:AssumeRole"
EXTERNAL_ID_KEY = "sts:externalid"
# A secret ARN ends with "-" and six random characters; "-??????" pins one secret by name.
_PINNED_SECRET_SUFFIX = re.compile(r"-\?{6}$")


@dataclass(frozen=True)
class Document:
    """A policy document with the label that locates it in results ("trust-policy", a policy name)."""

    label: str
    policy: Policy


def location(document: str, statement: Statement | None = None, **extra) -> dict:
    loc: dict = {"document": document}
    if statement is not None:
        loc["statement"] = statement.index
        loc["sid"] = statement.sid
    loc.update(extra)
    return loc


def allow_statements(documents: Iterable[Document]) -> Iterable[tuple[Document, Statement]]:
    for document in documents:
        for statement in document.policy.statements:
            if statement.is_allow:
                yield document, statement


def granted(statement: Statement, actions: Sequence[str]) -> list[str]:
    """The actions of `actions` that the statement's Action/NotAction covers."""
    return [a for a in actions if statement_covers_action(statement, a)]


def _could_name_service(pattern: str, service: str, resource_prefix: str) -> bool:
    """Could this resource pattern match some ARN of `service` whose resource starts with
    `resource_prefix`? Over-approximates: a pattern it cannot read counts as matching."""
    if pattern == "*":
        return True
    parts = pattern.split(":", 5)
    if len(parts) < 6:
        return has_wildcard(pattern)
    service_part, resource_part = parts[2], parts[5]
    if not glob_match(service_part, service):
        return False
    head = re.split(r"[*?]|\$\{", resource_part, maxsplit=1)[0]
    return resource_prefix.startswith(head) or head.startswith(resource_prefix)


def broad_resources(statement: Statement, service: str, resource_prefix: str) -> list[str]:
    """Why the statement's resources reach more than a fixed list of the service's resources.

    Returns human-readable reasons: `"*"`, NotResource, or each wildcard pattern that can match
    a resource of the service. An exact ARN, or a secret pinned by its `-??????` suffix, is narrow.
    """
    if statement.not_resources is not None:
        return [f"NotResource {list(statement.not_resources)} (every resource but those)"]
    reasons = []
    for pattern in statement.resources or ():
        if pattern == "*":
            reasons.append('"*"')
            continue
        if not has_wildcard(pattern) or not _could_name_service(pattern, service, resource_prefix):
            continue
        if service == "secretsmanager" and _PINNED_SECRET_SUFFIX.search(pattern) \
                and not has_wildcard(pattern[:-7]):
            continue
        reasons.append(f"the pattern {pattern}")
    return reasons


def targets(statement: Statement, service: str, resource_prefix: str) -> bool:
    """Does any of the statement's resources reach the service's resources at all?"""
    if statement.not_resources is not None or statement.resources is None:
        return True
    return any(_could_name_service(p, service, resource_prefix) for p in statement.resources)


def assume_allows(policy: Policy) -> list[Statement]:
    """Allow statements of a trust policy that cover sts:AssumeRole."""
    return [s for s in policy.statements if s.is_allow and statement_covers_action(s, ASSUME_ROLE)]


def lets_aws_principals_in(statement: Statement) -> bool:
    """Does the statement admit IAM users, roles or accounts (not only AWS services)?"""
    if statement.not_principals is not None:
        return True
    return any(p.kind in ("AWS", "*") for p in statement.principals or ())


def principal_labels(statement: Statement) -> list[str]:
    if statement.not_principals is not None:
        return ["NotPrincipal " + ", ".join(p.value for p in statement.not_principals)]
    return [p.value if p.kind in ("AWS", "*") else f"{p.kind}:{p.value}"
            for p in statement.principals or ()]
