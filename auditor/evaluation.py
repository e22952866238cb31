"""IAM evaluation over the normalized model: matching, conditions and effective decisions.

A request context is partial: the auditor knows a few keys (the external ID it was configured
with) and nothing of the rest (source IP, time, tags). Conditions on unknown keys evaluate to
UNKNOWN, and a decision that hinges on them is CONDITIONAL, never ALLOWED.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterable, Mapping, Sequence

from .policy import Condition, Policy, Principal, Statement
from .redact import RedactedExternalId
from .unknown import is_unknown


class Tri(enum.Enum):
    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"


class Verdict(enum.IntEnum):
    """Ordered so that `min()` combines an identity decision with a permissions boundary."""

    DENIED = 0         # an explicit Deny applies
    NOT_ALLOWED = 1    # no Allow applies (implicit deny)
    CONDITIONAL = 2    # allowed only if conditions the auditor cannot decide hold
    ALLOWED = 3


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    allows: tuple[Statement, ...] = ()       # Allow statements that (may) apply
    denies: tuple[Statement, ...] = ()       # Deny statements that (may) apply
    notes: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.verdict >= Verdict.CONDITIONAL


@dataclass(frozen=True)
class RequestContext:
    """Condition keys the auditor can decide: `values` for present keys; keys listed in
    `absent` are known not to be in the request. Every other key is unknown."""

    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    absent: frozenset[str] = frozenset()

    def __post_init__(self):
        # Condition keys are case-insensitive; the model stores them lower-cased.
        object.__setattr__(self, "values", {k.lower(): tuple(v) for k, v in self.values.items()})
        object.__setattr__(self, "absent", frozenset(k.lower() for k in self.absent))

    def lookup(self, key: str) -> tuple[str, ...] | None | bool:
        """The key's values, None when known absent, False when unknown."""
        if key in self.values:
            return self.values[key]
        if key in self.absent:
            return None
        return False


EMPTY_CONTEXT = RequestContext()

# --- wildcard matching ---------------------------------------------------------------------
# IAM wildcards compile to a matcher that cannot backtrack: the pattern is cut at its stars into
# literal segments (a `?` matches one character), which must then appear in order, each at its
# leftmost place. That greedy choice is always right for globs, so a hostile pattern of many stars
# costs one scan of the text per segment, never the exponential search a regular expression can.

_PIECES = re.compile(r"(\$\{[^}]*\}|\*|\?)")


class _Segment:
    """A run of the pattern between stars: literal text in which `?` matches any one character.
    A run with `?` is searched by a regular expression of literals and `.`: no quantifier, so no
    backtracking."""

    __slots__ = ("text", "size", "regex")

    def __init__(self, pieces: list[str]):
        self.text = "".join(pieces)
        self.size = len(self.text)
        self.regex = re.compile("".join("." if p == "?" else re.escape(p) for p in pieces),
                                re.DOTALL) if "?" in pieces else None

    def matches_at(self, text: str, start: int) -> bool:
        if self.regex is None:
            return text.startswith(self.text, start)
        return self.regex.match(text, start, start + self.size) is not None

    def find(self, text: str, start: int, end: int) -> int:
        """Leftmost offset >= start where the segment matches and ends by `end`; -1 if none."""
        if self.regex is None:
            return text.find(self.text, start, end)
        found = self.regex.search(text, start, end)
        return found.start() if found else -1


def _runs(pattern: str, variables: bool) -> list[list[str]]:
    """The pattern's star-separated runs, each a list of pieces (literal text or "?")."""
    runs: list[list[str]] = [[]]
    for piece in _PIECES.split(pattern):
        if not piece:
            continue
        if piece == "*" or (variables and piece.startswith("${") and piece.endswith("}")):
            # A policy variable is not known offline: matching it as "*" over-approximates.
            runs.append([])
        else:
            runs[-1].append(piece)
    return runs


@lru_cache(maxsize=1 << 16)
def _compile(pattern: str, ignore_case: bool, variables: bool = True) -> Callable[[str], bool]:
    if ignore_case:
        pattern = pattern.lower()
    if "*" not in pattern and "?" not in pattern and not (variables and "${" in pattern):
        if ignore_case:
            return lambda text: text.lower() == pattern
        return pattern.__eq__
    segments = [_Segment(run) for run in _runs(pattern, variables)]
    head, tail, middle = segments[0], segments[-1], segments[1:-1]
    starred = len(segments) > 1

    def match(text: str) -> bool:
        if ignore_case:
            text = text.lower()
        if not starred:
            return len(text) == head.size and head.matches_at(text, 0)
        end = len(text) - tail.size
        if end < head.size or not head.matches_at(text, 0) or not tail.matches_at(text, end):
            return False
        position = head.size
        for segment in middle:
            found = segment.find(text, position, end)
            if found < 0:
                return False
            position = found + segment.size
        return True

    return match


def glob_match(pattern: str, text: str, *, ignore_case: bool = False, variables: bool = True) -> bool:
    """IAM wildcard matching: `*` any run, `?` one character; `${...}` policy variables match
    like `*` unless `variables` is False (Version 2008-10-17, where they are literal text)."""
    return _compile(pattern, ignore_case, variables)(text)


def instantiate(pattern: str, filler: str = "iam-auditor-probe") -> str:
    """A concrete text the pattern matches that no policy would spell out: each `*` (and policy
    variable) becomes `filler`, each `?` an `x`. Used to ask what a wildcard grant reaches."""
    return "".join(filler if piece == "*" or piece.startswith("${") else "x" if piece == "?" else piece
                   for piece in _PIECES.split(pattern) if piece)


def action_matches(pattern: str, action: str) -> bool:
    """Actions match case-insensitively; `pattern` comes lower-cased from the model."""
    return _compile(pattern, False)(action.lower())


def has_wildcard(pattern: str, variables: bool = True) -> bool:
    """Does the pattern match more than itself? (`variables`: whether `${...}` is a variable.)"""
    return "*" in pattern or "?" in pattern or (variables and "${" in pattern)


@lru_cache(maxsize=1 << 14)
def _any_of(patterns: tuple[str, ...], variables: bool = True) -> Callable[[str], bool]:
    """One matcher for a list of patterns: literal ones by set membership, the rest by glob.
    Policies repeat their lists (and long ones: hundreds of actions), so it is built once."""
    literals = frozenset(p for p in patterns if not has_wildcard(p, variables))
    wild = tuple(_compile(p, False, variables) for p in patterns if has_wildcard(p, variables))
    if not wild:
        return literals.__contains__
    return lambda text: text in literals or any(match(text) for match in wild)


def statement_covers_action(statement: Statement, action: str) -> bool:
    action = action.lower()
    if statement.actions is not None:
        return _any_of(statement.actions)(action)
    return not _any_of(statement.not_actions or ())(action)


def resource_pattern_matches(pattern: str, resource: str, variables: bool = True) -> bool:
    """A Resource entry matches case-sensitively. One that is neither "*" nor an ARN matches
    nothing: IAM rejects it, so it never grants (nor, in NotResource, excludes) anything."""
    if pattern != "*" and pattern[:4].lower() != "arn:":
        return False
    return _compile(pattern, False, variables)(resource)


@lru_cache(maxsize=1 << 14)
def _resources_matcher(patterns: tuple[str, ...], variables: bool) -> Callable[[str], bool]:
    # Entries that are neither "*" nor an ARN match nothing (see resource_pattern_matches).
    return _any_of(tuple(p for p in patterns if p == "*" or p[:4].lower() == "arn:"), variables)


def statement_covers_resource(statement: Statement, resource: str) -> bool:
    if statement.resources is not None:
        return _resources_matcher(statement.resources, statement.variables)(resource)
    if statement.not_resources is not None:
        return not _resources_matcher(statement.not_resources, statement.variables)(resource)
    return True  # trust policies have no Resource: the role itself is the resource


def principal_matches(principal: Principal, caller_arn: str, caller_account: str | None) -> bool:
    """Does a policy principal designate the caller (an IAM user or role ARN)?"""
    if principal.is_public:
        return True
    if principal.kind != "AWS":
        return False
    if principal.is_account_root:
        return caller_account is not None and principal.account_id == caller_account
    return glob_match(principal.value, caller_arn)


def statement_covers_principal(statement: Statement, caller_arn: str, caller_account: str | None) -> bool:
    if statement.principals is not None:
        return any(principal_matches(p, caller_arn, caller_account) for p in statement.principals)
    if statement.not_principals is not None:
        return not any(principal_matches(p, caller_arn, caller_account) for p in statement.not_principals)
    return True  # identity policies: the principal is whoever holds the policy


# --- conditions ------------------------------------------------------------------------------

_NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals",
            "DateNotEquals", "NotIpAddress", "ArnNotEquals", "ArnNotLike"}


def _value_matches(operator: str, policy_value: str, request_value: str) -> bool | None:
    """Positive form of `operator` on one pair; None when the values cannot be compared."""
    base = {"StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
            "StringNotLike": "StringLike", "NumericNotEquals": "NumericEquals",
            "DateNotEquals": "DateEquals", "NotIpAddress": "IpAddress",
            "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike"}.get(operator, operator)
    if isinstance(policy_value, RedactedExternalId):
        # An external ID read from a snapshot: only its salted hash is known (auditor.redact).
        return policy_value.decide(base, request_value)
    try:
        if base == "StringEquals":
            return request_value == policy_value
        if base == "StringEqualsIgnoreCase":
            return request_value.casefold() == policy_value.casefold()
        if base in ("StringLike", "ArnLike", "ArnEquals"):
            return glob_match(policy_value, request_value)
        if base == "Bool":
            return request_value.lower() == policy_value.lower()
        if base == "BinaryEquals":
            return request_value == policy_value
        if base.startswith("Numeric"):
            return _compare(base[len("Numeric"):], float(request_value), float(policy_value))
        if base.startswith("Date"):
            return _compare(base[len("Date"):], _to_time(request_value), _to_time(policy_value))
        if base == "IpAddress":
            import ipaddress  # lazily: rarely needed, and startup time counts

            return ipaddress.ip_address(request_value) in ipaddress.ip_network(policy_value, strict=False)
    except ValueError:
        return None
    return None


def _compare(relation: str, left, right) -> bool:
    return {"Equals": left == right, "LessThan": left < right, "LessThanEquals": left <= right,
            "GreaterThan": left > right, "GreaterThanEquals": left >= right}[relation]


def _to_time(text: str) -> float:
    from datetime import datetime

    if text.replace(".", "", 1).isdigit():
        return float(text)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def evaluate_condition(condition: Condition, context: RequestContext) -> Tri:
    found = context.lookup(condition.key)
    if found is False or any(is_unknown(v) for v in condition.values):
        return Tri.UNKNOWN      # a value known only at deploy decides nothing here
    if condition.operator == "Null":
        wants_absent = {v.lower() for v in condition.values}
        if wants_absent - {"true", "false"}:
            return Tri.UNKNOWN
        return Tri.TRUE if ("true" if found is None or not found else "false") in wants_absent else Tri.FALSE
    negated = condition.operator in _NEGATED
    if found is None or not found:
        if condition.if_exists or condition.qualifier == "ForAllValues":
            return Tri.TRUE
        if condition.qualifier == "ForAnyValue":
            return Tri.FALSE
        return Tri.TRUE if negated else Tri.FALSE

    def one(request_value: str) -> bool | None:
        results = [_value_matches(condition.operator, v, request_value) for v in condition.values]
        if any(r is None for r in results):
            return None
        return not any(results) if negated else any(results)

    per_value = [one(v) for v in found]
    if any(r is None for r in per_value):
        return Tri.UNKNOWN
    if condition.qualifier == "ForAllValues":
        return Tri.TRUE if all(per_value) else Tri.FALSE
    return Tri.TRUE if any(per_value) else Tri.FALSE


def evaluate_conditions(conditions: Iterable[Condition], context: RequestContext) -> Tri:
    outcome = Tri.TRUE
    for condition in conditions:
        result = evaluate_condition(condition, context)
        if result is Tri.FALSE:
            return Tri.FALSE
        if result is Tri.UNKNOWN:
            outcome = Tri.UNKNOWN
    return outcome


# --- decisions -------------------------------------------------------------------------------

def may_match_unknown(values: Iterable[str] | None, text: str) -> bool:
    """Whether a value known only at deploy (auditor.unknown) among `values` could be `text`:
    undecidable unless its known shape rules the text out."""
    for value in values or ():
        if is_unknown(value) and (value.shape is None or glob_match(value.shape, text, variables=False)):
            return True
    return False


def decide(policies: Sequence[Policy], action: str, resource: str, *,
           context: RequestContext = EMPTY_CONTEXT,
           caller: tuple[str, str | None] | None = None,
           boundary: Sequence[Policy] | None = None) -> Decision:
    """IAM's decision for one request over identity (or, with `caller`, trust) policies.

    `caller` is (ARN, account) of the principal, for policies with Principal elements.
    `boundary`: None when there is no permissions boundary; otherwise its policies must also
    allow the request.
    """
    allows: list[Statement] = []
    denies: list[Statement] = []
    definite_allow = definite_deny = False
    for policy in policies:
        for statement in policy.statements:
            if not statement_covers_action(statement, action):
                continue
            undecided = False   # the statement may apply through a value known only at deploy
            if not statement_covers_resource(statement, resource):
                if not may_match_unknown(statement.resources, resource):
                    continue
                undecided = True
            if caller is not None and not statement_covers_principal(statement, *caller):
                if not may_match_unknown(tuple(p.value for p in statement.principals or ()), caller[0]):
                    continue
                undecided = True
            outcome = evaluate_conditions(statement.conditions, context)
            if outcome is Tri.FALSE:
                continue
            if undecided:
                outcome = Tri.UNKNOWN
            if statement.is_allow:
                allows.append(statement)
                definite_allow |= outcome is Tri.TRUE
            else:
                denies.append(statement)
                definite_deny |= outcome is Tri.TRUE
    notes = []
    if definite_deny:
        verdict = Verdict.DENIED
    elif definite_allow and not denies:
        verdict = Verdict.ALLOWED
    elif allows:
        verdict = Verdict.CONDITIONAL
        unknowns = sorted({v for s in allows + denies for v in (*(s.resources or ()), *(
            p.value for p in s.principals or ()), *(x for c in s.conditions for x in c.values)) if is_unknown(v)})
        notes.append("depends on conditions the auditor cannot decide: "
                     + ", ".join(sorted({c.raw_key for s in allows + denies for c in s.conditions}) + unknowns))
    else:
        verdict = Verdict.NOT_ALLOWED
    decision = Decision(verdict, tuple(allows), tuple(denies), tuple(notes))
    if boundary is not None and decision.verdict >= Verdict.CONDITIONAL:
        bounded = decide(boundary, action, resource, context=context, caller=caller)
        if bounded.verdict < decision.verdict:
            notes = decision.notes + ("the permissions boundary " + (
                "does not allow it" if bounded.verdict < Verdict.CONDITIONAL
                else "allows it only under conditions"),)
            return Decision(bounded.verdict, decision.allows, decision.denies + bounded.denies, notes)
    return decision
