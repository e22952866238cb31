#!/usr/bin/env python3
"""API-call and wall-time benchmark of `iam-auditor scan` against a local moto server.

    python benchmarks/scan_bench.py                      # 20 profiles per multi-profile case
    python benchmarks/scan_bench.py --profiles 50 --json scan-bench.json

Starts moto's ThreadedMotoServer on 127.0.0.1 (a free port, never another address) in this
process, builds a typical set-up with plain boto3, and runs the real CLI as a subprocess
(`python -m auditor scan -c CFG --format json -o FILE`) on three configurations:

  (a) one profile;
  (b) N profiles sharing one role and one user;
  (c) N profiles, each with its own role, user, group and policies.

It reads `api_calls` from each JSON report, lists the calls per operation by counting them with a
botocore event hook in an in-process `auditor.collectors.collect` against the same server, and
measures in the same run, as baselines: the same calls made sequentially with plain boto3, and
the whole-process time of `python -m auditor --version`. See benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:          # run from a checkout: `python benchmarks/scan_bench.py`
    sys.path.insert(0, str(ROOT))

from _report import busy_note, git_state, loadavg, verdict  # noqa: E402 - benchmarks/ is this script's directory
from _env import FAKE_KEY, FAKE_SECRET, HOST, REGION, aws_env, child_env  # noqa: E402

ACCOUNT = "123456789012"               # moto's default account
EXTERNAL_ID = "7f3c9a1e-52b4-4d8e-a6c1-0b9e2f4d7a35"

# Targets (issue 3, "Performance"; issue 11: at most 4 more per secret, a shared key read once).
TARGET_CALLS_PER_TYPICAL_PROFILE = 20
TARGET_SECRET_SIDE_CALLS_PER_SECRET = 4
SECRET_SIDE = ("secretsmanager:", "kms:")
STARTUP_ROUNDS = 7
BARE_ROUNDS = 7


# --------------------------------------------------------------------------------------------
# The moto server and the account
# --------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_server():
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)   # no access log line per request

    port = free_port()
    server = ThreadedMotoServer(ip_address=HOST, port=port, verbose=False)
    server.start()
    endpoint = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 20
    while True:                         # wait until it answers
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=2).read()
            break
        except OSError:
            if time.monotonic() > deadline:
                server.stop()
                raise SystemExit(f"scan_bench: moto server on {endpoint} did not come up")
            time.sleep(0.05)
    return server, endpoint


def plain_session():
    import boto3

    return boto3.Session(aws_access_key_id=FAKE_KEY, aws_secret_access_key=FAKE_SECRET,
                         region_name=REGION)


def _doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@dataclass
class SetUp:
    """One typical set-up: what a profile of the configuration points at."""
    suffix: str
    role_arn: str
    user: str
    access_key_id: str
    secret_arn: str


def build_key(kms) -> str:
    """One customer managed key shared by every set-up's secret; its policy delegates to the
    account (AWS KMS's default key policy), so each role holds kms:Decrypt itself."""
    return kms.create_key(Policy=_doc({"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                                       "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                       "Action": "kms:*", "Resource": "*"}))["KeyMetadata"]["Arn"]


def build_setup(iam, secrets, suffix: str, key_arn: str) -> SetUp:
    """The guide's set-up, typical size: a role with one managed and one inline policy; a user
    with one managed and one inline policy, in one group that has an attached and an inline
    policy; one access key; a login profile; a secret under the shared customer managed key,
    with a resource policy naming the role."""
    user = f"bench-reader{suffix}"
    role = f"bench-read-secrets{suffix}"
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{role}"
    secret_arn = secrets.create_secret(Name=f"bench/db{suffix}", SecretString="not-a-real-password",
                                       KmsKeyId=key_arn)["ARN"]

    def policy(name, *statements):
        return iam.create_policy(PolicyName=name, PolicyDocument=_doc(*statements))["Policy"]["Arn"]

    user_arn = iam.create_user(UserName=user)["User"]["Arn"]
    iam.attach_user_policy(UserName=user, PolicyArn=policy(
        f"bench-assume{suffix}", {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}))
    iam.put_user_policy(UserName=user, PolicyName="self-service", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": ["iam:GetUser", "iam:ListAccessKeys"],
         "Resource": user_arn}))
    key_id = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    iam.create_login_profile(UserName=user, Password="Not-a-real-Passw0rd!")

    group = f"bench-readers{suffix}"
    iam.create_group(GroupName=group)
    iam.attach_group_policy(GroupName=group, PolicyArn=policy(
        f"bench-group-mfa{suffix}", {"Effect": "Allow", "Action": "iam:ListMFADevices", "Resource": user_arn}))
    iam.put_group_policy(GroupName=group, PolicyName="change-password", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "iam:ChangePassword", "Resource": user_arn}))
    iam.add_user_to_group(GroupName=group, UserName=user)

    iam.create_role(RoleName=role, MaxSessionDuration=14400, AssumeRolePolicyDocument=_doc(
        {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}}))
    iam.attach_role_policy(RoleName=role, PolicyArn=policy(
        f"bench-read-secrets-policy{suffix}",
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret_arn}))
    iam.put_role_policy(RoleName=role, PolicyName="describe", PolicyDocument=_doc(
        {"Effect": "Allow", "Action": "secretsmanager:DescribeSecret", "Resource": secret_arn},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arn}))
    secrets.put_resource_policy(SecretId=secret_arn, ResourcePolicy=_doc(
        {"Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": "secretsmanager:GetSecretValue",
         "Resource": "*"}))
    return SetUp(suffix, role_arn, user, key_id, secret_arn)


def profile_entry(name: str, s: SetUp) -> dict:
    return {"name": name, "auth_type": "iam_role", "region": REGION, "user": s.user,
            "role_arn": s.role_arn, "external_id": EXTERNAL_ID, "sts_duration": 3600,
            "access_key_id": s.access_key_id, "secret_access_key": "${BENCH_SECRET}",
            "secrets": [s.secret_arn]}


def write_config(path: Path, profiles: list[dict]) -> Path:
    import yaml

    path.write_text(yaml.safe_dump({"version": 1, "profiles": profiles}, sort_keys=False),
                    encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------

@dataclass
class Run:
    wall: float           # seconds
    cpu: float            # seconds of the child's user+sys CPU
    server_cpu: float     # seconds of CPU this process (the moto server) used meanwhile


def run_process(argv: list[str], env: dict) -> tuple[Run, int, str]:
    """(times, exit code, stderr tail) of one child process."""
    with tempfile.TemporaryFile() as err:
        server_cpu = time.process_time()
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                env=env, cwd=ROOT)
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            cpu = usage.ru_utime + usage.ru_stime
        else:  # pragma: no cover - no wait4 (Windows)
            proc.wait()
            elapsed, cpu = time.perf_counter() - start, float("nan")
        err.seek(0)
        return (Run(elapsed, cpu, time.process_time() - server_cpu), proc.returncode,
                err.read().decode(errors="replace")[-2000:])


def scan_argv(config: Path, report: Path) -> list[str]:
    return [sys.executable, "-m", "auditor", "scan", "-c", str(config), "--format", "json", "-o", str(report)]


def read_report(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    statuses = Counter(r["status"] for r in data.get("results", []))
    return {"api_calls": data.get("api_calls"), "results": len(data.get("results", [])),
            "statuses": dict(sorted(statuses.items())),
            "collection_errors": data.get("collection_errors", []),
            "profiles": len(data.get("profiles", []))}


class CallRecorder:
    """Counts every API call (botocore `before-call`, the event `Clients.calls` counts) and keeps
    each call's parameters (`before-parameter-build`), on every session the collector opens."""

    def __init__(self):
        self.calls: list[tuple[str, str, str, dict]] = []   # (action, service, operation, params)
        self.counted = Counter()
        self.collect_s = 0.0        # wall time of the collect() call, clients created included

    def install(self, session) -> None:
        events = session.events if hasattr(session, "events") else session._session.get_component("event_emitter")
        events.register("before-parameter-build.*.*", self._params, unique_id="scan-bench-params")
        events.register("before-call.*.*", self._count, unique_id="scan-bench-count")

    @staticmethod
    def _action(model) -> tuple[str, str]:
        service = model.service_model
        return f"{service.signing_name or service.endpoint_prefix}:{model.name}", service.service_name

    def _params(self, params, model, **_kwargs) -> None:
        action, service = self._action(model)
        self.calls.append((action, service, model.name, copy.deepcopy(params)))

    def _count(self, model, **_kwargs) -> None:
        self.counted[self._action(model)[0]] += 1


def collect_in_process(config: Path, endpoint: str) -> tuple[int, CallRecorder, list[str]]:
    """`auditor.collectors.collect` for a configuration, against the server, with a recorder
    added next to the read-only guard on every boto3 session. (snapshot.api_calls, recorder,
    collection errors)."""
    from auditor import readonly
    from auditor.collectors import collect
    from auditor.config import load_config

    saved = {k: os.environ.get(k) for k in (*aws_env(endpoint), "AWS_PROFILE", "BENCH_SECRET")}
    os.environ.update(aws_env(endpoint))
    os.environ["BENCH_SECRET"] = "x" * 40
    os.environ.pop("AWS_PROFILE", None)
    recorder = CallRecorder()
    original = readonly.install

    def install(session):
        original(session)
        recorder.install(session)

    readonly.install = install
    try:
        loaded = load_config(config)
        start = time.perf_counter()
        snapshot = collect(loaded.profiles)
        recorder.collect_s = time.perf_counter() - start
    finally:
        readonly.install = original
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return snapshot.api_calls, recorder, [e.describe() for e in snapshot.errors] + [
        e.describe() for state in (*snapshot.roles.values(), *snapshot.users.values()) for e in state.errors]


def bare_calls(calls, endpoint: str, rounds: int) -> dict:
    """The collector's calls for one profile, replayed one after another with plain boto3 clients
    (created before timing: the figure is the calls only)."""
    from botocore import xform_name

    session = plain_session()
    clients = {service: session.client(service, endpoint_url=endpoint) for _, service, _, _ in calls}
    sequence = [(getattr(clients[service], xform_name(op)), params) for _, service, op, params in calls]

    def once():
        start = time.perf_counter()
        for method, params in sequence:
            method(**copy.deepcopy(params))
        return time.perf_counter() - start

    once()                              # warm-up: first-call costs of each client
    samples = [once() for _ in range(rounds)]
    return {"calls": len(sequence), "rounds": rounds, "median_ms": statistics.median(samples) * 1000,
            "min_ms": min(samples) * 1000, "max_ms": max(samples) * 1000,
            "samples_ms": [s * 1000 for s in samples]}


def startup(env: dict, rounds: int) -> dict:
    commands = {"python -c pass": [sys.executable, "-c", "pass"],
                "python -m auditor --version": [sys.executable, "-m", "auditor", "--version"]}
    samples: dict[str, list[Run]] = {name: [] for name in commands}
    codes = {}
    for name, argv in commands.items():         # one discarded warm-up each (fills bytecode cache)
        _, codes[name], _ = run_process(argv, env)
    for _ in range(rounds):
        for name, argv in commands.items():
            run, code, _ = run_process(argv, env)
            samples[name].append(run)
            codes[name] = code or codes[name]
    return {name: {"median_ms": statistics.median(r.wall for r in runs) * 1000,
                   "min_ms": min(r.wall for r in runs) * 1000,
                   "cpu_median_ms": statistics.median(r.cpu for r in runs) * 1000,
                   "exit_code": codes[name]} for name, runs in samples.items()}


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------

@dataclass
class Figures:
    environment: dict = field(default_factory=dict)
    setup: dict = field(default_factory=dict)
    cases: dict = field(default_factory=dict)
    operations: dict = field(default_factory=dict)
    baseline: dict = field(default_factory=dict)
    ratios: dict = field(default_factory=dict)
    targets: list = field(default_factory=list)




def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", type=int, default=20, metavar="N",
                        help="profiles in the two multi-profile cases (default 20)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON to FILE")
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed scans per case after one warm-up (default 3; median reported)")
    parser.add_argument("--startup-rounds", type=int, default=STARTUP_ROUNDS,
                        help=f"runs of each start-up command (default {STARTUP_ROUNDS}; median reported)")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="run the child processes with the inherited environment instead of "
                             "caching bytecode in a temp PYTHONPYCACHEPREFIX")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.profiles < 2 or args.repeat < 1 or args.startup_rounds < 1:
        parser.error("--profiles must be at least 2; --repeat and --startup-rounds positive")
    n = args.profiles

    import auditor
    import boto3
    import moto

    git = git_state(ROOT)
    figures = Figures()
    figures.environment = {
        "python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
        "iam_auditor": auditor.__version__, "boto3": boto3.__version__, "moto": moto.__version__,
        "git_commit": git["commit"], "git_dirty": git["dirty"], "loadavg_start": loadavg(),
        "bytecode_cache_for_processes": not args.no_bytecode_cache,
    }
    env_ = figures.environment
    print(f"iam-auditor {auditor.__version__} (git {git['commit']}{', uncommitted changes' if git['dirty'] else ''})"
          f" | Python {env_['python']} | boto3 {boto3.__version__} | moto {moto.__version__}"
          f" | x{env_['cpus']} CPUs | load {env_['loadavg_start']}")

    server, endpoint = start_server()
    broken: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="scan-bench-") as scratch_name:
            scratch = Path(scratch_name)
            pycache = None if args.no_bytecode_cache else scratch / "pycache"
            env = child_env(ROOT, endpoint, pycache, BENCH_SECRET="x" * 40)

            # 1. the account ----------------------------------------------------------------
            start = time.perf_counter()
            session = plain_session()
            iam = session.client("iam", endpoint_url=endpoint)
            secrets = session.client("secretsmanager", endpoint_url=endpoint)
            key_arn = build_key(session.client("kms", endpoint_url=endpoint))
            shared = build_setup(iam, secrets, "", key_arn)
            own = [build_setup(iam, secrets, f"-{k:03d}", key_arn) for k in range(1, n + 1)]
            figures.setup = {"endpoint": endpoint, "set_ups": n + 1, "build_s": time.perf_counter() - start,
                             "per_set_up": "role: 1 managed + 1 inline policy, trust with ExternalId; user: "
                                           "1 managed + 1 inline policy, 1 group (1 attached + 1 inline), "
                                           "1 access key, login profile; 1 secret (resource policy) "
                                           "under 1 customer managed key shared by all"}
            print(f"\nmoto server {endpoint}; {n + 1} typical set-ups built in {figures.setup['build_s']:.1f} s "
                  f"({figures.setup['per_set_up']})")

            configs = {
                "1 profile": write_config(scratch / "one.yaml", [profile_entry("bench-one", shared)]),
                f"{n} shared": write_config(scratch / "shared.yaml", [
                    profile_entry(f"bench-shared-{k:03d}", shared) for k in range(1, n + 1)]),
                f"{n} distinct": write_config(scratch / "distinct.yaml", [
                    profile_entry(f"bench-own-{s.suffix.lstrip('-')}", s) for s in own]),
            }
            profiles_in = {"1 profile": 1, f"{n} shared": n, f"{n} distinct": n}
            one = next(iter(configs))

            # 2. which calls (in-process, counted by a botocore hook) --------------------------
            recorders = {}
            for case, cfg in configs.items():
                snapshot_calls, recorder, errors = collect_in_process(cfg, endpoint)
                recorders[case] = recorder
                counted = sum(recorder.counted.values())
                figures.operations[case] = {"snapshot_api_calls": snapshot_calls, "hook_count": counted,
                                            "collect_ms": recorder.collect_s * 1000,
                                            "by_operation": dict(recorder.counted), "collection_errors": errors}
                if counted != snapshot_calls:
                    broken.append(f"{case}: hook counted {counted} calls, the snapshot says {snapshot_calls}")
                if errors:
                    broken.append(f"{case}: in-process collection errors: {errors[:3]}")
            ops = list(dict.fromkeys(a for r in recorders.values() for a, *_ in r.calls))
            print("\nAPI calls by operation (in-process collect(), botocore before-call hook; "
                  "'=' cells equal the 1-profile column)")
            print(f"  {'operation':32s} {'1 profile':>10s} {f'{n} shared':>10s} {f'{n} distinct':>12s}")
            for op in ops:
                a, b, c = (recorders[k].counted.get(op, 0) for k in configs)
                print(f"  {op:32s} {a:10d} {('=' if b == a else str(b)):>10s} {c:12d}")
            totals = [sum(recorders[k].counted.values()) for k in configs]
            print(f"  {'total':32s} {totals[0]:10d} {totals[1]:10d} {totals[2]:12d}")
            side = [sum(c for op, c in recorders[k].counted.items() if op.startswith(SECRET_SIDE))
                    for k in configs]
            secrets_in = [1, 1, n]          # distinct secrets per case
            print(f"  {'secret side (secretsmanager, kms)':32s} {side[0]:10d} {side[1]:10d} {side[2]:12d}"
                  f"   per distinct secret: {side[0] / secrets_in[0]:.1f} / {side[1] / secrets_in[1]:.1f} / "
                  f"{side[2] / secrets_in[2]:.1f}")
            figures.setup["secret_side_calls"] = dict(zip(configs, side))
            figures.setup["secret_side_per_secret"] = {k: c / d for k, c, d in zip(configs, side, secrets_in)}
            figures.setup["key_policy_reads"] = {k: recorders[k].counted.get("kms:GetKeyPolicy", 0)
                                                 for k in configs}
            ms = [recorders[k].collect_s * 1000 for k in configs]
            print(f"  {'collect() wall ms, in-process':32s} {ms[0]:10.0f} {ms[1]:10.0f} {ms[2]:12.0f}"
                  "   (one run each; boto3 already imported, clients created inside)")

            # 3. the real CLI, each case: one warm-up, then --repeat rounds interleaved ------------
            samples: dict[str, list[Run]] = {case: [] for case in configs}
            reports: dict[str, dict] = {}
            codes: dict[str, list[int]] = {case: [] for case in configs}
            for round_ in range(args.repeat + 1):
                for index, (case, cfg) in enumerate(configs.items()):
                    out = scratch / f"report-{index}.json"
                    out.unlink(missing_ok=True)
                    run, code, err = run_process(scan_argv(cfg, out), env)
                    codes[case].append(code)
                    if code not in (0, 1) or not out.exists():
                        broken.append(f"{case}: scan exited {code}: {err.strip()[-500:]}")
                        continue
                    reports[case] = read_report(out)
                    if round_:
                        samples[case].append(run)
            for case in configs:
                rep = reports.get(case, {})
                runs = samples[case]
                if rep.get("collection_errors"):
                    broken.append(f"{case}: collection errors in the report: {rep['collection_errors'][:3]}")
                if rep and rep.get("api_calls") != figures.operations[case]["snapshot_api_calls"]:
                    broken.append(f"{case}: report api_calls {rep.get('api_calls')} != in-process "
                                  f"{figures.operations[case]['snapshot_api_calls']}")
                figures.cases[case] = {
                    "config_profiles": profiles_in[case], "report": rep, "exit_codes": codes[case],
                    "api_calls": rep.get("api_calls"),
                    "api_calls_per_profile": (rep["api_calls"] / profiles_in[case]) if rep.get("api_calls") else None,
                    "runs": [asdict(r) for r in runs],
                    "median_ms": statistics.median(r.wall for r in runs) * 1000 if runs else None,
                    "min_ms": min(r.wall for r in runs) * 1000 if runs else None,
                    "cpu_median_ms": statistics.median(r.cpu for r in runs) * 1000 if runs else None,
                    "server_cpu_median_ms": statistics.median(r.server_cpu for r in runs) * 1000 if runs else None,
                }

            # 4. baselines, same run ------------------------------------------------------------
            figures.baseline["bare_boto3"] = bare_calls(recorders[one].calls, endpoint, max(BARE_ROUNDS, args.repeat))
            figures.baseline["startup"] = startup(env, args.startup_rounds)
    finally:
        server.stop()

    # 5. print --------------------------------------------------------------------------------
    bare = figures.baseline["bare_boto3"]
    st = figures.baseline["startup"]
    version_ms = st["python -m auditor --version"]["median_ms"]
    print(f"\nscan, whole process: python -m auditor scan -c CFG --format json -o FILE; median of {args.repeat} "
          f"after one warm-up (ms; child CPU; CPU of the in-process moto server)")
    print(f"  {'case':14s} {'API calls':>9s} {'per profile':>12s} {'wall ms':>9s} {'min':>7s} {'CPU ms':>7s}"
          f" {'server CPU':>10s} {'ms/profile':>10s}  results")
    for case, c in figures.cases.items():
        if c["median_ms"] is None:
            print(f"  {case:14s} FAILED (exit codes {c['exit_codes']})")
            continue
        print(f"  {case:14s} {c['api_calls']:9d} {c['api_calls_per_profile']:12.1f} {c['median_ms']:9.0f} "
              f"{c['min_ms']:7.0f} {c['cpu_median_ms']:7.0f} {c['server_cpu_median_ms']:10.0f} "
              f"{c['median_ms'] / c['config_profiles']:10.1f}  {c['report']['statuses']} exit {c['exit_codes'][-1]}")
    print("\nbaselines, same run")
    print(f"  bare boto3, the {bare['calls']} calls of one profile, sequential, warm clients: "
          f"median {bare['median_ms']:.0f} ms (min {bare['min_ms']:.0f}, {bare['rounds']} rounds; "
          f"{bare['median_ms'] / bare['calls']:.1f} ms/call)")
    for name, s in st.items():
        print(f"  start-up {name:28s} median {s['median_ms']:.0f} ms (min {s['min_ms']:.0f}, "
              f"CPU {s['cpu_median_ms']:.0f})" + (f"  EXIT {s['exit_code']}" if s["exit_code"] else ""))

    c1, cs, cd = (figures.cases[k] for k in configs)
    floor = bare["median_ms"] + version_ms
    ratio = lambda a, b: (a / b) if a is not None and b else None  # noqa: E731
    figures.ratios = {
        "scan_1_over_bare_plus_startup": ratio(c1["median_ms"], floor),
        "scan_shared_over_scan_1": ratio(cs["median_ms"], c1["median_ms"]),
        "scan_distinct_over_scan_1": ratio(cd["median_ms"], c1["median_ms"]),
        "calls_shared_over_calls_1": ratio(cs["api_calls"], c1["api_calls"]),
        "calls_distinct_over_calls_1": ratio(cd["api_calls"], c1["api_calls"]),
    }
    r = figures.ratios
    fmt = lambda x: "n/a" if x is None else f"{x:.2f}x"  # noqa: E731
    print("\nratios (wall medians)")
    print(f"  scan(1 profile) / (bare calls + `--version` start-up) = {c1['median_ms'] or 0:.0f} / "
          f"({bare['median_ms']:.0f} + {version_ms:.0f}) = {fmt(r['scan_1_over_bare_plus_startup'])}")
    print(f"  scan({n} shared) / scan(1)   = {fmt(r['scan_shared_over_scan_1'])}   "
          f"(API calls {fmt(r['calls_shared_over_calls_1'])})")
    print(f"  scan({n} distinct) / scan(1) = {fmt(r['scan_distinct_over_scan_1'])}   "
          f"(API calls {fmt(r['calls_distinct_over_calls_1'])}; {n} profiles)")

    typical = c1["api_calls"]
    per_secret = max(figures.setup["secret_side_per_secret"].values())
    key_reads = figures.setup["key_policy_reads"][f"{n} distinct"]
    iam_side = None if typical is None else typical - figures.setup["secret_side_calls"][one]
    rows = [
        ("API calls, typical profile, IAM side", iam_side, f"<= {TARGET_CALLS_PER_TYPICAL_PROFILE}",
         None if iam_side is None else iam_side <= TARGET_CALLS_PER_TYPICAL_PROFILE),
        ("secret-side calls per secret", f"{per_secret:.1f}", f"<= {TARGET_SECRET_SIDE_CALLS_PER_SECRET}",
         per_secret <= TARGET_SECRET_SIDE_CALLS_PER_SECRET),
        (f"GetKeyPolicy, {n} secrets, 1 key", key_reads, "= 1", key_reads == 1),
        (f"API calls, {n} shared profiles", cs["api_calls"], f"= {typical} (1 profile)",
         None if cs["api_calls"] is None or typical is None else cs["api_calls"] == typical),
    ]
    figures.targets = [{"name": a, "value": v, "goal": g, "verdict": verdict(ok)} for a, v, g, ok in rows]
    figures.environment["loadavg_end"] = loadavg()
    width = max(len(a) for a, *_ in rows) + 2
    print("\n" + "=" * (width + 40))
    print(f"  {'target':<{width}}{'value':<8}{'goal':<18}verdict")
    for a, v, g, ok in rows:
        print(f"  {a:<{width}}{str(v):<8}{g:<18}{verdict(ok)}")
    if iam_side is not None and iam_side > TARGET_CALLS_PER_TYPICAL_PROFILE:
        print(f"  (the {typical} calls of one profile are listed by operation above)")
    note = busy_note(env_, "wall times are inflated.")
    if note:
        print(f"\n  {note}")
    for problem in broken:
        print(f"  BROKEN: {problem}")
    print("=" * (width + 40))

    if args.json:
        Path(args.json).write_text(json.dumps(asdict(figures), indent=2, default=str) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")
    missed = any(t["verdict"] == "MISS" for t in figures.targets)
    return 1 if broken or (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
