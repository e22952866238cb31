"""The files `scan --iac` reads: decoded with lint's loader, their kind detected, one line of
error (exit 2) for a file it cannot use."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable


@dataclass(frozen=True)
class IacFile:
    """One file named by `--iac`, decoded, and the kind `auditor.iac.detect` found."""

    path: str
    text: str
    data: Any
    kind: str


def load_files(paths: Iterable[str]) -> list[IacFile]:
    """`--iac FILE...` decoded: JSON, or YAML with CloudFormation's short-form tags. A file that
    is missing, unreadable, undecodable or none of the kinds `scan --iac` reads is a UsageError
    of one line (exit 2), before anything is evaluated."""
    import os
    import stat

    from ..errors import UsageError
    from ..policy import PolicyParseError, load_document
    from . import detect
    from .model import AWS_CLI, CLOUDFORMATION, TERRAFORM_PLAN

    loaded = []
    for path in paths:
        try:
            if not stat.S_ISREG(os.stat(path).st_mode):   # a FIFO or a device would never end
                raise UsageError(f"--iac {path}: not a regular file")
            with open(path, encoding="utf-8-sig") as handle:
                text = handle.read()
        except OSError as error:
            raise UsageError(f"--iac {path}: {error.strerror or error}") from None
        except UnicodeDecodeError:
            raise UsageError(f"--iac {path}: the file is not UTF-8 text") from None
        try:   # the loader lint uses: short-form tags, duplicate keys and lines kept
            data = load_document(text, yaml_allowed=True)
        except PolicyParseError as error:
            raise UsageError(f"--iac {path}: {error}") from None
        kind = detect(data)
        if kind not in (CLOUDFORMATION, TERRAFORM_PLAN, AWS_CLI):
            raise UsageError(f"--iac {path}: not a CloudFormation template, a Terraform plan "
                             f"(terraform show -json) or AWS CLI IAM JSON")
        loaded.append(IacFile(path, text, data, kind))
    return loaded

