"""Helpers shared by rules: the statement questions several rules ask."""
from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass
from typing import Sequence

from auditor.evaluation import glob_match, has_wildcard, statement_covers_action
from auditor.policy import Policy, Statement

SECRET_READ_ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue")
ASSUME_ROLE = "sts:AssumeRole"
EXTERNAL_ID_KEY = "sts:externalid"
# A secret ARN ends with "-" and six random characters; "-??????" pins one secret by name.
_PINNED_SECRET_SUFFIX = re.compile(r"-\?{6}\Z")


def location(document: str, statement: Statement | None = None, **extra) -> dict:
    loc: dict = {"document": document}
    if statement is not None:
        loc["statement"] = statement.index
        loc["sid"] = statement.sid
    loc.update(extra)
    return loc


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


def broad_resources(statement: Statement, service: str, resource_prefix: str) -> list[tuple[str, str | None]]:
    """Why the statement's resources reach more than a fixed list of the service's resources.

    Returns (human-readable reason, pattern) pairs: `"*"` and NotResource (pattern None), or each
    wildcard pattern that can match a resource of the service. An exact ARN, a secret pinned by
    its `-??????` suffix, `NotResource: "*"` (which grants nothing) and a resource that is not an
    ARN (which IAM rejects and which matches nothing) are not broad.
    """
    if statement.not_resources is not None:
        if "*" in statement.not_resources:
            return []
        return [(f"NotResource {list(statement.not_resources)} (every resource but those)", None)]
    reasons = []
    for pattern in statement.resources or ():
        if pattern == "*":
            reasons.append(('"*"', None))
        elif is_broad_pattern(pattern, service, resource_prefix, statement.variables):
            reasons.append((f"the pattern {pattern}", pattern))
    return reasons


def is_broad_pattern(pattern: str, service: str, resource_prefix: str, variables: bool = True) -> bool:
    """Is `pattern` an ARN pattern with wildcards that reaches more than one of the service's
    resources? (A secret pinned by its `-??????` suffix is one secret.)"""
    if pattern[:4].lower() != "arn:" or not has_wildcard(pattern, variables) \
            or not _could_name_service(pattern, service, resource_prefix):
        return False
    return not (service == "secretsmanager" and _PINNED_SECRET_SUFFIX.search(pattern)
                and not has_wildcard(pattern[:-7]))


def targets(statement: Statement, service: str, resource_prefix: str) -> bool:
    """Does any of the statement's resources reach the service's resources at all?"""
    if statement.not_resources is not None or statement.resources is None:
        return True
    return any(_could_name_service(p, service, resource_prefix) for p in statement.resources)


def assume_allows(policy: Policy) -> list[Statement]:
    """Allow statements of a trust policy that cover sts:AssumeRole."""
    return [s for s in policy.statements if s.is_allow and statement_covers_action(s, ASSUME_ROLE)]


def has_external_id_condition(policy: Policy) -> bool:
    """Does any statement of sts:AssumeRole (Allow, or a Deny unless it matches) test the external
    ID? Without one, the rules about the ID's operator and strength have nothing to judge."""
    return any(s.conditions_on(EXTERNAL_ID_KEY) for s in policy.statements
               if statement_covers_action(s, ASSUME_ROLE))


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


def secret_arn(secret: str, region: str, account: str | None, partition: str = "aws") -> str:
    """A configured secret (full ARN, partial ARN or name) as a resource to evaluate against.

    Secrets Manager appends "-" and six random characters to a secret's name in its ARN; for a
    name or partial ARN the suffix is unknown, so a placeholder stands in for it."""
    if secret.startswith("arn:"):
        parts = secret.split(":")
        if len(parts) >= 7 and re.search(r"-[A-Za-z0-9]{6}$", parts[6]):
            return secret
        return secret + "-xxxxxx"
    return f"arn:{partition}:secretsmanager:{region}:{account or '*'}:secret:{secret}-xxxxxx"


def secret_patterns(profile, account: str | None) -> list[str]:
    """The configured secrets as narrow Resource entries for a remediation."""
    out = []
    for secret in profile.secrets:
        arn = secret_arn(secret, profile.region, account)
        out.append(arn[:-7] + "-??????" if arn.endswith("-xxxxxx") else arn)
    return out


def role_account(role_arn: str) -> str | None:
    parts = role_arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4] else None


def decision_evidence(decision, documents) -> dict:
    """Which statements of which documents made a decision, for a result's evidence."""
    def where(statement):
        for document in documents:
            if statement in document.policy.statements:
                return f"{document.label} {statement.location_label}"
        return statement.location_label

    evidence: dict = {"decision": decision.verdict.name.lower()}
    if decision.allows:
        evidence["allowed_by"] = [where(s) for s in decision.allows]
    if decision.denies:
        evidence["denied_by"] = [where(s) for s in decision.denies]
    if decision.notes:
        evidence["notes"] = list(decision.notes)
    return evidence


@dataclass(frozen=True)
class Excess:
    actions: tuple[str, ...]      # canonical names beyond the allowed set (sorted)
    severity: str
    full_admin: bool
    not_action: bool
    trimmed_by: tuple[str, ...] = ()   # Denies (or the boundary) that took some actions away

    def describe(self) -> str:
        after = f" (after the Deny in {', '.join(self.trimmed_by)})" if self.trimmed_by else ""
        if self.full_admin:
            return "grants full administrator access (every action on every resource)"
        shown = ", ".join(self.actions[:8]) + (f" and {len(self.actions) - 8} more"
                                                if len(self.actions) > 8 else "")
        via = " through NotAction" if self.not_action else ""
        return f"allows {len(self.actions)} action(s) it does not need{via}{after}: {shown}"

    def evidence(self) -> dict:
        out = {"excess_actions": list(self.actions[:50]), "excess_count": len(self.actions),
               "full_admin": self.full_admin}
        if self.trimmed_by:
            out["trimmed_by"] = list(self.trimmed_by)
        return out


def granted_actions(statement: Statement) -> frozenset[str]:
    """Every action the statement's Action/NotAction grants, by canonical name. A pattern naming
    nothing the catalogue knows (a newer service, a typo) counts as written, never as nothing."""
    from auditor.actions import catalogue

    cat = catalogue()
    if statement.actions is not None:
        granted_set: set[str] = set()
        for pattern in statement.actions:
            expanded = cat.expand(pattern) if has_wildcard(pattern) else {cat.canonical(pattern)}
            granted_set |= expanded or {pattern}
        return frozenset(granted_set)
    excluded = set()
    for pattern in statement.not_actions or ():
        excluded |= {a.lower() for a in cat.expand(pattern)} if has_wildcard(pattern) else {pattern}
    return frozenset(a for a in cat.all_actions() if a.lower() not in excluded)


def is_full_admin(statement: Statement) -> bool:
    return statement.actions is not None and statement.resources is not None \
        and "*" in statement.resources and any(p in ("*", "*:*") for p in statement.actions)


def excess_of(actions, statement: Statement, trimmed_by=()) -> Excess | None:
    """An Excess for `actions` (canonical names) granted by `statement`, with its severity: high
    when a write or permissions action is among them."""
    from auditor.actions import PERMISSIONS, TAGGING, WRITE, catalogue

    beyond = tuple(sorted(actions))
    if not beyond:
        return None
    cat = catalogue()
    risky = any(cat.access_level(a) in (WRITE, PERMISSIONS, TAGGING) for a in beyond)
    return Excess(beyond, "high" if risky else "medium", False, statement.not_actions is not None,
                  tuple(trimmed_by))


@lru_cache(maxsize=4096)
def excess_actions(statement: Statement, allowed: frozenset[str]) -> Excess | None:
    """What an Allow statement grants beyond `allowed` (lower-case action names), with severity:
    critical for full admin, high when a write or permissions action is among them."""
    if is_full_admin(statement):
        return Excess(("*",), "critical", True, False)
    return excess_of((a for a in granted_actions(statement) if a.lower() not in allowed), statement)
