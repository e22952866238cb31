"""Atomic report files: a failed run never leaves a truncated report behind."""
from __future__ import annotations

import os
import tempfile

from .errors import UsageError


def write_atomically(path: str, text: str, mode: int = 0o644) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, temporary = tempfile.mkstemp(prefix=".iam-auditor-", dir=directory)
    except OSError as error:
        raise UsageError(f"-o {path}: cannot write there: {error.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as error:
        os.unlink(temporary)
        raise UsageError(f"-o {path}: cannot write the report: {error.strerror}") from None
    except BaseException:
        os.unlink(temporary)
        raise
