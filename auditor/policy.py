"""The normalized IAM policy model: each document is parsed once; rules never touch raw JSON.

`parse_policy` accepts everything IAM accepts (and a few things the API hands back, such as
URL-encoded documents) and turns what IAM would reject into `Problem`s instead of exceptions,
so POLICY-001 can report them and the other rules can still look at the valid statements.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from .unknown import is_unknown

IDENTITY = "identity"
TRUST = "trust"

ALLOW = "Allow"
DENY = "Deny"

# Condition operators IAM knows (without the IfExists suffix and set qualifiers).
_BASE_OPERATORS = (
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
    "StringLike", "StringNotLike",
    "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
    "NumericGreaterThan", "NumericGreaterThanEquals",
    "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
    "DateGreaterThan", "DateGreaterThanEquals",
    "Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
    "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike",
    "Null",
)
# Operator names are matched case-insensitively and stored in their canonical spelling.
CANONICAL_OPERATORS = {name.lower(): name for name in _BASE_OPERATORS}
QUALIFIERS = {"forallvalues": "ForAllValues", "foranyvalue": "ForAnyValue"}
PRINCIPAL_KINDS = {"aws": "AWS", "service": "Service", "federated": "Federated",
                   "canonicaluser": "CanonicalUser"}
VALID_VERSIONS = ("2012-10-17", "2008-10-17")
_ACCOUNT_ID = re.compile(r"^\d{12}\Z")
_ACTION_SHAPE = re.compile(r"^(\*|[A-Za-z0-9*?_-]+:[A-Za-z0-9*?_-]*)\Z")
_KNOWN_STATEMENT_KEYS = {"sid", "effect", "action", "notaction", "resource", "notresource",
                         "principal", "notprincipal", "condition"}


class PolicyParseError(ValueError):
    """The text is not a JSON/YAML document at all (raised only by `load_document`)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """A grammar problem: `high` makes the document invalid for IAM, `medium` is legal but risky."""

    severity: str
    message: str
    statement: int | None = None
    sid: str | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    kind: str   # "*", "AWS", "Service", "Federated", "CanonicalUser"
    value: str  # "*" or the identifier; a bare account ID is stored as its root ARN

    @property
    def is_public(self) -> bool:
        return self.value == "*" and self.kind in ("*", "AWS")

    @property
    def is_account_root(self) -> bool:
        return self.kind == "AWS" and self.value.endswith(":root")

    @property
    def account_id(self) -> str | None:
        parts = self.value.split(":")
        if self.kind == "AWS" and len(parts) >= 6 and parts[0] == "arn":
            return parts[4] or None
        return None


@dataclass(frozen=True, slots=True)
class Condition:
    operator: str           # canonical base operator, e.g. "StringEquals"
    qualifier: str | None   # "ForAllValues", "ForAnyValue" or None
    if_exists: bool
    key: str                # lower-cased condition key, e.g. "sts:externalid"
    values: tuple[str, ...]
    raw_operator: str       # as written, for messages
    raw_key: str


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    sid: str | None
    effect: str
    actions: tuple[str, ...] | None        # lower-cased; None when NotAction is used
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None      # case kept: resources match case-sensitively
    not_resources: tuple[str, ...] | None
    principals: tuple[Principal, ...] | None
    not_principals: tuple[Principal, ...] | None
    conditions: tuple[Condition, ...]
    # Policy variables (${aws:username}) exist only in Version 2012-10-17; in 2008-10-17 (or with
    # no Version) `${...}` is literal text.
    variables: bool = True

    @property
    def is_allow(self) -> bool:
        return self.effect == ALLOW

    def conditions_on(self, key: str) -> tuple[Condition, ...]:
        key = key.lower()
        return tuple(c for c in self.conditions if c.key == key)

    @property
    def location_label(self) -> str:
        return f"statement {self.index}" + (f" ({self.sid})" if self.sid else "")


@dataclass(frozen=True, slots=True)
class Policy:
    kind: str                    # IDENTITY or TRUST
    version: str | None
    statements: tuple[Statement, ...]
    problems: tuple[Problem, ...]

    @property
    def is_valid(self) -> bool:
        return not any(p.severity == "high" for p in self.problems)


class DecodedObject(dict):
    """A JSON/YAML object as decoded from text, remembering keys it held more than once: IAM
    rejects such a document, while a plain dict silently keeps the last value."""

    # `line` / `key_lines`: 1-based lines of the object and of each key, kept by the YAML loader
    # (CloudFormation templates need them for SARIF); JSON decoding leaves them None.
    __slots__ = ("duplicates", "line", "key_lines")

    def __init__(self, pairs=(), line: int | None = None, key_lines: dict | None = None):
        super().__init__(pairs)
        self.line = line
        self.key_lines = key_lines
        duplicates: dict[str, list] = {}
        if len(self) != len(pairs):     # rare: only then find which keys came twice
            seen: dict = {}
            for key, value in pairs:
                if key in seen:
                    duplicates.setdefault(key, [seen[key]]).append(value)
                seen[key] = value
        self.duplicates = duplicates


class _NonFinite(float):
    """`NaN`, `Infinity` or `-Infinity` in JSON text: Python reads them, IAM does not."""

    __slots__ = ("literal",)

    def __new__(cls, literal: str):
        number = super().__new__(cls, literal.replace("Infinity", "inf"))
        number.literal = literal
        return number


def _decode_json(text: str) -> Any:
    return json.loads(text, object_pairs_hook=DecodedObject, parse_constant=_NonFinite)


def load_document(text: str, *, yaml_allowed: bool = False) -> Any:
    """Decode policy text: JSON, URL-encoded JSON (as IAM's API returns it) or, for files, YAML.
    Objects keep track of duplicate keys (see `DecodedObject`); nesting too deep to decode is
    a `PolicyParseError`, not a RecursionError."""
    stripped = text.strip()
    if stripped.startswith("%7B") or stripped.startswith("%7b"):
        stripped = unquote(stripped)
    try:
        return _decode_json(stripped)
    except RecursionError:
        raise PolicyParseError("nested too deeply to be a policy document") from None
    except ValueError as json_error:
        if not yaml_allowed:
            raise PolicyParseError(f"not valid JSON: {json_error}") from None
    import yaml  # imported lazily: only YAML files need it

    try:
        decoded = yaml.load(stripped, Loader=_yaml_loader())
        _refuse_alias_bombs(decoded)
        return decoded
    except RecursionError:
        raise PolicyParseError("nested too deeply to be a policy document") from None
    except yaml.YAMLError as yaml_error:
        mark = getattr(yaml_error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(yaml_error, "problem", None) or "malformed YAML"
        raise PolicyParseError(f"not valid YAML{where}: {problem}") from None


# YAML aliases share one object where the text repeats it: a 1.5 KB file can stand for 10^8
# values, which every later walk (intrinsics, statements) would visit one by one.
MAX_EXPANDED_VALUES = 1_000_000


def _refuse_alias_bombs(root: Any) -> None:
    """PolicyParseError when the YAML, its aliases expanded, holds more than MAX_EXPANDED_VALUES
    values, or refers to itself (`&a [*a]`). Linear in the distinct objects (sizes memoized)."""
    sizes: dict[int, int] = {}          # id -> expanded size; -1 while its children are counted
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, counted = stack.pop()
        children = list(node.values()) if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if counted:
            size = 1 + sum(sizes.get(id(c), 1) for c in children)
            sizes[id(node)] = size
            if size > MAX_EXPANDED_VALUES:
                raise PolicyParseError(f"its YAML aliases expand to more than {MAX_EXPANDED_VALUES:,} "
                                       "values: refused (an alias bomb?)")
            continue
        state = sizes.get(id(node))
        if state == -1:
            raise PolicyParseError("its YAML refers to itself through an alias: refused")
        if state is not None:
            continue
        sizes[id(node)] = -1
        stack.append((node, True))
        for child in children:
            if isinstance(child, (dict, list)):
                if sizes.get(id(child)) == -1:
                    raise PolicyParseError("its YAML refers to itself through an alias: refused")
                stack.append((child, False))


_YAML_LOADER = None


def _yaml_loader():
    """libyaml's safe loader when present (≈10x faster), reading dates as text (an unquoted
    `Version: 2012-10-17` is the policy language version, not a date) and mappings as
    `DecodedObject`s, so duplicate keys are found in YAML as in JSON, each with its line.

    CloudFormation's short-form tags (`!Ref X`, `!GetAtt R.Arn`, `!Sub ...`) decode to their
    long form (`{"Ref": "X"}`, `{"Fn::GetAtt": ["R", "Arn"]}`) through cfn-flip's maintained
    constructor (≈3 ms to import, against ≈1.3 s for cfnlint.decode, measured here); it is
    imported only when a YAML file is decoded."""
    global _YAML_LOADER
    if _YAML_LOADER is None:
        import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        def construct_mapping(loader, node, deep=False):
            if not isinstance(node, yaml.MappingNode):
                raise yaml.constructor.ConstructorError(None, None, "expected a mapping", node.start_mark)
            loader.flatten_mapping(node)
            pairs = []
            key_lines = {}
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        "found an unhashable key", key_node.start_mark) from None
                key_lines.setdefault(key, key_node.start_mark.line + 1)
                pairs.append((key, loader.construct_object(value_node, deep=deep)))
            return DecodedObject(pairs, node.start_mark.line + 1, key_lines)

        from cfn_tools.yaml_loader import multi_constructor

        def short_form(loader, suffix, node):
            (name, value), = multi_constructor(loader, suffix, node).items()
            return DecodedObject([(name, value)], node.start_mark.line + 1,
                                 {name: node.start_mark.line + 1})

        # construct_mapping is also a method: cfn-flip's tag constructor calls it for `!Tag {...}`.
        loader = type("PolicyLoader", (base,), {"construct_mapping": construct_mapping})
        loader.add_multi_constructor("!", short_form)
        loader.add_constructor("tag:yaml.org,2002:timestamp",
                               lambda self, node: self.construct_scalar(node))
        loader.add_constructor("tag:yaml.org,2002:map", construct_mapping)
        _YAML_LOADER = loader
    return _YAML_LOADER


def detect_kind(document: Any) -> str:
    """A document is a trust policy when its statements carry Principal or NotPrincipal."""
    if isinstance(document, dict):
        statements = _get_ci(document, "statement")
        if isinstance(statements, dict):
            statements = [statements]
        if isinstance(statements, list):
            for statement in statements:
                if isinstance(statement, dict) and any(
                        k.lower() in ("principal", "notprincipal") for k in statement if isinstance(k, str)):
                    return TRUST
    return IDENTITY


def parse_policy(document: Any, kind: str | None = None) -> Policy:
    """Normalize a decoded document (or its text) into a `Policy`; never raises."""
    if isinstance(document, (str, bytes)):
        try:
            document = load_document(document.decode() if isinstance(document, bytes) else document)
        except (PolicyParseError, UnicodeDecodeError) as error:
            return Policy(kind or IDENTITY, None, (), (Problem("high", f"the document is {error}"),))
    if kind is None:
        kind = detect_kind(document)
    problems: list[Problem] = []
    if not isinstance(document, dict):
        problems.append(Problem("high", f"the document is a JSON {_json_type(document)}, not an object"))
        return Policy(kind, None, (), tuple(problems))

    _duplicate_keys(document, "the document", lambda message: problems.append(Problem("high", message)))
    version = _get_ci(document, "version")
    if version is None:
        problems.append(Problem("medium", "Version is missing: IAM then applies 2008-10-17, "
                                          "which has no policy variables; use \"2012-10-17\""))
    elif not isinstance(version, str) or version not in VALID_VERSIONS:
        problems.append(Problem("high", f"Version {_shown(version)} is not a policy language version; "
                                        "use \"2012-10-17\""))
        version = str(version)
    elif version == "2008-10-17":
        problems.append(Problem("medium", "Version 2008-10-17 is outdated (no policy variables); "
                                          "use \"2012-10-17\""))
    for key in document:
        if not isinstance(key, str) or key.lower() not in ("version", "statement", "id"):
            problems.append(Problem("high", f"unknown top-level element {_shown(key)}"))

    raw_statements = _get_ci(document, "statement")
    if raw_statements is None:
        problems.append(Problem("high", "the document has no Statement"))
        return Policy(kind, version, (), tuple(problems))
    if isinstance(raw_statements, dict) or is_unknown(raw_statements):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list):
        problems.append(Problem("high", f"Statement is a {_json_type(raw_statements)}, "
                                        "not an object or a list"))
        return Policy(kind, version, (), tuple(problems))

    statements = []
    sids: dict[str, int] = {}
    variables = version == "2012-10-17"
    for index, raw in enumerate(raw_statements):
        if is_unknown(raw):
            continue   # a statement decided at deploy (e.g. Fn::If on a parameter): nothing to check
        statement = _parse_statement(index, raw, kind, problems, variables)
        sid = raw.get(_key_ci(raw, "sid")) if isinstance(raw, dict) else None
        if isinstance(sid, str) and sid:
            if sid in sids:
                problems.append(Problem("high", f"statement {index}: Sid {sid!r} is already the Sid of "
                                                f"statement {sids[sid]}: Sids must be unique in a policy",
                                        index, sid))
            sids.setdefault(sid, index)
        if statement is not None:
            statements.append(statement)
    return Policy(kind, version, tuple(statements), tuple(problems))


def _parse_statement(index: int, raw: Any, kind: str, problems: list[Problem],
                     variables: bool = True) -> Statement | None:
    """The statement, or None when IAM's meaning of it cannot be told (no valid Effect, no
    readable Action or Resource/Principal, conflicting duplicate elements). Problems that leave
    the meaning clear (a non-ARN resource, a wildcard in a principal ARN, an unknown operator)
    are reported and the statement is still evaluated, so the other rules see what it grants."""
    if not isinstance(raw, dict):
        problems.append(Problem("high", f"statement {index} is a {_json_type(raw)}, not an object", index))
        return None
    fields = {k.lower(): v for k, v in raw.items() if isinstance(k, str)}
    sid = fields.get("sid")
    sid = sid if isinstance(sid, str) else (None if sid is None else str(sid))
    unclear = False

    def problem(message: str, severity: str = "high", *, fatal: bool = False) -> None:
        nonlocal unclear
        problems.append(Problem(severity, f"statement {index}: {message}", index, sid))
        unclear |= fatal

    for key in raw:
        if not isinstance(key, str) or key.lower() not in _KNOWN_STATEMENT_KEYS:
            problem(f"unknown element {_shown(key)}")
    if _duplicate_keys(raw, "the statement", problem):
        problem("its duplicate elements disagree, so the other rules do not evaluate it", fatal=True)

    effect = fields.get("effect")
    if isinstance(effect, str) and effect.lower() in ("allow", "deny"):
        effect = ALLOW if effect.lower() == "allow" else DENY
    else:
        problem("Effect must be \"Allow\" or \"Deny\"" + ("" if effect is None else f", not {_shown(effect)}"),
                fatal=True)

    actions = _exactly_one(fields, "action", "notaction", "Action/NotAction", problem)
    actions_lower = None
    if actions is not None:
        values = _string_list(actions[1], problem, actions[0])
        for value in values or ():
            if not _ACTION_SHAPE.match(value) and not is_unknown(value):
                problem(f"{actions[0]} {value!r} is not of the form \"service:action\"")
        actions_lower = tuple(v.lower() for v in values) if values is not None else None

    if kind == TRUST:
        principals = _exactly_one(fields, "principal", "notprincipal", "Principal/NotPrincipal", problem)
        resources = None
        if "resource" in fields or "notresource" in fields:
            resources = _exactly_one(fields, "resource", "notresource", "Resource/NotResource", problem)
    else:
        principals = None
        if "principal" in fields or "notprincipal" in fields:
            problem("Principal/NotPrincipal is not allowed in an identity policy")
        resources = _exactly_one(fields, "resource", "notresource", "Resource/NotResource", problem)
    resource_values = _string_list(resources[1], problem, resources[0]) if resources else None
    for value in resource_values or ():
        # A value known only at deploy (auditor.unknown) is no grammar error: it is judged by rules.
        if value != "*" and not value[:4].lower() == "arn:" and not is_unknown(value):
            problem(f"{resources[0]} {value!r} is neither \"*\" nor an ARN: IAM rejects it, and it "
                    "matches no resource")
    principal_values = _parse_principals(principals[1], problem) if principals else None
    conditions = _parse_conditions(fields.get("condition"), problem)

    if unclear or effect not in (ALLOW, DENY) or actions_lower is None \
            or (resources is not None and resource_values is None) \
            or (kind != TRUST and resources is None) \
            or (kind == TRUST and principal_values is None):
        return None
    not_action = actions[0] == "NotAction"
    not_resource = resources is not None and resources[0] == "NotResource"
    not_principal = principals is not None and principals[0] == "NotPrincipal"
    return Statement(
        index=index, sid=sid, effect=effect,
        actions=None if not_action else actions_lower,
        not_actions=actions_lower if not_action else None,
        resources=None if not_resource else _tuple_or_none(resource_values),
        not_resources=_tuple_or_none(resource_values) if not_resource else None,
        principals=None if not_principal else principal_values,
        not_principals=principal_values if not_principal else None,
        conditions=conditions, variables=variables,
    )


def _duplicate_keys(mapping: dict, where: str, problem) -> bool:
    """Report keys a JSON/YAML object held twice, exactly or in another case (IAM rejects the
    document); True when the copies of one key disagree, so its meaning is not clear."""
    duplicates = getattr(mapping, "duplicates", None)
    if not duplicates and len({k.lower() if isinstance(k, str) else k for k in mapping}) == len(mapping):
        return False
    disagree = False
    for key, copies in (duplicates or {}).items():
        problem(f"{where} has the key {_shown(key)} {len(copies)} times (IAM rejects duplicate keys)")
        disagree |= any(copy != copies[0] for copy in copies)
    seen: dict[str, str] = {}
    for key in mapping:
        if isinstance(key, str):
            other = seen.setdefault(key.lower(), key)
            if other != key:
                problem(f"{where} has both {other!r} and {key!r}")
                disagree |= mapping[other] != mapping[key]
    return disagree


def _key_ci(mapping: dict, key: str) -> Any:
    for k in mapping:
        if isinstance(k, str) and k.lower() == key:
            return k
    return None


def _exactly_one(fields: dict, name: str, not_name: str, label: str, problem) -> tuple[str, Any] | None:
    has, has_not = name in fields, not_name in fields
    if has and has_not:
        problem(f"has both {label.replace('/', ' and ')}", fatal=True)
        return None
    if not has and not has_not:
        problem(f"has neither {label.replace('/', ' nor ')}", fatal=True)
        return None
    spelled = label.split("/")[0 if has else 1]
    return spelled, fields[name if has else not_name]


def _scalar(value: Any) -> str | None:
    """IAM accepts numbers and booleans where strings are expected; normalize them to text.
    `NaN` and `Infinity` are not JSON numbers: IAM rejects them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _string_list(value: Any, problem, label: str, *, empty_strings: bool = False) -> tuple[str, ...] | None:
    """The element's values as text; None (with a problem) when one cannot be read. An empty
    string is legal only where `empty_strings` says so (condition values: AWS's own policies
    use `"s3:prefix": ["", "home/"]`)."""
    items = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not value:
        problem(f"{label} is an empty list", fatal=True)
        return None
    out = []
    for item in items:
        text = _scalar(item)
        if text is None or (text == "" and not empty_strings):
            what = ("a number that is not finite (" + getattr(item, "literal", str(item)) + ")"
                    if isinstance(item, float) else _json_type(item) if text is None else "an empty string")
            problem(f"{label} holds {what}, not a string", fatal=True)
            return None
        out.append(text)
    return tuple(out)


def _tuple_or_none(values):
    return tuple(values) if values is not None else None


def _parse_principals(value: Any, problem) -> tuple[Principal, ...] | None:
    if value == "*":
        return (Principal("*", "*"),)
    if is_unknown(value):
        return (Principal("AWS", value),)   # known only at deploy: matches nothing for sure
    if not isinstance(value, dict) or not value:
        problem("Principal must be \"*\" or a non-empty map such as {\"AWS\": \"<arn>\"}", fatal=True)
        return None
    if _duplicate_keys(value, "Principal", problem):
        problem("its Principal is ambiguous", fatal=True)
    out = []
    for raw_kind, raw_ids in value.items():
        kind = PRINCIPAL_KINDS.get(str(raw_kind).lower())
        if kind is None:
            problem(f"unknown principal type {_shown(raw_kind)}", fatal=True)
            return None
        ids = _string_list(raw_ids, problem, f"Principal {kind}")
        if ids is None:
            return None
        for identifier in ids:
            if kind == "AWS" and _ACCOUNT_ID.match(identifier):
                identifier = f"arn:aws:iam::{identifier}:root"  # a bare account ID means its root
            elif identifier != "*" and ("*" in identifier or "?" in identifier) and not is_unknown(identifier):
                # IAM Principal element page: a wildcard cannot match part of a principal's name
                # or ARN. Matched as a glob it over-approximates what the author meant.
                problem(f"Principal {kind} {identifier!r}: a wildcard cannot stand for part of a "
                        "principal; use \"*\" with a condition on aws:PrincipalArn")
            out.append(Principal(kind, identifier))
    return tuple(out)


def _parse_conditions(value: Any, problem) -> tuple[Condition, ...]:
    if value is None:
        return ()
    if is_unknown(value):
        # A condition block decided at deploy: one condition the evaluator can never decide.
        return (Condition(str(value), None, False, str(value).lower(), (value,), str(value), str(value)),)
    if not isinstance(value, dict):
        problem("Condition must be a map of operator to {key: values}", fatal=True)
        return ()
    _duplicate_keys(value, "Condition", problem)
    out = []
    for raw_operator, block in value.items():
        parsed = parse_operator(str(raw_operator))
        if parsed is None:
            # Kept with its unknown operator, which the evaluator can never decide: a Deny with
            # it may apply, an Allow with it is conditional.
            problem(f"unknown condition operator {_shown(raw_operator)}")
            parsed = (str(raw_operator), None, False)
        operator, qualifier, if_exists = parsed
        if not isinstance(block, dict) or not block:
            problem(f"condition {raw_operator} must map keys to values", fatal=True)
            continue
        _duplicate_keys(block, f"condition {raw_operator}", problem)
        for raw_key, raw_values in block.items():
            values = _string_list(raw_values, problem, f"condition {raw_operator} {raw_key}",
                                  empty_strings=True)
            if values is None:
                continue
            out.append(Condition(operator, qualifier, if_exists, str(raw_key).lower(), values,
                                 str(raw_operator), str(raw_key)))
    return tuple(out)


def _shown(value: Any) -> str:
    """A value for a message: repr, cut to a readable length."""
    text = repr(getattr(value, "literal", value))
    return text if len(text) <= 80 else text[:77] + "..."


def parse_operator(raw: str) -> tuple[str, str | None, bool] | None:
    """Split `ForAnyValue:StringLikeIfExists` into (StringLike, ForAnyValue, True)."""
    qualifier = None
    text = raw
    if ":" in text:
        prefix, _, text = text.partition(":")
        qualifier = QUALIFIERS.get(prefix.lower())
        if qualifier is None:
            return None
    if_exists = text.lower().endswith("ifexists") and text.lower() != "ifexists"
    if if_exists:
        text = text[: -len("IfExists")]
    operator = CANONICAL_OPERATORS.get(text.lower())
    if operator is None or (if_exists and operator == "Null"):
        return None
    return operator, qualifier, if_exists


def _get_ci(mapping: dict, key: str) -> Any:
    for k, v in mapping.items():
        if isinstance(k, str) and k.lower() == key:
            return v
    return None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "number", float: "number", str: "string",
            list: "list", dict: "object"}.get(type(value), type(value).__name__)
