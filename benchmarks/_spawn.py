"""Run timed child processes from a small helper process, so their peak RSS is their own.

On Linux a child's `ru_maxrss` starts at the peak of the process that forked it (the kernel
carries the forking process's high-water mark across exec). A child forked by a benchmark that
holds a corpus or a synthetic account in memory would report the benchmark's memory instead of
its own. The helper is started before the benchmark grows, and forks every timed child (whose
figure then cannot be below the helper's own, about 10 MB: far under any child measured here).

    spawn.start()                      # first thing in main()
    done = spawn.run(argv, env, cwd, stdout_path_or_None, stderr_path)
    done["wall"], done["cpu"], done["rss_mb"], done["code"], done["tree_rss_mb"]
    spawn.stop()
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_HELPER = r"""
import json, os, subprocess, sys, threading, time


def sample_tree(root, peak, done):
    # The sum of the resident memory of the child and its descendants (worker processes), every
    # 50 ms from /proc (Linux): ru_maxrss is one process's peak, not the tree's.
    while not done.wait(0.05):
        parents, rss = {}, {}
        for name in os.listdir("/proc") if os.path.isdir("/proc") else ():
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/status") as handle:
                    fields = dict(line.split(":", 1) for line in handle if ":" in line)
                parents[int(name)] = int(fields["PPid"])
                rss[int(name)] = int(fields.get("VmRSS", "0 kB").split()[0])
            except (OSError, ValueError, KeyError):
                continue
        tree, grew = {root}, True
        while grew:
            more = {p for p, parent in parents.items() if parent in tree} - tree
            grew = bool(more)
            tree |= more
        peak[0] = max(peak[0], sum(rss.get(p, 0) for p in tree))

for line in sys.stdin:
    job = json.loads(line)
    out = open(job["stdout"], "wb") if job["stdout"] else subprocess.DEVNULL
    err = open(job["stderr"], "wb")
    start = time.perf_counter()
    proc = subprocess.Popen(job["argv"], stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                            env=job["env"], cwd=job["cwd"])
    tree_peak, done = [0], threading.Event()
    threading.Thread(target=sample_tree, args=(proc.pid, tree_peak, done), daemon=True).start()
    if hasattr(os, "wait4"):
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime
        rss = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    else:  # no wait4 (Windows): no per-child CPU time or RSS
        code = proc.wait()
        wall, cpu, rss = time.perf_counter() - start, float("nan"), float("nan")
    done.set()
    for handle in (out, err):
        if handle is not subprocess.DEVNULL:
            handle.close()
    print(json.dumps({"wall": wall, "cpu": cpu, "rss_mb": rss, "code": code,
                      "tree_rss_mb": tree_peak[0] / 1024 if tree_peak[0] else rss}), flush=True)
"""

_process: subprocess.Popen | None = None


def start() -> None:
    global _process
    if _process is None:
        _process = subprocess.Popen([sys.executable, "-c", _HELPER], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, text=True)


def run(argv: list[str], env: dict, cwd: Path, stdout: Path | None, stderr: Path) -> dict:
    """Run one child to its end: {"wall", "cpu" (s), "rss_mb" (its own peak), "code"}."""
    start()
    _process.stdin.write(json.dumps({"argv": argv, "env": env, "cwd": str(cwd),
                                     "stdout": str(stdout) if stdout else None,
                                     "stderr": str(stderr)}) + "\n")
    _process.stdin.flush()
    line = _process.stdout.readline()
    if not line:
        raise RuntimeError("the benchmark's spawn helper exited")
    return json.loads(line)


def stop() -> None:
    global _process
    if _process is not None:
        _process.stdin.close()
        _process.wait(10)
        _process = None
