"""Effective access for the least-privilege rules: what an Allow grants once explicit Denies (and a
permissions boundary) have taken their part.

IAM evaluation logic (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
an explicit Deny in any applicable policy overrides every Allow; with a permissions boundary, the
boundary must allow the request too. A broad grant is judged on concrete *probe* resources: the
broad pattern made concrete with a name no policy spells out, plus the concrete forms of every
wildcard pattern the documents name (so that `Deny ... NotResource: [X]` leaves X to be judged).
The grant stays broad while some probe it reaches is still allowed; a Deny that applies only under
conditions the auditor cannot decide trims nothing, and the evidence says so.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from auditor.evaluation import (Verdict, decide, has_wildcard, instantiate, statement_covers_action,
                                statement_covers_resource)
from auditor.policy import Statement

# Regions and accounts for probes of "*": two of each, so that a Deny scoped to one region or
# account does not pass for one that covers them all.
_PROBE_REGIONS = ("us-east-1", "eu-west-3")
_PROBE_ACCOUNTS = ("111111111111", "222222222222")


def fresh_probes(service: str) -> tuple[str, ...]:
    """Concrete resources of `service` that no policy names: what `"*"` reaches."""
    if service == "iam":
        return tuple(f"arn:aws:iam::{a}:role/iam-auditor-probe" for a in _PROBE_ACCOUNTS)
    if service == "secretsmanager":
        return tuple(f"arn:aws:secretsmanager:{r}:{a}:secret:iam-auditor-probe-AbCdEf"
                     for r in _PROBE_REGIONS for a in _PROBE_ACCOUNTS)
    return ("iam-auditor-probe",)   # a Deny on "*" covers it; no ARN pattern does


@dataclass
class Trim:
    """What the Denies (and boundary) did to one broad reason of an Allow statement."""

    left: list[str] = field(default_factory=list)          # probes still allowed
    denied_by: list[str] = field(default_factory=list)     # "label statement N" of Denies that applied
    maybe_denied_by: list[str] = field(default_factory=list)


class AccessSet:
    """The documents (and boundary) that together decide a principal's access."""

    def __init__(self, documents: Sequence, boundary: Sequence | None = None):
        self.documents = list(documents)
        self.boundary = list(boundary) if boundary is not None else None
        self.policies = [d.policy for d in self.documents]
        self.boundary_policies = [d.policy for d in self.boundary] if self.boundary is not None else None
        self.has_denies = any(not s.is_allow for p in self.policies for s in p.statements)
        self._labels = {id(s): f"{d.label} {s.location_label}"
                        for d in self.documents + (self.boundary or []) for s in d.policy.statements}

    @property
    def restricts(self) -> bool:
        """Could anything trim an Allow at all? (Without Denies or a boundary, nothing does.)"""
        return self.has_denies or self.boundary_policies is not None

    def restricts_action(self, action: str) -> bool:
        """Could anything trim an Allow of `action`: a boundary, or a Deny that names it?"""
        return self.boundary_policies is not None or (self.has_denies and any(
            not s.is_allow and statement_covers_action(s, action) for p in self.policies for s in p.statements))

    def label(self, statement: Statement) -> str:
        return self._labels.get(id(statement), statement.location_label)

    def pattern_probes(self, is_broad) -> list[str]:
        """The concrete forms of the broad resource patterns (`is_broad(pattern)`) the documents
        name, in Resource or NotResource: what may be left once a Deny has taken the rest."""
        out = []
        for policy in self.policies + (self.boundary_policies or []):
            for statement in policy.statements:
                for pattern in (statement.resources or ()) + (statement.not_resources or ()):
                    if pattern != "*" and has_wildcard(pattern) and is_broad(pattern):
                        out.append(instantiate(pattern))
        return out

    def trim(self, statement: Statement, action: str, probes: Sequence[str]) -> Trim:
        """Which of `probes` the statement reaches stay allowed for `action` after the Denies."""
        result = Trim()
        for probe in dict.fromkeys(probes):
            if not statement_covers_resource(statement, probe):
                continue
            decision = decide(self.policies, action, probe, boundary=self.boundary_policies)
            if decision.verdict == Verdict.DENIED or decision.verdict == Verdict.NOT_ALLOWED:
                result.denied_by += [self.label(s) for s in decision.denies] or ["the permissions boundary"]
            else:
                result.left.append(probe)
                result.maybe_denied_by += [self.label(s) for s in decision.denies]
        result.denied_by = list(dict.fromkeys(result.denied_by))
        result.maybe_denied_by = list(dict.fromkeys(result.maybe_denied_by))
        return result


@dataclass
class BroadGrant:
    """An Allow statement that still reaches more than a fixed list of resources."""

    document: object
    statement: Statement
    reasons: list[str]                 # what remains broad, e.g. '"*"'
    trimmed_by: list[str]              # Denies that took part of it (evidence)
    maybe_trimmed_by: list[str]        # Denies under conditions the auditor cannot decide

    def evidence(self) -> dict:
        out: dict = {}
        if self.trimmed_by:
            out["trimmed_by"] = self.trimmed_by
        if self.maybe_trimmed_by:
            out["denies_under_conditions"] = self.maybe_trimmed_by
        return out

    def note(self) -> str:
        parts = []
        if self.trimmed_by:
            parts.append("after the Deny in " + ", ".join(self.trimmed_by))
        if self.maybe_trimmed_by:
            parts.append("a Deny under conditions the auditor cannot decide may trim it ("
                         + ", ".join(self.maybe_trimmed_by) + ")")
        return f" ({'; '.join(parts)})" if parts else ""


def broad_grants(access: AccessSet, action: str, service: str, resource_prefix: str):
    """Each Allow of `action` that reaches more than a fixed list of the service's resources once
    the access set's Denies and boundary are applied."""
    from ._common import broad_resources, is_broad_pattern, targets

    pattern_probes = None
    restricted = access.restricts_action(action)
    for document in access.documents:
        for statement in document.policy.statements:
            if not statement.is_allow or not statement_covers_action(statement, action) \
                    or not targets(statement, service, resource_prefix):
                continue
            reasons = broad_resources(statement, service, resource_prefix)
            if not reasons:
                continue
            if not restricted:
                yield BroadGrant(document, statement, [text for text, _ in reasons], [], [])
                continue
            if pattern_probes is None:
                pattern_probes = access.pattern_probes(
                    lambda p: is_broad_pattern(p, service, resource_prefix))
            kept, denied, maybe = [], [], []
            for text, pattern in reasons:
                own = fresh_probes(service) if pattern is None else (instantiate(pattern),)
                trim = access.trim(statement, action, own + tuple(pattern_probes))
                denied += trim.denied_by
                if trim.left:
                    kept.append(text)
                    maybe += trim.maybe_denied_by
            if kept:
                yield BroadGrant(document, statement, kept, list(dict.fromkeys(denied)),
                                 list(dict.fromkeys(maybe)))


def effective_excess(access: AccessSet, statement: Statement, allowed: frozenset[str]):
    """`excess_actions` of an Allow statement, less the actions the access set's Denies or
    boundary take away on every resource the statement reaches."""
    from ._common import excess_actions, excess_of, granted_actions

    excess = excess_actions(statement, allowed)
    if excess is None or not access.restricts:
        return excess
    actions = (a for a in granted_actions(statement) if a.lower() not in allowed) \
        if excess.full_admin else excess.actions
    denies = [s for p in access.policies + (access.boundary_policies or []) for s in p.statements
              if not s.is_allow]
    bounds = [s for p in access.boundary_policies or [] for s in p.statements if s.is_allow]
    probes = None
    left, trimmed_by = [], []
    for action in actions:
        if access.boundary_policies is not None and not any(statement_covers_action(b, action) for b in bounds):
            trimmed_by.append("the permissions boundary")
            continue
        # Only an action some Deny (or a boundary limited in resources) names can be taken away.
        if not any(statement_covers_action(d, action) for d in denies) and not any(
                statement_covers_action(b, action) and "*" not in (b.resources or ()) for b in bounds):
            left.append(action)
            continue
        if probes is None:
            probes = tuple(instantiate(p) for p in statement.resources or ()) + ("iam-auditor-probe",) \
                + tuple(access.pattern_probes(lambda p: True))
        trim = access.trim(statement, action, probes)
        if trim.left or not trim.denied_by:
            left.append(action)
        else:
            trimmed_by += trim.denied_by
    if not trimmed_by:
        return excess
    return excess_of(left, statement, dict.fromkeys(trimmed_by))
