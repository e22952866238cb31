"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One run. `tool.driver.rules` lists every rule of the report's mode (and any other rule that
has a result), each with its title, description, remediation as help, and GitHub's
`properties.security-severity`: critical 9.5, high 8.0, medium 5.5, low 3.0, info 0.0. A
rule's severity there is the highest severity of its failures in this report (a finding or
`--severity` may change it), else the rule's own.

Only FAIL and ERROR results become SARIF results: PASS and SKIP are not findings, and code
scanning would open an alert for every result it is given. (`--status` still narrows what is
emitted, within those two.) Levels: critical and high FAILs are "error", medium "warning", low
and info "note"; an ERROR (the rule could not be checked) is a "warning" whose message starts
with "Could not be checked: ". `partialFingerprints["iamAuditor/v1"]` is the result's
fingerprint, so an alert keeps its identity from run to run.

Locations:
* `lint`: the policy file, relative to the current directory (`uriBaseId` %SRCROOT%; run
  from the repository root), with the line and column of the offending statement (of the
  document for document-wide findings; of the parse error for an unreadable file).
* `scan`: a logical location naming the result's resource, the role (or the user, for rules
  about the user), with `fullyQualifiedName` = its ARN; plus, when the
  report knows its configuration file (`report.extra["config_path"]`), that file with the
  line of the profile (or of the profile's key the result is about).

Waived results carry `suppressions` (external, accepted, the waiver's reason); with
`--baseline`, results carry `baselineState` (new / unchanged), and each baseline failure that no
longer fails is one more result with `baselineState` "absent" (level "none", its old message,
its fingerprint), so a SARIF viewer can close its alert.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

from .. import __version__
from ..engine import ERROR, FAIL, LINT, SEVERITY_RANK, load_rules
from ..locate import SourceFiles

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "iamAuditor/v1"
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
ERROR_PREFIX = "Could not be checked: "
BASELINE_STATES = ("new", "unchanged", "updated", "absent")
SRCROOT = "%SRCROOT%"


def render(report, *, color: bool = False, **_options) -> str:
    return json.dumps(to_sarif(report), indent=2, ensure_ascii=False) + "\n"


def to_sarif(report) -> dict:
    findings = [r for r in report.shown if r.status in (FAIL, ERROR)]
    resolved = [old for old in report.extra.get("resolved") or () if old.get("rule_id")]
    rules = _rules(report, findings, {old["rule_id"] for old in resolved})
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    sources = SourceFiles()
    driver = {"name": "iam-auditor", "version": __version__, "semanticVersion": __version__}
    information_uri = _information_uri()
    if information_uri:
        driver["informationUri"] = information_uri
    driver["rules"] = rules
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "automationDetails": {"id": f"iam-auditor/{report.mode}/"},
            "invocations": [{"executionSuccessful": True}],
            "columnKind": "utf16CodeUnits",
            "results": [_result(report, r, index[r.rule_id], sources) for r in findings]
            + [_absent(old, index) for old in resolved if old["rule_id"] in index],
        }],
    }


# --- rules -------------------------------------------------------------------------------

def _rules(report, findings, also=frozenset()) -> list[dict]:
    registered = load_rules()
    used = {r.rule_id for r in findings} | set(also)
    worst: dict[str, str] = {}
    for result in findings:
        if result.status == FAIL and SEVERITY_RANK.get(result.severity, -1) > \
                SEVERITY_RANK.get(worst.get(result.rule_id, ""), -1):
            worst[result.rule_id] = result.severity
    rules = []
    for rule_id, entry in registered.items():
        if report.mode in entry.checks or rule_id in used:
            meta = entry.meta
            rules.append(_descriptor(meta.id, meta.name, meta.title, meta.description,
                                     meta.remediation, worst.get(rule_id, meta.severity),
                                     meta.steps))
    known = {rule["id"] for rule in rules}
    for result in findings:   # a result of a rule the registry does not know (should not happen)
        if result.rule_id not in known:
            known.add(result.rule_id)
            rules.append(_descriptor(result.rule_id, result.rule_name, result.title, result.title,
                                     result.remediation, worst.get(result.rule_id, result.severity),
                                     result.steps))
    return rules


def _descriptor(rule_id, name, title, description, remediation, severity, steps) -> dict:
    steps_text = ", ".join(str(step) for step in steps)
    markdown = (f"**{title}** (`{rule_id}`, {severity})\n\n{description}\n\n"
                f"**Remediation:** {remediation}")
    if steps_text:
        markdown += f"\n\nSet-up guide step{'s' if len(steps) > 1 else ''}: {steps_text}."
    return {
        "id": rule_id,
        "name": name,
        "shortDescription": {"text": title},
        "fullDescription": {"text": description},
        "help": {"text": remediation, "markdown": markdown},
        "defaultConfiguration": {"level": LEVEL.get(severity, "warning")},
        "properties": {"security-severity": SECURITY_SEVERITY.get(severity, "5.5"),
                       "tags": ["security", "iam"], "precision": "high"},
    }


def _information_uri() -> str | None:
    """The project's home page from the installed package metadata, when it declares one."""
    try:
        from importlib.metadata import PackageNotFoundError, metadata
    except ImportError:  # pragma: no cover
        return None
    try:
        meta = metadata("iam-auditor")
    except PackageNotFoundError:
        return None
    home = meta.get("Home-page")
    if home and home.startswith(("https://", "http://")):
        return home
    for entry in meta.get_all("Project-URL") or []:
        url = entry.partition(",")[2].strip()
        if url.startswith(("https://", "http://")):
            return url
    return None


# --- results -----------------------------------------------------------------------------

def _result(report, result, rule_index: int, sources: SourceFiles) -> dict:
    data = result.to_dict()
    if result.status == ERROR:
        level, text = "warning", ERROR_PREFIX + result.message
    else:
        level, text = LEVEL.get(result.severity, "warning"), result.message
    sarif = {
        "ruleId": result.rule_id,
        "ruleIndex": rule_index,
        "level": level,
        "message": {"text": text},
        "locations": [_location(report, result, sources)],
        "partialFingerprints": {FINGERPRINT_KEY: result.fingerprint},
    }
    if result.suppressed is not None:
        suppressed = result.suppressed if isinstance(result.suppressed, dict) else {}
        suppression = {"kind": "external", "status": "accepted",
                       "justification": str(suppressed.get("reason") or "waived")}
        if suppressed.get("expires"):
            suppression["properties"] = {"expires": str(suppressed["expires"])}
        sarif["suppressions"] = [suppression]
    if data.get("baseline") in BASELINE_STATES:
        sarif["baselineState"] = data["baseline"]
    sarif["properties"] = {"status": result.status, "severity": result.severity,
                           "profile": result.profile, "evidence": data["evidence"],
                           "location": data["location"]}
    return sarif


def _absent(old: dict, index: dict) -> dict:
    """A failure of the baseline that no longer fails."""
    resource = str(old.get("resource") or "")
    return {
        "ruleId": old["rule_id"],
        "ruleIndex": index[old["rule_id"]],
        "level": "none",
        "kind": "pass",
        "baselineState": "absent",
        "message": {"text": f"Resolved since the baseline: {old.get('message')}"},
        "locations": [{"logicalLocations": [{"name": _resource_name(resource),
                                             "fullyQualifiedName": resource,
                                             "kind": "resource"}]}],
        "partialFingerprints": {FINGERPRINT_KEY: str(old.get("fingerprint"))},
        "properties": {"status": "RESOLVED", "now": old.get("now"),
                       "severity": old.get("severity"), "profile": old.get("profile"),
                       "location": old.get("location")},
    }


def _location(report, result, sources: SourceFiles) -> dict:
    where = result.location or {}
    if report.mode == LINT:
        line = where.get("line")
        if isinstance(line, int) and not isinstance(line, bool) and line >= 1:
            # Infrastructure code: the reader knows the statement's (else the resource's) line.
            location = {"physicalLocation": {"artifactLocation": _artifact(result.resource),
                                             "region": {"startLine": line}}}
            if isinstance(where.get("resource"), str):
                location["logicalLocations"] = [{"name": where["resource"], "kind": "resource"}]
            return location
        statement = where.get("statement")
        if isinstance(statement, int) and not isinstance(statement, bool):
            position = sources.statement_position(result.resource, statement)
        elif where.get("document") == "policy":   # the file could not be read as a policy
            position = sources.parse_error_position(result.resource) or \
                sources.statement_position(result.resource, None)
        else:
            position = sources.statement_position(result.resource, None)
        return {"physicalLocation": _physical(result.resource, position)}

    location: dict = {}
    config_path = report.extra.get("config_path")
    iac_file = where.get("file")
    if isinstance(iac_file, str) and where.get("document") != "profile":
        # scan --iac: the finding is about a resource of a template or plan, at its line.
        line = where.get("line")
        position = (line, 1) if isinstance(line, int) and not isinstance(line, bool) and line > 0 else None
        location["physicalLocation"] = _physical(iac_file, position)
    elif config_path:
        key = where.get("key") if where.get("document") == "profile" else None
        position = sources.config_position(str(config_path), result.profile,
                                           key if isinstance(key, str) else None)
        location["physicalLocation"] = _physical(str(config_path), position)
    location["logicalLocations"] = [{"name": _resource_name(result.resource),
                                     "fullyQualifiedName": result.resource, "kind": "resource"}]
    return location


def _physical(path: str, position) -> dict:
    region = {"startLine": 1}
    if position:
        region = {"startLine": position[0], "startColumn": position[1]}
    return {"artifactLocation": _artifact(path), "region": region}


def _artifact(path: str) -> dict:
    """The file relative to the current directory (forward slashes, percent-encoded), based
    at %SRCROOT%; an absolute file URI when it lies outside the current directory."""
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute, os.getcwd())
    except ValueError:   # another drive (Windows)
        return {"uri": _file_uri(absolute)}
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return {"uri": _file_uri(absolute)}
    return {"uri": _quote_path(relative), "uriBaseId": SRCROOT}


def _file_uri(absolute: str) -> str:
    try:
        return Path(absolute).as_uri()
    except (UnicodeEncodeError, ValueError):
        return "file://" + _quote_path(absolute)


def _quote_path(path: str) -> str:
    """Percent-encoded, forward slashes. An undecodable file name holds surrogate escapes:
    its URI encodes the real bytes; any other lone surrogate becomes "?" (%3F)."""
    path = path.replace(os.sep, "/")
    try:
        return quote(path, safe="/", errors="surrogateescape")
    except UnicodeEncodeError:
        return quote(path, safe="/", errors="replace")


def _resource_name(resource: str) -> str:
    """`read_secrets_role` from `arn:aws:iam::123456789012:role/path/read_secrets_role`."""
    tail = (resource or "").rsplit(":", 1)[-1]
    return tail.rsplit("/", 1)[-1] or resource or ""
