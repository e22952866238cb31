#!/usr/bin/env python3
"""Whole-process time of `iam-auditor lint` on infrastructure code, against Checkov's.

    python benchmarks/iac_bench.py --checkov /work/venv-checkov/bin/checkov
    CHECKOV=/path/to/checkov python benchmarks/iac_bench.py --resources 500 --repeat 5 --json iac.json

Generates (deterministically, from --seed) a CloudFormation template (YAML with short-form tags)
and a Terraform plan (`terraform show -json` shape, with a child module) of --resources IAM
resources each: roles with trust and inline policies, managed policies and their attachments,
users with inline policies and access keys, groups and memberships. Then times, in the same run
and alternating, `iam-auditor lint FILE --format json` and `checkov -f FILE` (`--skip-download
-o json`: Checkov makes no network call and its output is checked) as whole processes, and
reports the medians and their ratio; the target is iam-auditor >= 10x faster on both files.

Checkov is a benchmark-only comparison, never a dependency; install it in its own venv:

    python -m venv /work/venv-checkov && /work/venv-checkov/bin/pip install checkov

Each tool's output is checked, not only timed: a run that did not read the file as IaC (e.g.
iam-auditor without the CloudFormation reader reports "unknown top-level element 'Resources'")
is marked BROKEN, and its ratio is not a verdict.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:          # run from a checkout: `python benchmarks/iac_bench.py`
    sys.path.insert(0, str(ROOT))

import _spawn as spawn  # noqa: E402 - benchmarks/ is this script's directory
from _report import git_state, loadavg, print_summary, verdict  # noqa: E402

TARGET_RATIO = 10.0
ACCOUNT = "123456789012"
ACTIONS = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "s3:GetObject",
           "s3:ListBucket", "kms:Decrypt", "logs:PutLogEvents", "dynamodb:Query", "sts:AssumeRole",
           "ssm:GetParameter", "secretsmanager:*", "s3:*", "*")
SERVICES = ("ec2.amazonaws.com", "lambda.amazonaws.com", "ecs-tasks.amazonaws.com")
# The mix of resource types; each entry counts as one IAM resource.
KINDS = (("role", 30), ("policy", 20), ("attachment", 15), ("user", 10), ("user_policy", 8),
         ("access_key", 7), ("group", 5), ("membership", 5))


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------
def _statement(rng: random.Random, n: int) -> dict:
    statement = {"Sid": f"S{n}", "Effect": "Allow",
                 "Action": rng.sample(ACTIONS, rng.randint(1, 3)),
                 "Resource": rng.choice(("*", f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:app{n}/*",
                                         f"arn:aws:s3:::bucket-{n}/*"))}
    if rng.random() < 0.3:
        statement["Condition"] = {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}
    return statement


def _document(rng: random.Random) -> dict:
    return {"Version": "2012-10-17", "Statement": [_statement(rng, i) for i in range(rng.randint(1, 3))]}


def _trust(rng: random.Random, principal) -> dict:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if rng.random() < 0.5:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": f"ext-{rng.getrandbits(64):016x}"}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def plan_kinds(count: int, seed: int) -> list[str]:
    """The kind of each of `count` resources; the first ones make sure every kind has a target."""
    rng = random.Random(seed)
    names, weights = zip(*KINDS)
    head = ["policy", "user", "group", "role"]
    return (head + rng.choices(names, weights=weights, k=max(0, count - len(head))))[:count]


def cloudformation(count: int, seed: int) -> dict:
    """A template of `count` IAM resources (intrinsics as `Fn::`/`Ref` maps: dumped with tags)."""
    rng = random.Random(seed)
    resources: dict = {}
    roles, policies, users, groups = [], [], [], []
    for n, kind in enumerate(plan_kinds(count, seed)):
        name = f"{kind.title().replace('_', '')}{n}"
        if kind == "role":
            principal = rng.choice(({"Service": rng.choice(SERVICES)},
                                    {"AWS": {"Fn::GetAtt": [users[-1], "Arn"]}} if users else
                                    {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}))
            props = {"RoleName": f"role-{n}", "AssumeRolePolicyDocument": _trust(rng, principal),
                     "MaxSessionDuration": rng.choice((3600, 7200, 43200)),
                     "Policies": [{"PolicyName": f"inline-{n}", "PolicyDocument": _document(rng)}]}
            if policies and rng.random() < 0.5:
                props["ManagedPolicyArns"] = [{"Ref": rng.choice(policies)}]
            resources[name] = {"Type": "AWS::IAM::Role", "Properties": props}
            roles.append(name)
        elif kind == "policy":
            resources[name] = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
                "ManagedPolicyName": f"policy-{n}", "PolicyDocument": _document(rng)}}
            policies.append(name)
        elif kind == "attachment":
            resources[name] = {"Type": "AWS::IAM::Policy", "Properties": {
                "PolicyName": f"attached-{n}", "PolicyDocument": _document(rng),
                "Roles": [{"Ref": rng.choice(roles)}] if roles else [],
                "Users": [{"Ref": rng.choice(users)}] if users else []}}
        elif kind == "user":
            resources[name] = {"Type": "AWS::IAM::User", "Properties": {"UserName": f"user-{n}"}}
            users.append(name)
        elif kind == "user_policy":
            resources[name] = {"Type": "AWS::IAM::UserPolicy", "Properties": {
                "UserName": {"Ref": rng.choice(users)}, "PolicyName": f"user-policy-{n}",
                "PolicyDocument": _document(rng)}}
        elif kind == "access_key":
            resources[name] = {"Type": "AWS::IAM::AccessKey", "Properties": {"UserName": {"Ref": rng.choice(users)}}}
        elif kind == "group":
            resources[name] = {"Type": "AWS::IAM::Group", "Properties": {
                "GroupName": f"group-{n}", "Policies": [{"PolicyName": f"group-inline-{n}",
                                                         "PolicyDocument": _document(rng)}]}}
            groups.append(name)
        elif kind == "membership":
            resources[name] = {"Type": "AWS::IAM::UserToGroupAddition", "Properties": {
                "GroupName": {"Ref": rng.choice(groups)}, "Users": [{"Ref": rng.choice(users)}]}}
    return {"AWSTemplateFormatVersion": "2010-09-09",
            "Description": f"iac_bench: {count} IAM resources, seed {seed}", "Resources": resources}


def terraform_plan(count: int, seed: int) -> dict:
    """A plan of `count` IAM resources; every third one sits in module.team (a child module)."""
    rng = random.Random(seed)
    root, child, changes, configured = [], [], [], []
    last = {}
    for n, kind in enumerate(plan_kinds(count, seed)):
        module = "module.team" if n % 3 == 0 else None
        rtype, values, unknown, refs = {
            "role": ("aws_iam_role", {"name": f"role-{n}", "max_session_duration": rng.choice((3600, 7200)),
                                      "assume_role_policy": json.dumps(_trust(rng, rng.choice((
                                          {"Service": rng.choice(SERVICES)},
                                          {"AWS": f"arn:aws:iam::{ACCOUNT}:user/user-{last.get('user', 0)}"})))),
                                      "path": "/"}, ["arn", "id", "unique_id"], {}),
            "policy": ("aws_iam_policy", {"name": f"policy-{n}", "path": "/", "policy": json.dumps(_document(rng))},
                       ["arn", "id", "policy_id"], {}),
            "attachment": ("aws_iam_role_policy_attachment", {"role": f"role-{last.get('role', 0)}"},
                           ["id", "policy_arn"], {"policy_arn": [f"aws_iam_policy.p{last.get('policy', 0)}.arn",
                                                                  f"aws_iam_policy.p{last.get('policy', 0)}"]}),
            "user": ("aws_iam_user", {"name": f"user-{n}", "path": "/"}, ["arn", "id", "unique_id"], {}),
            "user_policy": ("aws_iam_user_policy", {"name": f"user-policy-{n}", "user": f"user-{last.get('user', 0)}",
                                                    "policy": json.dumps(_document(rng))}, ["id"], {}),
            "access_key": ("aws_iam_access_key", {"user": f"user-{last.get('user', 0)}", "status": "Active"},
                           ["id", "secret", "create_date"], {}),
            "group": ("aws_iam_group", {"name": f"group-{n}", "path": "/"}, ["arn", "id", "unique_id"], {}),
            "membership": ("aws_iam_group_membership", {"name": f"membership-{n}",
                                                        "group": f"group-{last.get('group', 0)}",
                                                        "users": [f"user-{last.get('user', 0)}"]}, ["id"], {}),
        }[kind]
        last[kind] = n
        name = f"p{n}" if kind == "policy" else f"r{n}"
        address = f"{module}.{rtype}.{name}" if module else f"{rtype}.{name}"
        common = {"address": address, "mode": "managed", "type": rtype, "name": name,
                  "provider_name": "registry.terraform.io/hashicorp/aws"}
        (child if module else root).append({**common, "schema_version": 0, "values": values,
                                            "sensitive_values": {}})
        changes.append({**common, **({"module_address": module} if module else {}),
                        "change": {"actions": ["create"], "before": None, "after": values,
                                   "after_unknown": {k: True for k in unknown},
                                   "before_sensitive": False, "after_sensitive": {}}})
        expressions = {k: {"constant_value": v} for k, v in values.items()}
        expressions.update({k: {"references": v} for k, v in refs.items()})
        if not module:
            configured.append({"address": f"{rtype}.{name}", "mode": "managed", "type": rtype,
                               "name": name, "provider_config_key": "aws", "expressions": expressions,
                               "schema_version": 0})
    return {"format_version": "1.2", "terraform_version": "1.9.8",
            "planned_values": {"root_module": {"resources": root, "child_modules": [
                {"address": "module.team", "resources": child}]}},
            "resource_changes": changes,
            "configuration": {"root_module": {"resources": configured,
                                              "module_calls": {"team": {"source": "./team",
                                                                        "module": {"resources": []}}}}},
            "applyable": True, "complete": True, "errored": False}


def write_files(directory: Path, count: int, seed: int) -> dict[str, Path]:
    from cfn_flip import dump_yaml     # the short-form tags (!Ref, !GetAtt, !Sub) people write

    template = directory / "template.yaml"
    template.write_text(dump_yaml(cloudformation(count, seed)), encoding="utf-8")
    plan = directory / "plan.json"
    plan.write_text(json.dumps(terraform_plan(count, seed), indent=2) + "\n", encoding="utf-8")
    return {"CloudFormation template": template, "Terraform plan": plan}


# --------------------------------------------------------------------------------------------
# Timing and checking
# --------------------------------------------------------------------------------------------
def find_checkov(option: str | None) -> str | None:
    candidate = option or os.environ.get("CHECKOV") or shutil.which("checkov")
    if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
        return candidate
    return None


def child_env(pycache: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"PYTHONPATH": str(ROOT), "NO_COLOR": "1", "PYTHONPYCACHEPREFIX": str(pycache),
                "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true", "BC_SKIP_MAPPING": "TRUE",
                "CHECKOV_NO_UPDATE_CHECK": "1"})   # no network for either tool
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def auditor_problem(out: Path, path: Path, code: int) -> str | None:
    """Why iam-auditor's run does not count (it did not read the file as IaC), or None."""
    if code not in (0, 1):
        return f"iam-auditor exited {code}"
    try:
        report = json.loads(out.read_text(encoding="utf-8"))
    except ValueError:
        return "iam-auditor's output is not JSON"
    results = report.get("results") or []
    unread = [r for r in results if r.get("rule_id") == "POLICY-001" and r.get("status") in ("FAIL", "ERROR")
              and ("top-level" in r.get("message", "") or "could not" in r.get("message", "")
                   or "constructor" in r.get("message", ""))]
    if unread or len(results) < 2:
        why = unread[0]["message"] if unread else f"{len(results)} result(s)"
        return f"iam-auditor did not read {path.name} as infrastructure code ({why[:120]})"
    return None


def checkov_problem(out: Path, path: Path, code: int, expected: int) -> str | None:
    if code not in (0, 1):
        return f"checkov exited {code}"
    try:
        data = json.loads(out.read_text(encoding="utf-8"))
    except ValueError:
        return "checkov's output is not JSON"
    reports = data if isinstance(data, list) else [data]
    scanned = sum((r.get("summary") or {}).get("resource_count", 0) for r in reports)
    errors = sum((r.get("summary") or {}).get("parsing_errors", 0) for r in reports)
    if errors or scanned < expected:
        return f"checkov scanned {scanned} of {expected} resources ({errors} parsing errors)"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--resources", type=int, default=500, help="IAM resources per file (default 500)")
    parser.add_argument("--seed", type=int, default=1, help="generation seed (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per tool and file (default 3)")
    parser.add_argument("--checkov", metavar="PATH", help="the checkov executable (default: $CHECKOV, then PATH)")
    parser.add_argument("--keep", metavar="DIR", help="write the generated files to DIR (kept)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON to FILE")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.resources < 4 or args.repeat < 1:
        parser.error("--resources must be at least 4 and --repeat positive")
    spawn.start()
    try:
        return _run(args)
    finally:
        spawn.stop()


def _run(args) -> int:
    import auditor

    git = git_state(ROOT)
    env_ = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "loadavg_start": loadavg(), "iam_auditor": auditor.__version__,
            "git_commit": git["commit"], "git_dirty": git["dirty"]}
    checkov = find_checkov(args.checkov)
    print(f"iam-auditor {auditor.__version__} (git {git['commit']}{', uncommitted changes' if git['dirty'] else ''})"
          f" | Python {env_['python']} | x{env_['cpus']} | load {env_['loadavg_start']}")
    if checkov is None:
        print("checkov not found: pass --checkov PATH or set CHECKOV (install it in its own venv: "
              "python -m venv /work/venv-checkov && /work/venv-checkov/bin/pip install checkov)")
    figures: dict = {"environment": env_, "resources": args.resources, "seed": args.seed,
                     "repeat": args.repeat, "checkov": checkov, "files": {}}
    broken: list[str] = []
    rows = []
    with tempfile.TemporaryDirectory(prefix="iac-bench-") as scratch_name:
        scratch = Path(scratch_name)
        directory = Path(args.keep).resolve() if args.keep else scratch
        directory.mkdir(parents=True, exist_ok=True)
        files = write_files(directory, args.resources, args.seed)
        env = child_env(scratch / "pycache")
        for label, path in files.items():
            commands = {"iam-auditor": [sys.executable, "-m", "auditor", "lint", str(path), "--format", "json"]}
            if checkov:
                commands["checkov"] = [checkov, "-f", str(path), "--skip-download", "-o", "json"]
            walls: dict[str, list[float]] = {name: [] for name in commands}
            problems: dict[str, str | None] = {}
            # One untimed warm-up each (bytecode caches, page cache), then alternate the tools.
            for round_ in range(args.repeat + 1):
                for name, argv in commands.items():
                    out, err = scratch / f"{name}.out", scratch / f"{name}.err"
                    done = spawn.run(argv, env, scratch, out, err)
                    if round_ == 0:
                        problems[name] = (auditor_problem(out, path, done["code"]) if name == "iam-auditor"
                                          else checkov_problem(out, path, done["code"], args.resources))
                        continue
                    walls[name].append(done["wall"])
            medians = {name: statistics.median(w) for name, w in walls.items()}
            ratio = medians["checkov"] / medians["iam-auditor"] if "checkov" in medians else None
            valid = ratio is not None and not any(problems.values())
            for name, problem in problems.items():
                if problem:
                    broken.append(f"{label}: {problem}")
            figures["files"][label] = {"path": str(path) if args.keep else path.name,
                                       "bytes": path.stat().st_size,
                                       "median_s": {k: round(v, 3) for k, v in medians.items()},
                                       "runs_s": {k: [round(x, 3) for x in v] for k, v in walls.items()},
                                       "ratio": None if ratio is None else round(ratio, 2),
                                       "problems": problems}
            shown = "  ".join(f"{k} {v * 1000:.0f} ms" for k, v in medians.items())
            print(f"\n{label} ({args.resources} IAM resources, {path.stat().st_size / 1024:.0f} KiB): "
                  f"median of {args.repeat}: {shown}" + (f"  ratio {ratio:.1f}x" if ratio else ""))
            rows.append((f"{label}: checkov / iam-auditor", None if ratio is None else f"{ratio:.1f}x",
                         f">= {TARGET_RATIO:g}x", (ratio >= TARGET_RATIO) if valid else None))
    env_["loadavg_end"] = loadavg()
    figures["targets"] = [{"name": n, "value": v, "goal": g, "verdict": verdict(ok)} for n, v, g, ok in rows]
    info = [(f"{label}: medians", "  ".join(f"{k} {v:.3f} s" for k, v in f["median_s"].items()))
            for label, f in figures["files"].items()]
    info.append(("load average start -> end", f"{env_['loadavg_start']} -> {env_['loadavg_end']}"))
    print_summary(info, rows, env_, value_width=10, rule_width=30, broken=broken,
                  advice="wall times are inflated; re-run on a quiet machine.")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")
    missed = any(t["verdict"] == "MISS" for t in figures["targets"])
    return 1 if broken or (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
