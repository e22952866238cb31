"""Where reports go: `-o FILE` and stdout. Nothing the tool writes can destroy a file.

- A regular file (or the regular file a symlink points to) is written atomically: a temporary
  file in the target's real directory, then a rename over it. A failed run never leaves a
  truncated report; the symlink stays a symlink; an existing file keeps its mode (and, when
  run as root, its owner).
- Anything else that exists (a device such as /dev/null, a FIFO, /dev/stdout, /dev/fd/N) is
  written through: opened and written, never replaced.
- The command's own input files (configuration, snapshot, baseline, ...) are refused, by real
  path and by inode; so is a missing directory. `check_targets` says so before any API call.

Every text passes through the secret scrubber (auditor.scrub) on its way out.
"""
from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from typing import Iterable

from .errors import UsageError
from .lines import encodable, printable
from .scrub import scrub

_STDOUT_NAMES = ("-", "/dev/stdout")


def _shown(path: str) -> str:
    return printable(path)


def _identity(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


def check_targets(paths: Iterable[str], protected: Iterable[str] = ()) -> None:
    """Every `-o` target can be written and is none of the `protected` input files; raise
    UsageError (exit 2) naming the first that is not. Call it before any API call."""
    guarded = [(p, os.path.realpath(p), _identity(p)) for p in protected if p]
    for path in paths:
        if path in _STDOUT_NAMES:
            continue
        real = os.path.realpath(path)
        identity = _identity(path)
        for name, guarded_real, guarded_identity in guarded:
            if real == guarded_real or (identity is not None and identity == guarded_identity):
                raise UsageError(f"-o {_shown(path)}: that is the input file {_shown(name)}; "
                                 "write the report elsewhere")
        if identity is not None:
            if stat.S_ISDIR(os.stat(path).st_mode):
                raise UsageError(f"-o {_shown(path)}: is a directory")
            if not os.access(path, os.W_OK):
                raise UsageError(f"-o {_shown(path)}: cannot write there: permission denied")
            continue
        directory = os.path.dirname(real) or "."
        if not os.path.isdir(directory):
            raise UsageError(f"-o {_shown(path)}: directory {_shown(os.path.dirname(path) or '.')} "
                             "does not exist")
        if not os.access(directory, os.W_OK | os.X_OK):
            raise UsageError(f"-o {_shown(path)}: cannot write in {_shown(directory)}: "
                             "permission denied")


def write_report(path: str, text: str, mode: int = 0o644) -> None:
    """Write `text` (scrubbed of secrets) to `path` as the module docstring says; a new
    regular file gets `mode`, an existing one keeps its own. Errors are UsageError, one line."""
    if path in _STDOUT_NAMES:
        write_stdout(text)
        return
    text = encodable(scrub(text))
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise UsageError(f"-o {_shown(path)}: {error.strerror}") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise UsageError(f"-o {_shown(path)}: is a directory")
    if info is not None and not stat.S_ISREG(info.st_mode):
        _write_through(path, text)
        return
    _replace_atomically(os.path.realpath(path), text, mode, info, shown=path)


# The name H13's repeatable -o and older callers use.
def write_atomically(path: str, text: str, mode: int = 0o644) -> None:
    write_report(path, text, mode)


def _write_through(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise UsageError(f"-o {_shown(path)}: cannot write the report: {error.strerror}") from None


def _replace_atomically(real: str, text: str, mode: int, existing, *, shown: str) -> None:
    directory = os.path.dirname(real)
    try:
        fd, temporary = tempfile.mkstemp(prefix=".iam-auditor-", dir=directory)
    except OSError as error:
        raise UsageError(f"-o {_shown(shown)}: cannot write there: {error.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if existing is not None:
            os.chmod(temporary, stat.S_IMODE(existing.st_mode))
            if os.geteuid() == 0 and (existing.st_uid, existing.st_gid) != (0, 0):
                os.chown(temporary, existing.st_uid, existing.st_gid)
        else:
            os.chmod(temporary, mode)
        os.replace(temporary, real)
    except OSError as error:
        _unlink_quietly(temporary)
        raise UsageError(f"-o {_shown(shown)}: cannot write the report: {error.strerror}") from None
    except BaseException:
        _unlink_quietly(temporary)
        raise


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def write_stdout(text: str) -> None:
    """The report on stdout. A closed pipe (`| head`) ends quietly; any other failure (a full
    device) is a UsageError of one line. Either way nothing is left for Python to flush at exit."""
    try:
        sys.stdout.write(encodable(scrub(text)))
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        raise
    except OSError as error:
        _silence_stdout()
        reason = error.strerror or os.strerror(error.errno or errno.EIO)
        raise UsageError(f"cannot write the report to stdout: {reason}") from None


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null: the buffered rest would fail again when Python exits."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


class ReportStream:
    """A report written piece by piece as the run goes (discover's JSONL, an account at a time):
    each piece is scrubbed and flushed at once, so a run that dies keeps what it wrote. The file
    is written through (truncated, then appended to), not replaced atomically: that is the point
    of streaming. `check_targets` has vetted the path before any API call."""

    def __init__(self, path: str | None):
        self.path = None if path in _STDOUT_NAMES else path
        self._handle = None
        if self.path is None:
            return
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            self._handle = os.fdopen(fd, "w", encoding="utf-8")
        except OSError as error:
            raise UsageError(f"-o {_shown(self.path)}: cannot write there: {error.strerror}") from None

    def write(self, text: str) -> None:
        if self._handle is None:
            write_stdout(text)
            return
        try:
            self._handle.write(encodable(scrub(text)))
            self._handle.flush()
        except OSError as error:
            raise UsageError(f"-o {_shown(self.path)}: cannot write the report: {error.strerror}") from None

    def close(self) -> None:
        if self._handle is not None:
            try:
                self._handle.close()
            except OSError:
                pass
            self._handle = None
