"""`lint` of infrastructure code: every policy document of a CloudFormation template, Terraform
plan or AWS CLI answer, linted where it sits.

Each document becomes a `LintDocument` whose results name the file as `resource` and, in
`location`, the resource (logical ID / plan address / ARN), the policy and the statement; the
line of the statement goes to SARIF. What a template leaves to deploy time is an `Unknown`:
a rule that has not declared it judges Unknowns may not PASS a document holding them: the
engine makes its PASS a SKIP naming them (`deploy_time_values` gives the target's Unknowns). Reader problems become POLICY-001
findings; waivers in the template (CloudFormation Metadata) mark matching results suppressed.
"""
from __future__ import annotations

import datetime
from typing import Any, Iterable

from .engine import FAIL, ERROR, Engine, Result, Target, failed, fingerprint
from .policy import IDENTITY, TRUST, parse_policy
from .unknown import is_unknown, unknowns_in

# Rules whose PASS stays a PASS on a document holding Unknowns: they judge Unknowns themselves
# (grammar treats them as values; TRUST-004 SKIPs a parameter external ID on its own).
HANDLES_UNKNOWNS = frozenset({"POLICY-001"})
_LABELS = {"identity": "identity-policy", "trust": "trust-policy",
           "secret-resource-policy": "secret-resource-policy", "key-policy": "key-policy",
           "boundary": "permissions-boundary"}
_RESOURCE_POLICIES = ("secret-resource-policy", "key-policy")


def inventory_documents(display: str, text: str, data: Any, kind: str) -> tuple[list, list]:
    """(LintDocuments, reader problems) of one infrastructure-code file."""
    from . import iac
    from .lint import LintDocument

    try:
        inventory = iac.read(display, text, data, kind)
    except Exception as error:  # noqa: BLE001 - a reader's bug must not lose the report
        from .iac.model import Inventory, Problem, Source

        inventory = Inventory(display, kind)
        inventory.problems.append(Problem(Source(display, kind, None, kind),
                                          f"the {kind} file could not be read: {type(error).__name__}: {error}"))
    waivers = _waivers_by_address(inventory)
    documents = []
    for doc in inventory.documents():
        label = _LABELS.get(doc.role, doc.role)
        where = {"resource": doc.source.address, "policy": doc.name}
        if is_unknown(doc.document):
            documents.append(LintDocument(display, label, None, f"the whole document is {doc.document}, "
                                          "known only at deploy", True, iac_source=doc, iac_location=where,
                                          iac_waivers=waivers.get(doc.source.address, ())))
            continue
        policy_kind = TRUST if doc.role in (TRUST, *_RESOURCE_POLICIES) else IDENTITY
        documents.append(LintDocument(display, label, parse_policy(doc.document, policy_kind),
                                      iac_source=doc, iac_location=where,
                                      iac_waivers=waivers.get(doc.source.address, ())))
    return documents, inventory.problems


def deploy_time_values(document) -> tuple[str, ...]:
    """The Unknowns of an IaC document, sorted and once each (for `Target.unknowns`)."""
    if document.iac_source is None:
        return ()
    return tuple(sorted(set(unknowns_in(document.iac_source.document))))


def _waivers_by_address(inventory) -> dict[str, tuple]:
    found: dict[str, tuple] = dict(getattr(inventory, "waivers", {}) or {})
    for entity in (*inventory.roles, *inventory.users, *inventory.groups, *inventory.secrets, *inventory.keys):
        if entity.waivers:
            found.setdefault(entity.source.address, entity.waivers)
    return found


def problem_results(engine: Engine, display: str, problems: Iterable, settings) -> list[Result]:
    """One POLICY-001 FAIL per thing the reader could not make sense of."""
    from .engine import load_rules

    meta = load_rules()["POLICY-001"].meta
    if not settings.selects(meta.id):
        return []
    target = Target(resource=display, resource_type="InfrastructureCode", payload=None)
    out = []
    for problem in problems:
        location = {"document": "template", "resource": problem.source.address}
        if problem.source.line is not None:
            location["line"] = problem.source.line
        out.append(engine.result_for(meta, failed(problem.message, location=location,
                                                  severity=problem.severity), target))
    return out


def place(results: list[Result], document) -> list[Result]:
    """Results of one IaC document: located in the file, waivers marked."""
    source = document.iac_source
    for result in results:
        location = {"document": document.label, **(result.location or {}), **document.iac_location}
        statement = location.get("statement")
        lines = source.statement_lines if source is not None else ()
        line = (lines[statement] if isinstance(statement, int) and 0 <= statement < len(lines) else None) \
            or (source.line if source is not None else None) or (source.source.line if source else None)
        if line is not None:
            location["line"] = line
        result.location = location
        result.fingerprint = fingerprint(result.rule_id, result.account_id, result.resource, location)
        _apply_template_waivers(result, document.iac_waivers)
    return results


def _apply_template_waivers(result: Result, waivers) -> None:
    if result.status not in (FAIL, ERROR) or not waivers:
        return
    from .evaluation import glob_match

    today = datetime.datetime.now(datetime.timezone.utc).date()
    for waiver in waivers:
        if not glob_match(waiver.rule, result.rule_id):
            continue
        try:
            expired = waiver.expires is not None and datetime.date.fromisoformat(waiver.expires) < today
        except ValueError:
            expired = False      # an unreadable date was reported by the reader; the waiver holds
        if expired:
            result.evidence.setdefault("expired_waivers", []).append(
                {"reason": waiver.reason, "expired": waiver.expires})
        elif result.suppressed is None:
            result.suppressed = {"reason": waiver.reason, "expires": waiver.expires, "source": "template"}
