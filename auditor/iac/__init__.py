"""Infrastructure code as input: CloudFormation templates, Terraform plan JSON, AWS CLI JSON.

`detect(data)` says what a decoded JSON/YAML file is; `read(path, text, data, kind)` hands it to
that kind's reader (imported lazily: `--version` and plain policy linting never load them) and
returns an `Inventory` (auditor.iac.model).
"""
from __future__ import annotations

import importlib
from typing import Any

from .model import AWS_CLI, CLOUDFORMATION, TERRAFORM_PLAN, Inventory

POLICY = "policy"                  # an IAM policy document (the v1 input of lint)
OWN_REPORT = "iam-auditor-report"  # a report this tool wrote (never linted as a policy)

_READERS = {CLOUDFORMATION: "auditor.iac.cloudformation", TERRAFORM_PLAN: "auditor.iac.terraform",
            AWS_CLI: "auditor.iac.awscli"}
# Top-level keys of the AWS CLI answers lint reads.
_CLI_KEYS = {"RoleDetailList", "UserDetailList", "GroupDetailList", "Policies", "Role", "PolicyVersion",
             "Policy", "User", "Group"}


def detect(data: Any) -> str | None:
    """The kind of a decoded file, or None when it is none of the inputs iam-auditor reads."""
    if not isinstance(data, dict):
        if isinstance(data, list) and data and all(_ocsf_of_ours(item) for item in data):
            return OWN_REPORT     # this tool's OCSF output: a JSON array of findings
        # A bare list of statements is a policy with a grammar problem; any other list is not IAM.
        return POLICY if isinstance(data, list) and any(
            isinstance(item, dict) and any(isinstance(k, str) and k.lower() in ("effect", "statement")
                                           for k in item) for item in data) else None
    keys = {k for k in data if isinstance(k, str)}
    lower = {k.lower() for k in keys}
    if "statement" in lower:
        return POLICY
    if "AWSTemplateFormatVersion" in keys or _has_typed_resources(data.get("Resources")):
        return CLOUDFORMATION
    if "format_version" in keys and keys & {"planned_values", "resource_changes", "terraform_version",
                                            "prior_state", "configuration"}:
        return TERRAFORM_PLAN
    if keys & _CLI_KEYS and not keys - _CLI_KEYS - {"IsTruncated", "Marker", "ResponseMetadata"}:
        return AWS_CLI
    tool = data.get("tool")
    if isinstance(tool, dict) and tool.get("name") == "iam-auditor":
        return OWN_REPORT
    if "version" in lower and lower <= {"version", "id"}:
        return POLICY      # {"Version": ...} alone: a policy missing its Statement (a grammar finding)
    return None


def _has_typed_resources(resources: Any) -> bool:
    """CloudFormation's `Resources`: a mapping where some resource has a `Type` such as
    `AWS::IAM::Role` or `Custom::Thing` (another file may well have a key named Resources)."""
    return isinstance(resources, dict) and any(
        isinstance(body, dict) and isinstance(body.get("Type"), str) and "::" in body["Type"]
        for body in resources.values())


def _ocsf_of_ours(item: Any) -> bool:
    if not isinstance(item, dict) or "class_uid" not in item:
        return False
    metadata = item.get("metadata")
    product = metadata.get("product") if isinstance(metadata, dict) else None
    return isinstance(product, dict) and product.get("name") == "iam-auditor"


def read(path: str, text: str, data: Any, kind: str, *, account_id: str | None = None,
         region: str | None = None, partition: str = "aws") -> Inventory:
    """The inventory of one file of `kind` (CLOUDFORMATION, TERRAFORM_PLAN or AWS_CLI).

    `account_id`, `region` and `partition` are what the files cannot know: `scan --iac` takes them
    from the profile; in `lint` they stay None and the readers make them `Unknown` parts."""
    module = importlib.import_module(_READERS[kind])
    return module.read(path, text, data, account_id=account_id, region=region, partition=partition)
