"""`iam-auditor discover`: find every "role assumed on behalf of a user" set-up in an account.

The account's IAM is read in bulk: GetAccountAuthorizationDetails (paginated) and ListRoles
(trust policies early, and MaxSessionDuration, which GAAD lacks), then access keys and login
profiles only for the users paired with a role. Never one call per role. A role is a candidate when its trust policy
lets an IAM user, an account or "*" assume it; it is paired with the users whose identity
policies let them assume it. The TRUST, LP, SESSION and KEY rules run on every pair; the role
rules (TRUST among them) on every role whose trust lets in "*", another account, the account or
one of its users, paired or not; the secret-reading rules on every role that can read secrets.
"""
from __future__ import annotations

import itertools
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from . import readonly
from .accounts import AccountSpec, load_accounts  # noqa: F401 - part of this module's API
from .aws import CallFailed, Clients, call, classify, incomplete, pages, reading, worker_pool
from .collectors import Collector, login_profile
from .engine import SCAN, Engine, Result, Target
from .evaluation import Verdict, decide, glob_match
from .policy import IDENTITY, TRUST
from .scan_view import ProfileView, forget, parse_once
from .settings import Settings
from .gaad import gaad_documents, gaad_roles, gaad_users
from .snapshot import RoleState, UserState

# The rules that need no configuration (no external ID, duration or key to compare with).
ROLE_RULES = ("LP-001", "LP-003", "TRUST-001", "TRUST-002", "TRUST-003", "TRUST-004",
              "SESSION-001", "POLICY-001")
USER_RULES = ("LP-002", "LP-004", "KEY-001", "KEY-002", "POLICY-001")
SECRET_ROLE_RULES = ("LP-001", "LP-003", "POLICY-001")
SECRET_READ = ("secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue")
KEY_FACT_RULES = ("KEY-001", "KEY-002", "KEY-003", "LP-004")   # read access keys or the password


@dataclass(frozen=True)
class DiscoveredPair:
    """What the rules read of a profile, for a pair found without a configuration."""

    role_arn: str
    user: str
    region: str
    name: str | None = None
    external_id: str | None = None
    sts_duration: int | None = None
    access_key_id: str | None = None
    secret_access_key_literal: bool = False
    secrets: tuple[str, ...] = ()
    auth_type: str = "iam_role"


@dataclass
class AccountState:
    account: str | None
    roles: dict[str, RoleState]          # by ARN
    users: dict[str, UserState]          # by ARN
    api_calls: int = 0


GAAD = "iam:GetAccountAuthorizationDetails"
_PEOPLE_FILTER = ["User", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]
_ROLE_FILTER = ["Role"]


def _gaad(iam, filters: list[str], stop: threading.Event | None = None) -> dict[str, list]:
    details: dict[str, list] = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [],
                                "Policies": []}
    paginator = iam.get_paginator("get_account_authorization_details")
    try:
        for page in paginator.paginate(Filter=filters, PaginationConfig={"PageSize": 1000}):
            # IsTruncated is in every answer AWS sends: without it the page is not whole (and
            # the paginator would take it for the last one).
            if "IsTruncated" not in page:
                raise incomplete(GAAD, "the account", "IsTruncated")
            for key in details:
                items = page.get(key, [])
                if not isinstance(items, list):
                    raise incomplete(GAAD, "the account", key)
                details[key].extend(items)
            if stop is not None and stop.is_set():
                break                   # the download was abandoned: no further page
    except (readonly.ReadOnlyViolation, CallFailed):
        raise
    except Exception as exc:  # noqa: BLE001 - classified into CallFailed
        raise CallFailed(classify(GAAD, exc, "the account")) from None
    return details


class AccountDownload:
    """The bulk download, as four concurrent streams: GAAD for users, groups and managed
    policies; GAAD for roles; ListRoles (trust policies and MaxSessionDuration, which GAAD
    lacks); and the caller identity. Pairing needs only the first and the third, so the key
    reads of the paired users start while the roles' GAAD pages are still coming. A failed
    stream raises CallFailed from the method that waits for it; `close()` then stops the
    others after their current page (`stopped` tells the key reads to stop too)."""

    def __init__(self, clients: Clients, aws_profile: str | None, account: str | None = None):
        iam = clients.get(aws_profile, "iam")
        self.stopped = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="download")
        if account:   # a role assumed by ARN: its account is known, no call (nor client) needed
            self._identity = Future()
            self._identity.set_result({"Account": account})
        else:
            self._identity = self._pool.submit(
                lambda: call(clients.get(aws_profile, "sts"), "sts:GetCallerIdentity",
                             "get_caller_identity", entity="the account", need="Account"))
        self._people = self._pool.submit(_gaad, iam, _PEOPLE_FILTER, self.stopped)
        self._listed = self._pool.submit(pages, iam, "iam:ListRoles", "list_roles", "Roles",
                                         entity="the account", stop=self.stopped,
                                         PaginationConfig={"PageSize": 1000})
        self._roles = self._pool.submit(_gaad, iam, _ROLE_FILTER, self.stopped)
        self._documents: dict[str, Any] | None = None
        self._users: dict[str, UserState] | None = None
        self._trusts: dict[str, RoleState] | None = None

    def close(self) -> None:
        """Stop every stream after its current page and wait for them (a no-op once done), so
        no call of this account is still made, or counted, after its results are returned."""
        self.stopped.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def users(self) -> dict[str, UserState]:
        """Every user with its own, its groups' and its boundary's policies (by ARN)."""
        if self._users is None:
            details = self._people.result()
            with reading(GAAD, "the account"):
                self._documents = gaad_documents(details)
                self._users = gaad_users(details, self._documents)
        return self._users

    def trusts(self) -> dict[str, RoleState]:
        """Every role with its trust policy and maximum session, from ListRoles (no policies)."""
        if self._trusts is None:
            listed = self._listed.result()
            with reading("iam:ListRoles", "the account"):
                self._trusts = {r["Arn"]: RoleState(r["RoleName"], r["Arn"], True,
                                                    r.get("MaxSessionDuration"),
                                                    r.get("AssumeRolePolicyDocument"))
                                for r in listed}
        return self._trusts

    def state(self) -> AccountState:
        """The whole account: waits for every stream."""
        users = self.users()
        trusts = self.trusts()
        max_sessions = {arn: role.max_session_duration for arn, role in trusts.items()}
        details = self._roles.result()
        with reading(GAAD, "the account"):
            for role in details["RoleDetailList"]:
                # The same trust policy in both answers: one object, so it is parsed once (it
                # was parsed for pairing already), not once per answer.
                listed = trusts.get(role.get("Arn"))
                if listed is not None and listed.trust_policy == role.get("AssumeRolePolicyDocument"):
                    role["AssumeRolePolicyDocument"] = listed.trust_policy
            roles = gaad_roles(details, self._documents, max_sessions)
        identity = self._identity.result()
        return AccountState(identity.get("Account"), roles, users)


def start_download(clients: Clients, aws_profile: str | None, account: str | None = None) -> AccountDownload:
    return AccountDownload(clients, aws_profile, account)


def read_account(clients: Clients, aws_profile: str | None) -> AccountState:
    """The whole bulk download (GAAD pages, ListRoles pages, the caller identity)."""
    download = start_download(clients, aws_profile)
    try:
        return download.state()
    finally:
        download.close()


def _trusts_iam_principals(trust) -> bool:
    from rules._common import assume_allows, lets_aws_principals_in

    return any(lets_aws_principals_in(s) for s in assume_allows(trust))


def exposure(trust, account: str | None) -> list[str]:
    """Who the trust policy lets assume the role, when that reaches beyond the account's own
    roles and services: "*", another account's principals, the account itself (its root) or
    one of its IAM users. Empty when the role is not exposed that way (catalogue v1.1: the TRUST
    rules run on every such role, paired with a user or not)."""
    from rules._common import assume_allows, principal_labels

    exposed = []
    for statement in assume_allows(trust):
        if statement.not_principals is not None:
            exposed += principal_labels(statement)
            continue
        for principal in statement.principals or ():
            if principal.kind not in ("AWS", "*"):
                continue
            other = principal.account_id not in (None, account)
            if principal.is_public or other or principal.is_account_root or ":user/" in principal.value:
                exposed.append(principal.value)
    return list(dict.fromkeys(exposed))


def _reads_secrets(policies) -> bool:
    from rules._common import granted

    return any(s.is_allow and granted(s, SECRET_READ) for p in policies for s in p.statements)


def _assume_patterns(policies) -> list[str]:
    """Resource patterns on which a user's Allows grant sts:AssumeRole ("*" for NotResource)."""
    from rules._common import ASSUME_ROLE, granted

    patterns = []
    for policy in policies:
        for statement in policy.statements:
            if statement.is_allow and granted(statement, (ASSUME_ROLE,)):
                patterns.extend(statement.resources if statement.resources is not None else ("*",))
    return patterns


def pair(roles: Iterable[RoleState], users: Iterable[UserState]) -> list[tuple[RoleState, UserState]]:
    """(role, user) pairs where the role's trust admits the user and the user may assume the
    role. Shared documents are parsed once (parse_once), and a user is only evaluated against
    the roles its AssumeRole patterns can name. Only trust policies are read of the roles."""
    from rules._common import ASSUME_ROLE

    assumers = []
    for user in users:
        policies = [parse_once(p.document, IDENTITY) for p in user.policies]
        patterns = _assume_patterns(policies)
        if patterns:
            bound = [parse_once(user.boundary.document, IDENTITY)] if user.boundary else None
            assumers.append((user, policies, bound, patterns))
    pairs = []
    for role in roles:
        trust = parse_once(role.trust_policy, TRUST)
        if not _trusts_iam_principals(trust):
            continue
        for user, policies, bound, patterns in assumers:
            if not any(glob_match(p, role.arn) for p in patterns):
                continue  # cheap filter; `decide` below is the judge (Denies, boundaries)
            account = user.arn.split(":")[4]
            if not decide([trust], ASSUME_ROLE, role.arn, caller=(user.arn, account)).allowed:
                continue
            if decide(policies, ASSUME_ROLE, role.arn, boundary=bound).verdict >= Verdict.CONDITIONAL:
                pairs.append((role, user))
    return pairs


def secret_reading(roles: Iterable[RoleState]) -> list[RoleState]:
    """The roles whose policies allow reading secrets."""
    return [role for role in roles
            if _reads_secrets([parse_once(p.document, IDENTITY) for p in role.policies])]


def find_pairs(state: AccountState) -> tuple[list[tuple[RoleState, UserState]], list[RoleState]]:
    """The pairs and the secret-reading roles of a whole account."""
    return pair(state.roles.values(), state.users.values()), secret_reading(state.roles.values())


def add_key_state(collector: Collector, aws_profile: str | None, users: Iterable[UserState],
                  stop: threading.Event | None = None) -> dict[str, UserState]:
    """Access keys and login profile, only for the users that matter (none once `stop` is set:
    the account's download failed and its results are an ERROR)."""
    from dataclasses import replace

    iam = collector.clients.get(aws_profile, "iam")

    def one(user: UserState) -> UserState:
        if stop is not None and stop.is_set():
            return user
        errors: list = []
        keys = collector._access_keys(iam, user.name, errors)
        login = login_profile(iam, user.name, errors)
        return replace(user, access_keys=keys, has_login_profile=login, errors=tuple(errors))

    distinct = {u.arn: u for u in users}
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="keys") as pool:
        return dict(zip(distinct, pool.map(one, distinct.values())))


def evaluate_account(state: AccountState, pairs, secret_roles, region: str, settings: Settings,
                     progress: Callable[[int], None] | None = None,
                     keyed_users: Callable[[], dict[str, UserState]] | None = None,
                     user_evidence: Callable[[str], dict] | None = None) -> list[Result]:
    """Each rule runs once per thing it is about: role rules once per role, user rules once per
    paired user, TRUST-005 once per role against its first paired user — never once per pair
    (a role trusting its account pairs with every user allowed sts:AssumeRole on "*").

    `keyed_users` gives the paired users with their access keys; it is only waited for when the
    user rules run, so the key reads overlap the role rules. `user_evidence(user ARN)` is added to
    the evidence of the results built from key facts (where they came from, and when)."""
    def engine(rules):
        return Engine(SCAN, severity_overrides=settings.severity_overrides, only=rules)

    role_engine, trust_engine = engine(ROLE_RULES), engine(("TRUST-005",))
    user_engine, secret_engine = engine(USER_RULES), engine(SECRET_ROLE_RULES)
    results: list[Result] = []

    def run(rules_engine, role, user, resource, resource_type, pair_role_arn, scope=None):
        profile = DiscoveredPair(pair_role_arn, user.arn if user else "", region)
        view = ProfileView(profile, role, user, settings, caller_account=state.account)
        target = Target(resource=resource, resource_type=resource_type, payload=view,
                        account_id=state.account, region=region, scope=scope)
        found = rules_engine.run(target, settings)
        if user is not None and user_evidence is not None:
            for result in found:
                if result.rule_id in KEY_FACT_RULES:
                    result.evidence.update(user_evidence(user.arn))
        results.extend(found)
        if progress:
            progress(1)

    users_of: dict[str, list[UserState]] = {}
    roles_of: dict[str, list[RoleState]] = {}
    roles = {}
    for role, user in pairs:
        users_of.setdefault(role.arn, []).append(user)
        roles_of.setdefault(user.arn, []).append(role)
        roles[role.arn] = role
    def who_may_assume(role) -> list[str]:
        # A trust policy that could not be read may let anyone in: its role is reported (the
        # TRUST rules say what could not be read), never passed over in silence.
        trust = None if role.trust_policy is None else parse_once(role.trust_policy, TRUST)
        if trust is None or (not trust.statements and trust.problems):
            return ["(the trust policy could not be read)"]
        return exposure(trust, state.account)

    exposed = {arn: who for arn, role in state.roles.items() if (who := who_may_assume(role))}

    def run_role(rules_engine, role, user=None):
        before = len(results)
        run(rules_engine, role, user, role.arn, "AwsIamRole", role.arn)
        if role.arn in exposed:   # name who the trust lets in, where a TRUST result says why
            for result in results[before:]:
                if result.rule_id.startswith("TRUST-"):
                    result.evidence = {**result.evidence, "trusted_principals": exposed[role.arn]}

    for arn in sorted(roles):
        run_role(role_engine, roles[arn])
        run_role(trust_engine, roles[arn], min(users_of[arn], key=lambda u: u.arn))
    for arn in sorted(set(exposed) - set(roles)):
        run_role(role_engine, state.roles[arn])      # exposed, though no user here may assume it
    for role in sorted(secret_roles, key=lambda r: r.arn):
        if role.arn not in roles and role.arn not in exposed:
            run(secret_engine, role, None, role.arn, "AwsIamRole", role.arn)
    users = keyed_users() if keyed_users else {u.arn: u for _, u in pairs}
    for user_arn in sorted(roles_of):
        first_role = min(roles_of[user_arn], key=lambda r: r.arn)
        # As every discover result, located on a role: the first one the user is paired with.
        run(user_engine, None, users[user_arn], first_role.arn, "AwsIamRole", first_role.arn,
            scope=f"user:{user_arn}")
    return results


def account_error(label: str, account: str | None, message: str, resource: str | None = None) -> Result:
    """One ERROR result standing for an account (or the organization) that could not be read."""
    from .engine import RuleMeta, error_result

    meta = RuleMeta("DISCOVER-001", "account-readable", "The account's IAM could be read", "high",
                    (2,), "discover reads the account's IAM in bulk", "Grant the auditor's policy")
    resource = resource or (f"arn:aws:iam::{account}:root" if account else f"aws-profile:{label}")
    return error_result(meta, message, resource, "AwsAccount", account)


@dataclass
class AccountOutcome:
    """One account's results, and what the report's header says of it."""

    spec: AccountSpec
    results: list[Result]
    account_id: str | None
    api_calls: int = 0
    key_facts: dict | None = None

    @property
    def readable(self) -> bool:
        return not any(r.rule_id == "DISCOVER-001" for r in self.results)

    def summary(self) -> dict:
        from collections import Counter

        statuses = Counter(r.status for r in self.results)
        return {"account_id": self.account_id, "account_name": self.spec.name or self.spec.label,
                "status": "read" if self.readable else "error", "results": len(self.results),
                "fail": statuses["FAIL"], "error": statuses["ERROR"], "api_calls": self.api_calls,
                **({"key_facts": self.key_facts} if self.key_facts else {})}


def _assume(clients: Clients, spec: AccountSpec) -> tuple[str, tuple[str, str]]:
    """Assume the account's read-only role; its clients are then named by the returned key.
    The role's credentials (returned too) are scrubbed from every output while it is read."""
    from .scrub import register

    sts = clients.get(spec.via_profile, "sts")
    entity = f"role {spec.role_arn}"
    credentials = call(sts, "sts:AssumeRole", "assume_role", entity=entity, need="Credentials",
                       RoleArn=spec.role_arn, RoleSessionName="iam-auditor-discover")["Credentials"]
    with reading("sts:AssumeRole", entity):
        secret = (credentials["SecretAccessKey"], credentials["SessionToken"])
        register(*secret)
        key = f"role:{spec.role_arn}"
        clients.add_credentials(key, credentials)
    return key, secret


def _without(results: list[Result], values: tuple[str, ...]) -> list[Result]:
    """The results scrubbed of `values` (an assumed role's credentials), which can then be
    forgotten: the account's outcome carries no trace of them wherever it is written."""
    import json
    from dataclasses import replace

    from .scrub import scrubber_of, spellings_of

    # One look at all of it first: they are almost never there, and a pattern compiled from a
    # session token's hundreds of characters costs more than the account's rules.
    whole = json.dumps([[result.message, result.evidence] for result in results])
    if not any(form in whole for form in spellings_of(values)):
        return results
    clean = scrubber_of(values)
    scrubbed = []
    for result in results:
        evidence = json.dumps(result.evidence)
        evidence_clean = clean(evidence)
        scrubbed.append(replace(result, message=clean(result.message),
                                evidence=json.loads(evidence_clean) if evidence_clean != evidence
                                else result.evidence))
    return scrubbed


def discover_account(spec: AccountSpec, clients: Clients, region: str, settings: Settings,
                     progress=None, secrets: bool = False, *, fresh_keys: bool = False,
                     report_wait: float | None = None) -> AccountOutcome:
    from . import credential_report

    key, assumed, credentials = spec.aws_profile, None, ()
    download = None
    facts = None
    entities: list = []         # what this account parsed: forgotten once it is done
    try:
        if spec.role_arn:
            key, credentials = _assume(clients, spec)
            assumed = key
        download = start_download(clients, key, spec.account_id)
        collector = Collector(clients)
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="keys") as pool:
            try:
                facts = credential_report.KeyFacts(
                    pool, clients.get(key, "iam"),
                    lambda users: add_key_state(collector, key, users, download.stopped),
                    fresh=fresh_keys, stop=download.stopped,
                    wait_seconds=credential_report.DEFAULT_WAIT_SECONDS if report_wait is None else report_wait)
                users = download.users()
                trusts = download.trusts()
                entities += [users.values(), trusts.values()]
                # Pairs from users and ListRoles' trust policies: the paired users' keys are read
                # (or the credential report fetched) while the roles' GAAD pages still download.
                early = pair(trusts.values(), users.values())
                facts.want(u for _, u in early)
                state = download.state()
                entities.append(state.roles.values())
                pairs, late_users = _settle_pairs(early, trusts, state)
                facts.want(late_users)
                secret_roles = secret_reading(state.roles.values())
                if progress:
                    progress.total_add(2 * len({r.arn for r, _ in pairs}) + len({u.arn for _, u in pairs})
                                       + len(secret_roles))
                results = evaluate_account(state, pairs, secret_roles, region, settings,
                                           progress=progress.update if progress else None,
                                           keyed_users=facts.users, user_evidence=facts.evidence_of)
                if secrets:             # --secrets: SECRET-001 on every secret (a call per secret)
                    from .discover_secrets import secret_results

                    results += secret_results(clients, key, state.account, region, settings, DiscoveredPair)
                account = state.account
            except BaseException:
                download.stopped.set()  # the key reads stop too, before this block waits for them
                raise
    except CallFailed as failure:
        account = spec.account_id
        results = [account_error(spec.label, account,
                                 f"account {spec.label} could not be read: {failure.error.describe()}")]
        facts = None
    except Exception as error:  # noqa: BLE001 - last resort: the other accounts' results survive
        # Named by its type only: an unexpected exception's text may quote what AWS answered.
        account = spec.account_id
        results = [account_error(spec.label, account,
                                 f"account {spec.label} could not be audited: internal error "
                                 f"{type(error).__name__}; its results are missing")]
        facts = None
    finally:
        if download is not None:
            download.close()
        if assumed is not None:
            clients.release(assumed)
        forget(_documents(entities))
    if credentials:
        from . import scrub

        results = _without(results, credentials)
        scrub.forget(*credentials)
    for result in results:
        result.account_name = spec.name or spec.label
    # The AssumeRole call, made with the organization's credentials, counts for the account.
    calls = (1 if spec.role_arn else 0) + (clients.calls_by[key] if key == assumed or not spec.role_arn else 0)
    return AccountOutcome(spec, results, account, calls, facts.summary() if facts else None)


def _documents(entities) -> Iterator[Any]:
    """Every policy document of these roles and users (trust, own, groups', boundary)."""
    for group in entities:
        for entity in group:
            if isinstance(entity, RoleState):
                yield entity.trust_policy
            yield from (p.document for p in entity.policies)
            if entity.boundary is not None:
                yield entity.boundary.document


def _settle_pairs(early, trusts: dict[str, RoleState], state: AccountState):
    """The pairs as GAAD's roles decide them, and the users whose keys are still to read.

    ListRoles and GAAD read the roles at slightly different moments: a role created, deleted or
    given another trust policy in between is paired again on GAAD's copy, the one the rules read."""
    changed = [role for arn, role in state.roles.items()
               if arn not in trusts or trusts[arn].trust_policy != role.trust_policy]
    changed_arns = {role.arn for role in changed}
    pairs = [(state.roles[role.arn], user) for role, user in early
             if role.arn in state.roles and role.arn not in changed_arns]
    late = pair(changed, state.users.values()) if changed else []
    read = {user.arn for _, user in early}
    late_users = list({user.arn: user for _, user in late if user.arn not in read}.values())
    return pairs + late, late_users


def open_clients(specs: list[AccountSpec], region: str | None, clients: Clients | None = None) -> Clients:
    """Clients for every profile the accounts are read with, made up front (a missing profile is
    a usage error before any call)."""
    from .collectors import _open_sessions

    clients = clients or Clients(region)
    _open_sessions(clients, {s.aws_profile for s in specs if not s.role_arn}, services=("iam", "sts"))
    _open_sessions(clients, {s.via_profile for s in specs if s.role_arn}, services=("sts",))
    return clients


def discover_accounts(specs: list[AccountSpec], clients: Clients, region: str | None,
                      settings: Settings, *, max_accounts: int = 4, progress=None,
                      secrets: bool = False, fresh_keys: bool = False, report_wait: float | None = None,
                      unusable: dict[AccountSpec, str] | None = None) -> Iterator[AccountOutcome]:
    """Each account's outcome as soon as it is read, at most `max_accounts` in flight. Accounts
    are started in order as others finish, so memory holds only the accounts in flight.
    `unusable` accounts (a missing profile, no credentials) are each a DISCOVER-001 ERROR."""
    from concurrent.futures import FIRST_COMPLETED, wait

    from .account_processes import discover_in_processes, process_count
    from .actions import catalogue

    region = region or "us-east-1"
    unusable = unusable or {}
    for spec in specs:
        if spec in unusable:
            yield AccountOutcome(spec, [account_error(
                spec.label, spec.account_id, f"account {spec.label} could not be read: {unusable[spec]}")],
                spec.account_id)
    usable = [spec for spec in specs if spec not in unusable]
    processes = process_count(max_accounts, len(usable))
    if processes:
        if progress:
            progress.total_add(len(usable))     # the pairs are counted in the workers: accounts here
        for outcome in discover_in_processes(usable, region, settings, max_accounts=max_accounts,
                                             processes=processes, secrets=secrets,
                                             fresh_keys=fresh_keys, report_wait=report_wait):
            clients.add_calls(outcome.spec.via_profile if outcome.spec.role_arn else outcome.spec.aws_profile,
                              outcome.api_calls)
            if progress:
                progress.update()
            yield outcome
        return
    catalogue().prefetch()       # the LP rules need it; it loads while the first accounts download
    pending = iter(usable)
    with worker_pool(max(1, max_accounts), "account") as pool:
        def start(spec):
            return pool.submit(discover_account, spec, clients, region, settings, progress, secrets,
                               fresh_keys=fresh_keys, report_wait=report_wait)

        running = {start(spec) for spec in itertools.islice(pending, max(1, max_accounts))}
        try:
            while running:
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
                    spec = next(pending, None)
                    if spec is not None:
                        running.add(start(spec))
        finally:
            for future in running:
                future.cancel()


def discover(specs: list[AccountSpec], region: str | None, settings: Settings, *,
             max_accounts: int = 4, progress=None, secrets: bool = False, fresh_keys: bool = False,
             report_wait: float | None = None) -> tuple[list[Result], int]:
    """Results for every account (concurrently, bounded; in the order of `specs`) and the number
    of API calls made."""
    unusable = unusable_accounts(specs)
    clients = open_clients([s for s in specs if s not in unusable], region)
    outcomes = {id(o.spec): o for o in discover_accounts(
        specs, clients, region, settings, max_accounts=max_accounts, progress=progress,
        secrets=secrets, fresh_keys=fresh_keys, report_wait=report_wait, unusable=unusable)}
    return [r for spec in specs for r in outcomes[id(spec)].results], clients.calls


def unusable_accounts(specs: list[AccountSpec]) -> dict[AccountSpec, str]:
    """Accounts whose AWS profile does not exist or gives no credentials (a role_arn account
    needs the credentials of the profile that assumes it, by default boto3's chain): each
    becomes a DISCOVER-001 ERROR and the others are read. When no account is usable at all,
    that is one line and exit 2 before any call."""
    from .credentials import problem
    from .errors import UsageError

    checked: dict[str | None, str | None] = {}
    unusable = {}
    for spec in specs:
        aws_profile = spec.via_profile if spec.role_arn else spec.aws_profile
        if aws_profile not in checked:
            checked[aws_profile] = problem(aws_profile)
        if checked[aws_profile]:
            unusable[spec] = checked[aws_profile]
    if unusable and len(unusable) == len(specs):
        raise UsageError(next(iter(unusable.values())))
    return unusable
