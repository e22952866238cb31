"""The resource instances of a Terraform plan, with their values as they will be after apply.

HashiCorp's "JSON Output Format" (developer.hashicorp.com/terraform/internals/json-format):
`planned_values.root_module` lists resource instances, with `child_modules` nested to any depth;
`resource_changes[].change` gives each instance's `actions`, its `after` values, `after_unknown`
(a mirror of `after` with `true` where a value is known only after apply) and `after_sensitive`;
`prior_state` holds what exists and does not change (and data sources read during plan);
`configuration` holds each resource's unevaluated `expressions`, whose `references` say which
other resource an attribute comes from. This module merges them into one `Instance` per
address: known values as they are, values known after apply as `Unknown`, sensitive values as
`Sensitive` (the readers never print them). Instances being destroyed are left out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..unknown import Unknown


class Sensitive(Unknown):
    """A value the plan marks sensitive: shown in the plan file, never by iam-auditor."""


@dataclass
class Instance:
    address: str                    # module.a.module.b.aws_iam_role.r["x"]
    mode: str                       # managed / data
    type: str
    name: str
    module: str                     # module.a.module.b (instance keys kept), "" for the root
    values: dict
    actions: tuple[str, ...] = ()
    sensitive: Any = None           # after_sensitive / sensitive_values: True where sensitive
    expressions: dict = field(default_factory=dict)   # from `configuration`

    @property
    def config_key(self) -> str:
        return strip_keys(self.address)


def strip_keys(address: str) -> str:
    """An instance address without its instance keys: module.a[0].x.y["k"] -> module.a.x.y."""
    out, depth, quoted, escaped = [], 0, False, False
    for char in address:
        if depth:
            if quoted:
                if escaped:
                    escaped = False
                elif char == "\\":
                    escaped = True
                elif char == '"':
                    quoted = False
            elif char == '"':
                quoted = True
            elif char == "]":
                depth -= 1
            continue
        if char == "[":
            depth += 1
            continue
        out.append(char)
    return "".join(out)


def as_dict(value: Any) -> dict:
    """The value if it is an object, else an empty one: a plan of another shape reads as empty."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _walk_module(module: Any) -> Iterator[dict]:
    """Every resource of a values module and of its child modules, at any depth."""
    stack = [module]
    while stack:
        current = stack.pop()
        if not isinstance(current, dict):
            continue
        for resource in as_list(current.get("resources")):
            if isinstance(resource, dict) and isinstance(resource.get("address"), str):
                yield resource
        stack.extend(reversed(as_list(current.get("child_modules"))))


def merge_unknown(value: Any, unknown: Any, where: str) -> Any:
    """`after` with every place `after_unknown` marks true replaced by an Unknown naming it."""
    if unknown is True:
        return Unknown(f"known after apply: {where}")
    if isinstance(unknown, dict):
        base = dict(value) if isinstance(value, dict) else {}
        for key, marks in unknown.items():
            base[key] = merge_unknown(base.get(key), marks, f"{where}.{key}")
        return base
    if isinstance(unknown, list):
        base = list(value) if isinstance(value, list) else []
        base += [None] * (len(unknown) - len(base))
        return [merge_unknown(base[i], marks, f"{where}[{i}]") for i, marks in enumerate(unknown)] + \
            base[len(unknown):]
    return value


def sensitive_at(marks: Any, *path) -> Any:
    """The sensitivity marks below `path` (True, a nested structure, or None)."""
    for step in path:
        if marks is True:
            return True
        if isinstance(marks, dict):
            marks = marks.get(step)
        elif isinstance(marks, list) and isinstance(step, int) and step < len(marks):
            marks = marks[step]
        else:
            return None
    return marks


def _module_of(resource: dict) -> str:
    address = resource["address"]
    suffix = f"{resource.get('type')}.{resource.get('name')}"
    if resource.get("mode") == "data":
        suffix = "data." + suffix
    at = address.rfind(suffix)
    return address[:at].rstrip(".") if at > 0 else ""


def _module_address(resource: dict) -> str:
    given = resource.get("module_address")
    return given if isinstance(given, str) else _module_of(resource)


def _instance(resource: dict, values: Any, sensitive: Any, actions=()) -> Instance:
    return Instance(address=resource["address"], mode=str(resource.get("mode") or "managed"),
                    type=str(resource.get("type") or ""), name=str(resource.get("name") or ""),
                    module=_module_address(resource),
                    values=values if isinstance(values, dict) else {}, actions=tuple(actions),
                    sensitive=sensitive)


def instances(plan: dict) -> list[Instance]:
    """Every resource instance the plan leaves in place after apply, in planned_values order."""
    found: dict[str, Instance] = {}
    destroyed: set[str] = set()
    planned = as_dict(plan.get("planned_values"))
    for resource in _walk_module(planned.get("root_module")):
        found[resource["address"]] = _instance(resource, resource.get("values"),
                                               resource.get("sensitive_values"))
    for change_entry in as_list(plan.get("resource_changes")):
        if not isinstance(change_entry, dict) or not isinstance(change_entry.get("address"), str):
            continue
        if change_entry.get("deposed"):
            continue            # a deposed object is being destroyed; its replacement is listed too
        change = as_dict(change_entry.get("change"))
        actions = tuple(a for a in as_list(change.get("actions")) if isinstance(a, str))
        address = change_entry["address"]
        if "create" not in actions and "delete" in actions:
            destroyed.add(address)
            found.pop(address, None)
            continue
        after = merge_unknown(change.get("after"), change.get("after_unknown"), address)
        found[address] = _instance(change_entry, after, change.get("after_sensitive"), actions)
    prior_values = as_dict(as_dict(plan.get("prior_state")).get("values"))
    for resource in _walk_module(prior_values.get("root_module")):
        address = resource["address"]
        if address not in found and address not in destroyed:
            found[address] = _instance(resource, resource.get("values"), resource.get("sensitive_values"))
    _attach_expressions(plan, found.values())
    return list(found.values())


def _config_resources(module: Any, prefix: str = "") -> Iterator[tuple[str, dict]]:
    """(module path without keys, resource config) over the configuration's module calls."""
    if not isinstance(module, dict):
        return
    for resource in as_list(module.get("resources")):
        if isinstance(resource, dict) and isinstance(resource.get("address"), str):
            yield prefix, resource
    for name, call in as_dict(module.get("module_calls")).items():
        if isinstance(call, dict):
            yield from _config_resources(call.get("module"), f"{prefix}module.{name}.")


def _attach_expressions(plan: dict, found) -> None:
    configuration = as_dict(plan.get("configuration"))
    by_key: dict[str, dict] = {}
    for prefix, resource in _config_resources(configuration.get("root_module")):
        address = resource["address"]
        relative = address.split("module.")[-1] if address.startswith("module.") else address
        key = prefix + _relative_address(relative)
        expressions = resource.get("expressions")
        if isinstance(expressions, dict):
            by_key[key] = expressions
    for instance in found:
        instance.expressions = by_key.get(instance.config_key, {})


def _relative_address(address: str) -> str:
    # In a module's configuration, addresses may or may not carry the module path: keep the
    # resource part (data.TYPE.NAME or TYPE.NAME).
    parts = address.split(".")
    return ".".join(parts[-3:]) if len(parts) >= 3 and parts[-3] == "data" else ".".join(parts[-2:])


_REFERENCE = re.compile(r"^(?P<res>(?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+)(?:\[[^\]]*\])?(?:\.(?P<attr>[A-Za-z0-9_]+))?")


def references(instance: Instance, attribute: str) -> list[tuple[str, str | None]]:
    """(resource address relative to the instance's module, attribute) for each reference of the
    attribute's expression in the configuration (`expressions.<attribute>.references`); the
    most specific first, duplicates removed."""
    return _expression_references(instance.expressions.get(attribute))


def _expression_references(expression: Any) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for ref in as_list(as_dict(expression).get("references")):
        if not isinstance(ref, str) or ref.startswith(("var.", "local.", "module.", "each.", "count.",
                                                       "path.", "terraform.", "self.")):
            continue
        match = _REFERENCE.match(ref)
        if match is None:
            continue
        item = (match.group("res"), match.group("attr"))
        if item not in out:
            out.append(item)
    out.sort(key=lambda item: item[1] is None)     # `x.y.arn` before the bare `x.y`
    return out


def expression_references(expression: Any) -> list[tuple[str, str | None]]:
    return _expression_references(expression)


def variables(plan: dict) -> tuple[dict, set[str]]:
    """(the root module's variable values, the names of the sensitive ones)."""
    values = {}
    for name, entry in as_dict(plan.get("variables")).items():
        if isinstance(entry, dict) and "value" in entry:
            values[name] = entry["value"]
    root = as_dict(as_dict(plan.get("configuration")).get("root_module"))
    sensitive = {name for name, entry in as_dict(root.get("variables")).items()
                 if isinstance(entry, dict) and entry.get("sensitive") is True}
    return values, sensitive


def provider_region(plan: dict) -> str | None:
    """The aws provider's region when the configuration gives it as a constant."""
    for key, provider in as_dict(as_dict(plan.get("configuration")).get("provider_config")).items():
        if isinstance(provider, dict) and provider.get("name") == "aws" and "." not in key:
            region = as_dict(as_dict(provider.get("expressions")).get("region")).get("constant_value")
            if isinstance(region, str):
                return region
    return None
