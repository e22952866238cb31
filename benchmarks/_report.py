"""What the benchmarks print and record alike: verdicts, load, the git state, the summary."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def loadavg() -> list[float] | None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def git_state(root: Path) -> dict:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                              text=True, timeout=10).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                    capture_output=True, text=True, timeout=10).stdout.strip())
        return {"commit": head or None, "dirty": dirty}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def busy_note(environment: dict, advice: str) -> str | None:
    """A NOTE when the load average went above half the CPUs during the run."""
    busy = max((environment.get("loadavg_start") or [0])[0], (environment.get("loadavg_end") or [0])[0])
    if busy > 0.5 * (os.cpu_count() or 1):
        return f"NOTE: load average reached {busy} on {os.cpu_count()} CPUs: other work competed for the CPU; {advice}"
    return None


def print_summary(info: list[tuple[str, str]], rows: list[tuple], environment: dict, *,
                  value_width: int, rule_width: int, advice: str, broken: list[str] = ()) -> None:
    """The closing table: figures (name, value), then targets (name, value, goal, ok)."""
    width = max(len(name) for name, *_ in info + rows) + 2
    print("\n" + "=" * (width + rule_width))
    print("summary")
    for name, value in info:
        print(f"  {name:<{width}}{value}")
    print(f"\n  {'target':<{width}}{'value':<{value_width}}{'goal':<12}verdict")
    for name, value, goal, ok in rows:
        print(f"  {name:<{width}}{value or 'n/a':<{value_width}}{goal:<12}{verdict(ok)}")
    note = busy_note(environment, advice)
    if note:
        print(f"\n  {note}")
    for problem in broken:
        print(f"  BROKEN: {problem}")
    print("=" * (width + rule_width))
