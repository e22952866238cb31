"""`iam-auditor discover`: which accounts to read (profiles, `--accounts FILE` or
`--organization`), and where their results go as each account completes.

Every JSONL target (`--format jsonl`, `-o x.jsonl`) is streamed: an account's lines are written
and flushed the moment it is done, the run's summary line last (auditor.stream). The other
targets (JSON, SARIF, the table, ...) are rendered once at the end, from results kept in memory
only when such a target exists.
"""
from __future__ import annotations

import sys
from argparse import Namespace

from .errors import UsageError


class _Sinks:
    """The streams of the JSONL targets, and the collector of the others (if any)."""

    def __init__(self, args):
        from .stream import JsonlStream, ReportCollector

        jsonl = [t for t in args.targets if t.fmt == "jsonl"]
        self.others = [t for t in args.targets if t.fmt != "jsonl"]
        self.streams = [JsonlStream(t.path, statuses=args.status,
                                    baseline=getattr(args, "baseline_results", None)) for t in jsonl]
        self.collector = ReportCollector() if self.others else None

    def add(self, outcome=None, *, results=(), entry: dict | None = None) -> None:
        results = list(results)
        for stream in self.streams:
            stream.add(outcome, results=results, entry=entry)
        if self.collector is not None:
            self.collector.add(outcome, results=results, entry=entry)

    def finish(self, args, specs, api_calls: int, finish_report, *, complete: bool,
               write_others: bool = True) -> int:
        """Close every stream (its summary line says whether the run completed) and write the
        other reports; the exit code is the run's, or 2 when a report could not be written."""
        codes = [s.finish(api_calls, fail_on=args.fail_on, new_only=args.fail_on_new_only,
                          complete=complete) for s in self.streams]
        errors = [s.error for s in self.streams if s.error]
        for error in errors:
            print(f"iam-auditor: error: {error}", file=sys.stderr)
        if self.collector is not None and write_others:
            others = Namespace(**{**vars(args), "targets": self.others})
            codes.append(finish_report(self.collector.report(specs, api_calls), others))
        code = max(codes) if codes else 0
        return max(code, 2) if errors else code


def _organization_accounts(args, clients):
    """(accounts, header entries of skipped accounts, ERROR results) of `--organization`."""
    from . import organization
    from .credentials import require

    if args.accounts:
        raise UsageError("--organization and --accounts: give one of them")
    if len(args.aws_profile or ()) > 1:
        raise UsageError("--organization takes one --aws-profile: the management or delegated "
                         "administrator account's")
    role_name = organization.check_role_name(args.role_name or organization.DEFAULT_ROLE_NAME)
    via = (args.aws_profile or [None])[0]
    require({via})
    organization.open_clients(clients, via)
    return lambda: organization.list_organization(clients, via, role_name)


_LIVE_ONLY = (("organization", "--organization"), ("aws_profile", "--aws-profile"),
              ("accounts", "--accounts"), ("role_name", "--role-name"), ("secrets", "--secrets"),
              ("fresh_keys", "--fresh-keys"))


def run_offline(args, settings, finish_report) -> int:
    """`--authorization-details FILE...`: each saved dump is an account; no AWS call is made."""
    from .discover_offline import discover_dump

    given = [option for name, option in _LIVE_ONLY if getattr(args, name, None)]
    if given:
        raise UsageError(f"--authorization-details reads saved dumps offline: {given[0]} does not "
                         "apply (it reads an AWS account)")
    outcomes = [discover_dump(path, args.region, settings) for path in args.authorization_details]
    sinks = _Sinks(args)     # every dump read before a report is opened: a bad one is exit 2
    for outcome in outcomes:
        sinks.add(outcome)
    return sinks.finish(args, [o.spec for o in outcomes], 0, finish_report, complete=True)


def run_discover(args, settings, finish_report) -> int:
    from .accounts import AccountSpec, load_accounts
    from .aws import Clients
    from .discover import discover_accounts, open_clients, unusable_accounts
    from .progress import ProgressBar

    if getattr(args, "authorization_details", None):
        return run_offline(args, settings, finish_report)
    if args.max_accounts < 1:
        raise UsageError("--max-accounts must be at least 1")
    if args.credential_report_wait < 0:
        raise UsageError("--credential-report-wait must not be negative")
    if args.role_name and not args.organization:
        raise UsageError("--role-name needs --organization")
    clients = Clients(args.region)
    unusable: dict = {}
    if args.organization:
        listing = _organization_accounts(args, clients)
    else:
        given = load_accounts(args.accounts) if args.accounts else []
        given += [AccountSpec(name, aws_profile=name) for name in args.aws_profile or ()]
        if not given:
            given = [AccountSpec("default")]  # boto3's usual credential chain
        unusable = unusable_accounts(given)
        open_clients([s for s in given if s not in unusable], args.region, clients)

        def listing():
            return given, [], []
    sinks = _Sinks(args)        # streams opened before the first API call
    specs: list = []
    complete = False
    try:
        specs, header, early_results = listing()
        for entry in header:
            sinks.add(entry=entry)
        sinks.add(results=early_results)
        with ProgressBar(enabled=not args.quiet and sys.stderr.isatty()) as bar:
            for outcome in discover_accounts(specs, clients, args.region, settings,
                                             max_accounts=args.max_accounts, progress=bar,
                                             secrets=args.secrets, fresh_keys=args.fresh_keys,
                                             report_wait=args.credential_report_wait,
                                             unusable=unusable):
                sinks.add(outcome)
        complete = True
    except (UsageError, KeyboardInterrupt, BrokenPipeError):
        if sinks.streams:   # the summary line, also when interrupted (complete: false)
            sinks.finish(args, specs, clients.calls, finish_report, complete=False,
                         write_others=False)   # a previous report stays intact
        raise
    except Exception as error:  # noqa: BLE001 - last resort: an ERROR result, never a traceback
        from .scan import internal_error_report

        sinks.add(results=internal_error_report("discover", error).results)
    return sinks.finish(args, specs, clients.calls, finish_report, complete=complete)
