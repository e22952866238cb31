"""What infrastructure code will create, as the readers find it: the inventory.

Every reader (CloudFormation, Terraform plan JSON, AWS CLI JSON) turns one file into one
`Inventory` of resolved entities: attachments are already applied (a role lists its inline
policies and the managed policy ARNs attached to it, however the file attached them), intrinsics
and references are resolved to what they will be, and what the file cannot know is an
`auditor.unknown.Unknown`. Policy documents are decoded JSON values (dicts, lists, strings),
exactly what IAM would receive, with `Unknown`s where a value is left to deploy time.

Two consumers sit above: `lint` (every policy document, located in its file) and
`scan --iac` (the inventory becomes the snapshot the live collectors would have built).
Nothing here does I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CLOUDFORMATION, TERRAFORM_PLAN, AWS_CLI = "cloudformation", "terraform-plan", "aws-cli"
# Where a policy document sits in its entity: what lint labels it and which rules apply.
IDENTITY, TRUST, SECRET_POLICY, KEY_POLICY, BOUNDARY = (
    "identity", "trust", "secret-resource-policy", "key-policy", "boundary")


@dataclass(frozen=True)
class Source:
    """Where an entity or document is defined."""

    file: str                      # the path as given on the command line (or found in a directory)
    address: str                   # CloudFormation logical ID, Terraform address, or ARN (CLI JSON)
    line: int | None = None        # 1-based line of the resource in the file; None when unknown
    kind: str = CLOUDFORMATION     # which reader found it


@dataclass(frozen=True)
class Waiver:
    """A waiver carried by the resource itself (CloudFormation `Metadata: {iam-auditor: ...}`)."""

    rule: str                      # rule ID or glob, as the configuration's waivers take them
    reason: str
    expires: str | None = None     # ISO date, as in the configuration


@dataclass(frozen=True)
class PolicyDocument:
    """One policy document found in the file."""

    name: str                      # policy name (inline/managed), or "AssumeRolePolicyDocument" etc.
    role: str                      # IDENTITY, TRUST, SECRET_POLICY, KEY_POLICY or BOUNDARY
    document: Any                  # decoded JSON value, Unknowns inside; an Unknown when all of it is
    source: Source                 # the resource defining it (a role, an AWS::IAM::Policy, ...)
    statement_lines: tuple[int | None, ...] = ()   # line of each Statement entry, in order
    line: int | None = None        # line of the document itself
    managed_arn: str | None = None # for a managed policy: its ARN (may be an Unknown)


@dataclass(frozen=True)
class AccessKeyDef:
    user: str                      # the user's name
    status: str = "Active"         # Active / Inactive (Unknown when a parameter decides)
    source: Source | None = None


@dataclass(frozen=True)
class Principal:
    """A role, user or group the file defines, with everything attached to it."""

    name: str                      # may be an Unknown (a parameter, or a name CloudFormation generates)
    arn: str | None                # as it will be; Unknown parts for account or generated names
    source: Source
    path: str = "/"
    inline: tuple[PolicyDocument, ...] = ()           # inline policies, however attached
    managed_arns: tuple[str, ...] = ()                # attached managed policies (AWS's or the file's)
    boundary_arn: str | None = None                   # permissions boundary, if any
    waivers: tuple[Waiver, ...] = ()


@dataclass(frozen=True)
class RoleDef(Principal):
    trust_policy: PolicyDocument | None = None
    max_session_duration: int | str | None = None     # None: the default (3600); str: an Unknown


@dataclass(frozen=True)
class UserDef(Principal):
    groups: tuple[str, ...] = ()                      # group names (memberships applied)
    access_keys: tuple[AccessKeyDef, ...] = ()
    has_login_profile: bool = False


@dataclass(frozen=True)
class GroupDef(Principal):
    pass


@dataclass(frozen=True)
class SecretDef:
    name: str                      # may be an Unknown
    arn: str | None                # Secrets Manager adds a random suffix: `...:secret:NAME-??????`
    source: Source
    kms_key_id: str | None = None  # None: aws/secretsmanager; else key ID, ARN, alias, or Unknown
    resource_policy: PolicyDocument | None = None
    waivers: tuple[Waiver, ...] = ()


@dataclass(frozen=True)
class KeyDef:
    """A KMS key the file defines."""

    key_id: str                    # what a secret's KmsKeyId names it by in the resolved file
    arn: str | None
    source: Source
    enabled: bool | str = True     # str: an Unknown
    policy: PolicyDocument | None = None
    waivers: tuple[Waiver, ...] = ()


@dataclass(frozen=True)
class Problem:
    """Something a reader could not make sense of: becomes one finding naming the resource."""

    source: Source
    message: str
    severity: str = "high"


@dataclass
class Inventory:
    """Everything one file defines. Lists keep file order."""

    file: str
    kind: str
    roles: list[RoleDef] = field(default_factory=list)
    users: list[UserDef] = field(default_factory=list)
    groups: list[GroupDef] = field(default_factory=list)
    managed_policies: list[PolicyDocument] = field(default_factory=list)   # role == IDENTITY, managed_arn set
    secrets: list[SecretDef] = field(default_factory=list)
    keys: list[KeyDef] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Policy documents that belong to no entity above (e.g. a data.aws_iam_policy_document or a
    # get-policy-version answer): linted, never part of a snapshot.
    loose_documents: list[PolicyDocument] = field(default_factory=list)
    # Waivers by resource address, for every resource that carries some (a CloudFormation
    # AWS::IAM::Policy or ManagedPolicy too, which are no entity above).
    waivers: dict[str, tuple[Waiver, ...]] = field(default_factory=dict)

    def documents(self):
        """Every policy document of the file, once each, in a stable order (for lint)."""
        seen: set[int] = set()

        def fresh(doc):
            if doc is not None and id(doc) not in seen:
                seen.add(id(doc))
                return True
            return False

        for role in self.roles:
            if fresh(role.trust_policy):
                yield role.trust_policy
        for entity in (*self.roles, *self.users, *self.groups):
            for doc in entity.inline:
                if fresh(doc):
                    yield doc
        for doc in self.managed_policies:
            if fresh(doc):
                yield doc
        for secret in self.secrets:
            if fresh(secret.resource_policy):
                yield secret.resource_policy
        for key in self.keys:
            if fresh(key.policy):
                yield key.policy
        for doc in self.loose_documents:
            if fresh(doc):
                yield doc
