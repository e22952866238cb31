"""Command line. Heavy modules (boto3, yaml, tabulate, the rules) are imported inside the
commands that need them, so `--help`, `--version` and `rules --format json` start fast."""
from __future__ import annotations

import os
import sys

from .cli_parser import build_parser
from .errors import UsageError


def main(argv: list[str] | None = None) -> int:
    from .scrub import guarded_streams

    with guarded_streams():
        return _run(argv)


def _run(argv: list[str] | None) -> int:
    from .lines import printable

    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            build_parser().print_help()
            return 2
        from .calllog import configure

        configure(getattr(args, "verbose", False), getattr(args, "debug", False))
        _check_outputs(args)
        _read_baseline_early(args)
        _plan_outputs_early(args)
        handler = {"lint": _cmd_lint, "rules": _cmd_rules, "scan": _cmd_scan,
                   "collect": _cmd_collect, "demo": _cmd_demo,
                   "discover": _cmd_discover}[args.command]
        return handler(args)
    except UsageError as error:
        message = printable(str(error))
        _say(message if message.startswith("iam-auditor") else f"iam-auditor: error: {message}")
        return 2
    except KeyboardInterrupt:
        _say("iam-auditor: interrupted")
        return 130
    except BrokenPipeError:
        return 0


def _say(line: str) -> None:
    """One line on stderr; a stderr that cannot be written to is no reason for a traceback."""
    try:
        print(line, file=sys.stderr)
    except (OSError, ValueError):
        pass


def _check_outputs(args) -> None:
    """-o targets are checked before anything is read or called: a missing directory or an
    input file named as the output is an exit-2 error, not a lost or destroyed file."""
    output = getattr(args, "output", None)
    if not output:
        return
    from .output import check_targets

    protected = [getattr(args, name, None) for name in ("config", "snapshot", "baseline", "accounts")]
    protected += getattr(args, "authorization_details", None) or []
    protected += [p for p in (*(getattr(args, "paths", None) or ()), *(getattr(args, "iac", None) or ()))
                  if os.path.isfile(p)]
    check_targets(output if isinstance(output, list) else [output], protected)


# The cyclic garbage collector runs after every 700 net container allocations by default. The
# auditor allocates in bulk (parsed answers, policy models) and frees by reference count: with
# the default, collections took 15% of discover's CPU per account, and a tenth of the start-up.
GC_THRESHOLD = 10_000


def run() -> None:
    """The console entry point. After Ctrl-C the process ends at once: calls still in flight
    on worker threads are abandoned (the interpreter would otherwise wait for each of them)."""
    import gc

    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
    code = main()
    if code == 130:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    raise SystemExit(code)


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
    from .output import write_report, write_stdout

    if output is None:
        write_stdout(text)
    else:
        write_report(output, text)


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

    from .output import write_report

    log = logging.getLogger("iam_auditor.run")
    if log.isEnabledFor(logging.DEBUG):
        log.debug("%d results (%s); fail-on %s; reports: %s", len(report.results),
                  ", ".join(f"{k} {v}" for k, v in report.summary().items() if isinstance(v, int)),
                  args.fail_on, ", ".join(f"{t.fmt} -> {t.path or 'stdout'}" for t in args.targets))
    errors = write(args.targets, rendered, write_report)
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
    from .lint import lint_files, walk
    from .lines import printable
    from .report import Report
    from .settings import Settings

    if args.min_external_id_length < 1:
        raise UsageError("--min-external-id-length must be a positive number")
    settings = Settings(min_external_id_length=args.min_external_id_length,
                        severity_overrides=_severity_overrides(args.severity),
                        **_rule_selection(args))
    found = walk(args.paths)
    if not args.quiet:
        for note in found.notes:
            _say(f"iam-auditor: note: {note}")
    files = found.files
    if not files:
        raise UsageError("lint: no .json, .yaml or .yml files under " + ", ".join(map(printable, args.paths)))
    run = lint_files(found, settings)
    if not args.quiet:
        for path, why in run.skipped:
            _say(f"iam-auditor: note: skipped {printable(path)}: {why}")
    return finish(Report("lint", run.results, summary_extra={"files_skipped": len(run.skipped)}), args)


def _cmd_rules(args) -> int:
    import shutil

    from .catalogue_view import render_detail, render_rules
    from .settings import Settings

    selection = Settings(**_rule_selection(args))
    if args.ids:
        width = shutil.get_terminal_size((100, 24)).columns if args.output is None else 100
        text = render_detail(args.ids, args.format, width, selection.selects)
    else:
        text = render_rules(args.format, selection.selects)
    emit(text, args.output)
    return 0


def _load_config(args):
    from .config import load_config, select_profiles
    from .scrub import register

    from dataclasses import replace

    config = load_config(args.config)
    register(*(value for p in config.profiles for value in (p.external_id, p.secret_access_key)))
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
    from .scan import internal_error_report, scan_report

    config, profiles = _load_config(args)
    sources = None
    if getattr(args, "iac", None):
        if args.snapshot:
            raise UsageError("scan: --iac and --snapshot are exclusive")
        snapshot, sources, waivers = _iac_snapshot(profiles, args)
        if waivers:      # carried by the resources themselves (CloudFormation Metadata)
            from dataclasses import replace

            config = replace(config, waivers=(*config.waivers, *waivers))
    elif args.snapshot:
        snapshot = _read_snapshot(args.snapshot)
    else:
        _require_credentials(profiles, args)
        snapshot = _collect(profiles, args)
    try:
        report = scan_report(config, snapshot, profiles, default_aws_profile=args.aws_profile,
                             deploy_time=sources is not None)
        if sources is not None:
            from .iac.snapshot import locate

            locate(report.results, sources)
            report.extra["iac_files"] = list(args.iac)
    except Exception as error:  # noqa: BLE001 - last resort: an ERROR report, never a traceback
        report = internal_error_report("scan", error)
    report.extra["config_path"] = args.config  # SARIF locates findings in the configuration
    return finish(report, args)


def _iac_snapshot(profiles, args):
    """`scan --iac`: the snapshot the files will create (AWS read only for what they lack)."""
    from .iac.files import load_files
    from .iac.snapshot import build_snapshot

    files = load_files(args.iac)
    try:
        return build_snapshot(files, profiles, default_aws_profile=args.aws_profile,
                              region=args.region)
    except ModuleNotFoundError as missing:
        if not str(missing.name or "").startswith("auditor.iac."):
            raise
        raise UsageError(f"--iac: this build has no reader for {missing.name}") from None


def _read_snapshot(path: str):
    from .snapshot import read_snapshot

    return read_snapshot(path)


def _collect(profiles, args):
    """The live state, whatever happens: an unexpected failure is recorded in the snapshot."""
    from .collectors import collect, collection_failed

    try:
        return collect(profiles, args.region, default_aws_profile=args.aws_profile,
                       progress=_progress(args))
    except UsageError:
        raise
    except Exception as error:  # noqa: BLE001 - last resort
        return collection_failed(error)


def _cmd_collect(args) -> int:
    from .collectors import failed_calls
    from .output import write_report
    from .report import EXIT_INCOMPLETE, EXIT_OK

    config, profiles = _load_config(args)
    _require_credentials(profiles, args)
    snapshot = _collect(profiles, args)
    write_report(args.output, snapshot.to_json(), mode=0o600)
    failed = failed_calls(snapshot)
    if failed:   # incomplete: said even with -q, and in the exit code
        print(f"iam-auditor: wrote an incomplete snapshot to {args.output}: {len(failed)} call(s) "
              f"failed, e.g. {failed[0].describe()}", file=sys.stderr)
        return EXIT_INCOMPLETE
    if not args.quiet:
        print(f"iam-auditor: wrote {args.output} ({snapshot.api_calls} API calls)", file=sys.stderr)
    return EXIT_OK


def _cmd_demo(args) -> int:
    from .demo import run_demo
    from .scan import internal_error_report

    overrides = _severity_overrides(args.severity)
    try:
        report = run_demo(severity_overrides=overrides, **_rule_selection(args))
    except UsageError:
        raise
    except Exception as error:  # noqa: BLE001 - last resort
        report = internal_error_report("scan", error, {"demo": True})
    return finish(report, args)


def _cmd_discover(args) -> int:
    from .discover_command import run_discover
    from .settings import Settings

    settings = Settings(severity_overrides=_severity_overrides(args.severity),
                        **_rule_selection(args))
    return run_discover(args, settings, finish)
