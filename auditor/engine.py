"""Rule registry and engine.

A rule is a pure function over one target (a linted document, or a profile's snapshot) that
yields `Finding`s. It is declared with its metadata beside its code and registered with the
`@rule(META, mode)` decorator. The engine turns findings into `Result`s with a fingerprint; a
rule that yields nothing gives one PASS; a rule that raises gives one ERROR, not a crash.
"""
from __future__ import annotations

import importlib
import json
import pkgutil
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping

PASS, FAIL, ERROR, SKIP = "PASS", "FAIL", "ERROR", "SKIP"
STATUSES = (PASS, FAIL, ERROR, SKIP)
SEVERITIES = ("info", "low", "medium", "high", "critical")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
LINT, SCAN = "lint", "scan"


@dataclass(frozen=True)
class RuleMeta:
    id: str
    name: str
    title: str
    severity: str
    steps: tuple[int, ...]
    description: str
    remediation: str
    subject: str = "role"     # in a scan, what results are about: "role" or "user"
    # Whether the rule judges values known only at deploy (auditor.unknown) itself; if not, its
    # PASS on a target holding such values becomes a SKIP naming them (see Engine.run).
    handles_unknowns: bool = False

    @property
    def family(self) -> str:
        return self.id.split("-")[0]


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule says about its target; the engine adds identity and fingerprint."""

    status: str
    message: str
    location: Mapping[str, Any] | None = None
    severity: str | None = None          # defaults to the rule's severity
    remediation: str | None = None       # defaults to the rule's remediation
    evidence: Mapping[str, Any] = field(default_factory=dict)
    resource: str | None = None          # defaults to the target's resource
    resource_type: str | None = None


def passed(message: str, **kwargs) -> Finding:
    return Finding(PASS, message, **kwargs)


def failed(message: str, **kwargs) -> Finding:
    return Finding(FAIL, message, **kwargs)


def skipped(message: str, **kwargs) -> Finding:
    return Finding(SKIP, message, **kwargs)


def errored(message: str, **kwargs) -> Finding:
    return Finding(ERROR, message, **kwargs)


@dataclass(frozen=True)
class Target:
    """What a run of the rules looks at, and where its results belong."""

    resource: str
    resource_type: str
    payload: Any                          # the document or snapshot view handed to rules
    profile: str | None = None
    account_id: str | None = None
    region: str | None = None
    scope: str | None = None             # kept apart in fingerprints (default: the profile)
    # subject -> (resource, type, account): results about the user name the user, in its account
    subjects: Mapping[str, tuple[str, str, str | None]] = field(default_factory=dict)
    # Values of the target known only at deploy (infrastructure code): no rule PASSes over them
    # unless it declares it judges them.
    unknowns: tuple[str, ...] = ()


@dataclass(slots=True)
class Result:
    rule_id: str
    rule_name: str
    title: str
    status: str
    severity: str
    profile: str | None
    account_id: str | None
    region: str | None
    resource: str
    resource_type: str
    location: dict | None
    message: str
    remediation: str
    step: int
    evidence: dict
    fingerprint: str
    suppressed: dict | None = None
    steps: tuple[int, ...] = ()
    baseline: str | None = None          # "new" or "unchanged" with --baseline
    account_name: str | None = None      # discover: the account's name (organization, profile)


    def to_dict(self) -> dict:
        return {
            "rule_id": self.rule_id, "rule_name": self.rule_name, "title": self.title,
            "status": self.status, "severity": self.severity, "profile": self.profile,
            "account_id": self.account_id, "region": self.region, "resource": self.resource,
            "resource_type": self.resource_type, "location": self.location,
            "message": self.message, "remediation": self.remediation, "step": self.step,
            "steps": list(self.steps), "evidence": self.evidence,
            "fingerprint": self.fingerprint, "suppressed": self.suppressed,
            **({"baseline": self.baseline} if self.baseline else {}),
            **({"account_name": self.account_name} if self.account_name else {}),
        }


class Unavailable(Exception):
    """Raised by a rule when the state it needs is missing; `status` is ERROR or SKIP."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


CheckFn = Callable[..., Iterable[Finding]]


@dataclass
class RegisteredRule:
    meta: RuleMeta
    checks: dict[str, CheckFn] = field(default_factory=dict)


REGISTRY: dict[str, RegisteredRule] = {}


def rule(meta: RuleMeta, mode: str) -> Callable[[CheckFn], CheckFn]:
    """Register `fn(target_payload, settings) -> Iterable[Finding]` as `meta`'s check in `mode`."""
    if mode not in (LINT, SCAN):
        raise ValueError(f"unknown mode {mode!r}")

    def register(fn: CheckFn) -> CheckFn:
        entry = REGISTRY.setdefault(meta.id, RegisteredRule(meta))
        if entry.meta != meta:
            raise ValueError(f"rule {meta.id} is declared twice with different metadata")
        if mode in entry.checks:
            raise ValueError(f"rule {meta.id} has two {mode} checks")
        entry.checks[mode] = fn
        return fn

    return register


_LOADED = False


def load_rules() -> dict[str, RegisteredRule]:
    """Import every module under `rules/` once (registration happens at import)."""
    global _LOADED
    if not _LOADED:
        import rules

        for module in sorted(pkgutil.iter_modules(rules.__path__), key=lambda m: m.name):
            if not module.name.startswith("_"):
                importlib.import_module(f"rules.{module.name}")
        _LOADED = True
    return dict(sorted(REGISTRY.items(), key=lambda item: _rule_sort_key(item[0])))


_FAMILY_ORDER = {"CHAIN": 0, "SECRET": 1, "LP": 2, "TRUST": 3, "SESSION": 4, "KEY": 5, "CONFIG": 6,
                 "POLICY": 7}


def _rule_sort_key(rule_id: str) -> tuple[int, str]:
    family, _, number = rule_id.partition("-")
    return _FAMILY_ORDER.get(family, 99), number


def fingerprint(rule_id: str, account_id: str | None, resource: str, location: Mapping | None,
                profile: str | None = None) -> str:
    """Stable identity of a result across scans: no time, no message text. Profiles can share a
    role, so a scan result's profile is part of where it is found (lint results have none)."""
    import hashlib  # lazily: `--version` and `rules` need no hashing

    where = [rule_id, account_id or "", resource, location or {}]
    payload = _FINGERPRINT_ENCODER.encode(where + [profile] if profile is not None else where)
    return hashlib.sha256(payload.encode()).hexdigest()


# json.dumps with options builds an encoder per call; one encoder, the same text, is ~2x faster.
_FINGERPRINT_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)
def error_result(meta: RuleMeta, message: str, resource: str, resource_type: str,
                 account_id: str | None = None, profile: str | None = None,
                 region: str | None = None) -> Result:
    """One ERROR result standing for something the run could not read (no rule ran on it)."""
    return Result(meta.id, meta.name, meta.title, ERROR, meta.severity, profile, account_id, region,
                  resource, resource_type, None, message, meta.remediation, meta.steps[0], {},
                  fingerprint(meta.id, account_id, resource, None, profile), steps=meta.steps)


# Failures outside any profile's role and user (the caller identity, an internal error).
COLLECT_META = RuleMeta("COLLECT-001", "audit-complete", "Everything the audit needs could be read",
                        "high", (2,), "the auditor reads the IAM state each profile needs",
                        "Grant the auditor's policy; check the network path and the AWS credentials")


def _not_passed_on_unknowns(finding: Finding, unknowns: tuple[str, ...]) -> Finding:
    """No PASS over values known only at deploy; a FAIL says they may change it (e.g. a
    condition block under `Fn::If` is read as absent)."""
    if finding.status not in (PASS, FAIL):
        return finding
    shown = ", ".join(str(u) for u in unknowns[:3]) + (", ..." if len(unknowns) > 3 else "")
    if finding.status == FAIL:
        # Only values of which nothing is known (a parameter, an Fn::If on one) may change a
        # FAIL; an ARN whose account alone is unknown (its `shape` is known) cannot.
        wholly = [u for u in unknowns if getattr(u, "shape", "") is None]
        if not wholly:
            return finding
        shown = ", ".join(str(u) for u in wholly[:3]) + (", ..." if len(wholly) > 3 else "")
        return replace(finding, message=f"{finding.message} (read with values known only at deploy "
                                        f"as they stand: {shown}; they may change this verdict)",
                       evidence={**finding.evidence, "unknowns": [str(u) for u in wholly]})
    return Finding(SKIP, f"depends on values known only at deploy ({shown}): not judged until "
                         "they are known", finding.location, finding.severity, finding.remediation,
                   {**finding.evidence, "unknowns": [str(u) for u in unknowns]},
                   finding.resource, finding.resource_type)


class Engine:
    def __init__(self, mode: str, *, severity_overrides: Mapping[str, str] | None = None,
                 only: Iterable[str] | None = None):
        self.mode = mode
        self.rules = [r for r in load_rules().values()
                      if mode in r.checks and (only is None or r.meta.id in set(only))]
        self.severity_overrides = dict(severity_overrides or {})

    def run(self, target: Target, settings: Any = None) -> list[Result]:
        results: list[Result] = []
        selects = getattr(settings, "selects", None)   # --rule / --skip-rule
        for registered in self.rules:
            meta = registered.meta
            if selects is not None and not selects(meta.id):
                continue
            findings: list[Finding] = []
            try:
                # Collected one by one: findings made before a failure are kept.
                for finding in registered.checks[self.mode](target.payload, settings):
                    findings.append(finding)
            except Unavailable as missing:
                findings.append(Finding(missing.status, missing.message))
            except Exception as exc:  # noqa: BLE001 - a broken rule must not lose the report
                findings.append(errored(f"{meta.id} could not be evaluated: internal error "
                                        f"{type(exc).__name__}: {exc}"))
            if not findings:
                findings = [passed(f"{meta.title}: no problem found")]
            if target.unknowns and not meta.handles_unknowns:
                findings = [_not_passed_on_unknowns(f, target.unknowns) for f in findings]
            results.extend(self._result(meta, finding, target) for finding in findings)
        return results

    def result_for(self, meta: RuleMeta, finding: Finding, target: Target) -> Result:
        """A result made outside a rule run (e.g. lint's findings on a file it cannot use)."""
        return self._result(meta, finding, target)

    def _result(self, meta: RuleMeta, finding: Finding, target: Target) -> Result:
        subject_resource, subject_type, account_id = target.subjects.get(
            meta.subject, (target.resource, target.resource_type, target.account_id))
        resource = finding.resource or subject_resource
        location = dict(finding.location) if finding.location else None
        severity = self.severity_overrides.get(meta.id) or finding.severity or meta.severity
        return Result(
            rule_id=meta.id, rule_name=meta.name, title=meta.title, status=finding.status,
            severity=severity, profile=target.profile, account_id=account_id,
            region=target.region, resource=resource,
            resource_type=finding.resource_type or subject_type, location=location,
            message=finding.message, remediation=finding.remediation or meta.remediation,
            step=meta.steps[0], steps=meta.steps, evidence=dict(finding.evidence),
            fingerprint=fingerprint(meta.id, account_id, resource, location,
                                    target.scope if target.scope is not None else target.profile),
        )
