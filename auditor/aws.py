"""The one boundary for AWS answers: clients, calls, pages, and what their failures become.

Every call the auditor makes goes through `call` or `pages`. Whatever goes wrong there (an
error code, a reset connection, a timeout, an answer that is not the XML AWS sends, such as a
proxy's login page or a truncated body, an answer missing the element the auditor reads) leaves
as `CallFailed`, whose `CallError` names the operation and the entity. It never carries the
raw body: botocore's parser error quotes it whole, and a GetRole body holds the trust policy
with the external ID.
"""
from __future__ import annotations

import os
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import Any

from . import __version__, calllog, readonly
from .snapshot import ACCESS_DENIED, NETWORK, NO_SUCH_ENTITY, OTHER, THROTTLED, CallError

_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
           "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "UnrecognizedClientException"}
_THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
              "RequestThrottled", "SlowDown"}
# Used only where the user's environment and AWS config file set no retry mode or attempts.
DEFAULT_RETRY_MODE, DEFAULT_TOTAL_ATTEMPTS = "adaptive", 6
READ_TIMEOUT_VARIABLE, DEFAULT_READ_TIMEOUT = "IAM_AUDITOR_READ_TIMEOUT", 20.0
INCOMPLETE = "IncompleteAnswer"


class CallFailed(Exception):
    def __init__(self, error: CallError):
        super().__init__(error.describe())
        self.error = error


def read_timeout(environ=os.environ) -> float:
    """Seconds to wait for an answer (IAM_AUDITOR_READ_TIMEOUT; each retry waits as long again)."""
    from .errors import UsageError

    text = environ.get(READ_TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_READ_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise UsageError(f"{READ_TIMEOUT_VARIABLE} must be a number of seconds between 0 and 3600")
    return value


def retry_settings(session) -> dict:
    """botocore's `retries` for a client: our defaults only for what the user left unset.

    A retry mode or attempt count given in the client config overrides AWS_RETRY_MODE,
    AWS_MAX_ATTEMPTS and the config file, so each is passed only when none of those sets it."""
    core = getattr(session, "_session", session)      # a boto3 session wraps a botocore one
    profile = core.get_scoped_config()                 # the profile's section of ~/.aws/config
    retries: dict[str, Any] = {}
    # botocore gives a default retry mode of its own, so where it came from is checked here.
    if not os.environ.get("AWS_RETRY_MODE") and "retry_mode" not in profile:
        retries["mode"] = DEFAULT_RETRY_MODE
    if core.get_config_variable("max_attempts") is None:
        retries["total_max_attempts"] = DEFAULT_TOTAL_ATTEMPTS
    return retries


class Clients:
    """boto3 clients per AWS named profile, read-only guarded, retrying as the user configured."""

    def __init__(self, region: str | None):
        self.region = region
        self.read_timeout = read_timeout()
        self._clients: dict[tuple[str | None, str], Any] = {}
        self._lock = threading.Lock()
        self._sessions: dict[str, Any] = {}
        self._lent: dict[str, _Lendable] = {}       # assumed roles' names -> their clients
        self._idle: list[_Lendable] = []            # clients between two accounts
        self.calls = 0
        self.calls_by: Counter = Counter()     # per profile or credentials name
        self._count_lock = threading.Lock()     # not `_lock`: held while a client is made

    def add_session(self, name: str, session) -> None:
        """Use a ready boto3 session (e.g. assumed-role credentials) under `name`."""
        with self._lock:
            self._sessions[name] = session

    def add_credentials(self, name: str, credentials: dict) -> None:
        """Use temporary credentials (an assumed role's) under `name` until `release(name)`.

        Its clients are lent: made once, then reused by the accounts that follow, with each
        account's credentials in turn. A client made per account cost 4 ms of CPU (a fifth of
        what was left of an account once its answers were parsed) and a new connection per
        stream; a session per account loaded the service models again (0.18 s, 10 MB)."""
        with self._lock:
            lendable = self._idle.pop() if self._idle else _Lendable()
            lendable.lend(name, credentials)
            self._lent[name] = lendable

    def release(self, name: str) -> None:
        """Forget the clients and credentials of `name` (an account that is done): memory stays
        bounded by the accounts in flight, not by how many were read."""
        with self._lock:
            lendable = self._lent.pop(name, None)
            if lendable is not None and lendable.give_back():
                self._idle.append(lendable)
            self._sessions.pop(name, None)
            for key in [k for k in self._clients if k[0] == name]:
                del self._clients[key]

    def _session_for(self, aws_profile: str | None):
        """The session a client of `aws_profile` comes from, read-only guarded and logged (-v).
        Called with `_lock` held."""
        session = self._sessions.get(aws_profile) if aws_profile else None
        if session is None:
            session = new_session(profile_name=aws_profile, region_name=self.region or None)
        return _guarded(session)

    def _make(self, session, service: str, region: str | None, counted, **credentials):
        from botocore.config import Config

        # The user agent names the auditor, so its calls can be told apart in CloudTrail.
        config = Config(retries=retry_settings(session),
                        user_agent_extra=f"iam-auditor/{__version__}",
                        connect_timeout=min(5.0, self.read_timeout),
                        read_timeout=self.read_timeout,
                        region_name=region or self.region or session.region_name or "us-east-1")
        client = session.client(service, config=config, **credentials)
        client.meta.events.register("before-call.*.*", counted, unique_id="iam-auditor-count")
        return client

    def get(self, aws_profile: str | None, service: str, region: str | None = None):
        """`region`: for regional services (Secrets Manager, KMS) in another region than the scan's."""
        with self._lock:
            lendable = self._lent.get(aws_profile) if aws_profile else None
            if lendable is not None:
                key = (service, region)
                if key not in lendable.clients:
                    if lendable.session is None:
                        lendable.session = _guarded(lendable.new_session(self.region))
                    client = self._make(lendable.session, service, region, partial(self._count_lent, lendable))
                    lendable.watch(client)
                    lendable.clients[key] = client
                return lendable.clients[key]
            key = (aws_profile, service) if region is None else (aws_profile, service, region)
            if key not in self._clients:
                session = self._session_for(aws_profile)
                # Counted per client: a profile's session may serve several services.
                self._clients[key] = self._make(session, service, region, partial(self._count, aws_profile))
            return self._clients[key]

    def add_calls(self, aws_profile: str | None, calls: int) -> None:
        """Calls made for `aws_profile` elsewhere (a worker process's)."""
        with self._count_lock:
            self.calls += calls
            self.calls_by[aws_profile] += calls

    def _count(self, aws_profile, **_kwargs) -> None:
        with self._count_lock:
            self.calls += 1
            self.calls_by[aws_profile] += 1

    def _count_lent(self, lendable: "_Lendable", **_kwargs) -> None:
        self._count(lendable.name)


class _Lendable:
    """Clients lent to one assumed role's account at a time, signing with its credentials.

    Between two accounts they hold none: a call made then fails (no credentials), it never
    signs as another account. Clients that retried or failed a call are not lent again: their
    retry quota and adaptive rate (botocore keeps both per client) stay with the account whose
    throttling spent them."""

    def __init__(self):
        self.name: str | None = None
        self.credentials = _lent_credentials()
        self.session = None
        self.clients: dict = {}
        self.clean = True

    def new_session(self, region: str | None):
        session = new_session(region_name=region or None)
        session._session.register_component("credential_provider", _Provider(self.credentials))
        return session

    def lend(self, name: str, credentials: dict) -> None:
        self.name = name
        self.credentials.lend(credentials["AccessKeyId"], credentials["SecretAccessKey"],
                              credentials["SessionToken"])

    def give_back(self) -> bool:
        """Drop the credentials; whether these clients may be lent again."""
        self.credentials.lend(None, None, None)
        self.name = None
        return self.clean

    def watch(self, client) -> None:
        client.meta.events.register("after-call.*.*", self._after, unique_id="iam-auditor-lent-after")
        client.meta.events.register("after-call-error.*.*", self._failed, unique_id="iam-auditor-lent-error")

    def _after(self, parsed=None, **_kwargs) -> None:
        metadata = parsed.get("ResponseMetadata") if isinstance(parsed, dict) else None
        if not isinstance(metadata, dict) or metadata.get("RetryAttempts"):
            self.clean = False

    def _failed(self, **_kwargs) -> None:
        self.clean = False


class _Provider:
    """A botocore session's credential provider that always answers with one object."""

    def __init__(self, credentials):
        self._credentials = credentials

    def load_credentials(self):
        return self._credentials


def _lent_credentials():
    from botocore.credentials import Credentials, ReadOnlyCredentials
    from botocore.exceptions import NoCredentialsError

    class LentCredentials(Credentials):
        """An assumed role's credentials while its account is read; none in between."""

        def __init__(self):
            super().__init__(None, None, None, method="assume-role")

        def lend(self, access_key, secret_key, token) -> None:
            self.access_key, self.secret_key, self.token = access_key, secret_key, token

        def get_frozen_credentials(self):
            if self.access_key is None:
                raise NoCredentialsError()
            return ReadOnlyCredentials(self.access_key, self.secret_key, self.token, None)

    return LentCredentials()


def _guarded(session):
    readonly.install(session)
    calllog.install(session.events)     # -v / --debug
    return session


def _wire_timestamp(text):
    return text


_LOADER: list = []
_LOADER_LOCK = threading.Lock()


def _shared_loader(core):
    """One botocore data loader for every session: each profile and assumed role gets its own
    session, and a fresh loader would read and parse the endpoint and service models again."""
    with _LOADER_LOCK:
        if not _LOADER:
            from botocore.loaders import create_loader

            _LOADER.append(create_loader(core.get_config_variable("data_path")))
        return _LOADER[0]


def new_session(**kwargs):
    """A boto3 session whose clients keep timestamps as the text AWS sent (ISO 8601).

    The snapshot stores them as text anyway, and dateutil's parsing of every CreateDate is a
    fifth of the client's time on a large GetAccountAuthorizationDetails page (the AWS CLI's
    `cli_timestamp_format = wire` does the same)."""
    import boto3
    import botocore.session

    from . import query_parser

    core = botocore.session.get_session()
    core.register_component("data_loader", _shared_loader(core))
    parsers = query_parser.ParserFactory()          # IAM's and STS's answers parsed faster
    parsers.set_parser_defaults(timestamp_parser=_wire_timestamp)
    core.register_component("response_parser_factory", parsers)
    query_parser.install(core)
    return boto3.Session(botocore_session=core, **kwargs)


def _one_line(text: Any, limit: int = 300) -> str:
    """The first line of a message, printable characters only."""
    first = str(text).split("\n", 1)[0]
    return "".join(c if c.isprintable() else "?" for c in first)[:limit]


def classify(operation: str, exc: BaseException, entity: str = "") -> CallError:
    """What a failed call becomes. Never raises, never quotes an answer's body."""
    from botocore import exceptions as bx
    from botocore.parsers import ResponseParserError

    if isinstance(exc, bx.ClientError):
        error = exc.response.get("Error", {}) if isinstance(exc.response, dict) else {}
        code = _one_line(error.get("Code", "Unknown"), 100)
        message = _one_line(error.get("Message", ""))
        if code == "NoSuchEntity" or code.endswith("NotFoundException"):
            kind = NO_SUCH_ENTITY
        elif code in _DENIED:
            kind = ACCESS_DENIED
        elif code in _THROTTLED:
            kind = THROTTLED
        else:
            kind = OTHER
        return CallError(operation, kind, code, message, entity)
    if isinstance(exc, ResponseParserError):
        return CallError(operation, OTHER, "UnparsableAnswer",
                         "the answer is not what AWS sends (a truncated body, or a proxy's page?)",
                         entity)
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectionError, bx.ConnectTimeoutError,
                        bx.ReadTimeoutError)):
        return CallError(operation, NETWORK, type(exc).__name__, _one_line(exc), entity)
    if isinstance(exc, bx.NoCredentialsError):
        return CallError(operation, OTHER, "NoCredentials", "no AWS credentials found", entity)
    if isinstance(exc, bx.BotoCoreError):
        return CallError(operation, OTHER, type(exc).__name__, _one_line(exc), entity)
    # Anything else (an http library's own error, a bug in a parser): named by its type only,
    # since its text may quote the answer.
    return CallError(operation, OTHER, type(exc).__name__, "unexpected failure of the call", entity)


def incomplete(operation: str, entity: str, what: str) -> CallFailed:
    return CallFailed(CallError(operation, OTHER, INCOMPLETE, f"the answer has no {what}", entity))


def call(client, operation: str, method: str, *, entity: str = "", need: str | None = None,
         **params) -> dict:
    """One call's answer; with `need`, the answer must hold that element."""
    try:
        answer = getattr(client, method)(**params)
    except readonly.ReadOnlyViolation:
        raise
    except Exception as exc:  # noqa: BLE001 - every failure of a call is classified
        raise CallFailed(classify(operation, exc, entity)) from None
    if not isinstance(answer, dict) or (need is not None and answer.get(need) is None):
        raise incomplete(operation, entity, need or "result")
    return answer


def pages(client, operation: str, method: str, key: str, *, entity: str = "", stop=None,
          **params) -> list:
    """Every page's `key` items (each page must hold `key`, a list of objects or names); with
    `stop` (a threading.Event), no further page once it is set."""
    try:
        out = []
        for page in client.get_paginator(method).paginate(**params):
            items = page.get(key)
            if not isinstance(items, list):
                raise incomplete(operation, entity, key)
            out.extend(items)
            if stop is not None and stop.is_set():
                break
        return out
    except (readonly.ReadOnlyViolation, CallFailed):
        raise
    except Exception as exc:  # noqa: BLE001
        raise CallFailed(classify(operation, exc, entity)) from None


@contextmanager
def reading(operation: str, entity: str = ""):
    """Reading the fields of an answer: one missing or of the wrong type is an incomplete
    answer (CallFailed), not a crash."""
    try:
        yield
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        what = repr(exc.args[0]) if isinstance(exc, KeyError) and exc.args else "expected element"
        raise incomplete(operation, entity, what) from None


@contextmanager
def worker_pool(max_workers: int, name: str):
    """A thread pool that is waited for when its block ends, except on an interrupt (Ctrl-C):
    then queued work is cancelled and in-flight calls are abandoned, not waited for."""
    pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=name)
    try:
        yield pool
    except (KeyboardInterrupt, GeneratorExit):
        # GeneratorExit: a generator's consumer stopped (Ctrl-C while it held the results).
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    except BaseException:
        pool.shutdown(wait=True)
        raise
    pool.shutdown(wait=True)
