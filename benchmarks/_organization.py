"""discover_bench's organization pass: `discover --organization` over a moto organization.

The management account (moto's default, 123456789012) creates an organization and M-1 member
accounts, so M accounts in all are ACTIVE; each gets R roles (a few integrations a user
assumes, secret readers, service roles), U users and the auditor's read-only role. Then, with
every request delayed by the server (an AWS round trip), the same `python -m auditor discover
--organization --format jsonl` process runs with `--max-accounts 1` (sequential) and with
`--max-accounts C`, alternating; and once more at concurrency C over the first third of the
accounts (`--accounts FILE`), whose peak RSS against the whole organization's shows whether
memory follows the accounts in flight or the organization's size.
"""
from __future__ import annotations

import json
import random
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

MANAGEMENT = "123456789012"
ROLE_NAME = "iam-auditor-readonly"
USERS = 20
SERVICES = ("ec2.amazonaws.com", "lambda.amazonaws.com", "ecs-tasks.amazonaws.com", "glue.amazonaws.com")


def _doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _iam_as(session, endpoint: str, account_id: str):
    """An IAM client acting in `account_id` (moto ties assumed-role keys to their account)."""
    from botocore.config import Config

    sts = session.client("sts", endpoint_url=endpoint)
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
                                  RoleSessionName="bench-build")["Credentials"]
    return session.client("iam", endpoint_url=endpoint, aws_access_key_id=credentials["AccessKeyId"],
                          aws_secret_access_key=credentials["SecretAccessKey"],
                          aws_session_token=credentials["SessionToken"],
                          config=Config(retries={"mode": "standard", "max_attempts": 10}))


def _build_account(iam, account_id: str, roles: int, seed: int) -> int:
    """One member account's IAM; returns the create calls made."""
    rng = random.Random(seed)
    calls = 0

    def call(method, **params):
        nonlocal calls
        calls += 1
        getattr(iam, method)(**params)

    call("create_role", RoleName=ROLE_NAME, AssumeRolePolicyDocument=_doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"}, "Action": "sts:AssumeRole"}))
    users = []
    for u in range(USERS):
        name = f"user-{u:03d}"
        call("create_user", UserName=name)
        users.append(f"arn:aws:iam::{account_id}:user/{name}")
        if u % 4 == 0:
            call("create_access_key", UserName=name)
    integrations = max(1, roles // 20)
    for r in range(roles):
        if r < integrations:                        # the product's set-up: a user assumes it
            user = users[r % USERS]
            name = f"integration-{r:03d}"
            trust = {"Effect": "Allow", "Principal": {"AWS": user}, "Action": "sts:AssumeRole"}
            if rng.random() < 0.5:
                trust["Condition"] = {"StringEquals": {"sts:ExternalId": f"{rng.getrandbits(96):024x}"}}
            call("put_user_policy", UserName=user.rsplit("/", 1)[1], PolicyName=f"assume-{name}",
                 PolicyDocument=_doc({"Effect": "Allow", "Action": "sts:AssumeRole",
                                      "Resource": f"arn:aws:iam::{account_id}:role/{name}"}))
        else:
            name = f"svc-{r:03d}"
            trust = {"Effect": "Allow", "Principal": {"Service": rng.choice(SERVICES)}, "Action": "sts:AssumeRole"}
        call("create_role", RoleName=name, AssumeRolePolicyDocument=_doc(trust),
             MaxSessionDuration=rng.choice((3600, 7200, 43200)))
        if r < integrations or rng.random() < 0.1:
            call("put_role_policy", RoleName=name, PolicyName="read-secrets", PolicyDocument=_doc(
                {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                 "Resource": f"arn:aws:secretsmanager:us-east-1:{account_id}:secret:app/{r}-*"}))
    return calls


def build_organization(endpoint: str, accounts: int, roles: int, workers: int, seed: int) -> dict:
    """The organization and every account's IAM (member accounts built in parallel)."""
    import boto3

    from _env import FAKE_KEY, FAKE_SECRET, REGION

    session = boto3.Session(aws_access_key_id=FAKE_KEY, aws_secret_access_key=FAKE_SECRET, region_name=REGION)
    start = time.perf_counter()
    org = session.client("organizations", endpoint_url=endpoint)
    org.create_organization(FeatureSet="ALL")
    ids = [MANAGEMENT] + [org.create_account(AccountName=f"member-{i:03d}", Email=f"member-{i:03d}@example.com")
                          ["CreateAccountStatus"]["AccountId"] for i in range(1, accounts)]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="org-build") as pool:
        calls = sum(pool.map(lambda item: _build_account(_iam_as(session, endpoint, item[1]), item[1], roles,
                                                         seed + item[0]), enumerate(ids)))
    return {"accounts": accounts, "roles_per_account": roles, "users_per_account": USERS,
            "account_ids": ids, "create_calls": calls + accounts, "build_s": time.perf_counter() - start}


def discover_org_argv(python: str, out: Path, concurrency: int, accounts_file: Path | None = None) -> list[str]:
    source = ["--accounts", str(accounts_file)] if accounts_file else ["--organization"]
    return [python, "-m", "auditor", "discover", *source, "--max-accounts", str(concurrency),
            "--format", "jsonl", "-o", str(out), "-q"]


def read_stream(path: Path) -> dict:
    """The figures of one run from its JSONL: the summary line, and per-account calls."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    last = json.loads(lines[-1]) if lines else {}
    body = last.get("iam_auditor_summary") or {}
    accounts = body.get("accounts", [])
    calls = [a["api_calls"] for a in accounts if a["status"] == "read"]
    return {"complete": body.get("complete"), "elapsed_s": body.get("elapsed_s"), "accounts": len(accounts),
            "read": sum(a["status"] == "read" for a in accounts),
            "errors": [a.get("account_id") for a in accounts if a["status"] != "read"],
            "results": (body.get("summary") or {}).get("results"), "api_calls": body.get("api_calls"),
            "calls_per_account_min": min(calls) if calls else None,
            "calls_per_account_max": max(calls) if calls else None,
            "key_facts": sorted({(a.get("key_facts") or {}).get("source", "?") for a in accounts}),
            "lines": len(lines)}


def write_accounts_file(path: Path, ids: list[str]) -> Path:
    path.write_text("accounts:\n" + "".join(
        f"  - {{account: '{i}', role_arn: 'arn:aws:iam::{i}:role/{ROLE_NAME}'}}\n" for i in ids), encoding="utf-8")
    return path
