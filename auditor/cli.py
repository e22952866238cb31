"""Command line. Heavy modules (boto3, yaml, tabulate, the rules) are imported inside the
commands that need them, so `--help`, `--version` and `rules --format json` start fast."""
from __future__ import annotations

import argparse
import os
import sys

from . import __version__
from .cli_help import EXAMPLES, EXIT_CODES
from .errors import UsageError

FAIL_ON = ("info", "low", "medium", "high", "critical", "none")
OUTPUT_FORMATS = ("table", "json", "jsonl", "sarif", "ocsf", "markdown", "html")
RULES_FORMATS = ("table", "json", "markdown")
class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one clear line, exit 2 (argparse prints usage too)
        for option in ("--aws-profile", "--region"):
            if message.startswith("unrecognized arguments") and \
                    any(word.split("=")[0] == option for word in message.split()):
                raise UsageError(f"{self.prog}: {option} does not apply to this command: only "
                                 "scan, collect and discover read an AWS account")
        raise UsageError(f"{self.prog}: {message}")


def _epilog(command: str | None) -> str:
    return EXAMPLES[command] + "\n\n" + EXIT_CODES


def _command(commands, name: str, help_text: str) -> argparse.ArgumentParser:
    return commands.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".",
                               epilog=_epilog(name), formatter_class=argparse.RawDescriptionHelpFormatter)


def _logging_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress or notes on stderr")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log each AWS call on stderr: operation, entity, time, outcome "
                             "(never a secret)")
    parser.add_argument("--debug", action="store_true",
                        help="like -v, plus request IDs, retries and what the run decided")


def _aws_options(parser: argparse.ArgumentParser, *, many_aws_profiles=False) -> None:
    if many_aws_profiles:
        parser.add_argument("--aws-profile", action="append", metavar="NAME",
                            help="AWS named profile of an account to read (repeatable)")
    else:
        parser.add_argument("--aws-profile", metavar="NAME",
                            help="AWS named profile for reading IAM, for profiles of the "
                                 "configuration that name none (default: boto3's usual chain)")
    parser.add_argument("--region", metavar="REGION",
                        help="AWS region for API calls (default: the profile's or boto3's)")


def _rule_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rule", action="append", default=[], metavar="PATTERN",
                        help="run only rules whose ID matches this glob, e.g. 'KEY-*' "
                             "(repeatable; replaces settings.rules)")
    parser.add_argument("--skip-rule", action="append", default=[], metavar="PATTERN",
                        help="never run rules whose ID matches this glob (repeatable; added to "
                             "settings.skip_rules)")


def _common(parser: argparse.ArgumentParser, formats=OUTPUT_FORMATS) -> None:
    parser.add_argument("--format", choices=formats,
                        help="format of stdout, and of the -o file (default: table; with several "
                             "-o, each file's format comes from its extension)")
    parser.add_argument("-o", "--output", action="append", metavar="FILE",
                        help="write a report to FILE, atomically (repeatable; format by extension: "
                             ".json .jsonl/.ndjson .sarif .ocsf.json .md .html .txt); a terminal "
                             "still gets the table")
    parser.add_argument("--fail-on", choices=FAIL_ON, default="low",
                        help="lowest severity of an unsuppressed FAIL that makes the exit code 1 "
                             "and the go-live verdict negative (default: low)")
    parser.add_argument("--severity", action="append", default=[], metavar="RULE=LEVEL",
                        help="override a rule's severity, e.g. --severity TRUST-005=medium")
    _rule_options(parser)
    parser.add_argument("--status", action="append", choices=("PASS", "FAIL", "ERROR", "SKIP"),
                        type=str.upper, metavar="STATUS",
                        help="emit only results with this status (repeatable); the summary and "
                             "exit code still count every result")
    parser.add_argument("--all", action="store_true", dest="show_all",
                        help="the table lists PASS and SKIP rows too (default: FAIL and ERROR "
                             "rows, then counts per status)")
    parser.add_argument("--no-color", action="store_true",
                        help="no colour in the table (also: NO_COLOR set in the environment)")
    parser.add_argument("--baseline", metavar="PREVIOUS.json",
                        help="a previous JSON report: mark failures new or unchanged, list the "
                             "resolved ones, and alert (JSONL, OCSF, SARIF) on new ones only")
    parser.add_argument("--fail-on-new-only", action="store_true",
                        help="with --baseline: only new failures make the exit code 1")
    _logging_options(parser)


def _config_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("-c", "--config", required=True, metavar="CONFIG", help=what)
    parser.add_argument("--profile-name", action="append", metavar="NAME",
                        help="only this profile (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="iam-auditor", description="Audit the IAM role a SaaS product assumes "
                     "on behalf of an IAM user to read AWS Secrets Manager.",
                     epilog=_epilog(None), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"iam-auditor {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    lint = _command(commands, "lint", "check IAM policy documents offline (.json/.yaml files "
                    "or directories of them)")
    lint.add_argument("paths", nargs="+", metavar="PATH", help="policy files or directories")
    lint.add_argument("--min-external-id-length", type=int, default=16, metavar="N",
                      help="TRUST-004: shortest acceptable external ID (default: 16)")
    _common(lint)

    scan = _command(commands, "scan", "audit every profile of a configuration against AWS")
    _config_options(scan, "the YAML configuration: profiles, settings, waivers")
    scan.add_argument("--snapshot", metavar="FILE",
                      help="evaluate a snapshot written by `collect` instead of calling AWS")
    _common(scan)
    _aws_options(scan)

    collect = _command(commands, "collect", "save the live state a scan would read")
    _config_options(collect, "the YAML configuration whose profiles to read")
    collect.add_argument("-o", "--output", required=True, metavar="SNAPSHOT.json",
                         help="where to write the snapshot (mode 0600; no secret in it)")
    _aws_options(collect)
    _logging_options(collect)

    demo = _command(commands, "demo", "a full scan of a built-in sample account (moto, no AWS "
                    "needed)")
    _common(demo)

    discover = _command(commands, "discover", "find and audit every role assumed on behalf "
                        "of a user in one or more accounts (bulk reads)")
    discover.add_argument("--accounts", metavar="FILE",
                          help="YAML list of accounts: {account, aws_profile | role_arn}")
    discover.add_argument("--max-accounts", type=int, default=4, metavar="N",
                          help="accounts read at once (default: 4)")
    _common(discover)
    _aws_options(discover, many_aws_profiles=True)

    rules = _command(commands, "rules", "list the rule catalogue, or show rules in full")
    rules.add_argument("ids", nargs="*", metavar="ID",
                       help="show these rules in full (IDs or globs, e.g. LP-001 'KEY-*')")
    rules.add_argument("--format", choices=RULES_FORMATS, default="table",
                       help="table (default), json or markdown")
    rules.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    _rule_options(rules)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help()
            return 2
        from .calllog import configure

        configure(getattr(args, "verbose", False), getattr(args, "debug", False))
        _read_baseline_early(args)
        _plan_outputs_early(args)
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


def _rule_selection(args, settings=None) -> dict:
    """Settings fields from --rule / --skip-rule (on top of the configuration's); a pattern
    that matches no rule is a usage error."""
    from .engine import load_rules
    from .settings import unmatched_patterns

    rules = tuple(p.strip().upper() for p in args.rule)
    skips = tuple(p.strip().upper() for p in args.skip_rule)
    for option, pattern in [("--rule", p) for p in unmatched_patterns(rules, load_rules())] + \
            [("--skip-rule", p) for p in unmatched_patterns(skips, load_rules())]:
        raise UsageError(f"{option} {pattern}: matches no rule ID (`iam-auditor rules` lists them)")
    base_rules = settings.rules if settings is not None else ()
    base_skips = settings.skip_rules if settings is not None else ()
    return {"rules": rules or base_rules, "skip_rules": tuple(dict.fromkeys(base_skips + skips))}


def emit(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from .output import write_atomically

    write_atomically(output, text)


def _color(args) -> bool:
    return (sys.stdout.isatty() and not getattr(args, "no_color", False)
            and not os.environ.get("NO_COLOR"))


def _plan_outputs_early(args) -> None:
    """Where the reports go, decided before any API call (a bad -o is exit 2 up front)."""
    if args.command in ("collect", "rules"):
        return
    from .report_targets import plan

    args.targets = plan(args.output, args.format, stdout_is_terminal=sys.stdout.isatty())


def finish(report, args) -> int:
    import shutil

    from .report import exit_code
    from .report_targets import write
    from .reports import render

    if getattr(args, "baseline_results", None) is not None:
        from .baseline import compare

        report.extra["resolved"] = compare(report.results, args.baseline_results)
    if getattr(args, "status", None):
        report.statuses = frozenset(args.status)
    report.fail_on = args.fail_on
    width = shutil.get_terminal_size((100, 24)).columns

    def rendered(fmt: str, to_stdout: bool) -> str:
        return render(report, fmt, color=to_stdout and _color(args),
                      width=width if to_stdout else None, show_all=args.show_all)

    import logging

    from .output import write_atomically

    log = logging.getLogger("iam_auditor.run")
    if log.isEnabledFor(logging.DEBUG):
        log.debug("%d results (%s); fail-on %s; reports: %s", len(report.results),
                  ", ".join(f"{k} {v}" for k, v in report.summary().items() if isinstance(v, int)),
                  args.fail_on, ", ".join(f"{t.fmt} -> {t.path or 'stdout'}" for t in args.targets))
    errors = write(args.targets, rendered, write_atomically)
    for error in errors:
        print(f"iam-auditor: error: {error}", file=sys.stderr)
    code = exit_code(report.results, args.fail_on, new_only=args.fail_on_new_only)
    return code if not errors else max(code, 2)


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
                        severity_overrides=_severity_overrides(args.severity),
                        **_rule_selection(args))
    files = discover(args.paths)
    if not files:
        raise UsageError("lint: no .json, .yaml or .yml files under " + ", ".join(args.paths))
    results = list(lint_documents((read_document(f) for f in files), settings))
    return finish(Report("lint", results), args)


def _cmd_rules(args) -> int:
    import shutil

    from .catalogue_view import render_detail, render_rules
    from .settings import Settings

    selection = Settings(**_rule_selection(args))
    if args.ids:
        width = shutil.get_terminal_size((100, 24)).columns if args.output is None else 100
        text = render_detail([i for i in args.ids if selection.selects(i.strip().upper())]
                             or args.ids, args.format, width)
    else:
        text = render_rules(args.format, selection.selects)
    emit(text, args.output)
    return 0


def _load_config(args):
    from .config import load_config, select_profiles

    from dataclasses import replace

    config = load_config(args.config)
    if hasattr(args, "rule"):       # collect runs no rule
        overrides = {**config.settings.severity_overrides, **_severity_overrides(args.severity)}
        config = replace(config, settings=replace(config.settings, severity_overrides=overrides,
                                                  **_rule_selection(args, config.settings)))
    return config, select_profiles(config, args.profile_name)


def _require_credentials(profiles, args) -> None:
    """No credentials (or a missing AWS profile) is one line and exit 2, before any call."""
    from .credentials import require

    wanted = set()
    for p in profiles:
        role_profile = p.aws_profile or args.aws_profile
        wanted |= {role_profile, p.user_aws_profile or role_profile}
    require(wanted)


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

        _require_credentials(profiles, args)
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
    _require_credentials(profiles, args)
    snapshot = collect(profiles, args.region, default_aws_profile=args.aws_profile,
                       progress=_progress(args))
    write_atomically(args.output, snapshot.to_json(), mode=0o600)
    if not args.quiet:
        print(f"iam-auditor: wrote {args.output} ({snapshot.api_calls} API calls)", file=sys.stderr)
    return 0


def _cmd_demo(args) -> int:
    from .demo import run_demo

    return finish(run_demo(severity_overrides=_severity_overrides(args.severity),
                           **_rule_selection(args)), args)


def _cmd_discover(args) -> int:
    from .discover import AccountSpec, discover, load_accounts
    from .report import Report
    from .settings import Settings

    if args.max_accounts < 1:
        raise UsageError("--max-accounts must be at least 1")
    specs = load_accounts(args.accounts) if args.accounts else []
    specs += [AccountSpec(name, aws_profile=name) for name in args.aws_profile or ()]
    if not specs:
        specs = [AccountSpec("default")]  # boto3's usual credential chain
    settings = Settings(severity_overrides=_severity_overrides(args.severity),
                        **_rule_selection(args))
    from .progress import ProgressBar

    with ProgressBar(enabled=not args.quiet and sys.stderr.isatty()) as bar:
        results, calls = discover(specs, args.region, settings, max_accounts=args.max_accounts,
                                  progress=bar)
    return finish(Report("discover", results, extra={"api_calls": calls,
                                                      "accounts": [s.label for s in specs]}), args)
