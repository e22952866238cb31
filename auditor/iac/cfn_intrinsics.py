"""CloudFormation intrinsic functions, resolved to what they will be at deploy.

Follows the AWS CloudFormation User Guide, "Intrinsic function reference" and "Pseudo
parameters reference". What a template cannot know is an `Unknown` (auditor.unknown):

* `Ref` of a parameter: the parameter, never its Default (the stack may pass any value);
* pseudo parameters AWS::AccountId / AWS::Region unless the caller knows them (scan --iac);
* names CloudFormation generates for resources without an explicit name;
* `Fn::ImportValue`, `Fn::GetAZs`, `Fn::Cidr`, attributes AWS assigns (RoleId, key IDs...);
* `Fn::If` on a condition that depends on a parameter.

Strings built from known and unknown parts (`!Sub arn:${AWS::Partition}:iam::${AWS::AccountId}:role/x`)
become one `Unknown` whose `shape` writes each unknown part as `*`.
"""
from __future__ import annotations

import base64
import re
from typing import Any, Callable

from ..policy import DecodedObject
from ..unknown import Unknown, is_unknown

NO_VALUE = object()          # `Ref: AWS::NoValue`: the property or list entry disappears
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class IntrinsicError(ValueError):
    """A malformed intrinsic (wrong arguments): becomes a Problem naming the resource."""


def concat(parts: list[Any]) -> str:
    """Join string parts; any Unknown part makes the whole an Unknown with a `*` shape."""
    if not any(is_unknown(p) for p in parts):
        return "".join(str(p) for p in parts)
    present = [p for p in parts if p != ""]
    if len(present) == 1:
        return present[0]
    what = "".join(str(p) for p in parts)
    shape = "".join((p.shape or "*") if is_unknown(p) else str(p) for p in parts)
    return Unknown(what, shape)


class Resolver:
    """Resolves intrinsics in one template. `resource_ref(logical_id)` and
    `resource_attr(logical_id, attribute)` come from the reader, which knows the resource types."""

    def __init__(self, template: dict, *, account_id: str | None, region: str | None,
                 partition: str, resource_ref: Callable[[str], Any],
                 resource_attr: Callable[[str, str], Any]):
        self.template = template
        parameters = template.get("Parameters")
        self.parameters = parameters if isinstance(parameters, dict) else {}
        mappings = template.get("Mappings")
        self.mappings = mappings if isinstance(mappings, dict) else {}
        conditions = template.get("Conditions")
        self.conditions = conditions if isinstance(conditions, dict) else {}
        self.pseudo = {
            "AWS::AccountId": account_id or Unknown("AWS::AccountId"),
            "AWS::Region": region or Unknown("AWS::Region"),
            "AWS::Partition": partition or Unknown("AWS::Partition"),
            "AWS::URLSuffix": "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com",
            "AWS::StackName": Unknown("AWS::StackName"),
            "AWS::StackId": Unknown("AWS::StackId"),
            "AWS::NotificationARNs": Unknown("AWS::NotificationARNs"),
        }
        self.resource_ref = resource_ref
        self.resource_attr = resource_attr
        self._condition_cache: dict[str, bool | None] = {}

    # -- values -------------------------------------------------------------------------------
    def ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            raise IntrinsicError("Ref takes the name of a parameter or resource")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return Unknown(f"parameter {name}")
        return self.resource_ref(name)

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic resolved; NO_VALUE entries removed from lists/objects."""
        if isinstance(value, dict):
            if len(value) == 1:
                (key, argument), = value.items()
                if key == "Ref" or (isinstance(key, str) and key.startswith("Fn::")):
                    return self._function(key, argument)
            pairs = []
            for key, item in value.items():
                resolved = self.resolve(item)
                if resolved is not NO_VALUE:
                    pairs.append((key, resolved))
            result = DecodedObject(pairs, getattr(value, "line", None), getattr(value, "key_lines", None))
            result.duplicates = getattr(value, "duplicates", {}) or {}
            return result
        if isinstance(value, list):
            return [r for r in (self.resolve(item) for item in value) if r is not NO_VALUE]
        return value

    def _function(self, name: str, argument: Any) -> Any:
        handler = _FUNCTIONS.get(name)
        if handler is None:
            return Unknown(f"{name} (not evaluated)")
        return handler(self, argument)

    def _text(self, value: Any, what: str) -> Any:
        value = self.resolve(value)
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise IntrinsicError(f"{what} must be a string")
        return value if isinstance(value, str) else str(value)

    def _list(self, value: Any, what: str) -> Any:
        value = self.resolve(value)
        if is_unknown(value):
            return value
        if not isinstance(value, list):
            raise IntrinsicError(f"{what} must be a list")
        return value

    # -- conditions ---------------------------------------------------------------------------
    def condition(self, name: Any) -> bool | None:
        """True/False when the template decides `name`; None when it depends on the deploy."""
        if not isinstance(name, str) or name not in self.conditions:
            raise IntrinsicError(f"condition {name!r} is not defined in Conditions")
        if name not in self._condition_cache:
            self._condition_cache[name] = None      # a cycle is undecidable, not a hang
            self._condition_cache[name] = self._truth(self.conditions[name])
        return self._condition_cache[name]

    def _truth(self, value: Any) -> bool | None:
        if isinstance(value, dict) and len(value) == 1:
            (key, args), = value.items()
            if key == "Condition":
                return self.condition(args)
            if key == "Fn::Equals":
                if not isinstance(args, list) or len(args) != 2:
                    raise IntrinsicError("Fn::Equals takes two values")
                left, right = (self.resolve(a) for a in args)
                if is_unknown(left) or is_unknown(right) or any(is_unknown(u) for u in (
                        *(left if isinstance(left, list) else ()), *(right if isinstance(right, list) else ()))):
                    return None
                return str(left) == str(right) if not isinstance(left, list) else left == right
            if key in ("Fn::And", "Fn::Or", "Fn::Not"):
                if not isinstance(args, list) or not args:
                    raise IntrinsicError(f"{key} takes a list of conditions")
                values = [self._truth(a) for a in args]
                if key == "Fn::Not":
                    return None if values[0] is None else not values[0]
                if key == "Fn::And":
                    return False if False in values else (None if None in values else True)
                return True if True in values else (None if None in values else False)
        if isinstance(value, bool):
            return value
        raise IntrinsicError("a condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition")


def _ref(r: Resolver, arg):
    return r.ref(arg)


def _getatt(r: Resolver, arg):
    if isinstance(arg, str):
        arg = arg.split(".", 1)
    if not isinstance(arg, list) or len(arg) != 2 or not isinstance(arg[0], str):
        raise IntrinsicError("Fn::GetAtt takes [LogicalId, Attribute]")
    attribute = r.resolve(arg[1])
    if not isinstance(attribute, str) or is_unknown(attribute):
        return Unknown(f"attribute of {arg[0]}")
    return r.resource_attr(arg[0], attribute)


def _sub(r: Resolver, arg):
    variables: dict = {}
    if isinstance(arg, list):
        if len(arg) != 2 or not isinstance(arg[1], dict):
            raise IntrinsicError("Fn::Sub takes a string, or [string, {variables}]")
        arg, variables = arg
    if not isinstance(arg, str):
        raise IntrinsicError("Fn::Sub takes a string")
    parts: list[Any] = []
    position = 0
    for match in _SUB_VARIABLE.finditer(arg):
        parts.append(arg[position:match.start()])
        position = match.end()
        name = match.group(1).strip()
        if name.startswith("!"):                      # ${!Literal} writes ${Literal}
            parts.append("${" + name[1:] + "}")
        elif name in variables:
            parts.append(r._text(variables[name], f"Fn::Sub variable {name}"))
        elif "." in name and name.split(".", 1)[0] not in r.parameters and name not in r.pseudo:
            parts.append(_getatt(r, name.split(".", 1)))
        else:
            parts.append(r.ref(name))
    parts.append(arg[position:])
    if any(p is NO_VALUE or not isinstance(p, str) for p in parts):
        raise IntrinsicError("Fn::Sub refers to a value that is not a string")
    return concat(parts)


def _join(r: Resolver, arg):
    if not isinstance(arg, list) or len(arg) != 2:
        raise IntrinsicError("Fn::Join takes [delimiter, [values]]")
    delimiter = r._text(arg[0], "Fn::Join delimiter")
    values = r._list(arg[1], "Fn::Join values")
    if is_unknown(values):
        return values
    parts: list[Any] = []
    for index, item in enumerate(values):
        if index:
            parts.append(delimiter)
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            raise IntrinsicError("Fn::Join values must be strings")
        parts.append(item if isinstance(item, str) else str(item))
    return concat(parts)


def _select(r: Resolver, arg):
    if not isinstance(arg, list) or len(arg) != 2:
        raise IntrinsicError("Fn::Select takes [index, [values]]")
    index = r.resolve(arg[0])
    values = r._list(arg[1], "Fn::Select values")
    if is_unknown(index) or is_unknown(values):
        return Unknown("Fn::Select of a value known at deploy")
    try:
        return values[int(index)]
    except (ValueError, TypeError, IndexError):
        raise IntrinsicError(f"Fn::Select index {index!r} is not in the list") from None


def _split(r: Resolver, arg):
    if not isinstance(arg, list) or len(arg) != 2:
        raise IntrinsicError("Fn::Split takes [delimiter, string]")
    delimiter = r._text(arg[0], "Fn::Split delimiter")
    source = r._text(arg[1], "Fn::Split source")
    if is_unknown(source) or is_unknown(delimiter) or not delimiter:
        return Unknown("Fn::Split of a value known at deploy")
    return source.split(delimiter)


def _if(r: Resolver, arg):
    if not isinstance(arg, list) or len(arg) != 3:
        raise IntrinsicError("Fn::If takes [condition, value if true, value if false]")
    decided = r.condition(arg[0])
    if decided is None:
        return Unknown(f"Fn::If on condition {arg[0]}")
    return r.resolve(arg[1] if decided else arg[2])


def _find_in_map(r: Resolver, arg):
    if not isinstance(arg, list) or len(arg) not in (3, 4):
        raise IntrinsicError("Fn::FindInMap takes [map, top-level key, second-level key]")
    keys = [r.resolve(a) for a in arg[:3]]
    if any(is_unknown(k) for k in keys):
        return Unknown(f"Fn::FindInMap in {keys[0]}")
    try:
        return r.resolve(r.mappings[keys[0]][keys[1]][keys[2]])
    except (KeyError, TypeError):
        if len(arg) == 4 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
            return r.resolve(arg[3]["DefaultValue"])
        raise IntrinsicError(f"Fn::FindInMap: {keys} is not in Mappings") from None


def _base64(r: Resolver, arg):
    text = r._text(arg, "Fn::Base64")
    if is_unknown(text):
        return Unknown("Fn::Base64 of a value known at deploy")
    return base64.b64encode(text.encode()).decode()


def _import_value(r: Resolver, arg):
    name = r.resolve(arg)
    return Unknown(f"Fn::ImportValue {name}")


_FUNCTIONS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Ref": _ref, "Fn::GetAtt": _getatt, "Fn::Sub": _sub, "Fn::Join": _join, "Fn::Select": _select,
    "Fn::Split": _split, "Fn::If": _if, "Fn::FindInMap": _find_in_map, "Fn::Base64": _base64,
    "Fn::ImportValue": _import_value,
    "Fn::GetAZs": lambda r, arg: Unknown("Fn::GetAZs"),
    "Fn::Cidr": lambda r, arg: Unknown("Fn::Cidr"),
    "Fn::Equals": lambda r, arg: _condition_value_inline(r, {"Fn::Equals": arg}),
    "Fn::And": lambda r, arg: _condition_value_inline(r, {"Fn::And": arg}),
    "Fn::Or": lambda r, arg: _condition_value_inline(r, {"Fn::Or": arg}),
    "Fn::Not": lambda r, arg: _condition_value_inline(r, {"Fn::Not": arg}),
}


def _condition_value_inline(r: Resolver, expression: dict):
    decided = r._truth(expression)
    return Unknown("condition known at deploy") if decided is None else decided
