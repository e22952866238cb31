"""Access-key and console-password facts of every user from IAM's credential report.

Two calls per account (GenerateCredentialReport, then GetCredentialReport) replace one to three
per paired user (ListAccessKeys, GetAccessKeyLastUsed per key, GetLoginProfile): what makes
`discover`'s cost independent of how many users an account has.

The report is IAM's own snapshot: GenerateCredentialReport returns COMPLETE at once while the
last report is under four hours old, so its facts can be up to four hours behind. Its
generation time goes into the evidence of every result built from it and into the report's
header; `discover --fresh-keys` reads keys per user instead, for those who need minute-fresh
facts. A report still being generated is waited for up to a bound; a report that is denied,
still not ready at the bound, or unreadable is `Unavailable`, and the caller reads the paired
users one by one instead.

The report names no access key ID (its columns are `access_key_1_*` and `access_key_2_*`), so
a key from it is named "1 of user NAME": the KEY rules then say "active access key 1 of user
bob was created on ...".
"""
from __future__ import annotations

import csv
import io
import threading
import time
from dataclasses import dataclass, replace
from typing import Callable, Iterable

from .aws import CallFailed, call
from .collectors import _iso
from .snapshot import AccessKey, UserState

SOURCE_REPORT = "credential-report"
SOURCE_PER_USER = "per-user-calls"
DEFAULT_WAIT_SECONDS = 60.0
_NOT_READY = {"ReportInProgress", "ReportNotPresent", "ReportExpired"}
_ENTITY = "the credential report"


class Unavailable(Exception):
    """No usable report: the message says why (shown in the account's summary)."""


@dataclass(frozen=True)
class UserFacts:
    access_keys: tuple[AccessKey, ...]
    has_login_profile: bool | None


@dataclass(frozen=True)
class CredentialReport:
    generated_at: str                   # ISO 8601, UTC, Z
    users: dict[str, UserFacts]         # by user ARN
    calls: int = 0                      # GenerateCredentialReport + GetCredentialReport calls


def _absent(value: str | None) -> bool:
    return value in (None, "", "N/A", "not_supported", "no_information")


def parse(content: bytes | str, generated_at: str) -> CredentialReport:
    """The report's CSV, keeping what the KEY rules and LP-004 read. The root account's row
    (`<root_account>`) is not a user and is left out."""
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    users = {}
    for row in csv.DictReader(io.StringIO(text)):
        arn, name = row.get("arn"), row.get("user")
        if not arn or not name or name == "<root_account>":
            continue
        keys = []
        for n in (1, 2):
            created = row.get(f"access_key_{n}_last_rotated")
            if _absent(created):
                continue                # no such key: the report writes N/A
            last_used = row.get(f"access_key_{n}_last_used_date")
            keys.append(AccessKey(f"{n} of user {name}",
                                  "Active" if row.get(f"access_key_{n}_active") == "true" else "Inactive",
                                  _iso(created), None if _absent(last_used) else _iso(last_used)))
        password = row.get("password_enabled")
        login = True if password == "true" else False if password == "false" else None
        users[arn] = UserFacts(tuple(keys), login)
    return CredentialReport(generated_at, users)


def fetch(iam, *, wait_seconds: float = DEFAULT_WAIT_SECONDS, stop: Callable[[], bool] | None = None,
          sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic
          ) -> CredentialReport:
    """Generate (or reuse) the account's report and read it, waiting up to `wait_seconds` for a
    report still being generated. Raises Unavailable when there is no usable report, or once
    `stop()` says the answer is no longer wanted."""
    deadline = clock() + wait_seconds
    delay, calls = 0.25, 0
    while True:
        if stop is not None and stop():
            raise Unavailable("no longer needed")
        try:
            calls += 1
            state = call(iam, "iam:GenerateCredentialReport", "generate_credential_report",
                         entity=_ENTITY, need="State")["State"]
            if state == "COMPLETE":
                calls += 1
                answer = call(iam, "iam:GetCredentialReport", "get_credential_report",
                              entity=_ENTITY, need="Content")
                try:
                    report = parse(answer["Content"], _iso(answer.get("GeneratedTime")) or "")
                except (UnicodeDecodeError, csv.Error, TypeError, AttributeError) as error:
                    raise Unavailable("credential report unavailable: iam:GetCredentialReport "
                                      f"answered a report that is not CSV ({type(error).__name__})") from None
                return replace(report, calls=calls)
        except CallFailed as failure:
            if failure.error.code not in _NOT_READY:
                raise Unavailable(f"credential report unavailable: {failure.error.describe()}") from None
        if clock() + delay > deadline:
            raise Unavailable(f"credential report still being generated after {wait_seconds:g} s")
        sleep(delay)
        delay = min(delay * 2, 5.0)


def apply(report: CredentialReport, users: Iterable[UserState]) -> tuple[dict[str, UserState], list[UserState]]:
    """(users with their key facts from the report, users the report does not list: created
    after it was generated, to be read one by one)."""
    keyed, missing = {}, []
    for user in users:
        facts = report.users.get(user.arn)
        if facts is None:
            missing.append(user)
        else:
            keyed[user.arn] = replace(user, access_keys=facts.access_keys,
                                      has_login_profile=facts.has_login_profile)
    return keyed, missing


def evidence(source: str, report: CredentialReport | None, note: str | None = None) -> dict:
    """What KEY and LP-004 results add to their evidence: where the key facts come from and,
    from the report, when IAM generated it."""
    out = {"key_facts_source": source}
    if source == SOURCE_REPORT and report is not None:
        out["credential_report_generated_at"] = report.generated_at
    if note:
        out["key_facts_note"] = note
    return out


class KeyFacts:
    """The paired users' key facts for one account, from the report or read user by user.

    `want(users)` names users whose facts the rules need, as pairing finds them; `users()`
    waits for the facts. With `fresh`, each batch of users is read at once on `pool`, as
    before the credential report existed; otherwise the report is fetched on `pool` from the
    start, and only users it cannot answer for are read one by one."""

    def __init__(self, pool, iam, read_per_user: Callable[[list[UserState]], dict[str, UserState]], *,
                 fresh: bool, wait_seconds: float = DEFAULT_WAIT_SECONDS, stop: threading.Event | None = None):
        self._pool, self._read, self._fresh = pool, read_per_user, fresh
        self._batches: list = []
        self._wanted: dict[str, UserState] = {}
        self._abandoned = False
        self._report = None if fresh else pool.submit(
            fetch, iam, wait_seconds=wait_seconds,
            stop=lambda: self._abandoned or (stop is not None and stop.is_set()))
        self.report: CredentialReport | None = None
        self.note: str | None = None
        self._sources: dict[str, dict] = {}

    def want(self, users: Iterable[UserState]) -> None:
        users = [u for u in users if u.arn not in self._wanted]
        self._wanted.update((u.arn, u) for u in users)
        if self._fresh and users:
            self._batches.append(self._pool.submit(self._read, users))

    def users(self) -> dict[str, UserState]:
        """Every wanted user with its access keys and login profile (waits for them)."""
        if not self._wanted and self._report is not None and not self._report.done():
            self._abandoned = True      # no paired user: do not wait for a report in progress
            return {}
        keyed: dict[str, UserState] = {}
        for batch in self._batches:
            keyed.update(batch.result())
        per_user = SOURCE_PER_USER, None, None
        if self._report is not None:
            try:
                self.report = self._report.result()
            except Unavailable as why:
                self.note = str(why)
                per_user = SOURCE_PER_USER, None, self.note
                keyed.update(self._read(list(self._wanted.values())))
            else:
                from_report, missing = apply(self.report, self._wanted.values())
                keyed.update(from_report)
                for arn in from_report:
                    self._sources[arn] = evidence(SOURCE_REPORT, self.report)
                if missing:
                    keyed.update(self._read(missing))
                    per_user = (SOURCE_PER_USER, None, "not in the credential report generated at "
                                f"{self.report.generated_at} (created since)")
        for arn in keyed:
            self._sources.setdefault(arn, evidence(*per_user))
        return keyed

    def evidence_of(self, user_arn: str) -> dict:
        return self._sources.get(user_arn, {})

    def summary(self) -> dict | None:
        """How this account's key facts were read, for the report's header (None: not needed)."""
        if self._abandoned:
            return None
        if self.report is not None:
            return {"source": SOURCE_REPORT, "credential_report_generated_at": self.report.generated_at}
        return {"source": SOURCE_PER_USER, **({"note": self.note} if self.note else {})}
