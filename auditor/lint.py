"""`iam-auditor lint`: offline checks of policy documents (.json, .yaml, .yml)."""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from .engine import LINT, Engine, Result, Target
from .errors import UsageError
from .lines import printable
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


@dataclass
class Discovery:
    """The files `lint` reads, and notes on what it passed over (printed on stderr)."""

    files: list[Path]
    notes: list[str]


def discover(paths: Iterable[str]) -> list[Path]:
    """Policy files under `paths` (files as given; directories recursively, sorted)."""
    return walk(paths).files


def walk(paths: Iterable[str]) -> Discovery:
    """Policy files under `paths`: files as given, directories recursively and sorted.

    Only regular files are read: a FIFO would block `lint` forever, a device never ends, so
    special files are skipped with a note. Symlinked directories are followed, each real
    directory once (a link loop ends there). Hidden directories (.git, .terraform, ...) are not
    entered, and each is named in a note: name one on the command line to lint it."""
    found = Discovery([], [])
    seen: set[tuple[int, int]] = set()
    for raw in paths:
        path = Path(raw)
        try:
            info = path.stat()
        except (OSError, ValueError):
            raise UsageError(f"lint: {raw}: no such file or directory") from None
        if stat.S_ISDIR(info.st_mode):
            _walk_directory(path, found, seen)
        elif stat.S_ISREG(info.st_mode):
            found.files.append(path)
        else:
            found.notes.append(f"skipped {_shown(path)}: {_kind(info.st_mode)}, not a regular file")
    return found


def _walk_directory(top: Path, found: Discovery, seen: set[tuple[int, int]]) -> None:
    for root, dirs, files in os.walk(top, followlinks=True):
        here = os.stat(root)
        if (here.st_dev, here.st_ino) in seen:
            dirs[:] = []
            if Path(root) != top:
                found.notes.append(f"skipped {_shown(Path(root))}: a directory already read "
                                   "(a symlink loop or a second link to it)")
            continue
        seen.add((here.st_dev, here.st_ino))
        for name in sorted(d for d in dirs if d.startswith(".")):
            found.notes.append(f"skipped hidden directory {_shown(Path(root, name))} "
                               "(name it on the command line to lint it)")
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.lower().endswith(POLICY_SUFFIXES):
                continue
            candidate = Path(root, name)
            try:
                mode = candidate.stat().st_mode
            except OSError:
                found.files.append(candidate)  # a dangling link: reading it says why it fails
                continue
            if stat.S_ISREG(mode):
                found.files.append(candidate)
            else:
                found.notes.append(f"skipped {_shown(candidate)}: {_kind(mode)}, not a regular file")


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def _shown(path: Path) -> str:
    return printable(path.as_posix())


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
