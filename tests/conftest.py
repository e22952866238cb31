import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SCHEMA = ROOT / "auditor" / "schemas" / "report.schema.json"


def run_cli(*args, cwd=None, env=None, timeout=120):
    """Run the real CLI as a subprocess, as users do."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("AWS_PROFILE", None)
    return subprocess.run([sys.executable, "-m", "auditor", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd or ROOT, env=full_env, timeout=timeout)


@pytest.fixture(scope="session")
def report_schema():
    return json.loads(SCHEMA.read_text())


@pytest.fixture
def validate_report(report_schema):
    import jsonschema

    def validate(report):
        jsonschema.Draft202012Validator(report_schema).validate(report)
        return report
    return validate
