"""CloudFormation templates (JSON or YAML, short-form tags included) → `Inventory`.

Resource types read (AWS CloudFormation User Guide, "AWS resource and property types
reference"): AWS::IAM::Role, User, Group, UserToGroupAddition, Policy, RolePolicy, UserPolicy,
GroupPolicy, ManagedPolicy, AccessKey; AWS::SecretsManager::Secret and ResourcePolicy;
AWS::KMS::Key and Alias. Other types are ignored. Intrinsics are resolved by `cfn_intrinsics`;
what the template cannot know stays an `Unknown`. Malformed content becomes `Problem`s.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..policy import PolicyParseError, load_document
from ..unknown import Unknown, is_unknown
from .cfn_intrinsics import NO_VALUE, IntrinsicError, Resolver
from .model import (CLOUDFORMATION, IDENTITY, TRUST, GroupDef, Inventory, PolicyDocument, Problem,
                    RoleDef, Source, UserDef, Waiver)

_NAMED = {"AWS::IAM::Role": ("RoleName", "role"), "AWS::IAM::User": ("UserName", "user"),
          "AWS::IAM::Group": ("GroupName", "group")}


def _with_lines(text: str, data: Any) -> Any:
    """The template with line marks: YAML decoding keeps them; a JSON file is decoded again
    by the YAML loader (JSON is YAML) only to find them."""
    if getattr(data, "line", None) is not None:
        return data
    try:
        marked = _yaml_decode(text)
    except Exception:  # noqa: BLE001 - lines are a nicety; the decoded data stays authoritative
        return data
    return marked if marked == data else data


def _yaml_decode(text: str) -> Any:
    import yaml

    from ..policy import _yaml_loader
    return yaml.load(text.lstrip("\ufeff"), Loader=_yaml_loader())


def _iso_date(text: str) -> bool:
    import datetime
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


@dataclass
class _Entity:
    """A role/user/group while the template is read (the model's classes are frozen)."""

    kind: str
    logical_id: str
    name: Any
    arn: Any
    source: Source
    path: str = "/"
    inline: list = field(default_factory=list)
    managed: list = field(default_factory=list)
    boundary: Any = None
    waivers: tuple = ()
    trust: PolicyDocument | None = None
    max_session: Any = None
    groups: list = field(default_factory=list)
    keys: list = field(default_factory=list)
    login: bool = False


class _Reader:
    def __init__(self, path: str, template: dict, account_id, region, partition):
        self.path = path
        self.template = template
        self.inventory = Inventory(path, CLOUDFORMATION)
        self.lines = getattr(template, "key_lines", None) or {}
        resources = template.get("Resources")
        if not isinstance(resources, dict):
            self.problem(None, "the template's Resources is not a mapping of resources")
            resources = {}
        self.resources = {k: v for k, v in resources.items() if isinstance(v, dict)}
        for logical_id, body in resources.items():
            if not isinstance(body, dict):
                self.problem(logical_id, f"resource {logical_id} is not a mapping")
        self.lines = getattr(resources, "key_lines", None) or {}
        self.partition = partition or "aws"
        self.resolver = Resolver(template, account_id=account_id, region=region, partition=partition,
                                 resource_ref=self.resource_ref, resource_attr=self.resource_attr)
        self.entities: dict[str, _Entity] = {}

    # -- helpers ------------------------------------------------------------------------------
    def source(self, logical_id: str | None) -> Source:
        return Source(self.path, logical_id or "Resources", self.lines.get(logical_id), CLOUDFORMATION)

    def problem(self, logical_id: str | None, message: str, severity: str = "high") -> None:
        self.inventory.problems.append(Problem(self.source(logical_id), message, severity))

    def type_of(self, logical_id: str) -> str | None:
        body = self.resources.get(logical_id)
        kind = body.get("Type") if body else None
        return kind if isinstance(kind, str) else None

    def props(self, logical_id: str) -> dict:
        props = self.resources[logical_id].get("Properties", {})
        return props if isinstance(props, dict) else {}

    def value(self, logical_id: str, raw: Any, what: str) -> Any:
        """`raw` resolved; a malformed intrinsic is a Problem and an Unknown."""
        try:
            resolved = self.resolver.resolve(raw)
        except IntrinsicError as error:
            self.problem(logical_id, f"{logical_id}: {what}: {error}")
            return Unknown(f"{what} of {logical_id} (malformed)")
        except RecursionError:
            self.problem(logical_id, f"{logical_id}: {what}: nested too deeply")
            return Unknown(f"{what} of {logical_id} (malformed)")
        return None if resolved is NO_VALUE else resolved

    def prop(self, logical_id: str, name: str) -> Any:
        props = self.props(logical_id)
        return self.value(logical_id, props[name], name) if name in props else None

    def account(self) -> Any:
        return self.resolver.pseudo["AWS::AccountId"]

    def arn(self, service: str, region: Any, resource: Any) -> Any:
        from .cfn_intrinsics import concat
        return concat([f"arn:{self.partition}:{service}:", region, ":", self.account(), ":", resource])

    # -- what Ref and GetAtt of a template resource will be -----------------------------------
    def _name(self, logical_id: str, prop: str) -> Any:
        name = self.prop(logical_id, prop)
        if name is None:
            return Unknown(f"name CloudFormation generates for {logical_id}")
        return name if isinstance(name, str) else Unknown(f"{prop} of {logical_id}")

    def _path(self, logical_id: str) -> Any:
        path = self.prop(logical_id, "Path")
        return path if isinstance(path, str) else "/"

    def iam_arn(self, logical_id: str) -> Any:
        from .cfn_intrinsics import concat
        kind = self.type_of(logical_id)
        if kind == "AWS::IAM::ManagedPolicy":
            prop, noun = "ManagedPolicyName", "policy"
        else:
            prop, noun = _NAMED[kind]
        return concat([f"arn:{self.partition}:iam::", self.account(), f":{noun}",
                       self._path(logical_id), self._name(logical_id, prop)])

    def secret_arn(self, logical_id: str) -> Any:
        from .cfn_intrinsics import concat
        name = self.prop(logical_id, "Name")
        if not isinstance(name, str) or is_unknown(name):
            return Unknown(f"ARN of secret {logical_id}",
                           f"arn:{self.partition}:secretsmanager:*:*:secret:*")
        # Secrets Manager appends a hyphen and six random characters ("Secrets Manager ARNs", User Guide).
        return self.arn("secretsmanager", self.resolver.pseudo["AWS::Region"], concat(["secret:", name, "-??????"]))

    def resource_ref(self, logical_id: str) -> Any:
        kind = self.type_of(logical_id)
        if kind is None:
            raise IntrinsicError(f"Ref to {logical_id!r}, which is neither a parameter nor a resource")
        if kind in _NAMED:
            return self._name(logical_id, _NAMED[kind][0])
        if kind == "AWS::IAM::ManagedPolicy":
            return self.iam_arn(logical_id)
        if kind == "AWS::SecretsManager::Secret":
            return self.secret_arn(logical_id)
        if kind == "AWS::KMS::Alias":
            name = self.prop(logical_id, "AliasName")
            return name if isinstance(name, str) else Unknown(f"alias {logical_id}")
        if kind == "AWS::KMS::Key":
            return Unknown(f"key ID of {logical_id}")
        return Unknown(f"Ref {logical_id}")

    def resource_attr(self, logical_id: str, attribute: str) -> Any:
        kind = self.type_of(logical_id)
        if kind is None:
            raise IntrinsicError(f"Fn::GetAtt of {logical_id!r}, which is not a resource")
        if attribute == "Arn" and kind in _NAMED:
            return self.iam_arn(logical_id)
        if attribute == "PolicyArn" and kind == "AWS::IAM::ManagedPolicy":
            return self.iam_arn(logical_id)
        if attribute == "Arn" and kind == "AWS::KMS::Key":
            return Unknown(f"ARN of key {logical_id}", f"arn:{self.partition}:kms:*:*:key/*")
        if attribute == "KeyId" and kind == "AWS::KMS::Key":
            return Unknown(f"key ID of {logical_id}")
        if attribute in ("Id",) and kind == "AWS::SecretsManager::Secret":
            return self.secret_arn(logical_id)
        return Unknown(f"{logical_id}.{attribute}")

    # -- documents ----------------------------------------------------------------------------
    def document(self, logical_id: str, raw: Any, name: Any, role: str, managed_arn=None) -> PolicyDocument:
        resolved = self.value(logical_id, raw, f"policy {name}")
        if isinstance(resolved, str) and not is_unknown(resolved):
            try:   # IAM also takes a document as a JSON string
                resolved = load_document(resolved)
            except PolicyParseError as error:
                self.problem(logical_id, f"{logical_id}: policy {name}: {error}")
        statements = raw.get("Statement") if isinstance(raw, dict) else None
        if isinstance(statements, dict):
            statements = [statements]
        lines = tuple(getattr(s, "line", None) for s in statements) if isinstance(statements, list) else ()
        return PolicyDocument(str(name), role, resolved, self.source(logical_id), lines,
                              getattr(raw, "line", None), managed_arn)

    def waivers(self, logical_id: str) -> tuple[Waiver, ...]:
        metadata = self.resources[logical_id].get("Metadata")
        block = metadata.get("iam-auditor") if isinstance(metadata, dict) else None
        if block is None:
            return ()
        entries = block.get("waivers") if isinstance(block, dict) else None
        if not isinstance(entries, list):
            self.problem(logical_id, f"{logical_id}: Metadata iam-auditor must hold a list of waivers", "medium")
            return ()
        found = []
        for index, entry in enumerate(entries):
            rule = entry.get("rule") if isinstance(entry, dict) else None
            reason = entry.get("reason") if isinstance(entry, dict) else None
            expires = entry.get("expires") if isinstance(entry, dict) else None
            if not isinstance(rule, str) or not rule or not isinstance(reason, str) or not reason.strip() \
                    or (expires is not None and not isinstance(expires, str)):
                self.problem(logical_id, f"{logical_id}: waiver {index + 1} in Metadata iam-auditor needs "
                             "a rule and a reason (and expires as a date, if given)", "medium")
                continue
            if expires is not None and not _iso_date(expires):
                self.problem(logical_id, f"{logical_id}: waiver {index + 1} in Metadata iam-auditor: expires "
                             f"{expires!r} is not a date (YYYY-MM-DD)", "medium")
                continue
            found.append(Waiver(rule, reason, expires))
        return tuple(found)

    def inline_policies(self, logical_id: str) -> list[PolicyDocument]:
        policies = self.props(logical_id).get("Policies")
        if policies is None:
            return []
        policies = self.value(logical_id, policies, "Policies")
        if not isinstance(policies, list):
            self.problem(logical_id, f"{logical_id}: Policies must be a list")
            return []
        raw_list = self.props(logical_id)["Policies"]
        found = []
        for index, entry in enumerate(policies):
            if not isinstance(entry, dict) or "PolicyDocument" not in entry:
                self.problem(logical_id, f"{logical_id}: Policies[{index}] needs PolicyName and PolicyDocument")
                continue
            raw = raw_list[index] if isinstance(raw_list, list) and index < len(raw_list) else entry
            raw_doc = raw.get("PolicyDocument") if isinstance(raw, dict) else entry["PolicyDocument"]
            doc = self.document(logical_id, raw_doc, entry.get("PolicyName", f"Policies[{index}]"), IDENTITY)
            found.append(doc)
        return found

    def names(self, logical_id: str, prop: str) -> list:
        value = self.prop(logical_id, prop)
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            self.problem(logical_id, f"{logical_id}: {prop} must be a list")
            return []
        return [v for v in value if isinstance(v, str)]

    # -- reading ------------------------------------------------------------------------------
    def read(self) -> Inventory:
        order = list(self.resources)
        for logical_id in order:
            found = self.waivers(logical_id)
            if found:
                self.inventory.waivers[logical_id] = found
        for logical_id in order:
            kind = self.type_of(logical_id)
            if kind is None:
                self.problem(logical_id, f"resource {logical_id} has no Type")
            elif not isinstance(self.resources[logical_id].get("Properties", {}), dict):
                self.problem(logical_id, f"resource {logical_id}: Properties is not a mapping")
            elif kind in _NAMED:
                self.entity(logical_id, kind)
        from .cfn_resources import ATTACHERS

        for logical_id in order:
            kind = self.type_of(logical_id)
            if kind and isinstance(self.resources[logical_id].get("Properties", {}), dict):
                handler = ATTACHERS.get(kind)
                if handler:
                    handler(self, logical_id)
        return self.finish()

    def entity(self, logical_id: str, kind: str) -> None:
        noun = _NAMED[kind][1]
        entity = _Entity(noun, logical_id, self._name(logical_id, _NAMED[kind][0]), self.iam_arn(logical_id),
                         self.source(logical_id), self._path(logical_id), self.inline_policies(logical_id),
                         self.names(logical_id, "ManagedPolicyArns"), self.prop(logical_id, "PermissionsBoundary"),
                         self.inventory.waivers.get(logical_id, ()))
        if noun == "role":
            raw = self.props(logical_id).get("AssumeRolePolicyDocument")
            if raw is None:
                self.problem(logical_id, f"role {logical_id} has no AssumeRolePolicyDocument")
            else:
                entity.trust = self.document(logical_id, raw, "AssumeRolePolicyDocument", TRUST)
            duration = self.prop(logical_id, "MaxSessionDuration")
            if isinstance(duration, str) and not is_unknown(duration) and duration.isdigit():
                duration = int(duration)
            entity.max_session = duration
        if noun == "user":
            entity.groups = self.names(logical_id, "Groups")
            entity.login = self.props(logical_id).get("LoginProfile") is not None
        self.entities[logical_id] = entity

    def find(self, noun: str, name: Any) -> _Entity | None:
        for entity in self.entities.values():
            if entity.kind == noun and entity.name == name:
                return entity
        return None

    def attach(self, logical_id: str, doc: PolicyDocument | None, arn: Any, targets: dict[str, list]) -> None:
        attached = False
        for noun, names in targets.items():
            for name in names:
                entity = self.find(noun, name)
                if entity is None:
                    continue       # an entity outside the template: the document is still linted
                attached = True
                if doc is not None:
                    entity.inline.append(doc)
                else:
                    entity.managed.append(arn)
        if doc is not None and not attached:
            self.inventory.loose_documents.append(doc)

    def finish(self) -> Inventory:
        for entity in self.entities.values():
            common = dict(name=entity.name, arn=entity.arn, source=entity.source, path=entity.path,
                          inline=tuple(entity.inline), managed_arns=tuple(entity.managed),
                          boundary_arn=entity.boundary if isinstance(entity.boundary, str) else None,
                          waivers=entity.waivers)
            if entity.kind == "role":
                self.inventory.roles.append(RoleDef(**common, trust_policy=entity.trust,
                                                    max_session_duration=entity.max_session))
            elif entity.kind == "user":
                self.inventory.users.append(UserDef(**common, groups=tuple(entity.groups),
                                                    access_keys=tuple(entity.keys),
                                                    has_login_profile=entity.login))
            else:
                self.inventory.groups.append(GroupDef(**common))
        return self.inventory


def read(path: str, text: str, data: Any, *, account_id: str | None = None, region: str | None = None,
         partition: str = "aws") -> Inventory:
    """The inventory of one CloudFormation template (`data` as decoded; `text` for line marks)."""
    if not isinstance(data, dict):
        inventory = Inventory(path, CLOUDFORMATION)
        inventory.problems.append(Problem(Source(path, "template", 1), "the template is not a mapping"))
        return inventory
    data = _with_lines(text, data)
    try:
        return _Reader(path, data, account_id, region, partition).read()
    except RecursionError:
        inventory = Inventory(path, CLOUDFORMATION)
        inventory.problems.append(Problem(Source(path, "template", 1), "the template is nested too deeply"))
        return inventory
