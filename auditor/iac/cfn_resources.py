"""What each CloudFormation resource type adds to the inventory once every role, user and group
of the template is known (AWS CloudFormation User Guide, "AWS resource and property types
reference": AWS::IAM::Policy, RolePolicy, UserPolicy, GroupPolicy, ManagedPolicy,
UserToGroupAddition, AccessKey; AWS::SecretsManager::Secret and ResourcePolicy; AWS::KMS::Key).
Each handler reads one resource through the reader (`cloudformation._Reader`), which resolves
intrinsics and records problems."""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..unknown import Unknown
from .model import IDENTITY, KEY_POLICY, SECRET_POLICY, AccessKeyDef, KeyDef, SecretDef

if TYPE_CHECKING:
    from .cloudformation import _Reader


def _inline_policy(**attachments: str):
    """AWS::IAM::Policy (attached by the lists Roles/Users/Groups) and RolePolicy/UserPolicy/
    GroupPolicy (attached by one name): a PolicyDocument, applied to what the properties name."""
    def attach(reader: _Reader, logical_id: str) -> None:
        props = reader.props(logical_id)
        if "PolicyDocument" not in props:
            reader.problem(logical_id, f"{logical_id}: {reader.type_of(logical_id)} needs a PolicyDocument")
            return
        name = reader.prop(logical_id, "PolicyName") or logical_id
        doc = reader.document(logical_id, props["PolicyDocument"], name, IDENTITY)
        reader.attach(logical_id, doc, None, {noun: reader.names(logical_id, prop)
                                              for noun, prop in attachments.items()})
    return attach


def _managed_policy(reader: _Reader, logical_id: str) -> None:
    props = reader.props(logical_id)
    arn = reader.iam_arn(logical_id)
    if "PolicyDocument" not in props:
        reader.problem(logical_id, f"{logical_id}: AWS::IAM::ManagedPolicy needs a PolicyDocument")
    else:
        name = reader._name(logical_id, "ManagedPolicyName")
        doc = reader.document(logical_id, props["PolicyDocument"], name, IDENTITY, managed_arn=arn)
        reader.inventory.managed_policies.append(doc)
    reader.attach(logical_id, None, arn, {"role": reader.names(logical_id, "Roles"),
                                          "user": reader.names(logical_id, "Users"),
                                          "group": reader.names(logical_id, "Groups")})


def _user_to_group(reader: _Reader, logical_id: str) -> None:
    group = reader.prop(logical_id, "GroupName")
    for user_name in reader.names(logical_id, "Users"):
        user = reader.find("user", user_name)
        if user is not None and isinstance(group, str):
            user.groups.append(group)


def _access_key(reader: _Reader, logical_id: str) -> None:
    user_name = reader.prop(logical_id, "UserName")
    status = reader.prop(logical_id, "Status") or "Active"
    user = reader.find("user", user_name)
    key = AccessKeyDef(str(user_name), status, reader.source(logical_id))
    if user is not None:
        user.keys.append(key)


def _secret(reader: _Reader, logical_id: str) -> None:
    name = reader.prop(logical_id, "Name")
    if not isinstance(name, str):
        name = Unknown(f"name CloudFormation generates for {logical_id}")
    reader.inventory.secrets.append(SecretDef(name, reader.secret_arn(logical_id), reader.source(logical_id),
                                              reader.prop(logical_id, "KmsKeyId"),
                                              waivers=reader.inventory.waivers.get(logical_id, ())))


def _secret_policy(reader: _Reader, logical_id: str) -> None:
    props = reader.props(logical_id)
    if "ResourcePolicy" not in props:
        reader.problem(logical_id, f"{logical_id}: AWS::SecretsManager::ResourcePolicy needs a ResourcePolicy")
        return
    doc = reader.document(logical_id, props["ResourcePolicy"], "ResourcePolicy", SECRET_POLICY)
    target = reader.prop(logical_id, "SecretId")
    secrets = reader.inventory.secrets
    for index, secret in enumerate(secrets):
        if target is not None and (secret.arn == target or secret.name == target):
            secrets[index] = replace(secret, resource_policy=doc)
            return
    reader.inventory.loose_documents.append(doc)


def _key(reader: _Reader, logical_id: str) -> None:
    raw = reader.props(logical_id).get("KeyPolicy")
    doc = reader.document(logical_id, raw, "KeyPolicy", KEY_POLICY) if raw is not None else None
    enabled = reader.prop(logical_id, "Enabled")
    reader.inventory.keys.append(KeyDef(reader.resource_ref(logical_id), reader.resource_attr(logical_id, "Arn"),
                                        reader.source(logical_id), True if enabled is None else enabled,
                                        doc, reader.inventory.waivers.get(logical_id, ())))


ATTACHERS = {
    "AWS::IAM::Policy": _inline_policy(role="Roles", user="Users", group="Groups"),
    "AWS::IAM::RolePolicy": _inline_policy(role="RoleName"),
    "AWS::IAM::UserPolicy": _inline_policy(user="UserName"),
    "AWS::IAM::GroupPolicy": _inline_policy(group="GroupName"),
    "AWS::IAM::ManagedPolicy": _managed_policy,
    "AWS::IAM::UserToGroupAddition": _user_to_group,
    "AWS::IAM::AccessKey": _access_key,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::SecretsManager::ResourcePolicy": _secret_policy,
    "AWS::KMS::Key": _key,
}
