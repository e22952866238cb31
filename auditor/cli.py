"""Command line. Heavy modules (boto3, yaml, tabulate, the rules) are imported inside the
commands that need them, so `--help`, `--version` and `rules --format json` start fast."""
from __future__ import annotations

import argparse
import os
import sys

from . import __version__
from .errors import UsageError

FAIL_ON = ("info", "low", "medium", "high", "critical", "none")
OUTPUT_FORMATS = ("table", "json", "jsonl", "sarif", "ocsf", "markdown")
RULES_FORMATS = ("table", "json", "markdown")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one clear line, exit 2 (argparse prints usage too)
        raise UsageError(f"{self.prog}: {message}")


def _common(parser: argparse.ArgumentParser, formats=OUTPUT_FORMATS, *, many_aws_profiles=False) -> None:
    parser.add_argument("--format", choices=formats, help="output format (default: table on a "
                        "terminal, json otherwise)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE (atomically)")
    parser.add_argument("--fail-on", choices=FAIL_ON, default="low",
                        help="lowest severity of an unsuppressed FAIL that makes the exit code 1 "
                             "(default: low)")
    parser.add_argument("--severity", action="append", default=[], metavar="RULE=LEVEL",
                        help="override a rule's severity, e.g. --severity TRUST-005=medium")
    if many_aws_profiles:
        parser.add_argument("--aws-profile", action="append", metavar="NAME",
                            help="AWS named profile of an account to read (repeatable)")
    else:
        parser.add_argument("--aws-profile", metavar="NAME", help="AWS named profile for reading IAM")
    parser.add_argument("--region", metavar="REGION", help="AWS region for API calls")
    parser.add_argument("--status", action="append", choices=("PASS", "FAIL", "ERROR", "SKIP"),
                        type=str.upper, metavar="STATUS",
                        help="emit only results with this status (repeatable); the summary and "
                             "exit code still count every result")
    parser.add_argument("--baseline", metavar="PREVIOUS.json",
                        help="a previous JSON report: mark results new or unchanged and list the "
                             "resolved failures")
    parser.add_argument("--fail-on-new-only", action="store_true",
                        help="with --baseline: only new failures make the exit code 1")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress or notes on stderr")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="iam-auditor", description="Audit the IAM role a SaaS product assumes "
                     "on behalf of an IAM user to read AWS Secrets Manager.")
    parser.add_argument("--version", action="version", version=f"iam-auditor {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    lint = commands.add_parser("lint", help="check IAM policy documents offline (.json/.yaml files "
                               "or directories of them)")
    lint.add_argument("paths", nargs="+", metavar="PATH")
    lint.add_argument("--min-external-id-length", type=int, default=16, metavar="N",
                      help="TRUST-004: shortest acceptable external ID (default: 16)")
    _common(lint)

    scan = commands.add_parser("scan", help="audit every profile of a configuration against AWS")
    scan.add_argument("-c", "--config", required=True, metavar="CONFIG")
    scan.add_argument("--profile-name", action="append", metavar="NAME",
                      help="only this profile (repeatable)")
    scan.add_argument("--snapshot", metavar="FILE",
                      help="evaluate a snapshot written by `collect` instead of calling AWS")
    _common(scan)

    collect = commands.add_parser("collect", help="save the live state a scan would read")
    collect.add_argument("-c", "--config", required=True, metavar="CONFIG")
    collect.add_argument("--profile-name", action="append", metavar="NAME")
    collect.add_argument("-o", "--output", required=True, metavar="SNAPSHOT.json")
    collect.add_argument("--aws-profile", metavar="NAME")
    collect.add_argument("--region", metavar="REGION")
    collect.add_argument("-q", "--quiet", action="store_true")

    demo = commands.add_parser("demo", help="a full scan of a built-in sample account (moto, no "
                               "AWS needed)")
    _common(demo)

    discover = commands.add_parser("discover", help="find and audit every role assumed on behalf "
                                   "of a user in one or more accounts (bulk reads)")
    discover.add_argument("--accounts", metavar="FILE",
                          help="YAML list of accounts: {account, aws_profile | role_arn}")
    discover.add_argument("--organization", action="store_true",
                          help="every ACTIVE account of the AWS Organization (organizations:ListAccounts, "
                               "run from the management or a delegated administrator account), each read "
                               "through the role --role-name")
    discover.add_argument("--role-name", metavar="NAME",
                          help="with --organization: the read-only role assumed in each account "
                               "(default: iam-auditor-readonly)")
    discover.add_argument("--max-accounts", type=int, default=4, metavar="N",
                          help="accounts read at once (default: 4)")
    discover.add_argument("--fresh-keys", action="store_true",
                          help="read access keys and console passwords per paired user instead of from "
                               "IAM's credential report (which can be up to 4 hours old)")
    discover.add_argument("--credential-report-wait", type=float, default=60.0, metavar="SECONDS",
                          help="how long to wait for a credential report being generated before reading "
                               "keys per user (default: 60)")
    _common(discover, many_aws_profiles=True)

    rules = commands.add_parser("rules", help="list the rule catalogue")
    rules.add_argument("--format", choices=RULES_FORMATS, default="table")
    rules.add_argument("-o", "--output", metavar="FILE")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help()
            return 2
        _read_baseline_early(args)
        handler = {"lint": _cmd_lint, "rules": _cmd_rules, "scan": _cmd_scan,
                   "collect": _cmd_collect, "demo": _cmd_demo,
                   "discover": _cmd_discover}[args.command]
        return handler(args)
    except UsageError as error:
        print(f"iam-auditor: error: {error}" if not str(error).startswith("iam-auditor")
              else f"{error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("iam-auditor: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _severity_overrides(pairs: list[str]) -> dict[str, str]:
    from .engine import SEVERITIES, load_rules

    known = load_rules()
    overrides = {}
    for pair in pairs:
        rule_id, _, level = pair.partition("=")
        rule_id, level = rule_id.strip().upper(), level.strip().lower()
        if rule_id not in known:
            raise UsageError(f"--severity {pair}: unknown rule id {rule_id!r}")
        if level not in SEVERITIES:
            raise UsageError(f"--severity {pair}: level must be one of {', '.join(SEVERITIES)}")
        overrides[rule_id] = level
    return overrides


def _default_format(args) -> str:
    if args.format:
        return args.format
    return "table" if args.output is None and sys.stdout.isatty() else "json"


def emit(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from .output import write_atomically

    write_atomically(output, text)


def finish(report, args) -> int:
    from .report import exit_code
    from .reports import render

    if getattr(args, "baseline_results", None) is not None:
        from .baseline import compare

        report.extra["resolved"] = compare(report.results, args.baseline_results)
    if getattr(args, "status", None):
        report.statuses = frozenset(args.status)
    fmt = _default_format(args)
    color = fmt == "table" and args.output is None and sys.stdout.isatty() \
        and "NO_COLOR" not in os.environ
    emit(render(report, fmt, color=color), args.output)
    return exit_code(report.results, args.fail_on, new_only=args.fail_on_new_only)


def _read_baseline_early(args) -> None:
    """Bad --baseline input is a usage error before anything is collected or evaluated."""
    if getattr(args, "fail_on_new_only", False) and not args.baseline:
        raise UsageError("--fail-on-new-only needs --baseline PREVIOUS.json")
    if getattr(args, "baseline", None):
        from .baseline import read_baseline

        args.baseline_results = read_baseline(args.baseline)


def _cmd_lint(args) -> int:
    from .lint import discover, lint_documents, read_document
    from .report import Report
    from .settings import Settings

    if args.min_external_id_length < 1:
        raise UsageError("--min-external-id-length must be a positive number")
    settings = Settings(min_external_id_length=args.min_external_id_length,
                        severity_overrides=_severity_overrides(args.severity))
    files = discover(args.paths)
    if not files:
        raise UsageError("lint: no .json, .yaml or .yml files under " + ", ".join(args.paths))
    results = list(lint_documents((read_document(f) for f in files), settings))
    return finish(Report("lint", results), args)


def _cmd_rules(args) -> int:
    from .catalogue_view import render_rules

    emit(render_rules(args.format), args.output)
    return 0


def _load_config(args):
    from .config import load_config, select_profiles

    config = load_config(args.config)
    if getattr(args, "severity", None):
        from dataclasses import replace

        overrides = {**config.settings.severity_overrides, **_severity_overrides(args.severity)}
        config = replace(config, settings=replace(config.settings, severity_overrides=overrides))
    return config, select_profiles(config, args.profile_name)


def _progress(args):
    if getattr(args, "quiet", False) or not sys.stderr.isatty():
        return None
    return lambda what: print(f"  collected {what}", file=sys.stderr)


def _cmd_scan(args) -> int:
    from .scan import scan_report

    config, profiles = _load_config(args)
    if args.snapshot:
        snapshot = _read_snapshot(args.snapshot)
    else:
        from .collectors import collect

        snapshot = collect(profiles, args.region, default_aws_profile=args.aws_profile,
                           progress=_progress(args))
    report = scan_report(config, snapshot, profiles, default_aws_profile=args.aws_profile)
    report.extra["config_path"] = args.config  # SARIF locates findings in the configuration
    return finish(report, args)


def _read_snapshot(path: str):
    import json

    from .snapshot import snapshot_from_dict

    try:
        with open(path, encoding="utf-8") as handle:
            return snapshot_from_dict(json.load(handle))
    except OSError as error:
        raise UsageError(f"--snapshot {path}: {error.strerror}") from None
    except ValueError as error:
        raise UsageError(f"--snapshot {path}: {error}") from None


def _cmd_collect(args) -> int:
    from .collectors import collect
    from .output import write_atomically

    config, profiles = _load_config(args)
    snapshot = collect(profiles, args.region, default_aws_profile=args.aws_profile,
                       progress=_progress(args))
    write_atomically(args.output, snapshot.to_json(), mode=0o600)
    if not args.quiet:
        print(f"iam-auditor: wrote {args.output} ({snapshot.api_calls} API calls)", file=sys.stderr)
    return 0


def _cmd_demo(args) -> int:
    from .demo import run_demo

    return finish(run_demo(severity_overrides=_severity_overrides(args.severity)), args)


def _cmd_discover(args) -> int:
    from .collectors import Clients
    from .discover import AccountSpec, discover_accounts, load_accounts, open_clients
    from .settings import Settings

    if args.max_accounts < 1:
        raise UsageError("--max-accounts must be at least 1")
    if args.credential_report_wait < 0:
        raise UsageError("--credential-report-wait must not be negative")
    settings = Settings(severity_overrides=_severity_overrides(args.severity))
    clients = Clients(args.region)
    header, early_results = [], []
    if args.organization:
        from . import organization

        if args.accounts:
            raise UsageError("--organization and --accounts: give one of them")
        if len(args.aws_profile or ()) > 1:
            raise UsageError("--organization takes one --aws-profile: the management or delegated "
                             "administrator account's")
        role_name = organization.check_role_name(args.role_name or organization.DEFAULT_ROLE_NAME)
        via = (args.aws_profile or [None])[0]
        organization.open_clients(clients, via)
        sink = _discover_sink(args)
        specs, header, early_results = organization.list_organization(clients, via, role_name)
    else:
        if args.role_name:
            raise UsageError("--role-name needs --organization")
        specs = load_accounts(args.accounts) if args.accounts else []
        specs += [AccountSpec(name, aws_profile=name) for name in args.aws_profile or ()]
        if not specs:
            specs = [AccountSpec("default")]  # boto3's usual credential chain
        open_clients(specs, args.region, clients)
        sink = _discover_sink(args)
    for entry in header:
        sink.add(entry=entry)
    sink.add(results=early_results)
    complete = False
    try:
        with _progress_bar(args) as bar:
            for outcome in discover_accounts(specs, clients, args.region, settings,
                                             max_accounts=args.max_accounts, progress=bar,
                                             fresh_keys=args.fresh_keys,
                                             report_wait=args.credential_report_wait):
                sink.add(outcome)
        complete = True
    finally:
        if sink.streaming:   # the summary line, also when interrupted (complete: false)
            code = sink.finish(clients.calls, fail_on=args.fail_on, new_only=args.fail_on_new_only,
                               complete=complete)
    return code if sink.streaming else finish(sink.report(specs, clients.calls), args)


def _discover_sink(args):
    """JSONL is streamed as accounts complete; every other format is rendered at the end."""
    from .stream import JsonlStream, ReportCollector

    if _default_format(args) == "jsonl":
        return JsonlStream(args.output, statuses=args.status, baseline=getattr(args, "baseline_results", None))
    return ReportCollector()


class _Bar:
    """A tqdm bar on stderr whose total grows as accounts reveal their pairs."""

    def __init__(self, bar):
        self.bar = bar

    def total_add(self, n: int) -> None:
        self.bar.total = (self.bar.total or 0) + n
        self.bar.refresh()

    def update(self, n: int = 1) -> None:
        self.bar.update(n)


class _progress_bar:
    def __init__(self, args):
        self.enabled = not args.quiet and sys.stderr.isatty()

    def __enter__(self):
        if not self.enabled:
            return None
        from tqdm import tqdm

        self.tqdm = tqdm(total=0, desc="evaluating", unit="pair", file=sys.stderr, leave=False)
        return _Bar(self.tqdm)

    def __exit__(self, *exc):
        if self.enabled:
            self.tqdm.close()
        return False
