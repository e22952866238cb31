"""`iam-auditor lint`: offline checks of policy documents (.json, .yaml, .yml)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from .engine import LINT, Engine, Result, Target
from .errors import UsageError
from .policy import IDENTITY, Policy, PolicyParseError, TRUST, detect_kind, load_document, parse_policy
from .settings import DEFAULT_SETTINGS, Settings

POLICY_SUFFIXES = (".json", ".yaml", ".yml")
LABELS = {IDENTITY: "identity-policy", TRUST: "trust-policy"}


@dataclass(frozen=True)
class LintDocument:
    """One file as the lint rules see it: its policy, or why it could not be read."""

    path: str
    label: str
    policy: Policy | None
    error: str | None = None
    unreadable: bool = False      # the file could not be read at all: ERROR, not a grammar FAIL


def discover(paths: Iterable[str]) -> list[Path]:
    """Policy files under `paths` (files as given; directories recursively, sorted)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(Path(root, f) for f in sorted(files)
                             if f.lower().endswith(POLICY_SUFFIXES))
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"lint: {raw}: no such file or directory")
    return found


def read_document(path: Path, display: str | None = None) -> LintDocument:
    display = display or path.as_posix()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        return LintDocument(display, "policy", None, f"cannot read the file: {_reason(error)}", True)
    except UnicodeDecodeError as error:
        return LintDocument(display, "policy", None, f"the file is not UTF-8 text: {_reason(error)}")
    return parse_text(text, display, yaml_allowed=path.suffix.lower() in (".yaml", ".yml"))


def parse_text(text: str, display: str, *, yaml_allowed: bool) -> LintDocument:
    try:
        document = load_document(text, yaml_allowed=yaml_allowed)
    except PolicyParseError as error:
        return LintDocument(display, "policy", None, str(error))
    if isinstance(document, str):
        # parse_policy decodes text (API documents come URL-encoded); a file holding a JSON
        # string is a double-encoded document, which IAM rejects.
        document = [document]
    kind = detect_kind(document)
    return LintDocument(display, LABELS[kind], parse_policy(document, kind))


def _reason(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error)


def lint_documents(documents: Iterable[LintDocument], settings: Settings = DEFAULT_SETTINGS,
                   engine: Engine | None = None) -> Iterator[Result]:
    engine = engine or Engine(LINT, severity_overrides=settings.severity_overrides)
    for document in documents:
        target = Target(resource=document.path, resource_type="PolicyDocument", payload=document)
        yield from engine.run(target, settings)


def lint_paths(paths: Iterable[str], settings: Settings = DEFAULT_SETTINGS) -> list[Result]:
    files = discover(paths)
    return list(lint_documents((read_document(f) for f in files), settings))
