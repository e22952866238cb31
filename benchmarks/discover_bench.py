#!/usr/bin/env python3
"""Speed, API-call and memory benchmark of `iam-auditor discover` against a local moto server.

    python benchmarks/discover_bench.py                  # N = 1000 roles and 1000 users
    python benchmarks/discover_bench.py --large          # N = 5000
    python benchmarks/discover_bench.py --n 2000 --json discover-bench.json --keep-server

Starts moto's ThreadedMotoServer on 127.0.0.1 (a free port, never another address) in a child
process of its own, builds a deterministic synthetic account with plain boto3 (N roles with
varied trust policies and inline and attached policies, N users, 20 groups, 50 shared managed
policies), and then, in the same run, times:

  (a) the bare download: GetAccountAuthorizationDetails (paginated) + ListRoles, plain boto3,
      both as a whole `python -c` process and in this process (client made before timing);
  (b) `python -m auditor discover --format json -o FILE`, end to end as a process: wall time,
      API calls (from the report), peak RSS, and whether it found every planted integration
      and reported no other role;
  (c) a naive per-role fetch with plain boto3: GetRole, ListAttachedRolePolicies,
      ListRolePolicies, GetRolePolicy per inline policy, GetPolicy + GetPolicyVersion per
      attached policy (a sample of roles, extrapolated linearly, when N > 1000).

It prints the ratios b/a and c/b, the targets (issue 5) with PASS/MISS, an in-process breakdown
of where discover's time goes, and a cProfile of the evaluation when b/a misses (or --profile).
See benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import multiprocessing
import os
import platform
import random
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:          # run from a checkout: `python benchmarks/discover_bench.py`
    sys.path.insert(0, str(ROOT))

import _spawn as spawn  # noqa: E402 - benchmarks/ is this script's directory
from _report import git_state, loadavg, print_summary, verdict  # noqa: E402
from _env import FAKE_KEY, FAKE_SECRET, HOST, REGION, aws_env, child_env  # noqa: E402

ACCOUNT = "123456789012"               # moto's default account
OTHER_ACCOUNT = "210987654321"         # a partner account some trust policies name

# Targets (issue 5).
TARGET_B_OVER_A = 1.3
TARGET_PEAK_MB = 500.0
# Targets (issue 14): the organization pass.
TARGET_ORG_SPEEDUP = 5.0
TARGET_ORG_MEMORY_RATIO = 1.25         # peak RSS over every account / over a third of them

# The account's shape: shares of the N roles by trust policy.
SHARE_USER_TRUST = 0.05                # a specific IAM user, with an sts:ExternalId condition
SHARE_ROOT_TRUST = 0.02                # this account's root (or bare account ID)
SHARE_STAR_TRUST = 0.005               # "*"
SHARE_PARTNER_TRUST = 0.005            # another account's root (a decoy: no user here pairs)
SHARE_FEDERATED = 0.01                 # an OIDC provider (AssumeRoleWithWebIdentity; a decoy)
SHARE_USER_GRANT = 0.80                # of the user-trusting roles: the user may assume it
MANAGED_POLICIES = 50
GROUPS = 20
OPERATORS = 10                         # users of the group allowed to assume role/xacct-*
NAIVE_FULL_UP_TO = 1000                # larger N: the naive fetch times a sample, extrapolated
NAIVE_SAMPLE = 500

SECRET_READ = ("secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue")
ASSUME = "sts:AssumeRole"
SERVICES = ("ec2.amazonaws.com", "lambda.amazonaws.com", "ecs-tasks.amazonaws.com",
            "glue.amazonaws.com", "states.amazonaws.com", "events.amazonaws.com")
GENERIC_ACTIONS = ("s3:GetObject", "s3:ListBucket", "s3:PutObject", "s3:*", "ec2:Describe*",
                   "logs:CreateLogStream", "logs:PutLogEvents", "logs:*", "kms:Decrypt",
                   "dynamodb:Query", "dynamodb:GetItem", "sqs:SendMessage", "sns:Publish",
                   "lambda:InvokeFunction", "ssm:GetParameter*", "cloudwatch:PutMetricData")
SECRET_NAMES = ("prod/db", "prod/api-key", "staging/db", "catalog/reader", "payments/stripe",
                "analytics/warehouse")


# --------------------------------------------------------------------------------------------
# The moto server, in a child process of its own
# --------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# Reads whose answers `_serve` may replay (organization pass): the account's state does not
# change while the timed runs read it, and AWS computes these answers on its own machines.
# AssumeRole's answer too: its credentials stay valid for the whole pass (moto keeps them an
# hour), and moto minting new ones was a third of the server's CPU, on the auditor's cores.
# GenerateCredentialReport's only once it says COMPLETE (an account's first answer is STARTED).
REPLAYABLE = frozenset({"GetAccountAuthorizationDetails", "ListRoles", "GetCredentialReport",
                        "GetCallerIdentity", "ListAccounts", "AssumeRole", "GenerateCredentialReport"})
REPLAYED_ONLY_WITH = {"GenerateCredentialReport": b"<State>COMPLETE</State>"}


def _serve(port: int, conn, latency, replay) -> None:
    """Child process: moto's server app on 127.0.0.1 until the parent says stop (or goes).

    This is what moto's ThreadedMotoServer runs (werkzeug, a thread per request), with two
    additions: while `latency` (a shared value, in ms) is set, every AWS request first waits
    that long without holding the GIL, as a round trip to AWS would; and while `replay` is set,
    a call of REPLAYABLE that moto already answered for the same account and parameters gets
    moto's first (complete) answer again, the same bytes, instead of moto computing it anew: AWS's CPU
    is not on the auditor's machine, moto's is (on 2 cores, it was half of every account's
    time)."""
    import io
    import logging
    import re
    from urllib.parse import parse_qs

    from moto.iam.models import get_account_id_from
    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import WSGIRequestHandler, make_server

    # No access log line per request, and no traceback for the build's concurrent-write 500s
    # (the builder retries them and counts them).
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    app = DomainDispatcherApplication(create_backend_app)
    answers: dict = {}
    accounts: dict[str, str] = {}           # access key ID -> its account
    access_key = re.compile(r"Credential=([^/]+)/")

    def replayed(environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        action = parse_qs(body.decode("utf-8", "replace")).get("Action", [target.rsplit(".", 1)[-1]])[0]
        key_id = access_key.search(environ.get("HTTP_AUTHORIZATION", ""))
        if action not in REPLAYABLE or not key_id:
            return app(environ, start_response)
        if key_id.group(1) not in accounts:         # moto's lookup scans every backend
            accounts[key_id.group(1)] = get_account_id_from(key_id.group(1))
        key = (accounts[key_id.group(1)], target, body)
        if key not in answers:
            seen = {}

            def keep(status, headers, exc_info=None):
                seen["status"], seen["headers"] = status, headers
                return start_response(status, headers, exc_info)

            chunks = b"".join(app(environ, keep))
            if seen.get("status", "").startswith("200") and REPLAYED_ONLY_WITH.get(action, b"") in chunks:
                answers[key] = (seen["status"], seen["headers"], chunks)
            return [chunks]
        status, headers, chunks = answers[key]
        start_response(status, headers)
        return [chunks]

    def delayed(environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/moto-api"):
            return app(environ, start_response)
        if latency.value:
            time.sleep(latency.value / 1000)
        return (replayed if replay.value else app)(environ, start_response)

    class KeepAlive(WSGIRequestHandler):
        # AWS keeps connections open; werkzeug's default (HTTP/1.0) closes each one, so every
        # call would pay a TCP connect and a new server thread that AWS does not charge.
        protocol_version = "HTTP/1.1"

    server = make_server(HOST, port, delayed, threaded=True, request_handler=KeepAlive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    conn.send("started")
    try:
        conn.recv()                     # "stop", or EOFError when the parent is gone
    except (EOFError, KeyboardInterrupt):
        pass
    server.shutdown()


class Server:
    """The server runs in its own process so that the clients timed here, the builder's threads
    and the `discover` process all compete with it alike (never for the same GIL)."""

    def __init__(self):
        self.port = free_port()
        self.endpoint = f"http://{HOST}:{self.port}"
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self.latency_ms = ctx.Value("i", 0, lock=False)   # set by the latency pass
        self.replay = ctx.Value("i", 0, lock=False)       # set by the organization pass
        self.process = ctx.Process(target=_serve, args=(self.port, child, self.latency_ms, self.replay), daemon=True,
                                   name="moto-server")

    def start(self) -> "Server":
        self.process.start()
        if not self._conn.poll(60) or self._conn.recv() != "started":
            self.stop()
            raise SystemExit(f"discover_bench: moto server on {self.endpoint} did not start")
        deadline = time.monotonic() + 20
        while True:                     # wait until it answers
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/data.json", timeout=2).read()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit(f"discover_bench: moto server on {self.endpoint} did not answer")
                time.sleep(0.05)

    def cpu(self) -> float:
        """CPU seconds the server process has used so far (Linux /proc; NaN elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return float("nan")

    def rss_mb(self) -> float:
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")

    def stop(self) -> None:
        if self.process.is_alive():
            try:
                self._conn.send("stop")
            except OSError:
                pass
            self.process.join(10)
            if self.process.is_alive():     # only this process object, which we started
                self.process.terminate()
                self.process.join(5)


def plain_session():
    import boto3

    return boto3.Session(aws_access_key_id=FAKE_KEY, aws_secret_access_key=FAKE_SECRET,
                         region_name=REGION)


def plain_client(endpoint: str, session=None):
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 5}, read_timeout=300,
                    max_pool_connections=16)
    return (session or plain_session()).client("iam", endpoint_url=endpoint, config=config)


# --------------------------------------------------------------------------------------------
# The synthetic account: a plan (pure, deterministic) and its build
# --------------------------------------------------------------------------------------------

def _doc(*statements) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _actions(statement: dict) -> list[str]:
    action = statement.get("Action", [])
    return [action] if isinstance(action, str) else list(action)


def _resources(statement: dict) -> list[str]:
    resource = statement.get("Resource", [])
    return [resource] if isinstance(resource, str) else list(resource)


def _grants(document: dict, action: str) -> list[str]:
    """Resource patterns of the document's Allow statements covering `action` (the plan has no
    Deny, NotAction or NotResource, so this is IAM's answer for the planted documents)."""
    out = []
    for statement in document["Statement"]:
        if statement["Effect"] == "Allow" and any(
                fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _actions(statement)):
            out += _resources(statement)
    return out


def _covers(patterns, arn: str) -> bool:
    return any(fnmatch.fnmatchcase(arn, p) for p in patterns)


@dataclass
class UserPlan:
    name: str
    attached: list[int] = field(default_factory=list)           # managed policy indexes
    inline: list[tuple[str, dict]] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)
    access_key: bool = False

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{ACCOUNT}:user/{self.name}"


@dataclass
class RolePlan:
    name: str
    kind: str                           # user | root | star | partner | federated | service
    trust: dict
    max_session: int
    attached: list[int] = field(default_factory=list)
    inline: list[tuple[str, dict]] = field(default_factory=list)
    admits: tuple[str, ...] | None = ()  # user ARNs the trust admits; None = every user here

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{ACCOUNT}:role/{self.name}"


@dataclass
class AccountPlan:
    n: int
    seed: int
    policies: list[tuple[str, dict]]
    groups: list[tuple[str, list[int], list[tuple[str, dict]]]]
    users: list[UserPlan]
    roles: list[RolePlan]
    planted: set[str] = field(default_factory=set)         # role ARNs with a (role, user) pair
    # Roles whose trust lets in "*", another account, the account's root or one of its users:
    # discover reports them whether or not a user is paired (rules catalogue, v1.1).
    trust_exposed: set[str] = field(default_factory=set)
    secret_roles: set[str] = field(default_factory=set)    # role ARNs that can read secrets
    paired_users: set[str] = field(default_factory=set)    # user ARNs in some pair
    pairs: int = 0

    def policy_arn(self, index: int) -> str:
        return f"arn:aws:iam::{ACCOUNT}:policy/{self.policies[index][0]}"

    def calls(self) -> int:
        """Create calls the build makes."""
        return (len(self.policies)
                + sum(1 + len(a) + len(i) for _, a, i in self.groups)
                + sum(1 + len(u.attached) + len(u.inline) + len(u.groups) + u.access_key for u in self.users)
                + sum(1 + len(r.attached) + len(r.inline) for r in self.roles))


def _secret_arn(rng: random.Random) -> str:
    name = rng.choice(SECRET_NAMES)
    return rng.choice((f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-??????",
                       f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name.split('/')[0]}/*",
                       f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:*"))


def _generic_statement(rng: random.Random) -> dict:
    actions = rng.sample(GENERIC_ACTIONS, rng.randint(1, 3))
    resource = rng.choice(("*", f"arn:aws:s3:::bucket-{rng.randrange(50)}/*",
                           f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/app/{rng.randrange(50)}:*"))
    return {"Effect": "Allow", "Action": actions if len(actions) > 1 else actions[0], "Resource": resource}


def _managed_policies(rng: random.Random) -> list[tuple[str, dict]]:
    """0-4 read secrets, 5 lets operators assume role/xacct-*, 6-9 touch secrets without
    reading them, 10 is an administrator policy (roles only), the rest are ordinary."""
    reading = (["secretsmanager:GetSecretValue"], ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
               "secretsmanager:Get*", "secretsmanager:*", ["secretsmanager:BatchGetSecretValue", "secretsmanager:ListSecrets"])
    not_reading = ("secretsmanager:DescribeSecret", "secretsmanager:List*", "secretsmanager:Describe*",
                   ["secretsmanager:ListSecrets", "secretsmanager:PutSecretValue"])
    out = []
    for i, action in enumerate(reading):
        out.append((f"bench-read-secrets-{i}", _doc({"Effect": "Allow", "Action": action, "Resource": _secret_arn(rng)},
                                                   _generic_statement(rng))))
    out.append(("bench-assume-xacct", _doc({"Effect": "Allow", "Action": ASSUME,
                                             "Resource": f"arn:aws:iam::{ACCOUNT}:role/xacct-*"})))
    for i, action in enumerate(not_reading):
        out.append((f"bench-secrets-meta-{i}", _doc({"Effect": "Allow", "Action": action, "Resource": "*"})))
    out.append(("bench-admin", _doc({"Effect": "Allow", "Action": "*", "Resource": "*"})))
    while len(out) < MANAGED_POLICIES:
        out.append((f"bench-app-{len(out):02d}", _doc(*[_generic_statement(rng) for _ in range(rng.randint(1, 4))])))
    return out


ROLE_POOL = [i for i in range(MANAGED_POLICIES) if i != 5]
USER_POOL = [i for i in range(MANAGED_POLICIES) if i not in (5, 10)]   # no user is an administrator


def plan_account(n: int, seed: int) -> AccountPlan:
    rng = random.Random(seed)
    policies = _managed_policies(rng)

    groups = [("bench-xacct-operators", [5], [("read-own", _doc({"Effect": "Allow", "Action": "iam:GetUser",
                                                                     "Resource": "*"}))])]
    for g in range(1, GROUPS):
        attached = rng.sample(USER_POOL, rng.randint(1, 2))
        inline = [("group-inline", _doc(_generic_statement(rng)))] if rng.random() < 0.5 else []
        groups.append((f"bench-group-{g:02d}", attached, inline))

    users = [UserPlan(f"bench-user-{i:05d}") for i in range(n)]
    for user in users:
        user.attached = rng.sample(USER_POOL, rng.choice((0, 1, 1, 2)))
        if rng.random() < 0.5:
            user.inline.append(("self-service", _doc({"Effect": "Allow", "Action": ["iam:GetUser", "iam:ListAccessKeys"],
                                                      "Resource": user.arn})))
        user.groups = rng.sample(range(1, GROUPS), rng.choice((0, 1, 1, 2)))
        user.access_key = rng.random() < 0.05
        if rng.random() < 0.02:         # may assume service roles, which admit no user: a decoy
            user.inline.append(("assume-app-roles", _doc({"Effect": "Allow", "Action": ASSUME,
                                                          "Resource": f"arn:aws:iam::{ACCOUNT}:role/svc-*"})))
    order = list(range(n))
    rng.shuffle(order)
    operators, order = order[:min(OPERATORS, n)], order[min(OPERATORS, n):]
    for i in operators:
        users[i].groups = [0] + users[i].groups
        users[i].access_key = True

    counts = {"user": round(SHARE_USER_TRUST * n), "root": round(SHARE_ROOT_TRUST * n),
              "star": max(1, round(SHARE_STAR_TRUST * n)), "partner": max(1, round(SHARE_PARTNER_TRUST * n)),
              "federated": round(SHARE_FEDERATED * n)}
    kinds = [k for k, c in counts.items() for _ in range(c)]
    kinds += ["service"] * (n - len(kinds))
    rng.shuffle(kinds)
    integration_users = iter(order)     # distinct users, none of them operators
    roles = []
    seen = Counter()
    for kind in kinds:
        seen[kind] += 1
        k = seen[kind]
        condition = None
        admits: tuple[str, ...] | None = ()
        if kind == "user":
            user = users[next(integration_users)]
            name = f"integration-{k:05d}"
            principal = {"AWS": user.arn}
            if rng.random() < 0.2:      # a second, foreign user
                principal = {"AWS": [user.arn, f"arn:aws:iam::{OTHER_ACCOUNT}:user/partner-{k}"]}
            condition = {"StringEquals": {"sts:ExternalId": str(uuid.UUID(int=rng.getrandbits(128)))}}
            admits = (user.arn,)
            user.access_key = True
            role_arn = f"arn:aws:iam::{ACCOUNT}:role/{name}"
            if rng.random() < SHARE_USER_GRANT:
                resource = role_arn if rng.random() < 0.9 else f"arn:aws:iam::{ACCOUNT}:role/integration-*"
                user.inline.append((f"assume-{name}", _doc({"Effect": "Allow", "Action": ASSUME, "Resource": resource})))
        elif kind == "root":
            name = f"xacct-root-{k:05d}" if k % 2 else f"legacy-root-{k:05d}"
            principal = {"AWS": rng.choice((f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT))}
            if rng.random() < 0.5:
                condition = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
            admits = None
        elif kind == "star":
            name = f"xacct-public-{k:05d}" if k % 2 else f"open-{k:05d}"
            principal = rng.choice(({"AWS": "*"}, "*"))
            if rng.random() < 0.5:
                condition = {"StringEquals": {"aws:PrincipalOrgID": "o-abcdef1234"}}
            admits = None
        elif kind == "partner":
            name = f"partner-{k:05d}"
            principal = {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}
            condition = {"StringEquals": {"sts:ExternalId": str(uuid.UUID(int=rng.getrandbits(128)))}}
        elif kind == "federated":
            name = f"ci-oidc-{k:05d}"
            principal = {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"}
        else:
            name = f"svc-{k:05d}"
            picked = rng.sample(SERVICES, rng.choice((1, 1, 1, 2)))
            principal = {"Service": picked[0] if len(picked) == 1 else picked}
        action = "sts:AssumeRoleWithWebIdentity" if kind == "federated" else (
            [ASSUME, "sts:TagSession"] if kind == "user" and rng.random() < 0.3 else ASSUME)
        statement = {"Effect": "Allow", "Principal": principal, "Action": action}
        if condition:
            statement["Condition"] = condition
        statements = [statement]
        if kind == "user" and rng.random() < 0.1:
            statements.append({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": ASSUME})
        role = RolePlan(name, kind, _doc(*statements), rng.choice((3600, 3600, 7200, 14400, 43200)), admits=admits)
        role.attached = rng.sample(ROLE_POOL, rng.choice((0, 1, 1, 2)))
        reads = rng.random() < (0.7 if kind == "user" else 0.08)
        if reads:
            action = rng.choice(("secretsmanager:GetSecretValue", ["secretsmanager:GetSecretValue",
                                 "secretsmanager:DescribeSecret"], "secretsmanager:BatchGetSecretValue"))
            role.inline.append(("read-secrets", _doc({"Effect": "Allow", "Action": action, "Resource": _secret_arn(rng)})))
        if rng.random() < 0.6:
            role.inline.append(("app-access", _doc(*[_generic_statement(rng) for _ in range(rng.randint(1, 3))])))
        roles.append(role)

    plan = AccountPlan(n, seed, policies, groups, users, roles)
    _expect(plan)
    return plan


def _expect(plan: AccountPlan) -> None:
    """The ground truth: planted integrations (a trust that admits a user here, and that user's
    policies allow sts:AssumeRole on the role) and secret-reading roles."""
    docs = [d for _, d in plan.policies]
    group_docs = [[docs[i] for i in attached] + [d for _, d in inline] for _, attached, inline in plan.groups]
    assume = {}
    for user in plan.users:
        documents = [docs[i] for i in user.attached] + [d for _, d in user.inline] + \
            [d for g in user.groups for d in group_docs[g]]
        patterns = [p for d in documents for p in _grants(d, ASSUME)]
        if patterns:
            assume[user.arn] = patterns
    for role in plan.roles:
        if role.admits is None:
            candidates = assume
        else:
            candidates = {u: assume[u] for u in role.admits if u in assume}
        paired = [u for u, patterns in candidates.items() if _covers(patterns, role.arn)]
        if paired:
            plan.planted.add(role.arn)
            plan.paired_users.update(paired)
            plan.pairs += len(paired)
        if role.kind in ("user", "root", "star", "partner"):
            plan.trust_exposed.add(role.arn)
        documents = [docs[i] for i in role.attached] + [d for _, d in role.inline]
        if any(_grants(d, a) for d in documents for a in SECRET_READ):
            plan.secret_roles.add(role.arn)


class Builder:
    """Runs the create calls on a pool of threads, one boto3 client per thread."""

    def __init__(self, endpoint: str, workers: int):
        self.endpoint = endpoint
        self.workers = workers
        self._local = threading.local()
        self._lock = threading.Lock()
        self.calls = 0
        self.retries = 0

    def iam(self):
        if not hasattr(self._local, "iam"):
            with self._lock:            # boto3 sessions are not thread-safe to create clients from
                self._local.iam = plain_client(self.endpoint)
        return self._local.iam

    def call(self, method: str, **params) -> dict:
        """One create call. moto's IAM backend is not thread-safe: a request that iterates the
        roles while another thread adds one fails with a 500 (RuntimeError, "dictionary changed
        size during iteration"), so those are retried here."""
        from botocore.exceptions import ClientError
        from botocore.parsers import ResponseParserError

        with self._lock:
            self.calls += 1
        for attempt in range(10):
            try:
                return getattr(self.iam(), method)(**params)
            except ClientError as error:    # a retried create that had in fact succeeded
                if error.response.get("Error", {}).get("Code") == "EntityAlreadyExists":
                    return {}
                if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) < 500 or attempt == 9:
                    raise
            except ResponseParserError:     # moto's HTML 500 page
                if attempt == 9:
                    raise
            with self._lock:
                self.retries += 1
            time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")

    def run(self, label: str, tasks: list, fn, quiet: bool) -> None:
        start = time.perf_counter()
        done = 0
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="build") as pool:
            for _ in pool.map(fn, tasks):
                done += 1
                if not quiet and sys.stderr.isatty() and done % 200 == 0:
                    print(f"\r  {label}: {done}/{len(tasks)}", end="", file=sys.stderr, flush=True)
        if not quiet and sys.stderr.isatty():
            print(f"\r  {label}: {done}/{len(tasks)} in {time.perf_counter() - start:.1f} s", file=sys.stderr)


def build_account(plan: AccountPlan, endpoint: str, workers: int, quiet: bool = False) -> tuple[int, int]:
    """(create calls, retried 500s)"""
    builder = Builder(endpoint, workers)
    call = builder.call

    def policy(item):
        name, doc = item
        call("create_policy", PolicyName=name, PolicyDocument=json.dumps(doc))

    def group(item):
        name, attached, inline = item
        call("create_group", GroupName=name)
        for i in attached:
            call("attach_group_policy", GroupName=name, PolicyArn=plan.policy_arn(i))
        for policy_name, doc in inline:
            call("put_group_policy", GroupName=name, PolicyName=policy_name, PolicyDocument=json.dumps(doc))

    def user(u: UserPlan):
        call("create_user", UserName=u.name)
        for i in u.attached:
            call("attach_user_policy", UserName=u.name, PolicyArn=plan.policy_arn(i))
        for policy_name, doc in u.inline:
            call("put_user_policy", UserName=u.name, PolicyName=policy_name, PolicyDocument=json.dumps(doc))
        for g in u.groups:
            call("add_user_to_group", GroupName=plan.groups[g][0], UserName=u.name)
        if u.access_key:
            call("create_access_key", UserName=u.name)

    def role(r: RolePlan):
        call("create_role", RoleName=r.name, AssumeRolePolicyDocument=json.dumps(r.trust),
             MaxSessionDuration=r.max_session)
        for i in r.attached:
            call("attach_role_policy", RoleName=r.name, PolicyArn=plan.policy_arn(i))
        for policy_name, doc in r.inline:
            call("put_role_policy", RoleName=r.name, PolicyName=policy_name, PolicyDocument=json.dumps(doc))

    builder.run("policies", plan.policies, policy, quiet)
    builder.run("groups", plan.groups, group, quiet)
    builder.run("users", plan.users, user, quiet)     # before the roles whose trust names them
    builder.run("roles", plan.roles, role, quiet)
    return builder.calls, builder.retries


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------

@dataclass
class Run:
    wall: float           # seconds
    cpu: float            # seconds of the child's user+sys CPU (or this thread's, in-process)
    server_cpu: float     # seconds of CPU the moto server process used meanwhile
    max_rss_mb: float = float("nan")
    tree_rss_mb: float = float("nan")    # peak of the sum over the child and its worker processes


def run_process(argv: list[str], env: dict, server: Server, stdout: Path | None = None) -> tuple[Run, int, str]:
    """(times and the child's own peak RSS, exit code, stderr tail) of one child process."""
    with tempfile.TemporaryDirectory(prefix="discover-bench-run-") as scratch:
        err = Path(scratch) / "stderr"
        server_cpu = server.cpu()
        done = spawn.run(argv, env, ROOT, stdout, err)
        return (Run(done["wall"], done["cpu"], server.cpu() - server_cpu, done["rss_mb"],
                    done.get("tree_rss_mb", done["rss_mb"])), done["code"],
                err.read_text(errors="replace")[-2000:])


# (a) The bare download, written once: run by `python -c` as a whole process (start-up, boto3
# import, client, calls), and exec'd here for the in-process timing (the client made before).
DOWNLOAD = r"""
def download(iam):
    keys = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
    details, gaad_pages = {k: [] for k in keys}, 0
    for page in iam.get_paginator("get_account_authorization_details").paginate(
            Filter=["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"],
            PaginationConfig={"PageSize": 1000}):
        gaad_pages += 1
        for k in keys:
            details[k].extend(page.get(k, []))
    roles, list_pages = [], 0
    for page in iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 1000}):
        list_pages += 1
        roles.extend(page["Roles"])
    return ({"gaad_pages": gaad_pages, "list_roles_pages": list_pages,
             "roles": len(details["RoleDetailList"]), "users": len(details["UserDetailList"]),
             "groups": len(details["GroupDetailList"]), "policies": len(details["Policies"]),
             "listed_roles": len(roles)}, [r["RoleName"] for r in roles])
"""
DOWNLOAD_SCRIPT = DOWNLOAD + r"""
import json, sys
import boto3
json.dump(download(boto3.Session().client("iam"))[0], sys.stdout)
"""
_download_namespace: dict = {}
exec(DOWNLOAD, _download_namespace)  # noqa: S102 - our own constant, the same text the process runs


def download_in_process(iam) -> tuple[dict, list[str]]:
    """(a) in this process: the same calls, the client made beforehand. (counts, role names)"""
    return _download_namespace["download"](iam)


def timed_in_process(fn, server: Server):
    server_cpu = server.cpu()
    cpu, start = time.thread_time(), time.perf_counter()
    value = fn()
    return Run(time.perf_counter() - start, time.thread_time() - cpu, server.cpu() - server_cpu), value


def naive_fetch(iam, role_names: list[str]) -> int:
    """(c): what a per-role tool does. Returns the number of calls made."""
    calls = 0
    for name in role_names:
        iam.get_role(RoleName=name)
        attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        inline = iam.list_role_policies(RoleName=name)["PolicyNames"]
        calls += 3
        for policy_name in inline:
            iam.get_role_policy(RoleName=name, PolicyName=policy_name)
            calls += 1
        for item in attached:
            version = iam.get_policy(PolicyArn=item["PolicyArn"])["Policy"]["DefaultVersionId"]
            iam.get_policy_version(PolicyArn=item["PolicyArn"], VersionId=version)
            calls += 2
    return calls


def discover_argv(report: Path) -> list[str]:
    return [sys.executable, "-m", "auditor", "discover", "--format", "json", "-o", str(report)]


def check_report(path: Path, plan: AccountPlan) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    results = data.get("results", [])
    resources = {r["resource"] for r in results}
    roles = {r for r in resources if ":role/" in r}
    expected = plan.planted | plan.secret_roles | plan.trust_exposed
    return {"api_calls": data.get("api_calls"), "results": len(results),
            "statuses": dict(sorted(Counter(r["status"] for r in results).items())),
            "rules": dict(sorted(Counter(r["rule_id"] for r in results).items())),
            "roles_reported": len(roles),
            "planted": len(plan.planted), "found": len(plan.planted & roles),
            "missed": sorted(plan.planted - roles), "extra": sorted(roles - expected),
            "secret_roles": len(plan.secret_roles), "secret_found": len(plan.secret_roles & roles),
            "secret_missed": sorted(plan.secret_roles - roles),
            "exposed": len(plan.trust_exposed), "exposed_missed": sorted(plan.trust_exposed - roles),
            "errors": [r["message"] for r in results if r["status"] == "ERROR"][:5]}


def breakdown(endpoint: str, profile_top: int | None) -> dict:
    """discover's phases in this process, calling the functions `discover` calls: a first (cold)
    pass as the `discover` process runs them, then a second (warm) pass of the evaluation, whose
    difference is the one-time cost (rule imports, the action catalogue). With `profile_top`,
    a third pass of the evaluation (pairing, rules, JSON rendering) runs under cProfile."""
    import cProfile
    import io
    import pstats

    from auditor.aws import Clients
    from auditor.collectors import Collector, _open_sessions
    from auditor.discover import add_key_state, evaluate_account, find_pairs, read_account
    from auditor.report import Report
    from auditor.reports import render
    from auditor.settings import Settings

    saved = {k: os.environ.get(k) for k in (*aws_env(endpoint), "AWS_PROFILE")}
    os.environ.update(aws_env(endpoint))
    os.environ.pop("AWS_PROFILE", None)
    cold: dict[str, float] = {}
    warm: dict[str, float] = {}

    def phase(into, name, fn):
        start = time.perf_counter()
        value = fn()
        into[name] = time.perf_counter() - start
        return value

    try:
        settings = Settings()
        clients = Clients(None)
        phase(cold, "clients (iam, sts)", lambda: _open_sessions(clients, {None}))
        state = phase(cold, "read_account (GAAD + ListRoles)", lambda: read_account(clients, None))
        found = phase(cold, "find_pairs", lambda: find_pairs(state))
        users = phase(cold, "add_key_state (per paired user)",
                      lambda: add_key_state(Collector(clients), None, [u for _, u in found[0]]))

        def evaluate(into):
            pairs, secret_roles = phase(into, "find_pairs", lambda: find_pairs(state))
            pairs = [(role, users[user.arn]) for role, user in pairs]
            results = phase(into, "evaluate_account (rules)",
                            lambda: evaluate_account(state, pairs, secret_roles, REGION, settings))
            phase(into, "render JSON", lambda: render(Report("discover", results, extra={"api_calls": clients.calls}),
                                                      "json", color=False))
            return pairs, secret_roles, results

        # The cold pass reuses the find_pairs above (already timed cold).
        pairs = [(role, users[user.arn]) for role, user in found[0]]
        results = phase(cold, "evaluate_account (rules)",
                        lambda: evaluate_account(state, pairs, found[1], REGION, settings))
        phase(cold, "render JSON", lambda: render(Report("discover", results, extra={"api_calls": clients.calls}),
                                                  "json", color=False))
        evaluate(warm)
        profile_text = None
        if profile_top:
            profiler = cProfile.Profile()
            profiler.runcall(evaluate, {})
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).strip_dirs()
            stats.sort_stats("cumulative").print_stats(profile_top)
            stats.sort_stats("tottime").print_stats(profile_top)
            profile_text = out.getvalue()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return {"cold_s": cold, "warm_s": warm, "pairs": len(pairs), "secret_roles": len(found[1]),
            "results": len(results), "api_calls": clients.calls, "profiled": bool(profile_top),
            "profile": profile_text}


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------

@dataclass
class Figures:
    environment: dict = field(default_factory=dict)
    latency: dict = field(default_factory=dict)
    account: dict = field(default_factory=dict)
    download: dict = field(default_factory=dict)
    discover: dict = field(default_factory=dict)
    naive: dict = field(default_factory=dict)
    breakdown: dict = field(default_factory=dict)
    ratios: dict = field(default_factory=dict)
    targets: list = field(default_factory=list)
    organization: dict = field(default_factory=dict)


def _interrupt(*_args) -> None:
    raise KeyboardInterrupt


def med(runs: list[Run], attr: str = "wall") -> float:
    return statistics.median(getattr(r, attr) for r in runs)


def organization_pass(args, pycache_root: Path) -> tuple[dict, list, list, list[str]]:
    """`discover --organization` on its own moto server: sequential against --org-concurrency, every
    request delayed --latency ms; then the peak RSS over a third of the accounts against all of
    them. Returns (figures, summary info, target rows, problems)."""
    import _organization as org

    m, r, c = args.org_accounts, args.org_roles, args.org_concurrency
    broken: list[str] = []
    server = Server().start()
    try:
        with tempfile.TemporaryDirectory(prefix="discover-bench-org-") as scratch_name:
            scratch = Path(scratch_name)
            env = child_env(ROOT, server.endpoint, pycache_root)
            print(f"\norganization: {m} accounts x {r} roles ({org.USERS} users each) on moto server "
                  f"{server.endpoint}; building ...", flush=True)
            built = org.build_organization(server.endpoint, m, r, args.workers, args.seed)
            print(f"  built in {built['build_s']:.1f} s ({built['create_calls']} create calls)")
            out = scratch / "org.jsonl"

            def run(concurrency, accounts_file=None):
                out.unlink(missing_ok=True)
                timed, code, err = run_process(org.discover_org_argv(sys.executable, out, concurrency, accounts_file),
                                               env, server)
                seen = org.read_stream(out)
                if code not in (0, 1) or "Traceback" in err or not seen["complete"] or seen["errors"]:
                    broken.append(f"discover --organization (concurrency {concurrency}) exit {code}, "
                                  f"{seen}: {err.strip()[-300:]}")
                return timed, seen

            server.replay.value = 1
            run(c)   # warm-up, no delay: bytecode cached, credential reports generated, answers kept
            server.latency_ms.value = args.latency
            try:
                seq, conc = [], []
                print(f"  sequential (--max-accounts 1) and --max-accounts {c}, alternating, "
                      f"{args.org_repeat} run(s) each, {args.latency} ms per request, moto's answers "
                      "replayed ...", flush=True)
                for _ in range(args.org_repeat):
                    seq.append(run(1))
                    conc.append(run(c))
                third = org.write_accounts_file(scratch / "third.yaml", built["account_ids"][:max(c, m // 3)])
                part = run(c, third)
                server.replay.value = 0
                print("  once more each with moto computing every answer (its CPU on the same cores) ...",
                      flush=True)
                moto_seq, moto_conc = run(1), run(c)
            finally:
                server.latency_ms.value = 0
            seq_s = statistics.median(t.wall for t, _ in seq)
            conc_s = statistics.median(t.wall for t, _ in conc)
            seq_in = statistics.median(seen["elapsed_s"] for _, seen in seq)
            conc_in = statistics.median(seen["elapsed_s"] for _, seen in conc)
            seen = conc[-1][1]
            # The whole tree's (the command and its worker processes), not one process's.
            peak_all = max(t.tree_rss_mb for t, _ in conc)
            peak_seq = max(t.tree_rss_mb for t, _ in seq)
            cores = os.cpu_count() or 1
            conc_cpu = statistics.median(t.cpu for t, _ in conc)
            conc_server = statistics.median(t.server_cpu for t, _ in conc)
            figures = {"build": {k: v for k, v in built.items() if k != "account_ids"},
                       "latency_ms": args.latency, "concurrency": c,
                       "sequential": [asdict(t) for t, _ in seq], "concurrent": [asdict(t) for t, _ in conc],
                       "sequential_s": seq_s, "concurrent_s": conc_s, "speedup": seq_s / conc_s,
                       "sequential_in_run_s": seq_in, "concurrent_in_run_s": conc_in,
                       "speedup_in_run": seq_in / conc_in,
                       # However much the waits overlap, the concurrent run cannot take less than
                       # its CPU time (the command's, its workers' and the server's, which share
                       # the machine's cores) spread over every core.
                       "cpu_bound_ceiling": seq_s / ((conc_cpu + conc_server) / cores),
                       "cores": cores,
                       "per_account": {"client_cpu_s": conc_cpu / m, "server_cpu_s": conc_server / m,
                                       "sequential_wall_s": seq_s / m},
                       "moto_computing": {"sequential": asdict(moto_seq[0]), "concurrent": asdict(moto_conc[0]),
                                          "speedup": moto_seq[0].wall / moto_conc[0].wall},
                       "stream": seen, "peak_rss_mb_sequential": peak_seq, "peak_rss_mb_concurrent": peak_all,
                       "part_accounts": part[1]["accounts"], "peak_rss_mb_part": part[0].tree_rss_mb,
                       "memory_ratio": peak_all / part[0].tree_rss_mb}
            f = figures
            print(f"  process wall: sequential {seq_s:7.2f} s   concurrency {c} {conc_s:7.2f} s   "
                  f"speed-up {f['speedup']:.1f}x")
            print(f"  in the run (after start-up and imports): {seq_in:.2f} s / {conc_in:.2f} s, "
                  f"speed-up {f['speedup_in_run']:.1f}x")
            print(f"  CPU-bound ceiling (sequential wall / ((client + server CPU) / {cores} cores)): "
                  f"{f['cpu_bound_ceiling']:.1f}x")
            per = f["per_account"]
            print(f"  per account: client CPU {per['client_cpu_s'] * 1000:.0f} ms, server CPU "
                  f"{per['server_cpu_s'] * 1000:.0f} ms, sequential wall {per['sequential_wall_s'] * 1000:.0f} ms")
            print(f"  moto computing every answer: {moto_seq[0].wall:.2f} s / {moto_conc[0].wall:.2f} s, speed-up "
                  f"{f['moto_computing']['speedup']:.1f}x (server CPU {moto_seq[0].server_cpu:.1f} s / "
                  f"{moto_conc[0].server_cpu:.1f} s)")
            print(f"  API calls per account {seen['calls_per_account_min']}-{seen['calls_per_account_max']} "
                  f"(total {seen['api_calls']}, {seen['accounts']} accounts, key facts {', '.join(seen['key_facts'])})")
            print(f"  peak RSS: sequential {peak_seq:.0f} MB; concurrency {c}: {part[1]['accounts']} accounts "
                  f"{part[0].tree_rss_mb:.0f} MB, {seen['accounts']} accounts {peak_all:.0f} MB "
                  f"(the process and its workers, summed)")
    finally:
        server.stop()
    info = [(f"organization: {m} accounts x {r} roles, {args.latency} ms/request",
             f"sequential {seq_s:.1f} s, concurrency {c} {conc_s:.1f} s (process wall)"),
            ("organization: in the run / moto computing", f"{f['speedup_in_run']:.1f}x / "
                                                         f"{f['moto_computing']['speedup']:.1f}x"),
            ("organization: CPU-bound ceiling", f"{f['cpu_bound_ceiling']:.1f}x"),
            ("organization: per account client / server CPU, seq wall",
             f"{f['per_account']['client_cpu_s'] * 1000:.0f} / {f['per_account']['server_cpu_s'] * 1000:.0f} ms, "
             f"{f['per_account']['sequential_wall_s'] * 1000:.0f} ms"),
            ("organization: API calls per account", f"{seen['calls_per_account_min']}-{seen['calls_per_account_max']}"),
            ("organization: peak RSS seq / conc", f"{peak_seq:.0f} MB / {peak_all:.0f} MB")]
    rows = [(f"organization speed-up, concurrency {c} vs sequential", f"{f['speedup']:.1f}x",
             f">= {TARGET_ORG_SPEEDUP:g}x", f["speedup"] >= TARGET_ORG_SPEEDUP),
            (f"peak RSS {m} accounts / {part[1]['accounts']} accounts (in flight {c})",
             f"{f['memory_ratio']:.2f}", f"<= {TARGET_ORG_MEMORY_RATIO}", f["memory_ratio"] <= TARGET_ORG_MEMORY_RATIO)]
    return figures, info, rows, broken


def _organization_only(args, figures: Figures) -> int:
    env_ = figures.environment
    try:
        with tempfile.TemporaryDirectory(prefix="discover-bench-pyc-") as pycache:
            figures.organization, info, rows, broken = organization_pass(
                args, None if args.no_bytecode_cache else Path(pycache))
    finally:
        spawn.stop()
    env_["loadavg_end"] = loadavg()
    figures.targets = [{"name": nm, "value": v, "goal": g, "verdict": verdict(ok)} for nm, v, g, ok in rows]
    print_summary(info + [("load average start -> end", f"{env_['loadavg_start']} -> {env_['loadavg_end']}")],
                  rows, env_, value_width=14, rule_width=40, broken=broken,
                  advice="wall times are inflated. Re-run on a quiet machine.")
    if args.json:
        Path(args.json).write_text(json.dumps(asdict(figures), indent=2, default=str) + "\n", encoding="utf-8")
    missed = any(t["verdict"] == "MISS" for t in figures.targets)
    return 1 if broken or (args.strict and missed) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=None, metavar="N",
                        help="roles and users in the synthetic account (default 1000)")
    parser.add_argument("--large", action="store_true", help="N = 5000 (and check the memory target)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the account's plan (default 1)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="timed runs of (a) and (b), alternating, after one warm-up each (default 3, "
                             "2 when N > 2000; median reported)")
    parser.add_argument("--workers", type=int, default=8, help="threads making the create calls (default 8)")
    parser.add_argument("--naive-sample", type=int, default=None, metavar="K",
                        help=f"roles the naive fetch times (default: all up to N={NAIVE_FULL_UP_TO}, "
                             f"else {NAIVE_SAMPLE}, extrapolated linearly)")
    parser.add_argument("--profile", type=int, nargs="?", const=15, default=None, metavar="TOP",
                        help="cProfile the in-process evaluation even when b/a passes (top 15)")
    parser.add_argument("--latency", type=int, default=50, metavar="MS",
                        help="then time (a) and (b) again with every AWS request delayed MS ms, as a "
                             "round trip to AWS would be (default 50; 0: skip that pass)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON to FILE")
    parser.add_argument("--keep-server", action="store_true",
                        help="leave the moto server (and the account) up at the end until Ctrl-C")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="run the child processes with the inherited environment instead of "
                             "caching bytecode in a temp PYTHONPYCACHEPREFIX")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--org-accounts", type=int, default=50, metavar="M",
                        help="organization pass: accounts, the management account included (default 50)")
    parser.add_argument("--org-roles", type=int, default=200, metavar="R", help="organization pass: roles per account "
                        "(default 200)")
    parser.add_argument("--org-concurrency", type=int, default=8, metavar="C",
                        help="organization pass: --max-accounts of the concurrent run (default 8)")
    parser.add_argument("--org-repeat", type=int, default=1, metavar="K",
                        help="organization pass: timed runs of each of sequential and concurrent (default 1)")
    parser.add_argument("--no-organization", action="store_true", help="skip the organization pass")
    parser.add_argument("--organization-only", action="store_true",
                        help="only the organization pass (no single-account (a), (b), (c))")
    args = parser.parse_args(argv)
    n = args.n if args.n is not None else (5000 if args.large else 1000)
    if args.repeat is None:
        args.repeat = 3 if n <= 2000 else 2
    if n < 100 or args.repeat < 1 or args.workers < 1:
        parser.error("--n must be at least 100; --repeat and --workers positive")
    sample = args.naive_sample or (n if n <= NAIVE_FULL_UP_TO else NAIVE_SAMPLE)
    sample = min(sample, n)

    spawn.start()                      # before the imports below make this process big

    import auditor
    import boto3
    import moto

    git = git_state(ROOT)
    figures = Figures()
    figures.environment = {
        "python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
        "iam_auditor": auditor.__version__, "boto3": boto3.__version__, "moto": moto.__version__,
        "git_commit": git["commit"], "git_dirty": git["dirty"], "loadavg_start": loadavg(),
        "bytecode_cache_for_processes": not args.no_bytecode_cache, "n": n, "seed": args.seed,
        "repeat": args.repeat,
    }
    env_ = figures.environment
    print(f"iam-auditor {auditor.__version__} (git {git['commit']}{', uncommitted changes' if git['dirty'] else ''})"
          f" | Python {env_['python']} | boto3 {boto3.__version__} | moto {moto.__version__}"
          f" | x{env_['cpus']} CPUs | load {env_['loadavg_start']}")

    if args.organization_only:
        return _organization_only(args, figures)
    server = Server().start()
    broken: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="discover-bench-") as scratch_name:
            scratch = Path(scratch_name)
            pycache = None if args.no_bytecode_cache else scratch / "pycache"
            env = child_env(ROOT, server.endpoint, pycache)

            # 1. the account ----------------------------------------------------------------
            plan = plan_account(n, args.seed)
            kinds = Counter(r.kind for r in plan.roles)
            print(f"\nmoto server {server.endpoint} (own process, pid {server.process.pid})\n"
                  f"account: {n} roles, {n} users, {len(plan.groups)} groups, {len(plan.policies)} managed "
                  f"policies; building ({plan.calls()} create calls, {args.workers} threads) ...", flush=True)
            start, server_cpu = time.perf_counter(), server.cpu()
            made, retried = build_account(plan, server.endpoint, args.workers)
            build_s = time.perf_counter() - start
            figures.account = {
                "endpoint": server.endpoint, "roles": n, "users": n, "groups": len(plan.groups),
                "managed_policies": len(plan.policies), "role_trust_kinds": dict(kinds),
                "attached_role_policies": sum(len(r.attached) for r in plan.roles),
                "inline_role_policies": sum(len(r.inline) for r in plan.roles),
                "attached_user_policies": sum(len(u.attached) for u in plan.users),
                "inline_user_policies": sum(len(u.inline) for u in plan.users),
                "group_memberships": sum(len(u.groups) for u in plan.users),
                "access_keys": sum(u.access_key for u in plan.users),
                "planted_integrations": len(plan.planted), "pairs": plan.pairs,
                "paired_users": len(plan.paired_users), "secret_reading_roles": len(plan.secret_roles),
                "create_calls": made, "retried_server_errors": retried, "build_s": build_s, "create_calls_per_s": made / build_s,
                "server_cpu_s": server.cpu() - server_cpu, "server_rss_mb": server.rss_mb(),
            }
            a_ = figures.account
            print(f"  built in {build_s:.1f} s ({made / build_s:.0f} calls/s, {retried} moto 500s retried; server CPU {a_['server_cpu_s']:.1f} s, "
                  f"RSS {a_['server_rss_mb']:.0f} MB)")
            print("  role trust: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])))
            print(f"  planted integrations {len(plan.planted)} ({plan.pairs} role/user pairs, "
                  f"{len(plan.paired_users)} distinct users); secret-reading roles {len(plan.secret_roles)}; "
                  f"access keys {a_['access_keys']}")

            # 2. (a) download and (b) discover, alternating ---------------------------------
            iam = plain_client(server.endpoint)
            counts, role_names = download_in_process(iam)            # warm-up; checks the build
            if counts["roles"] != n or counts["users"] != n or counts["listed_roles"] != n:
                broken.append(f"the build is incomplete: {counts}")
            a_proc_argv = [sys.executable, "-c", DOWNLOAD_SCRIPT]
            b_report = scratch / "discover.json"
            a_proc_out = scratch / "download.json"

            def run_a_proc():
                run, code, err = run_process(a_proc_argv, env, server, stdout=a_proc_out)
                if code:
                    broken.append(f"(a) process exit {code}: {err.strip()[-300:]}")
                return run

            def run_b():
                b_report.unlink(missing_ok=True)
                run, code, err = run_process(discover_argv(b_report), env, server)
                if code not in (0, 1) or "Traceback" in err or not b_report.exists():
                    broken.append(f"discover exit {code}: {err.strip()[-500:]}")
                return run, code

            print(f"\n(a) download and (b) discover: one warm-up each, then {args.repeat} alternating runs", flush=True)
            run_a_proc()
            run_b()
            a_proc, a_in, b_runs, codes = [], [], [], []
            for _ in range(args.repeat):
                a_proc.append(run_a_proc())
                a_in.append(timed_in_process(lambda: download_in_process(iam), server)[0])
                run, code = run_b()
                b_runs.append(run)
                codes.append(code)
                if broken:
                    break
            proc_counts = json.loads(a_proc_out.read_text() or "{}") if a_proc_out.exists() else {}
            pages = counts["gaad_pages"] + counts["list_roles_pages"]
            figures.download = {
                "calls": pages, **counts, "process": [asdict(r) for r in a_proc], "in_process": [asdict(r) for r in a_in],
                "process_median_s": med(a_proc), "in_process_median_s": med(a_in),
                "process_counts": proc_counts,
            }
            print(f"  (a) GAAD {counts['gaad_pages']} page(s) + ListRoles {counts['list_roles_pages']} page(s) = "
                  f"{pages} calls")
            print(f"      as a process   {med(a_proc):7.2f} s  (CPU {med(a_proc, 'cpu'):.2f} s, server CPU "
                  f"{med(a_proc, 'server_cpu'):.2f} s, peak RSS {max(r.max_rss_mb for r in a_proc):.0f} MB)")
            print(f"      in-process     {med(a_in):7.2f} s  (CPU {med(a_in, 'cpu'):.2f} s, server CPU "
                  f"{med(a_in, 'server_cpu'):.2f} s; client made before timing)")

            check = check_report(b_report, plan) if b_report.exists() else {}
            peak = max(r.max_rss_mb for r in b_runs)
            figures.discover = {"runs": [asdict(r) for r in b_runs], "median_s": med(b_runs), "exit_codes": codes,
                                "peak_rss_mb": peak, **check}
            d = figures.discover
            print(f"  (b) discover       {med(b_runs):7.2f} s  (CPU {med(b_runs, 'cpu'):.2f} s, server CPU "
                  f"{med(b_runs, 'server_cpu'):.2f} s, peak RSS {peak:.0f} MB, exit {'/'.join(map(str, codes))})")
            if check:
                print(f"      api_calls {d['api_calls']}; {d['results']} results {d['statuses']}")
                print(f"      planted integrations: found {d['found']}/{d['planted']}, missed {len(d['missed'])}, "
                      f"extra roles {len(d['extra'])}; secret-reading roles reported "
                      f"{d['secret_found']}/{d['secret_roles']}; roles a trust exposes reported "
                      f"{d['exposed'] - len(d['exposed_missed'])}/{d['exposed']}")
                for label, items in (("missed", d["missed"]), ("extra", d["extra"]),
                                     ("trust-exposed role missed", d["exposed_missed"]),
                                     ("secret-reading role missed", d["secret_missed"])):
                    if items:
                        print(f"      {label}: {', '.join(items[:5])}{' ...' if len(items) > 5 else ''}")
                for message in d["errors"]:
                    print(f"      ERROR result: {message[:200]}")

            # 2b. the same with an AWS-like round trip per request ------------------------------
            if args.latency > 0 and not broken:
                print(f"\n(a) and (b) again, every request delayed {args.latency} ms (a round trip to AWS; "
                      f"{args.repeat} alternating runs)", flush=True)
                server.latency_ms.value = args.latency
                try:
                    la, lb = [], []
                    for _ in range(args.repeat):
                        la.append(run_a_proc())
                        lb.append(run_b()[0])
                finally:
                    server.latency_ms.value = 0
                figures.latency = {"ms": args.latency, "download": [asdict(r) for r in la],
                                   "discover": [asdict(r) for r in lb], "download_median_s": med(la),
                                   "discover_median_s": med(lb), "b_over_a": med(lb) / med(la)}
                print(f"  (a) download {med(la):7.2f} s   (b) discover {med(lb):7.2f} s   b/a {med(lb) / med(la):.2f}")

            # 3. (c) naive per-role fetch -----------------------------------------------------
            rng = random.Random(args.seed)
            picked = role_names if sample >= n else rng.sample(role_names, sample)
            print(f"\n(c) naive per-role fetch, {'all' if sample >= n else 'a sample of'} {len(picked)} roles, "
                  "one plain boto3 client, sequential ...", flush=True)
            run, calls = timed_in_process(lambda: naive_fetch(iam, picked), server)
            scale = n / len(picked)
            full_calls = sum(3 + len(r.inline) + 2 * len(r.attached) for r in plan.roles)
            figures.naive = {"roles_timed": len(picked), "calls_timed": calls, "wall_timed_s": run.wall,
                             "cpu_timed_s": run.cpu, "server_cpu_timed_s": run.server_cpu,
                             "extrapolated": sample < n, "wall_s": run.wall * scale, "calls": full_calls,
                             "calls_per_s": calls / run.wall}
            c = figures.naive
            print(f"  {calls} calls in {run.wall:.2f} s ({calls / run.wall:.0f} calls/s; CPU {run.cpu:.2f} s, server CPU "
                  f"{run.server_cpu:.2f} s)")
            if sample < n:
                print(f"  extrapolated linearly to {n} roles: {c['wall_s']:.1f} s, {full_calls} calls "
                      f"(the call count is exact, from the plan)")
            print("  (roles only: a per-role tool would still need every user's policies to pair them)")

            # 4. where discover's time goes, in this process ----------------------------------
            b_over_a = med(b_runs) / med(a_proc)
            b_over_a_in = med(b_runs) / med(a_in)
            profile_top = args.profile or (15 if b_over_a > TARGET_B_OVER_A else None)
            print("\ndiscover in this process (the functions `discover` calls), seconds per phase:", flush=True)
            figures.breakdown = bd = breakdown(server.endpoint, profile_top)
            print(f"  {'phase':34s} {'first':>7s} {'again':>7s}")
            for name, seconds in bd["cold_s"].items():
                again = bd["warm_s"].get(name)
                print(f"  {name:34s} {seconds:7.2f} {'' if again is None else f'{again:7.2f}'}")
            one_time = sum(bd["cold_s"][k] - bd["warm_s"][k] for k in bd["warm_s"])
            print(f"  {bd['pairs']} pairs, {bd['secret_roles']} secret-reading roles, {bd['results']} results, "
                  f"{bd['api_calls']} API calls; one-time cost of the first evaluation {one_time:.2f} s "
                  "(rule imports, action catalogue)")
            if bd["profile"]:
                print(f"\ncProfile of a further evaluation in this process (find_pairs, evaluate_account, render "
                      f"JSON; warm: the one-time cost is not in it), top {profile_top} by cumulative, then by own time:")
                print(bd["profile"].rstrip())

            # 5. summary --------------------------------------------------------------------
            # discover's key facts: GenerateCredentialReport (twice when the first answer is
            # STARTED) and GetCredentialReport, whatever N; per paired user only with --fresh-keys
            key_calls = 3
            # discover: GetCallerIdentity, its two GAAD streams (users, roles: each at most the
            # combined stream's pages), ListRoles' pages, and the key calls
            discover_pages = 2 * counts["gaad_pages"] + counts["list_roles_pages"]
            expected_calls = 1 + discover_pages + key_calls
            c_over_b = c["wall_s"] / med(b_runs)
            figures.ratios = {"b_over_a": b_over_a, "b_over_a_in_process": b_over_a_in, "c_over_b": c_over_b,
                              "discover_calls_expected": expected_calls, "key_calls_expected": key_calls}
            env_["loadavg_end"] = loadavg()
            api_calls = d.get("api_calls")
            rows = [
                ("b/a (discover / download, both whole processes)", f"{b_over_a:.2f}", f"<= {TARGET_B_OVER_A}",
                 b_over_a <= TARGET_B_OVER_A),
                ("discover API calls: pages + credential report, not N", f"{api_calls}",
                 f"<= {expected_calls}", None if api_calls is None else api_calls <= expected_calls),
                ("found every planted integration and exposed role, no other", f"{d.get('found')}/{d.get('planted')}"
                 f" +{len(d.get('extra', []))}", "all, +0",
                 None if not check else not d["missed"] and not d["extra"] and not d["exposed_missed"]),
                ("peak RSS of discover at N=5000", f"{peak:.0f} MB", f"< {TARGET_PEAK_MB:g} MB",
                 (peak < TARGET_PEAK_MB) if n >= 5000 else None),
            ]
            org_info = []
            if not args.no_organization and not broken:
                figures.organization, org_info, org_rows, org_broken = organization_pass(args, pycache)
                rows += org_rows
                broken += org_broken
                env_["loadavg_end"] = loadavg()
            figures.targets = [{"name": nm, "value": v, "goal": g, "verdict": verdict(ok)} for nm, v, g, ok in rows]
            info = [
                ("account", f"N={n} (seed {args.seed}): {len(plan.planted)} planted, {len(plan.secret_roles)} "
                            f"secret-reading roles; built in {build_s:.0f} s"),
                ("(a) download: calls, process / in-process",
                 f"{pages}, {med(a_proc):.2f} s / {med(a_in):.2f} s"),
                ("(b) discover: calls, wall, peak RSS", f"{api_calls}, {med(b_runs):.2f} s, {peak:.0f} MB"),
                (f"(c) naive per-role: calls, wall{' (extrapolated)' if sample < n else ''}",
                 f"{full_calls}, {c['wall_s']:.1f} s"),
                ("b/a in-process download", f"{b_over_a_in:.2f}"),
                *([(f"b/a with {figures.latency['ms']} ms per request",
                    f"{figures.latency['b_over_a']:.2f} ({figures.latency['discover_median_s']:.2f} s / "
                    f"{figures.latency['download_median_s']:.2f} s)")] if figures.latency else []),
                ("c/b", f"{c_over_b:.1f}x"),
                ("discover API calls / N", f"{(api_calls or 0) / n:.3f} (at most 1 + {discover_pages} pages + "
                                           f"{key_calls} credential-report calls; {len(plan.paired_users)} paired users)"),
                *org_info,
                ("load average start -> end", f"{env_['loadavg_start']} -> {env_['loadavg_end']}"),
            ]
            print_summary(info, rows, env_, value_width=14, rule_width=40, broken=broken,
                          advice="wall times are inflated. Re-run on a quiet machine.")

            if args.json:
                Path(args.json).write_text(json.dumps(asdict(figures), indent=2, default=str) + "\n",
                                           encoding="utf-8")
                print(f"figures written to {args.json}")
            if args.keep_server:
                print(f"\nmoto server still up at {server.endpoint} (AWS_ENDPOINT_URL={server.endpoint}, "
                      f"keys {FAKE_KEY}/{FAKE_SECRET}); Ctrl-C to stop.", flush=True)
                signal.signal(signal.SIGINT, signal.default_int_handler)   # even when started in the background
                signal.signal(signal.SIGTERM, _interrupt)
                try:
                    while server.process.is_alive():
                        time.sleep(1)
                except KeyboardInterrupt:
                    pass
    finally:
        server.stop()
        spawn.stop()

    missed = any(t["verdict"] == "MISS" for t in figures.targets)
    return 1 if broken or (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
