"""POLICY-002: every action a policy names is one AWS knows."""
from __future__ import annotations

import difflib
from functools import lru_cache

from auditor.engine import LINT, SCAN, RuleMeta, failed, passed, rule
from auditor.evaluation import glob_match, has_wildcard

from ._common import location
from ._lint import readable_only

META = RuleMeta(
    id="POLICY-002", name="unknown-action", title="Policies name only actions AWS knows",
    severity="medium", steps=(1, 3),
    description="An Action (or NotAction) names no action AWS knows, e.g. "
                "secretsmanagr:GetSecretValue or secretsmanager:GetSecretValues: it grants (or "
                "excludes) nothing, so the set-up breaks at go-live. A pattern with wildcards fails "
                "only when it matches no known action. A service the bundled catalogue does not know "
                "(newer than it) gives a note, not a FAIL, unless its name is a near miss of a known one.",
    remediation="Correct the action's spelling (service prefix and action name as in the Service "
                "Authorization Reference).",
)


def _closest(word: str, candidates) -> str | None:
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.85)
    return close[0] if close else None


@lru_cache(maxsize=1 << 15)
def _judge(action: str) -> tuple[str, str] | None:
    """("fail", why) for an action AWS does not know, ("note", service) for a service the
    catalogue does not know, None when the action is known. Memoized: policies repeat actions,
    and the catalogue does not change during a run."""
    from auditor.actions import catalogue as load_catalogue, known_services

    if action == "*" or ":" not in action:
        return None                      # "*" is every action; a shapeless one is POLICY-001's
    catalogue = load_catalogue()
    prefix, _, name = action.partition(":")
    if has_wildcard(prefix):
        services = known_services(catalogue)
        if any(glob_match(prefix, p) for p in services) and catalogue.expand(action):
            return None
        return "fail", "matches no service AWS knows"
    actions = catalogue.service(prefix)
    if not actions:
        close = _closest(prefix, known_services(catalogue))
        if close:   # a near miss of a known service is a typo, not a service newer than the catalogue
            return "fail", f"names no service AWS knows (did you mean {close}?)"
        return "note", prefix
    if has_wildcard(name):
        return None if any(glob_match(name, lower) for lower in actions) else \
            ("fail", f"matches no {prefix} action")
    if name in actions:
        return None
    close = _closest(name, actions)
    hint = f" (did you mean {prefix}:{actions[close][0]}?)" if close else ""
    return "fail", f"is no {prefix} action{hint}"


def findings(document):
    unknown_services: dict[str, None] = {}
    fails = []
    for statement in document.policy.statements:
        element = "Action" if statement.actions is not None else "NotAction"
        for action in statement.actions if statement.actions is not None else statement.not_actions or ():
            verdict = _judge(action)
            if verdict is None:
                continue
            kind, detail = verdict
            if kind == "note":
                unknown_services[detail] = None
                continue
            effect = "grants nothing" if element == "Action" else "excludes nothing"
            fails.append(failed(
                f"{document.label} {statement.location_label}: {element} {action!r} {detail}: it "
                f"{effect}", location=location(document.label, statement, action=action),
                evidence={"action": action, "element": element}))
    note = {"services_not_in_catalogue": list(unknown_services)} if unknown_services else {}
    for finding in fails:
        yield finding if not note else failed(finding.message, location=finding.location,
                                              evidence={**finding.evidence, **note})
    if note and not fails:
        yield passed(f"{document.label}: every action of a known service is known; not checked, "
                     f"as the bundled catalogue does not know the service: {', '.join(unknown_services)}",
                     evidence=note)


@rule(META, LINT)
@readable_only
def check_document(doc, settings):
    return findings(doc)


@rule(META, SCAN)
def check_profile_documents(view, settings):
    documents, _ = view.all_documents()   # POLICY-001 reports what could not be read
    for document in documents:
        yield from findings(document)
