"""SECRET-001: a configured secret's resource policy lets others than the role and its account read it."""
from __future__ import annotations

from dataclasses import dataclass

from auditor.engine import LINT, SCAN, Finding, RuleMeta, failed, passed, rule
from auditor.evaluation import Verdict, decide, statement_covers_action, statement_covers_resource
from auditor.policy import Statement
from auditor.resource_access import GET_SECRET_VALUE, outsider_context

from ._lint import readable_only
from ._secrets import SECRET_TYPE, statement_json, secret_cases

META = RuleMeta(
    id="SECRET-001", name="secret-policy-exposure", title="Only the role's side can read the secret",
    severity="high", steps=(1,),
    description="A configured secret's resource policy lets principals beyond the role and its account "
                "read the value (GetSecretValue, secretsmanager:*, *): \"*\" or {\"AWS\": \"*\"} with no "
                "condition limiting callers to an account or organization (aws:PrincipalAccount, "
                "aws:PrincipalOrgID, aws:SourceAccount, ...) is critical; principals of other accounts "
                "are high.",
    remediation="Name the role as the principal, or scope a \"*\" principal with a condition on "
                "aws:PrincipalAccount or aws:PrincipalOrgID.",
)

_ACCOUNT_KEYS = ("aws:principalaccount", "aws:sourceaccount")
_ARN_KEYS = ("aws:principalarn", "aws:sourcearn")
_ORG_KEYS = ("aws:principalorgid", "aws:principalorgpaths", "aws:sourceorgid", "aws:sourceorgpaths")
OUTSIDER = "999999999999"      # stands for "some other account": never a real one here


@dataclass(frozen=True)
class Exposure:
    statement: Statement
    severity: str
    who: str
    accounts: tuple[str, ...]    # accounts let in ("*": any)


def _limits(statement: Statement) -> tuple[bool, set[str]]:
    """(limited to an organization, accounts it is limited to) by the statement's conditions.
    Only a positive, non-IfExists condition limits callers."""
    org, accounts = False, set()
    for condition in statement.conditions:
        if "Not" in condition.operator or condition.if_exists or condition.qualifier == "ForAllValues":
            continue
        if condition.key in _ORG_KEYS:
            org = True
        elif condition.key in _ACCOUNT_KEYS:
            accounts |= set(condition.values)
        elif condition.key in _ARN_KEYS:
            accounts |= {(v.split(":") + [""] * 5)[4] or "*" for v in condition.values}
    return org, accounts


def exposures(policy, secret_arn: str | None, trusted: set[str]) -> list[Exposure]:
    """Allow statements that let principals outside `trusted` accounts read the secret
    (`secret_arn` None: every statement is about the secret, as in a policy attached to it)."""
    out = []
    for statement in policy.statements:
        if not (statement.is_allow and statement_covers_action(statement, GET_SECRET_VALUE)
                and (secret_arn is None or statement_covers_resource(statement, secret_arn))):
            continue
        public = statement.not_principals is not None or any(p.is_public for p in statement.principals or ())
        if public:
            org, accounts = _limits(statement)
            others = tuple(sorted(a for a in accounts if a not in trusted))
            if org or (accounts and not others):
                continue
            if accounts:
                out.append(Exposure(statement, "high", "principals of account(s) " + ", ".join(others), others))
            else:
                who = "NotPrincipal (everyone but those listed)" if statement.not_principals is not None \
                    else '"*" (any AWS principal)'
                out.append(Exposure(statement, "critical", who, ("*",)))
            continue
        others = sorted({p.account_id for p in statement.principals or ()
                         if p.kind == "AWS" and p.account_id and p.account_id not in trusted})
        if others:
            out.append(Exposure(statement, "high", "principals of account(s) " + ", ".join(others),
                                tuple(others)))
    return out


def _denied_anyway(policy, secret_arn: str, exposure: Exposure) -> bool:
    """A Deny elsewhere in the policy (e.g. StringNotEquals aws:PrincipalOrgID) stops the outsider."""
    accounts = [a if a != "*" else OUTSIDER for a in exposure.accounts]
    return all(decide([policy], GET_SECRET_VALUE, secret_arn, context=outsider_context(a),
                      caller=(f"arn:aws:iam::{a}:role/outsider", a)).verdict == Verdict.DENIED
               for a in accounts)


@rule(META, SCAN)
def check(view, settings):
    for case in secret_cases(view, needs_policy=True):
        if isinstance(case, Finding):
            yield case
            continue
        where = {"resource": case.arn, "resource_type": SECRET_TYPE}
        document = case.resource_policy()
        if document is None:
            yield passed(f"{case.secret} has no resource policy", evidence=case.evidence(), **where)
            continue
        trusted = {a for a in (case.account, case.role_account) if a}
        found = [e for e in exposures(document.policy, case.arn, trusted)
                 if not _denied_anyway(document.policy, case.arn, e)]
        if not found:
            yield passed(f"the resource policy of {case.secret} lets no principal beyond account(s) "
                         f"{', '.join(sorted(trusted))} read it", evidence=case.evidence(), **where)
        for exposure in found:
            scope = statement_json({"StringEquals": {"aws:PrincipalAccount": case.role_account or case.account}})
            # In discover there is no configured role: the readers are for the owner to name.
            readers = f"only the role ({{\"AWS\": \"{case.role_arn}\"}})" if case.role_arn \
                else "only the principals that need it"
            yield failed(f"{exposure.statement.location_label} of the resource policy of {case.secret} lets "
                         f"{exposure.who} read it", severity=exposure.severity,
                         location=case.location("secret-policy", exposure.statement),
                         evidence=case.evidence(accounts=list(exposure.accounts)),
                         remediation=f"In {exposure.statement.location_label}, name {readers} as "
                                     f"Principal, or add \"Condition\": {scope}", **where)


SECRET_POLICY_LABEL = "secret-resource-policy"


@rule(META, LINT)
@readable_only
def check_document(doc, settings):
    """A secret's resource policy found in infrastructure code (v1.1 catalogue: lint runs
    SECRET-001 there). The owner account is known only at deploy, so only exposure to any AWS
    principal is judged; principals of named accounts are listed, not judged."""
    from auditor.engine import skipped

    if doc.label != SECRET_POLICY_LABEL:
        return [skipped(f"applies to secret resource policies found in infrastructure code; this is "
                        f"{'an' if doc.label[0] in 'aeiou' else 'a'} {doc.label}")]
    named = {p.account_id for st in doc.policy.statements for p in st.principals or () if p.account_id}
    out = []
    for exposure in exposures(doc.policy, None, named):
        out.append(failed(f"{exposure.statement.location_label} of {doc.label} lets {exposure.who} read "
                          "the secret", severity=exposure.severity,
                          location={"document": doc.label, "statement": exposure.statement.index,
                                    "sid": exposure.statement.sid}))
    if not out:
        out.append(passed(f"{doc.label} lets no principal outside named accounts read the secret"
                          + (f" (accounts named: {', '.join(sorted(named))}; whether they are the "
                             "owner's is known only at deploy)" if named else "")))
    return out
