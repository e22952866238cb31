#!/usr/bin/env python3
"""Throughput, memory and start-up benchmark of `iam-auditor lint`.

    python benchmarks/lint_bench.py                 # 2000 policies, seed 1
    python benchmarks/lint_bench.py --count 10000 --seed 7 --keep /tmp/corpus --json bench.json
    python benchmarks/lint_bench.py --profile 15    # also cProfile the warm in-process lint

Generates a deterministic corpus of IAM policy files, lints it in-process and as a whole
`python -m auditor lint` process, times CLI start-up, and (when `parliament` is importable)
compares in-process throughput with parliament's on the same well-formed JSON files.
See benchmarks/README.md for how to read the output. Parliament is a benchmark-only
comparison; it is never a dependency of iam-auditor.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import platform
import random
import re
import shutil
import statistics
import string
import sys
import tempfile
import time
import tracemalloc
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:          # run from a checkout: `python benchmarks/lint_bench.py`
    sys.path.insert(0, str(ROOT))

import _spawn as spawn  # noqa: E402 - benchmarks/ is this script's directory
from _report import git_state, loadavg, print_summary, verdict  # noqa: E402

# Targets (see README): in-process throughput vs parliament, and CLI start-up.
TARGET_RATIO_VS_PARLIAMENT = 10.0
TARGET_STARTUP_MS = 150.0
STARTUP_ROUNDS = 7

IDENTITY_SHARE = 0.60      # the rest are trust policies
YAML_SHARE = 0.05
MALFORMED_SHARE = 0.01


# --------------------------------------------------------------------------------------------
# Corpus generation (deterministic: everything derives from one random.Random(seed))
# --------------------------------------------------------------------------------------------

REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
ACCOUNTS = ("123456789012", "210987654321", "111122223333", "444455556666", "777788889999")
SECRET_NAMES = ("prod/db/password", "prod/api-key", "staging/db", "catalog/reader", "shared/token",
                "app1/config", "payments/stripe", "analytics/warehouse")

SECRET_READ = ("secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue")
IDENTITY_ACTIONS = (
    # (action, weight) -- secret reading and wildcards are over-represented on purpose
    ("secretsmanager:GetSecretValue", 14), ("secretsmanager:BatchGetSecretValue", 4),
    ("secretsmanager:DescribeSecret", 6), ("secretsmanager:ListSecrets", 4),
    ("secretsmanager:ListSecretVersionIds", 2), ("secretsmanager:*", 5),
    ("secretsmanager:Get*", 3), ("secretsmanager:*Secret*", 1), ("SecretsManager:GetSecretValue", 1),
    ("s3:Get*", 5), ("s3:GetObject", 5), ("s3:ListBucket", 4), ("s3:PutObject", 3), ("s3:*", 2),
    ("kms:Decrypt", 6), ("kms:DescribeKey", 2), ("kms:*", 1),
    ("iam:PassRole", 2), ("iam:Get*", 1), ("iam:List*", 1),
    ("sts:AssumeRole", 2), ("ec2:Describe*", 3), ("logs:CreateLogStream", 2),
    ("logs:PutLogEvents", 2), ("dynamodb:GetItem", 2), ("dynamodb:Query", 1),
    ("lambda:InvokeFunction", 1), ("ssm:GetParameter*", 2), ("*", 2),
)
TRUST_ACTIONS = (("sts:AssumeRole", 20), ("sts:TagSession", 3), ("sts:AssumeRoleWithWebIdentity", 2),
                 ("sts:AssumeRoleWithSAML", 1), ("sts:SetSourceIdentity", 1), ("sts:*", 1), ("*", 1))
SERVICES = ("ec2.amazonaws.com", "lambda.amazonaws.com", "ecs-tasks.amazonaws.com",
            "glue.amazonaws.com", "states.amazonaws.com")


def _weighted(rng: random.Random, table) -> str:
    items, weights = zip(*table)
    return rng.choices(items, weights=weights)[0]


def _suffix(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits, k=6))


def _secret_arn(rng: random.Random) -> str:
    region, account, name = rng.choice(REGIONS), rng.choice(ACCOUNTS), rng.choice(SECRET_NAMES)
    head = f"arn:aws:secretsmanager:{region}:{account}:secret:"
    style = rng.random()
    if style < 0.35:
        return f"{head}{name}-??????"                     # pinned by name
    if style < 0.60:
        return f"{head}{name}-{_suffix(rng)}"             # full ARN
    if style < 0.80:
        return f"{head}{name.split('/')[0]}/*"            # a prefix of secrets
    if style < 0.90:
        return f"{head}*"                                 # every secret in the account
    if style < 0.95:
        return f"arn:aws:secretsmanager:*:{account}:secret:{name}-*"
    return f"arn:aws:secretsmanager:{region}:{account}:secret:${{aws:PrincipalTag/team}}/*"


def _other_arn(rng: random.Random) -> str:
    region, account = rng.choice(REGIONS), rng.choice(ACCOUNTS)
    return rng.choice((
        f"arn:aws:s3:::bucket-{rng.randrange(100)}",
        f"arn:aws:s3:::bucket-{rng.randrange(100)}/*",
        f"arn:aws:kms:{region}:{account}:key/{rng.getrandbits(128):032x}",
        f"arn:aws:kms:{region}:{account}:alias/*",
        f"arn:aws:iam::{account}:role/app-{rng.randrange(50)}",
        f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/*",
        f"arn:aws:dynamodb:{region}:{account}:table/orders",
        f"arn:aws:ssm:{region}:{account}:parameter/app/*",
    ))


def _values(rng: random.Random, pool, max_n: int = 3):
    """A condition value: a single string or a list of 1..max_n strings."""
    n = rng.randint(1, max_n)
    picked = [rng.choice(pool) for _ in range(n)]
    return picked[0] if n == 1 and rng.random() < 0.7 else picked


def _identity_condition(rng: random.Random) -> dict:
    """1..3 condition operators, drawn from the common shapes."""
    blocks: dict = {}
    for _ in range(rng.choices((1, 2, 3), weights=(7, 2, 1))[0]):
        kind = rng.randrange(9)
        if kind == 0:
            blocks.setdefault("StringEquals", {})["aws:RequestedRegion"] = _values(rng, REGIONS)
        elif kind == 1:
            blocks.setdefault("StringLike", {})["secretsmanager:ResourceTag/env"] = \
                _values(rng, ("prod", "staging", "dev-*", "*"))
        elif kind == 2:
            blocks.setdefault("StringEqualsIfExists", {})["aws:PrincipalTag/team"] = \
                _values(rng, ("payments", "catalog", "data"))
        elif kind == 3:
            blocks.setdefault("ForAnyValue:StringEquals", {})["aws:TagKeys"] = \
                _values(rng, ("env", "owner", "cost-center"))
        elif kind == 4:
            blocks.setdefault("ForAllValues:StringLike", {})["secretsmanager:SecretId"] = \
                _values(rng, tuple(f"arn:aws:secretsmanager:*:*:secret:{n}-*" for n in SECRET_NAMES))
        elif kind == 5:
            blocks.setdefault("Bool", {})[rng.choice(("aws:SecureTransport", "aws:MultiFactorAuthPresent"))] = \
                rng.choice(("true", "false", True))
        elif kind == 6:
            blocks.setdefault(rng.choice(("IpAddress", "NotIpAddress")), {})["aws:SourceIp"] = \
                _values(rng, ("10.0.0.0/8", "192.0.2.0/24", "203.0.113.7/32", "2001:db8::/32"))
        elif kind == 7:
            blocks.setdefault("ArnLike", {})["aws:PrincipalArn"] = \
                f"arn:aws:iam::{rng.choice(ACCOUNTS)}:role/{rng.choice(('app-*', 'ci', '*'))}"
        else:
            blocks.setdefault("StringEquals", {})["aws:ResourceAccount"] = rng.choice(ACCOUNTS)
    return blocks


def _actions(rng: random.Random, table, max_n: int):
    """Action value: a bare string (about half the time when there is one) or a list."""
    n = rng.choices(range(1, max_n + 1), weights=[max_n + 1 - i for i in range(1, max_n + 1)])[0]
    actions = list(dict.fromkeys(_weighted(rng, table) for _ in range(n)))
    return actions[0] if len(actions) == 1 and rng.random() < 0.5 else actions


def _resource(rng: random.Random, actions) -> str | list[str]:
    wants_secret = any("secretsmanager" in a.lower() or a == "*" for a in
                       ([actions] if isinstance(actions, str) else actions))
    roll = rng.random()
    if roll < 0.25:
        return "*"
    n = rng.choices((1, 2, 3, 5), weights=(6, 3, 2, 1))[0]
    arns = [_secret_arn(rng) if wants_secret and rng.random() < 0.8 else _other_arn(rng) for _ in range(n)]
    return arns[0] if n == 1 and rng.random() < 0.6 else arns


def _statement_count(rng: random.Random) -> int:
    return rng.choices(range(1, 13), weights=(22, 18, 14, 10, 8, 6, 5, 4, 3, 3, 3, 4))[0]


def _maybe_sid(rng: random.Random, stmt: dict, index: int) -> dict:
    if rng.random() < 0.6:
        return {"Sid": rng.choice(("Read", "ReadSecrets", "Decrypt", "List", "Trust", "Stmt")) + str(index),
                **stmt}
    return stmt


def identity_policy(rng: random.Random) -> dict:
    statements = []
    for index in range(_statement_count(rng)):
        effect = "Deny" if rng.random() < 0.12 else "Allow"
        stmt: dict = {"Effect": effect}
        actions = _actions(rng, IDENTITY_ACTIONS, 6)
        stmt["NotAction" if rng.random() < 0.07 else "Action"] = actions
        if rng.random() < 0.05:
            stmt["NotResource"] = _resource(rng, actions) if rng.random() < 0.7 else _secret_arn(rng)
        else:
            stmt["Resource"] = _resource(rng, actions)
        if rng.random() < 0.40:
            stmt["Condition"] = _identity_condition(rng)
        statements.append(_maybe_sid(rng, stmt, index))
    return _wrap(rng, statements)


def _external_id(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.40:
        return "%08x-%04x-%04x-%04x-%012x" % tuple(rng.getrandbits(b) for b in (32, 16, 16, 16, 48))
    if roll < 0.55:
        return "".join(rng.choices(string.ascii_letters + string.digits, k=rng.randint(16, 40)))
    if roll < 0.70:
        return rng.choice(("abc", "1234", "secret", "test", "external-id", "0000000000"))  # short/guessable
    if roll < 0.80:
        return rng.choice(("*", "tenant-*", "acme-????", "*-prod"))                      # wildcards
    if roll < 0.90:
        return f"{rng.choice(ACCOUNTS)}"
    return "${aws:PrincipalTag/tenant}"


def _principal(rng: random.Random):
    roll = rng.random()
    account = rng.choice(ACCOUNTS)
    if roll < 0.30:
        value: object = f"arn:aws:iam::{account}:user/{rng.choice(('catalog-secrets-reader', 'saas', 'ci-bot'))}"
    elif roll < 0.45:
        value = account                                      # bare account id
    elif roll < 0.55:
        value = f"arn:aws:iam::{account}:root"
    elif roll < 0.63:
        value = f"arn:aws:iam::{account}:role/{rng.choice(('app-1', 'saas-connector', 'admin'))}"
    elif roll < 0.70:
        return "*"
    elif roll < 0.75:
        value = "*"
    elif roll < 0.90:
        svc = [rng.choice(SERVICES) for _ in range(rng.randint(1, 2))]
        return {"Service": svc[0] if len(svc) == 1 else svc}
    elif roll < 0.95:
        return {"Federated": rng.choice(("cognito-identity.amazonaws.com",
                                         f"arn:aws:iam::{account}:saml-provider/okta",
                                         f"arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com"))}
    else:                                                    # several principals of several kinds
        return {"AWS": [f"arn:aws:iam::{a}:user/u{rng.randrange(9)}" for a in rng.sample(ACCOUNTS, 2)],
                "Service": rng.choice(SERVICES)}
    if rng.random() < 0.2:
        value = [value, f"arn:aws:iam::{rng.choice(ACCOUNTS)}:user/other"]
    return {"AWS": value}


def _trust_condition(rng: random.Random) -> dict | None:
    roll = rng.random()
    if roll < 0.25:
        return None
    blocks: dict = {}
    if roll < 0.85:
        operator = rng.choices(("StringEquals", "StringLike", "StringEqualsIfExists", "StringLikeIfExists",
                                "ForAnyValue:StringEquals", "StringNotEquals", "StringEqualsIgnoreCase"),
                               weights=(10, 4, 2, 1, 1, 1, 1))[0]
        key = rng.choice(("sts:ExternalId", "sts:ExternalId", "sts:ExternalId", "sts:externalid"))
        ext = _external_id(rng)
        blocks[operator] = {key: ext if rng.random() < 0.85 else [ext, _external_id(rng)]}
    extra = rng.random()
    if extra < 0.15:
        blocks.setdefault("Bool", {})["aws:MultiFactorAuthPresent"] = rng.choice(("true", "false"))
    elif extra < 0.25:
        blocks.setdefault("StringEquals", {})["aws:SourceAccount"] = rng.choice(ACCOUNTS)
    elif extra < 0.32:
        blocks.setdefault("ArnEquals", {})["aws:PrincipalArn"] = \
            f"arn:aws:iam::{rng.choice(ACCOUNTS)}:user/catalog-secrets-reader"
    elif extra < 0.38:
        blocks.setdefault("IpAddress", {})["aws:SourceIp"] = _values(rng, ("198.51.100.0/24", "10.1.0.0/16"))
    elif extra < 0.42:
        blocks.setdefault("ForAnyValue:StringLike", {})["aws:PrincipalTag/team"] = "*"
    return blocks or None


def trust_policy(rng: random.Random) -> dict:
    statements = []
    n = rng.choices(range(1, 13), weights=(40, 20, 10, 7, 5, 4, 3, 3, 2, 2, 2, 2))[0]
    for index in range(n):
        effect = "Deny" if rng.random() < 0.08 else "Allow"
        stmt: dict = {"Effect": effect}
        if rng.random() < 0.04:
            stmt["NotPrincipal"] = {"AWS": f"arn:aws:iam::{rng.choice(ACCOUNTS)}:user/catalog-secrets-reader"}
        else:
            stmt["Principal"] = _principal(rng)
        stmt["NotAction" if rng.random() < 0.03 else "Action"] = _actions(rng, TRUST_ACTIONS, 3)
        condition = _trust_condition(rng)
        if condition:
            stmt["Condition"] = condition
        statements.append(_maybe_sid(rng, stmt, index))
    return _wrap(rng, statements)


def _wrap(rng: random.Random, statements: list) -> dict:
    roll = rng.random()
    doc: dict = {}
    if roll < 0.03:
        pass                                      # no Version (legal, POLICY-001 medium)
    elif roll < 0.06:
        doc["Version"] = "2008-10-17"
    else:
        doc["Version"] = "2012-10-17"
    if rng.random() < 0.1:
        doc["Id"] = f"policy-{rng.getrandbits(32):08x}"
    doc["Statement"] = statements[0] if len(statements) == 1 and rng.random() < 0.25 else statements
    return doc


# A deliberately small YAML emitter (block style), so the benchmark process does not import
# PyYAML before the cold lint run. Scalars are written plain when that is unambiguous, else as
# JSON strings (valid YAML double-quoted scalars).
_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9:/_.\-]*$")
_YAML_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def _yaml_scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _YAML_RESERVED and ": " not in text and not text.endswith(":"):
        return text
    return json.dumps(text)


def to_yaml(value, indent: int = 0) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{_yaml_scalar(key)}:")
                lines.extend(to_yaml(item, indent + 2))
            else:
                lines.append(f"{pad}{_yaml_scalar(key)}: {_yaml_inline(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                inner = to_yaml(item, indent + 2)
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines.extend(inner[1:])
            else:
                lines.append(f"{pad}- {_yaml_inline(item)}")
    else:
        lines.append(pad + _yaml_scalar(value))
    return lines


def _yaml_inline(value) -> str:
    if isinstance(value, dict):
        return "{}" if not value else json.dumps(value)
    if isinstance(value, list):
        return "[]" if not value else json.dumps(value)
    return _yaml_scalar(value)


MALFORMED_KINDS = ("truncated-json", "trailing-comma", "top-level-list", "statement-string",
                   "bad-effect", "action-and-notaction", "empty-file", "unknown-operator",
                   "bad-yaml", "bad-version-and-key")


def malformed_file(rng: random.Random, kind: str) -> tuple[str, str]:
    """(suffix, text) of a document that fails to decode or that IAM would reject."""
    base = identity_policy(rng) if rng.random() < 0.5 else trust_policy(rng)
    text = json.dumps(base, indent=2)
    if kind == "truncated-json":
        return ".json", text[: rng.randint(5, max(6, len(text) - 5))]
    if kind == "trailing-comma":
        return ".json", text.rstrip().rstrip("}").rstrip() + ",\n}"
    if kind == "top-level-list":
        return ".json", json.dumps([base])
    if kind == "statement-string":
        return ".json", json.dumps({"Version": "2012-10-17", "Statement": "Allow everything"})
    if kind == "bad-effect":
        return ".json", json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Permit", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    if kind == "action-and-notaction":
        return ".json", json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "NotAction": "iam:*", "Resource": "*"}]})
    if kind == "empty-file":
        return ".json", ""
    if kind == "unknown-operator":
        return ".json", json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ACCOUNTS[0]}, "Action": "sts:AssumeRole",
             "Condition": {"StringEqualz": {"sts:ExternalId": "abc"}}}]})
    if kind == "bad-yaml":
        return ".yaml", "Version: \"2012-10-17\"\nStatement:\n  - Effect: Allow\n\t Action: [s3:GetObject\n"
    if kind == "bad-version-and-key":
        return ".json", json.dumps({"Version": "2020-01-01", "Statment": base.get("Statement")})
    raise ValueError(kind)


@dataclass
class CorpusFile:
    path: Path
    kind: str             # identity | trust | malformed
    fmt: str              # json | yaml
    malformed: str | None = None

    @property
    def comparable(self) -> bool:
        """Used in the parliament comparison: well-formed JSON only."""
        return self.fmt == "json" and self.malformed is None


def generate_corpus(directory: Path, count: int, seed: int) -> list[CorpusFile]:
    rng = random.Random(seed)
    indices = list(range(count))
    n_malformed = round(count * MALFORMED_SHARE)
    n_yaml = round(count * YAML_SHARE)
    chosen = rng.sample(indices, n_malformed + n_yaml)
    malformed_at = {i: MALFORMED_KINDS[k % len(MALFORMED_KINDS)] for k, i in enumerate(chosen[:n_malformed])}
    yaml_at = set(chosen[n_malformed:])
    width = len(str(count))
    corpus = []
    for i in range(count):
        if i in malformed_at:
            kind = malformed_at[i]
            suffix, text = malformed_file(rng, kind)
            name = f"p{i:0{width}d}-malformed-{kind}{suffix}"
            entry = CorpusFile(directory / name, "malformed", suffix.lstrip("."), kind)
        else:
            kind = "identity" if rng.random() < IDENTITY_SHARE else "trust"
            doc = identity_policy(rng) if kind == "identity" else trust_policy(rng)
            if i in yaml_at:
                suffix = rng.choice((".yaml", ".yml"))
                header = "# generated by benchmarks/lint_bench.py\n" if rng.random() < 0.5 else ""
                text = header + "\n".join(to_yaml(doc)) + "\n"
            else:
                suffix = ".json"
                text = json.dumps(doc, indent=rng.choice((2, 4, None)), sort_keys=rng.random() < 0.1)
            name = f"p{i:0{width}d}-{kind}{suffix}"
            entry = CorpusFile(directory / name, kind, "yaml" if suffix != ".json" else "json")
        entry.path.write_text(text, encoding="utf-8")
        corpus.append(entry)
    # MANIFEST.tsv is not a policy suffix, so `lint DIR` ignores it.
    with open(directory / "MANIFEST.tsv", "w", encoding="utf-8") as manifest:
        manifest.write("file\tkind\tformat\tmalformed\n")
        for entry in corpus:
            manifest.write(f"{entry.path.name}\t{entry.kind}\t{entry.fmt}\t{entry.malformed or ''}\n")
    return corpus


def corpus_digest(corpus: list[CorpusFile]) -> str:
    digest = hashlib.sha256()
    for entry in corpus:
        digest.update(entry.path.name.encode() + b"\0" + entry.path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------

def lint_in_process(files) -> list:
    from auditor.lint import lint_documents, read_document

    return list(lint_documents(read_document(p) for p in files))


@dataclass
class Run:
    wall: float           # seconds, time.perf_counter
    cpu: float            # seconds of CPU used (this process, or the child's user+sys)


def timed(fn) -> tuple[Run, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return Run(time.perf_counter() - wall, time.process_time() - cpu), result


def time_runs(fn, repeat: int) -> tuple[Run, list[Run], object]:
    """(the first, cold run; the `repeat` warm runs after it; the last run's result)."""
    cold, result = timed(fn)
    warm = []
    for _ in range(repeat):
        run, result = timed(fn)
        warm.append(run)
    return cold, warm, result


def best(runs: list[Run]) -> Run:
    return Run(min(r.wall for r in runs), min(r.cpu for r in runs))


def peak_traced(fn) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run_process(argv: list[str], env: dict, cwd: Path, stdout: Path | None = None) -> tuple[Run, int, int, str]:
    """(wall and CPU time, exit code, peak RSS bytes of that child, stderr tail) of one run.
    The child is started by a small helper process (`_spawn`), so the RSS is the child's own."""
    with tempfile.TemporaryDirectory(prefix="lint-bench-run-") as scratch:
        err = Path(scratch) / "stderr"
        done = spawn.run(argv, env, cwd, stdout, err)
        rss = 0 if done["rss_mb"] != done["rss_mb"] else int(done["rss_mb"] * 1024 * 1024)
        return Run(done["wall"], done["cpu"]), done["code"], rss, err.read_text(errors="replace")[-2000:]


def child_env(pycache: Path | None) -> dict:
    """Environment of the timed processes: this checkout first on the path; with `pycache`,
    bytecode is cached there (as an installed wheel has it) instead of recompiled per run."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.pop("AWS_PROFILE", None)
    env["NO_COLOR"] = "1"
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)   # never writes __pycache__ into the checkout
    return env


def console_script() -> tuple[str | None, str]:
    """The `iam-auditor` script to time, and a note. A pyenv shim (a bash wrapper) is replaced
    by the real script beside this interpreter, so the figure is the tool's, not pyenv's."""
    found = shutil.which("iam-auditor")
    if found is None:
        return None, "iam-auditor console script not on PATH: skipped"
    beside = Path(sys.executable).parent / "iam-auditor"
    if "/shims/" in found.replace(os.sep, "/") and beside.is_file():
        return str(beside), f"PATH has a pyenv shim ({found}); timing {beside}"
    return found, f"timing {found}"


def startup_times(commands: dict[str, list[str]], rounds: int, env: dict) -> dict[str, dict]:
    """Median/min wall ms (and median CPU ms) per command; one discarded warm-up each, then
    `rounds` rounds with the commands interleaved, so load drift hits them all alike."""
    samples: dict[str, list[Run]] = {name: [] for name in commands}
    codes: dict[str, int] = {}
    errors: dict[str, str] = {}
    for name, argv in commands.items():
        _, codes[name], _, errors[name] = run_process(argv, env, ROOT)
    for _ in range(rounds):
        for name, argv in commands.items():
            run, code, _, err = run_process(argv, env, ROOT)
            samples[name].append(run)
            codes[name] = code or codes[name]
            errors[name] = err or errors[name]
    return {name: {"median_ms": statistics.median(r.wall for r in runs) * 1000,
                   "min_ms": min(r.wall for r in runs) * 1000, "max_ms": max(r.wall for r in runs) * 1000,
                   "cpu_median_ms": statistics.median(r.cpu for r in runs) * 1000,
                   "exit_code": codes[name], "stderr": errors[name] if codes[name] else "",
                   "argv": commands[name]}
            for name, runs in samples.items()}


def parliament_run(texts: list[str]) -> tuple[int, dict[str, int], int]:
    """Analyze each text; (policies analysed, exceptions by type, findings)."""
    import parliament

    failures: dict[str, int] = {}
    findings = 0
    ok = 0
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        for text in texts:
            try:
                policy = parliament.analyze_policy_string(text)
                findings += len(policy.findings)
                ok += 1
            except Exception as error:  # noqa: BLE001 - parliament raises on documents it dislikes
                failures[type(error).__name__] = failures.get(type(error).__name__, 0) + 1
    return ok, failures, findings


def read_texts(files) -> list[str]:
    return [Path(p).read_text(encoding="utf-8-sig") for p in files]


def status_counts(results) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    return dict(sorted(counts.items()))


def profile(files, top: int) -> str:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    lint_in_process(files)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# Reporting helpers
# --------------------------------------------------------------------------------------------

def mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@dataclass
class Figures:
    environment: dict = field(default_factory=dict)
    corpus: dict = field(default_factory=dict)
    in_process: dict = field(default_factory=dict)
    whole_process: dict = field(default_factory=dict)
    startup: dict = field(default_factory=dict)
    parliament: dict = field(default_factory=dict)
    managed_policies: dict = field(default_factory=dict)
    targets: list = field(default_factory=list)
    profile: str | None = None



MANAGED_POLICIES = ROOT / "tests" / "data" / "aws-managed-policies.tar.xz"


def managed_policy_files(scratch: Path) -> list[Path]:
    """AWS's managed policies (tests/data), unpacked into `scratch`: a real-world corpus."""
    import tarfile

    with tarfile.open(MANAGED_POLICIES) as archive:
        archive.extractall(scratch / "managed", filter="data")
    return sorted((scratch / "managed" / "aws-managed-policies").glob("*.json"))


def compare_with_parliament(files, repeat: int) -> dict:
    """iam-auditor and parliament in this process on the same files (reads included): one
    warm-up each, then alternating, so that load drift affects both alike; best of `repeat`."""
    ours_run = lambda: lint_in_process(files)                       # noqa: E731
    theirs_run = lambda: parliament_run(read_texts(files))          # noqa: E731
    timed(ours_run)
    p_cold, (p_ok, p_fail, p_findings) = timed(theirs_run)
    ours, theirs = [], []
    for _ in range(repeat):
        ours.append(timed(ours_run)[0])
        theirs.append(timed(theirs_run)[0])
    o, t = best(ours), best(theirs)
    o_rate, t_rate = rate(len(files), o.wall), rate(len(files), t.wall)
    return {"files": len(files), "analysed": p_ok, "exceptions": p_fail, "findings": p_findings,
            "cold": asdict(p_cold), "runs": [asdict(r) for r in theirs], "best": asdict(t),
            "policies_per_s": t_rate,
            "iam_auditor_same_files": {"runs": [asdict(r) for r in ours], "best": asdict(o),
                                       "policies_per_s": o_rate},
            "ratio": t.wall / o.wall, "cpu_ratio": t.cpu / o.cpu}


def print_comparison(title: str, figures: dict, repeat: int, import_s: float | None = None) -> None:
    t, o = figures["best"], figures["iam_auditor_same_files"]["best"]
    imported = f"import {import_s * 1000:.0f} ms; " if import_s is not None else ""
    print(f"\n{title}, file reads included, alternating, best of {repeat}")
    print(f"  parliament   {t['wall'] * 1000:8.1f} ms  {figures['policies_per_s']:8,.0f} policies/s   ({imported}"
          f"{figures['analysed']} analysed, exceptions {figures['exceptions'] or 'none'}, {figures['findings']} findings)")
    print(f"  iam-auditor  {o['wall'] * 1000:8.1f} ms  {figures['iam_auditor_same_files']['policies_per_s']:8,.0f} policies/s")
    print(f"  iam-auditor/parliament = {figures['ratio']:.1f}x (wall), {figures['cpu_ratio']:.1f}x (CPU time)")


def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2000, help="policies in the corpus (default 2000)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    parser.add_argument("--keep", metavar="DIR", help="write the corpus to DIR (kept) instead of a temp dir")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON to FILE")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs after the warm-up (default 3)")
    parser.add_argument("--startup-rounds", type=int, default=STARTUP_ROUNDS,
                        help=f"runs per start-up command (default {STARTUP_ROUNDS}; median reported)")
    parser.add_argument("--no-parliament", action="store_true", help="skip the parliament comparison")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="run the timed processes with the inherited environment (e.g. "
                             "PYTHONDONTWRITEBYTECODE=1: every run recompiles the auditor) instead "
                             "of caching bytecode in a temp PYTHONPYCACHEPREFIX")
    parser.add_argument("--profile", type=int, nargs="?", const=15, default=0, metavar="N",
                        help="cProfile one warm in-process lint; print the top N functions (default 15)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.count < 1 or args.repeat < 1 or args.startup_rounds < 1:
        parser.error("--count, --repeat and --startup-rounds must be positive")
    if args.keep:
        keep = Path(args.keep).resolve()
        if keep.exists() and (not keep.is_dir() or any(keep.iterdir())):
            parser.error(f"--keep {args.keep}: exists and is not an empty directory")

    spawn.start()                      # before this process holds the corpus (see _spawn.py)
    try:
        return _run(args)
    finally:
        spawn.stop()


def _run(args) -> int:
    figures = Figures()
    import auditor

    git = git_state(ROOT)
    figures.environment = {
        "python": platform.python_version(), "implementation": platform.python_implementation(),
        "executable": sys.executable, "platform": platform.platform(), "cpu": cpu_model(),
        "cpus": os.cpu_count(), "loadavg_start": loadavg(), "iam_auditor": auditor.__version__,
        "git_commit": git["commit"], "git_dirty": git["dirty"],
        "inherited_PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE"),
        "bytecode_cache_for_processes": not args.no_bytecode_cache,
    }
    env_ = figures.environment
    print(f"iam-auditor {auditor.__version__} (git {env_['git_commit']}{', uncommitted changes' if git['dirty'] else ''})"
          f" | Python {env_['python']} | {env_['cpu']} x{env_['cpus']} | load {env_['loadavg_start']}")

    with tempfile.TemporaryDirectory(prefix="lint-bench-") as scratch_name:
        scratch = Path(scratch_name)
        corpus_dir = Path(args.keep).resolve() if args.keep else scratch / "corpus"
        corpus_dir.mkdir(parents=True, exist_ok=True)

        # 1. corpus ---------------------------------------------------------------------------
        start = time.perf_counter()
        corpus = generate_corpus(corpus_dir, args.count, args.seed)
        figures.corpus = {
            "count": len(corpus), "seed": args.seed, "digest": corpus_digest(corpus),
            **{k: sum(1 for c in corpus if c.kind == k) for k in ("identity", "trust", "malformed")},
            "yaml": sum(1 for c in corpus if c.fmt == "yaml"),
            "comparable_json": sum(1 for c in corpus if c.comparable),
            "bytes": sum(c.path.stat().st_size for c in corpus),
            "dir": str(corpus_dir) if args.keep else None,
            "generation_s": round(time.perf_counter() - start, 3),
        }
        c = figures.corpus
        print(f"\ncorpus: {c['count']} files (identity {c['identity']}, trust {c['trust']}, malformed "
              f"{c['malformed']}; YAML {c['yaml']}), {c['bytes'] / 1024:.0f} KiB, seed {args.seed}, "
              f"digest {c['digest']}" + (f", kept in {corpus_dir}" if args.keep else ""))

        from auditor.lint import discover

        files = discover([str(corpus_dir)])
        if len(files) != len(corpus):
            raise SystemExit(f"lint_bench: discover() found {len(files)} files, generated {len(corpus)}")
        comparable = [c.path for c in corpus if c.comparable]

        # 2. in-process -----------------------------------------------------------------------
        yaml_preloaded = "yaml" in sys.modules
        cold, warm, results = time_runs(lambda: lint_in_process(files), args.repeat)
        top = best(warm)
        peak = peak_traced(lambda: lint_in_process(files))
        figures.in_process = {
            "files": len(files), "results": len(results), "statuses": status_counts(results),
            "cold": asdict(cold), "warm": [asdict(r) for r in warm], "best": asdict(top),
            "policies_per_s": rate(len(files), top.wall), "cpu_policies_per_s": rate(len(files), top.cpu),
            "cold_policies_per_s": rate(len(files), cold.wall), "us_per_policy": top.wall / len(files) * 1e6,
            "tracemalloc_peak_bytes": peak, "yaml_imported_before_cold_run": yaml_preloaded,
        }
        ip = figures.in_process
        print(f"\nin-process: list(lint_documents(read_document(p) for p in files)), {len(files)} files")
        print(f"  cold (first) run  {cold.wall * 1000:8.1f} ms  {ip['cold_policies_per_s']:8,.0f} policies/s"
              "   (imports the rules" + ("" if yaml_preloaded else " and PyYAML") + ")")
        print(f"  warm best of {args.repeat}   {top.wall * 1000:8.1f} ms  {ip['policies_per_s']:8,.0f} policies/s"
              f"   ({ip['us_per_policy']:.0f} µs/policy; runs " + ", ".join(f"{r.wall * 1000:.0f}" for r in warm)
              + f" ms; CPU best {top.cpu * 1000:.0f} ms = {ip['cpu_policies_per_s']:,.0f}/s)")
        print(f"  tracemalloc peak  {mib(peak)}   {len(results):,} results {ip['statuses']}")

        if args.profile:
            text = profile(files, args.profile)
            figures.profile = text
            print(f"\ncProfile of one warm in-process lint (top {args.profile}; cProfile inflates times):")
            print("\n".join("  " + line for line in text.splitlines() if line.strip()))

        # 3. whole process ----------------------------------------------------------------------
        pycache = None if args.no_bytecode_cache else scratch / "pycache"
        env = child_env(pycache)
        report_path = scratch / "report.json"
        lint_argv = [sys.executable, "-m", "auditor", "lint", str(corpus_dir), "--format", "json",
                     "-o", str(report_path)]
        _, first_code, _, first_err = run_process(lint_argv, env, ROOT)      # warm-up (fills pycache)
        runs = [run_process(lint_argv, env, ROOT) for _ in range(args.repeat)]
        codes = sorted({first_code, *(r[1] for r in runs)})
        ptop = best([r[0] for r in runs])
        report_results = None
        try:
            report_results = json.loads(report_path.read_text())["summary"]["results"]
        except (OSError, ValueError, KeyError, TypeError):
            pass
        stderr = first_err if first_code not in (0, 1) else next((r[3] for r in runs if r[1] not in (0, 1)), "")
        figures.whole_process = {
            "argv": lint_argv, "exit_codes": codes, "runs": [asdict(r[0]) for r in runs], "best": asdict(ptop),
            "median_s": statistics.median(r[0].wall for r in runs),
            "policies_per_s": rate(len(files), ptop.wall), "cpu_policies_per_s": rate(len(files), ptop.cpu),
            "max_rss_bytes": max(r[2] for r in runs), "report_bytes": report_path.stat().st_size
            if report_path.exists() else None,
            "report_results": report_results, "report_matches_in_process": report_results == len(results),
            "stderr": stderr,
        }
        wp = figures.whole_process
        print(f"\nwhole process: python -m auditor lint DIR --format json -o FILE (warm-up + best of {args.repeat})")
        print(f"  wall best {ptop.wall * 1000:.0f} ms (median {wp['median_s'] * 1000:.0f})  "
              f"{wp['policies_per_s']:,.0f} policies/s   CPU {ptop.cpu * 1000:.0f} ms   peak RSS "
              f"{mib(wp['max_rss_bytes'])}   report {(wp['report_bytes'] or 0) / 2**20:.1f} MiB   "
              f"exit {'/'.join(map(str, codes))} (1 expected)")
        if report_results != len(results):
            print(f"  WARNING: the report has {report_results} results; in-process gave {len(results)}")
        if stderr:
            print("  stderr: " + stderr.strip().replace("\n", "\n          "))

        # 4. start-up -----------------------------------------------------------------------------
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "python -m auditor --version": [sys.executable, "-m", "auditor", "--version"],
            "python -m auditor rules --format json": [sys.executable, "-m", "auditor", "rules", "--format", "json"],
        }
        script, script_note = console_script()
        if script:
            commands["iam-auditor --version"] = [script, "--version"]
            commands["iam-auditor rules --format json"] = [script, "rules", "--format", "json"]
        figures.startup = startup_times(commands, args.startup_rounds, env)
        baseline = figures.startup["python -c pass"]["median_ms"]
        print(f"\nstart-up: median of {args.startup_rounds} after one warm-up, ms; bytecode "
              + ("as inherited" if pycache is None else "cached in a temp PYTHONPYCACHEPREFIX")
              + f"; {script_note}")
        for name, st in figures.startup.items():
            over = "" if name == "python -c pass" else f"  +{st['median_ms'] - baseline:.0f} over python -c pass"
            bad = f"   EXIT {st['exit_code']}: {st['stderr'].strip()[-300:]}" if st["exit_code"] else ""
            print(f"  {name:38s} {st['median_ms']:6.1f}  (min {st['min_ms']:5.1f}, max {st['max_ms']:5.1f}, "
                  f"CPU {st['cpu_median_ms']:5.1f}){over}{bad}")

        # 5. parliament ---------------------------------------------------------------------------
        ratio = managed_ratio = None
        if args.no_parliament:
            figures.parliament = {"available": False, "reason": "--no-parliament"}
        else:
            start = time.perf_counter()
            try:
                import parliament  # noqa: F401 - benchmark-only comparison, never a dependency
                reason = None
            except Exception as error:  # noqa: BLE001 - missing or broken: skip the comparison
                reason = f"{type(error).__name__}: {error}"
            import_s = time.perf_counter() - start
            if reason:
                figures.parliament = {"available": False, "reason": reason}
                print(f"\nparliament: not importable ({reason}); comparison skipped")
            else:
                from importlib.metadata import PackageNotFoundError, version

                try:
                    pversion = version("parliament")
                except PackageNotFoundError:
                    pversion = "?"
                figures.parliament = compare_with_parliament(comparable, args.repeat)
                figures.parliament.update(available=True, version=pversion, import_s=import_s)
                ratio = figures.parliament["ratio"]
                print_comparison(f"parliament {pversion} vs iam-auditor, in-process, the same {len(comparable)} "
                                 "well-formed JSON files (YAML, malformed left out)", figures.parliament,
                                 args.repeat, import_s)
                managed = managed_policy_files(scratch)
                figures.managed_policies = compare_with_parliament(managed, args.repeat)
                managed_ratio = figures.managed_policies["ratio"]
                print_comparison(f"the same on AWS's {len(managed)} managed policies (tests/data)",
                                 figures.managed_policies, args.repeat)

        # 6. summary ------------------------------------------------------------------------------
        env_["loadavg_end"] = loadavg()
        rows = [
            ("in-process throughput vs parliament", None if ratio is None else f"{ratio:.1f}x",
             f">= {TARGET_RATIO_VS_PARLIAMENT:g}x", None if ratio is None else ratio >= TARGET_RATIO_VS_PARLIAMENT),
            ("managed policies: vs parliament", None if managed_ratio is None else f"{managed_ratio:.1f}x",
             f">= {TARGET_RATIO_VS_PARLIAMENT:g}x",
             None if managed_ratio is None else managed_ratio >= TARGET_RATIO_VS_PARLIAMENT),
        ]
        for name in commands:
            if name != "python -c pass":
                ms = figures.startup[name]["median_ms"]
                rows.append((f"start-up: {name}", f"{ms:.0f} ms", f"< {TARGET_STARTUP_MS:g} ms",
                             ms < TARGET_STARTUP_MS))
        figures.targets = [{"name": n, "value": v, "goal": g, "verdict": verdict(ok)} for n, v, g, ok in rows]
        info = [
            ("corpus", f"{len(files)} files, seed {args.seed}, digest {c['digest']}"),
            ("in-process, warm best", f"{ip['policies_per_s']:,.0f} policies/s ({top.wall * 1000:.0f} ms)"),
            ("in-process, cold first run", f"{ip['cold_policies_per_s']:,.0f} policies/s ({cold.wall * 1000:.0f} ms)"),
            ("in-process, tracemalloc peak", mib(peak)),
            ("whole process, best", f"{wp['policies_per_s']:,.0f} policies/s ({ptop.wall * 1000:.0f} ms, exit "
                                    f"{'/'.join(map(str, codes))})"),
            ("whole process, peak RSS", mib(wp["max_rss_bytes"])),
            ("start-up: python -c pass", f"{baseline:.0f} ms"),
        ]
        if figures.parliament.get("available"):
            pa = figures.parliament
            info.append(("same files: parliament / iam-auditor",
                         f"{pa['policies_per_s']:,.0f} / {pa['iam_auditor_same_files']['policies_per_s']:,.0f} policies/s"))
        info.append(("load average start -> end", f"{env_['loadavg_start']} -> {env_['loadavg_end']}"))
        print_summary(info, rows, env_, value_width=10, rule_width=36,
                      advice="wall times are inflated (CPU-time figures are steadier). Re-run on a quiet machine.")

        if args.json:
            Path(args.json).write_text(json.dumps(asdict(figures), indent=2, default=str) + "\n", encoding="utf-8")
            print(f"figures written to {args.json}")

    broken = any(code not in (0, 1) for code in figures.whole_process["exit_codes"]) or \
        any(st["exit_code"] for st in figures.startup.values())
    missed = any(t["verdict"] == "MISS" for t in figures.targets)
    return 1 if broken or (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
