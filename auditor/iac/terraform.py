"""Terraform plan JSON as input (`terraform show -json PLAN`): what the plan will leave in place.

auditor.iac.terraform_plan merges the plan's sections into resource instances; this module turns
the IAM, Secrets Manager and KMS ones into an `Inventory`: each role, user and group with every
policy attached to it (by name when the plan knows it, else through the configuration's
`references`, e.g. an attachment whose `role` is `aws_iam_role.reader.name`), managed policies,
secrets and keys. Policy attributes are JSON text in plans: decoded, a malformed one is a Problem.
A value known only after apply is an `Unknown` (never a wildcard); a policy known only after
apply is rebuilt from its `data.aws_iam_policy_document` when the plan has it. Values the plan
marks sensitive are `Sensitive` (an Unknown): iam-auditor never prints them.
"""
from __future__ import annotations

from typing import Any

from ..unknown import Unknown
from ._common import LineIndex
from .model import (IDENTITY, KEY_POLICY, SECRET_POLICY, TERRAFORM_PLAN, TRUST,
                    AccessKeyDef, GroupDef, Inventory, KeyDef, Problem, RoleDef,
                    SecretDef, Source, UserDef)
from .terraform_plan import Instance, Sensitive, instances, provider_region, references, sensitive_at, variables
from .terraform_documents import DocumentBuilder

PRINCIPALS = {"aws_iam_role": "role", "aws_iam_user": "user", "aws_iam_group": "group"}


def read(path: str, text: str | None, data: Any, *, account_id: str | None = None,
         region: str | None = None, partition: str = "aws") -> Inventory:
    """The inventory of one plan (see the module's docstring)."""
    return _Reader(path, text, data, account_id, region, partition).inventory()


def _known(value: Any) -> bool:
    return isinstance(value, str) and value != "" and not isinstance(value, Unknown)


class _Reader:
    def __init__(self, path, text, data, account_id, region, partition):
        self.path, self.partition = path, partition or "aws"
        self.data = data if isinstance(data, dict) else {}
        self.account = account_id
        self.region = region or provider_region(self.data)
        self.inv = Inventory(path, TERRAFORM_PLAN)
        self.lines = LineIndex(text, ("address",))
        self.instances: list[Instance] = []
        self.entities: dict[str, dict] = {}          # address -> the fields of a role/user/group
        self.policy_arns: dict[str, Any] = {}        # aws_iam_policy address -> its ARN
        self.secrets: dict[str, dict] = {}
        self.keys: dict[str, dict] = {}
        self.used_documents: set[str] = set()        # data sources some resource reads

    # -- plumbing -----------------------------------------------------------------------------
    def source(self, instance: Instance) -> Source:
        return Source(self.path, instance.address, self.lines.line("address", instance.address),
                      TERRAFORM_PLAN)

    def value(self, instance: Instance, attribute: str, default: Any = None) -> Any:
        raw = instance.values.get(attribute)
        if sensitive_at(instance.sensitive, attribute) is True and raw is not None:
            return Sensitive(f"sensitive value: {instance.address}.{attribute}")
        return default if raw is None else raw

    def text(self, instance: Instance, attribute: str, default: Any = None) -> Any:
        """A string attribute (or an Unknown); anything else in its place reads as `default`."""
        value = self.value(instance, attribute)
        return value if isinstance(value, str) else default

    def names(self, instance: Instance, attribute: str) -> list:
        value = self.value(instance, attribute)
        return [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]

    def find(self, instance: Instance, ref: str) -> Instance | None:
        """The instance `ref` (TYPE.NAME relative to `instance`'s module) names: with count or
        for_each, the one with the same key as `instance`, or the only one."""
        prefix = f"{instance.module}.{ref}" if instance.module else ref
        candidates = self.by_base.get(prefix, [])
        if len(candidates) == 1:
            return candidates[0]
        key = _split_key(instance.address)[1]
        same = [i for i in candidates if key and i.address == prefix + key]
        return same[0] if len(same) == 1 else None

    def referenced(self, instance: Instance, attribute: str, types: tuple[str, ...]) -> list[Instance]:
        found = []
        for ref, _ in references(instance, attribute):
            if ref.rsplit(".", 1)[0].split(".")[-1] in types:
                target = self.find(instance, ref)
                if target is not None and target not in found:
                    found.append(target)
        return found

    def arn(self, instance: Instance, service: str, resource: str) -> Any:
        """The ARN the instance will have: known, or an Unknown whose shape has what is known."""
        known = instance.values.get("arn")
        if _known(known):
            return known
        region = "" if service == "iam" else (self.region or "*")      # IAM ARNs have no region
        shape = f"arn:{self.partition}:{service}:{region}:{self.account or '*'}:{resource}"
        if self.account and "*" not in resource and (service == "iam" or self.region):
            return shape
        return Unknown(f"arn of {instance.address}", shape=shape)

    def name(self, instance: Instance) -> Any:
        name = self.text(instance, "name")
        if _known(name):
            return name
        prefix = instance.values.get("name_prefix")
        return Unknown(f"name of {instance.address}", shape=f"{prefix}*" if _known(prefix) else None)

    def problem(self, instance: Instance, message: str) -> None:
        self.inv.problems.append(Problem(self.source(instance), message))

    # -- the plan -------------------------------------------------------------------------------
    def inventory(self) -> Inventory:
        version = self.data.get("format_version")
        if not isinstance(version, str) or version.split(".")[0] not in ("0", "1"):
            self.inv.problems.append(Problem(
                Source(self.path, "format_version", None, TERRAFORM_PLAN),
                f"plan format_version {version!r} is not one iam-auditor reads (1.x): not read"))
            return self.inv
        self.instances = instances(self.data)
        self.by_base: dict[str, list[Instance]] = {}      # address without its own key -> instances
        for instance in self.instances:
            self.by_base.setdefault(_split_key(instance.address)[0], []).append(instance)
        values, sensitive_names = variables(self.data)
        self.docs = DocumentBuilder(self, values, sensitive_names)
        managed = [i for i in self.instances if i.mode == "managed"]
        for instance in managed:
            handler = getattr(self, "define_" + instance.type, None)
            if handler is not None:
                handler(instance)
        self.by_name: dict[tuple[str, str], list[dict]] = {}
        for fields in self.entities.values():
            if _known(fields["name"]):
                self.by_name.setdefault((fields["kind"], fields["name"]), []).append(fields)
        for instance in managed:
            handler = getattr(self, "attach_" + instance.type, None)
            if handler is not None:
                handler(instance)
        for instance in self.instances:
            if instance.type == "aws_iam_policy_document" and instance.mode == "data" \
                    and instance.address not in self.used_documents:
                document = self.docs.data_document(instance, used=False)
                if document is not None:
                    self.inv.loose_documents.append(document)
        return self._freeze()

    def _freeze(self) -> Inventory:
        kinds = {"role": (RoleDef, self.inv.roles), "user": (UserDef, self.inv.users),
                 "group": (GroupDef, self.inv.groups)}
        for fields in self.entities.values():
            cls, target = kinds[fields.pop("kind")]
            fields["inline"] = tuple(fields["inline"])
            fields["managed_arns"] = tuple(dict.fromkeys(fields["managed_arns"]))
            for key in ("groups", "access_keys"):
                if key in fields:
                    fields[key] = tuple(dict.fromkeys(fields[key]))
            target.append(cls(**fields))
        for fields in self.secrets.values():
            self.inv.secrets.append(SecretDef(**fields))
        for fields in self.keys.values():
            self.inv.keys.append(KeyDef(**fields))
        return self.inv

    # -- entities ------------------------------------------------------------------------------
    def iam_arn(self, instance: Instance, kind: str) -> Any:
        """The ARN a role, user, group or managed policy will have."""
        name, path = self.name(instance), self.text(instance, "path", "/")
        path = path if _known(path) else "/"
        return self.arn(instance, "iam", f"{kind}{path}{name if _known(name) else '*'}")

    def entity_attribute(self, instance: Instance, attribute: str) -> Any:
        """What `TYPE.NAME.attribute` will be, as the rest of the inventory names it."""
        kind = PRINCIPALS.get(instance.type) or ("policy" if instance.type == "aws_iam_policy" else None)
        if kind is not None and attribute == "arn":
            return self.iam_arn(instance, kind)
        if kind is not None and attribute in ("name", "id"):
            return self.name(instance) if attribute == "name" or kind != "policy" else self.iam_arn(instance, kind)
        if instance.type == "aws_secretsmanager_secret" and attribute in ("arn", "id"):
            return self.secret_arn(instance)
        if instance.type == "aws_kms_key" and attribute == "arn":
            return self.arn(instance, "kms", "key/*")
        value = self.value(instance, attribute)
        return value if value is not None else None

    def _principal(self, instance: Instance, kind: str) -> dict:
        name, path = self.name(instance), self.text(instance, "path", "/")
        path = path if _known(path) else "/"
        arn = self.iam_arn(instance, kind)
        fields = {"kind": kind, "name": name, "arn": arn, "source": self.source(instance),
                  "path": path, "inline": [], "managed_arns": []}
        if kind != "group":
            boundary = self.text(instance, "permissions_boundary")
            fields["boundary_arn"] = boundary or None
        self.entities[instance.address] = fields
        return fields

    def define_aws_iam_role(self, instance: Instance) -> None:
        fields = self._principal(instance, "role")
        fields["trust_policy"] = self.docs.attribute(instance, "assume_role_policy",
                                                     "AssumeRolePolicyDocument", TRUST)
        duration = self.value(instance, "max_session_duration")
        if duration is not None and (isinstance(duration, bool) or not isinstance(duration, (int, str))):
            duration = Unknown(f"max_session_duration of {instance.address} is not a number")
        fields["max_session_duration"] = duration
        blocks = instance.values.get("inline_policy")
        if isinstance(blocks, list):      # an Unknown list: not configured, computed by AWS
            for index, block in enumerate(blocks):
                if isinstance(block, dict) and block.get("policy") not in (None, ""):
                    marks = sensitive_at(instance.sensitive, "inline_policy", index, "policy")
                    name = block["name"] if _known(block.get("name")) else f"inline_policy[{index}]"
                    document = self.docs.decode(instance, block.get("policy"), str(name), IDENTITY,
                                                sensitive=marks is True)
                    if document is not None:
                        fields["inline"].append(document)
        if "managed_policy_arns" in instance.expressions or _known_list(instance.values.get("managed_policy_arns")):
            fields["managed_arns"] += self.policy_arn_list(instance, "managed_policy_arns")

    def define_aws_iam_user(self, instance: Instance) -> None:
        fields = self._principal(instance, "user")
        fields.update(groups=[], access_keys=[], has_login_profile=False)

    def define_aws_iam_group(self, instance: Instance) -> None:
        self._principal(instance, "group")

    def define_aws_iam_policy(self, instance: Instance) -> None:
        name = self.name(instance)
        arn = self.iam_arn(instance, "policy")
        self.policy_arns[instance.address] = arn
        document = self.docs.attribute(instance, "policy", str(name), IDENTITY, managed_arn=arn)
        if document is not None:
            self.inv.managed_policies.append(document)

    def define_aws_secretsmanager_secret(self, instance: Instance) -> None:
        name = self.name(instance)
        arn = self.secret_arn(instance)
        self.secrets[instance.address] = {
            "name": name, "arn": arn, "source": self.source(instance),
            "kms_key_id": self.key_reference(instance),
            "resource_policy": self.docs.attribute(instance, "policy", "ResourcePolicy", SECRET_POLICY)}

    def secret_arn(self, instance: Instance) -> Any:
        # Secrets Manager appends a random suffix to the name: never known before it exists.
        known = instance.values.get("arn")
        if _known(known):
            return known
        name = self.name(instance)
        return Unknown(f"arn of {instance.address}",
                       shape=f"arn:{self.partition}:secretsmanager:{self.region or '*'}:"
                             f"{self.account or '*'}:secret:{name if _known(name) else '*'}-*")

    def define_aws_kms_key(self, instance: Instance) -> None:
        arn = self.arn(instance, "kms", "key/*")
        enabled = self.value(instance, "is_enabled", True)
        if not isinstance(enabled, (bool, str)):
            enabled = Unknown(f"is_enabled of {instance.address} is not a boolean")
        self.keys[instance.address] = {
            "key_id": arn, "arn": arn, "source": self.source(instance),
            "enabled": enabled,
            "policy": self.docs.attribute(instance, "policy", "KeyPolicy", KEY_POLICY)}

    def key_reference(self, secret: Instance) -> Any:
        """The secret's KmsKeyId as the inventory names keys: a key of the plan by its ARN
        (however the secret names it), another key as given, None for aws/secretsmanager."""
        value = self.text(secret, "kms_key_id")
        if not _known(value):
            for key in self.referenced(secret, "kms_key_id", ("aws_kms_key",)):
                return self.arn(key, "kms", "key/*")
        if _known(value):
            for key in (i for i in self.instances if i.type == "aws_kms_key"):
                if value in (key.values.get("key_id"), key.values.get("arn")):
                    return self.arn(key, "kms", "key/*")
            return value
        return value if isinstance(value, Unknown) else None

    # -- attachments ---------------------------------------------------------------------------
    def targets(self, instance: Instance, attribute: str, kind: str) -> list[dict]:
        """The file's roles/users/groups an attribute names (a name or a list of names)."""
        out = []
        for name in self.names(instance, attribute):
            if _known(name):
                out += [f for f in self.by_name.get((kind, name), ()) if f not in out]
        kind_type = next(t for t, k in PRINCIPALS.items() if k == kind)
        for target in self.referenced(instance, attribute, (kind_type,)):
            fields = self.entities.get(target.address)
            if fields is not None and fields not in out:
                out.append(fields)
        return out

    def policy_arn_list(self, instance: Instance, attribute: str) -> list[Any]:
        raw = self.value(instance, attribute)
        known = [a for a in self.names(instance, attribute) if _known(a)]
        from_refs = [self.iam_arn(p, "policy") for p in self.referenced(instance, attribute, ("aws_iam_policy",))]
        if from_refs or known:
            return list(dict.fromkeys(known + from_refs))
        return [raw] if isinstance(raw, Unknown) else []

    def _attach_inline(self, instance: Instance, attribute: str, kind: str) -> None:
        name = self.name(instance)
        document = self.docs.attribute(instance, "policy", str(name), IDENTITY)
        if document is None:
            return
        targets = self.targets(instance, attribute, kind)
        for fields in targets:
            fields["inline"].append(document)
        if not targets:          # a role/user/group this plan does not define: linted alone
            self.inv.loose_documents.append(document)

    def _attach_managed(self, instance: Instance, attribute: str, kind: str) -> None:
        arns = self.policy_arn_list(instance, "policy_arn")
        for fields in self.targets(instance, attribute, kind):
            fields["managed_arns"] += arns

    def attach_aws_iam_role_policy(self, instance):
        self._attach_inline(instance, "role", "role")

    def attach_aws_iam_user_policy(self, instance):
        self._attach_inline(instance, "user", "user")

    def attach_aws_iam_group_policy(self, instance):
        self._attach_inline(instance, "group", "group")

    def attach_aws_iam_role_policy_attachment(self, instance):
        self._attach_managed(instance, "role", "role")

    def attach_aws_iam_user_policy_attachment(self, instance):
        self._attach_managed(instance, "user", "user")

    def attach_aws_iam_group_policy_attachment(self, instance):
        self._attach_managed(instance, "group", "group")

    def attach_aws_iam_policy_attachment(self, instance):
        for attribute, kind in (("roles", "role"), ("users", "user"), ("groups", "group")):
            self._attach_managed(instance, attribute, kind)

    def attach_aws_iam_group_membership(self, instance):
        for group in self.targets(instance, "group", "group"):
            for user in self.targets(instance, "users", "user"):
                user["groups"].append(group["name"])

    def attach_aws_iam_user_group_membership(self, instance):
        names = [g for g in self.names(instance, "groups") if _known(g)]
        names += [g["name"] for g in self.targets(instance, "groups", "group")]
        for user in self.targets(instance, "user", "user"):
            user["groups"] += names

    def attach_aws_iam_user_login_profile(self, instance):
        for user in self.targets(instance, "user", "user"):
            user["has_login_profile"] = True

    def attach_aws_iam_access_key(self, instance):
        status = self.text(instance, "status", "Active")
        for user in self.targets(instance, "user", "user"):
            user["access_keys"].append(AccessKeyDef(user["name"], status, self.source(instance)))

    def attach_aws_secretsmanager_secret_policy(self, instance):
        document = self.docs.attribute(instance, "policy", "ResourcePolicy", SECRET_POLICY)
        if document is None:
            return
        secret_arn = self.text(instance, "secret_arn")
        targets = [f for f in self.secrets.values() if _known(secret_arn) and f["arn"] == secret_arn]
        for secret in self.referenced(instance, "secret_arn", ("aws_secretsmanager_secret",)):
            if secret.address in self.secrets and self.secrets[secret.address] not in targets:
                targets.append(self.secrets[secret.address])
        for fields in targets:
            fields["resource_policy"] = document
        if not targets:
            self.inv.loose_documents.append(document)


def _split_key(address: str) -> tuple[str, str]:
    """(address without its instance key, the key): x.y["a"] -> ("x.y", '["a"]')."""
    if address.endswith('"]'):
        at = address.rfind('["')
    elif address.endswith("]"):
        at = address.rfind("[")
    else:
        return address, ""
    return (address[:at], address[at:]) if at > 0 else (address, "")


def _known_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value)

