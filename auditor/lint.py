"""`iam-auditor lint`: offline checks of policy documents (.json, .yaml, .yml, .template), and of
the policy documents inside infrastructure code (CloudFormation, Terraform plan JSON, AWS CLI
JSON: see lint_iac). In a directory, files that are none of these are skipped and counted."""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from .engine import LINT, Engine, Result, Target
from .errors import UsageError
from .lines import printable
from .policy import IDENTITY, Policy, PolicyParseError, TRUST, detect_kind, load_document, parse_policy
from .settings import DEFAULT_SETTINGS, Settings

POLICY_SUFFIXES = (".json", ".yaml", ".yml", ".template")
YAML_SUFFIXES = (".yaml", ".yml", ".template")
# Words a broken IAM file would still hold; a file that cannot be decoded and holds none of them,
# found in a directory, is some other tool's file (tsconfig with comments, a Helm template).
_IAM_WORDS = ("statement", "effect", "awstemplateformatversion", "format_version", "policydocument", "aws::")
LABELS = {IDENTITY: "identity-policy", TRUST: "trust-policy"}


@dataclass(frozen=True)
class LintDocument:
    """One file as the lint rules see it: its policy, or why it could not be read."""

    path: str
    label: str
    policy: Policy | None
    error: str | None = None
    unreadable: bool = False      # the file could not be read at all: ERROR, not a grammar FAIL
    iac_source: Any = None        # auditor.iac.model.PolicyDocument when found in infrastructure code
    iac_location: dict | None = None   # the resource and policy naming it in its file
    iac_waivers: tuple = ()       # waivers the template puts on that resource


@dataclass
class FileRead:
    """What one file gave lint: documents, reader problems, or that it is no IAM input."""

    path: str
    documents: list[LintDocument] = field(default_factory=list)
    problems: list = field(default_factory=list)
    not_iam: str | None = None    # why the file is none of the inputs lint reads


@dataclass
class Discovery:
    """The files `lint` reads, and notes on what it passed over (printed on stderr)."""

    files: list[Path]
    notes: list[str]
    explicit: set = field(default_factory=set)   # files named on the command line


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
            found.explicit.add(path)
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
    return parse_text(text, display, yaml_allowed=path.suffix.lower() in YAML_SUFFIXES)


def read_file(path: Path, display: str | None = None) -> FileRead:
    """Decode a file once and say what it is: a policy (as `read_document`), infrastructure code
    (each of its documents), or none of these (`not_iam`)."""
    from . import iac

    display = display or path.as_posix()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        return FileRead(display, [LintDocument(display, "policy", None,
                                               f"cannot read the file: {_reason(error)}", True)])
    except UnicodeDecodeError as error:
        return FileRead(display, [LintDocument(display, "policy", None,
                                               f"the file is not UTF-8 text: {_reason(error)}")],
                        not_iam="not UTF-8 text")
    try:
        data = load_document(text, yaml_allowed=path.suffix.lower() in YAML_SUFFIXES)
    except PolicyParseError as error:
        lowered = text.lower()
        reason = ("several YAML documents in one file" if "expected a single document" in str(error)
                  else None if any(word in lowered for word in _IAM_WORDS) else "undecodable, names no policy element")
        return FileRead(display, [LintDocument(display, "policy", None, str(error))], not_iam=reason)
    kind = iac.detect(data) if not isinstance(data, str) else iac.POLICY
    if kind == iac.POLICY:
        return FileRead(display, [_policy_document(data, display)])
    if kind in (iac.CLOUDFORMATION, iac.TERRAFORM_PLAN, iac.AWS_CLI):
        from .lint_iac import inventory_documents

        documents, problems = inventory_documents(display, text, data, kind)
        return FileRead(display, documents, problems)
    what = "a report of this tool" if kind == iac.OWN_REPORT else (
        "no IAM policy, CloudFormation template, Terraform plan or AWS CLI answer")
    return FileRead(display, not_iam=what)


def _policy_document(document: Any, display: str) -> LintDocument:
    if isinstance(document, str):
        # parse_policy decodes text (API documents come URL-encoded); a file holding a JSON
        # string is a double-encoded document, which IAM rejects.
        document = [document]
    kind = detect_kind(document)
    return LintDocument(display, LABELS[kind], parse_policy(document, kind))


def parse_text(text: str, display: str, *, yaml_allowed: bool) -> LintDocument:
    try:
        document = load_document(text, yaml_allowed=yaml_allowed)
    except PolicyParseError as error:
        return LintDocument(display, "policy", None, str(error))
    return _policy_document(document, display)


def _reason(error: Exception) -> str:
    return getattr(error, "strerror", None) or str(error)


def lint_documents(documents: Iterable[LintDocument], settings: Settings = DEFAULT_SETTINGS,
                   engine: Engine | None = None) -> Iterator[Result]:
    engine = engine or Engine(LINT, severity_overrides=settings.severity_overrides)
    for document in documents:
        if document.iac_location is None:
            target = Target(resource=document.path, resource_type="PolicyDocument", payload=document)
            yield from engine.run(target, settings)
            continue
        from .lint_iac import deploy_time_values, place

        target = Target(resource=document.path, resource_type="PolicyDocument", payload=document,
                        unknowns=deploy_time_values(document))
        yield from place(engine.run(target, settings), document)


@dataclass
class LintRun:
    results: list[Result]
    skipped: list[tuple[str, str]]     # (file, why): files in a directory that are no IAM input


def lint_files(found: Discovery, settings: Settings = DEFAULT_SETTINGS) -> LintRun:
    """Lint every file found; in a directory, a file that is no IAM input is skipped and counted,
    while a file named on the command line gets one finding saying what it is not."""
    engine = Engine(LINT, severity_overrides=settings.severity_overrides)
    run = LintRun([], [])
    for path in found.files:
        read = read_file(path)
        if read.not_iam is not None:
            if path not in found.explicit:
                run.skipped.append((read.path, read.not_iam))
                continue
            if not read.documents:
                run.results.extend(_not_iam_result(engine, read, settings))
                continue
        run.results.extend(lint_documents(read.documents, settings, engine))
        if read.problems:
            from .lint_iac import problem_results

            run.results.extend(problem_results(engine, read.path, read.problems, settings))
    return run


def _not_iam_result(engine: Engine, read: FileRead, settings: Settings) -> list[Result]:
    from .engine import failed, load_rules

    meta = load_rules()["POLICY-001"].meta
    if not settings.selects(meta.id):
        return []
    target = Target(resource=read.path, resource_type="PolicyDocument", payload=None)
    return [engine.result_for(meta, failed(f"{read.path} is {read.not_iam}: nothing to lint",
                                           location={"document": "file"}), target)]


def lint_paths(paths: Iterable[str], settings: Settings = DEFAULT_SETTINGS) -> list[Result]:
    return lint_files(walk(paths), settings).results
