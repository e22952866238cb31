"""Helpers shared by the test modules: paths and running the real CLI."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SCHEMA = ROOT / "auditor" / "schemas" / "report.schema.json"


def run_cli(*args, cwd=None, env=None, timeout=180):
    """Run the real CLI as a subprocess, as users do."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("AWS_PROFILE", None)
    return subprocess.run([sys.executable, "-m", "auditor", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd or ROOT, env=full_env, timeout=timeout)
