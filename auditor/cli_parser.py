"""The command line's parser: every command, its options with their help, the examples and the
exit codes each `--help` ends with."""
from __future__ import annotations

import argparse

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
    scan.add_argument("--iac", nargs="+", metavar="FILE",
                      help="evaluate what these CloudFormation templates / Terraform plans "
                           "(terraform show -json) will create, before deploy; what they do not "
                           "define is read from AWS when credentials are available")
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
    discover.add_argument("--organization", action="store_true",
                          help="every ACTIVE account of the AWS Organization (organizations:"
                               "ListAccounts, run from the management or a delegated administrator "
                               "account), each read through the role --role-name")
    discover.add_argument("--role-name", metavar="NAME",
                          help="with --organization: the read-only role assumed in each account "
                               "(default: iam-auditor-readonly)")
    discover.add_argument("--authorization-details", action="append", metavar="FILE",
                          help="offline: audit a saved `aws iam get-account-authorization-details` "
                               "output instead of reading AWS (repeatable, one account each; no "
                               "credentials needed; rules needing access keys, console passwords or "
                               "MaxSessionDuration SKIP)")
    discover.add_argument("--max-accounts", type=int, default=4, metavar="N",
                          help="accounts read at once (default: 4)")
    discover.add_argument("--fresh-keys", action="store_true",
                          help="read access keys and console passwords per paired user instead of "
                               "from IAM's credential report (which can be up to 4 hours old)")
    discover.add_argument("--credential-report-wait", type=float, default=60.0, metavar="SECONDS",
                          help="how long to wait for a credential report being generated before "
                               "reading keys per user (default: 60)")
    discover.add_argument("--secrets", action="store_true",
                          help="also check every secret's resource policy for exposure (SECRET-001; "
                               "one API call per secret)")
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
