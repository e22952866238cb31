"""Where a run's reports go: stdout and every `-o FILE`, each in its format.

interfaces.md v1.1: `-o` is repeatable; with several, each file's format comes from its
extension. One `-o` keeps v1's meaning: `--format` when given, else the extension's format,
else JSON. stdout gets `--format` when there is no `-o`, else the table; the table is the
default whenever no `--format` is given (a pipe such as `iam-auditor demo | less` shows what
the terminal shows, without colour); with `-o`, the table goes to stdout only on a terminal, so
a pipeline that writes files keeps a clean stdout.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from .errors import UsageError
from .reports import EXTENSIONS, format_of


@dataclass(frozen=True)
class Target:
    path: str | None        # None: stdout
    fmt: str


def plan(outputs: list[str] | None, fmt: str | None, *, stdout_is_terminal: bool) -> list[Target]:
    """The targets of a run; a usage error (exit 2, before any API call) when one is unclear."""
    outputs = list(outputs or ())
    seen: set[str] = set()
    for path in outputs:
        key = os.path.realpath(path)
        if key in seen:
            raise UsageError(f"-o {path}: given twice")
        seen.add(key)
    if not outputs:
        return [Target(None, fmt or "table")]
    targets = []
    for path in outputs:
        if len(outputs) == 1:
            chosen = fmt or format_of(path) or "json"
        else:
            chosen = format_of(path) or fmt
            if chosen is None:
                known = ", ".join(extension for extension, _ in EXTENSIONS)
                raise UsageError(f"-o {path}: with several -o, each file's format comes from its "
                                 f"extension ({known}); rename it or add --format")
        targets.append(Target(path, chosen))
    if stdout_is_terminal:
        targets.append(Target(None, "table"))
    return targets


def write(targets: list[Target], render, write_file) -> list[str]:
    """Render each format once and deliver it; returns the errors of the files that could not be
    written (the others are still written: one bad path never loses every report)."""
    rendered: dict[tuple[str, bool], str] = {}
    errors = []
    for target in targets:
        to_stdout = target.path is None
        key = (target.fmt, to_stdout)
        if key not in rendered:
            rendered[key] = render(target.fmt, to_stdout)
        if to_stdout:
            from .output import write_stdout   # one line on a full device; quiet on a closed pipe

            write_stdout(rendered[key])
            continue
        try:
            write_file(target.path, rendered[key])
        except UsageError as error:
            errors.append(str(error))
    return errors
