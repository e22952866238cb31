"""The environment of the benchmarks' AWS clients and timed child processes: a moto server on
loopback, fake credentials, no profile or proxy from the machine, and this checkout first."""
from __future__ import annotations

import os
from pathlib import Path

HOST = "127.0.0.1"                     # the moto server listens here and nowhere else
REGION = "us-east-1"
FAKE_KEY, FAKE_SECRET = "testing", "testing"
_MACHINE_SETTINGS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                     "AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy",
                     "https_proxy")


def aws_env(endpoint: str) -> dict:
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": FAKE_KEY,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET, "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "NO_PROXY": HOST, "no_proxy": HOST}


def child_env(root: Path, endpoint: str, pycache: Path | None, **extra: str) -> dict:
    """With `pycache`, bytecode is cached there (as an installed wheel has it), never in the checkout."""
    env = dict(os.environ)
    for name in _MACHINE_SETTINGS:
        env.pop(name, None)
    env.update(aws_env(endpoint))
    env.update(extra)
    env["PYTHONPATH"] = os.pathsep.join([str(root)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["NO_COLOR"] = "1"
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env
