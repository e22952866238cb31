"""CHAIN-006: each configured secret's resource policy lets the role read it."""
from __future__ import annotations

from auditor.engine import SCAN, Finding, RuleMeta, errored, failed, passed, rule
from auditor.evaluation import Verdict, decide
from auditor.resource_access import GET_SECRET_VALUE, secret_read_context

from ._common import decision_evidence
from ._secrets import SECRET_TYPE, role_read_statement, secret_cases

META = RuleMeta(
    id="CHAIN-006", name="secret-policy-allows-role", title="The secret's resource policy lets the role read it",
    severity="high", steps=(1,),
    description="Each configured secret's resource policy lets the role read it: no explicit Deny "
                "matching the role and secretsmanager:GetSecretValue (conditions evaluated for the "
                "role's call); a secret in another account than the role needs an Allow naming the "
                "role (its ARN or its account). PASS when a secret of the role's account has no "
                "resource policy; FAIL when a secret does not exist (the product's read fails); "
                "SKIP when no secrets are configured; ERROR when a secret could not be described "
                "or its policy decision hinges on conditions the auditor cannot decide.",
    remediation="Remove the Deny that matches the role from the secret's resource policy; for a "
                "secret in another account, add an Allow statement for the role.",
)


def _where(case) -> dict:
    return {"resource": case.arn, "resource_type": SECRET_TYPE}


@rule(META, SCAN)
def check(view, settings):
    for case in secret_cases(view):
        if isinstance(case, Finding):
            if case.status == "SKIP":          # the secret does not exist: this rule reports it
                yield failed(f"{case.message.replace(' (CHAIN-006)', '')}: the product's read "
                             "fails with ResourceNotFoundException", location=case.location,
                             resource=case.resource, resource_type=SECRET_TYPE,
                             remediation="Create the secret, or correct the profile's secrets list.")
            else:
                yield case
            continue
        yield from _judge(case)


def _judge(case):
    add_statement = (f"Add to the secret's resource policy (aws secretsmanager put-resource-policy): "
                     f"{role_read_statement(case.role_arn)}")
    policy_error = next((e for e in case.state.errors
                         if e.operation == "secretsmanager:GetResourcePolicy"), None)
    if policy_error is not None:
        yield errored(f"could not read the resource policy of {case.secret}: {policy_error.describe()}",
                      location=case.location("secret-policy"), **_where(case))
        return
    document = case.resource_policy()
    if document is None:
        if case.cross_account:
            yield failed(f"{case.secret} is in account {case.account} and has no resource policy: "
                         f"the role of account {case.role_account} cannot read it",
                         location=case.location("secret-policy"), remediation=add_statement,
                         evidence=case.evidence(resource_policy=None), **_where(case))
        else:
            yield passed(f"{case.secret} has no resource policy: the role's own policies decide "
                         "(CHAIN-004)", evidence=case.evidence(resource_policy=None), **_where(case))
        return
    decision = decide([document.policy], GET_SECRET_VALUE, case.arn,
                      context=secret_read_context(case.role_arn, case.role_account),
                      caller=(case.role_arn, case.role_account))
    evidence = case.evidence(**decision_evidence(decision, [document]))
    if decision.verdict == Verdict.DENIED:
        deny = decision.denies[0]
        yield failed(f"the resource policy of {case.secret} denies the role GetSecretValue "
                     f"({deny.location_label})", location=case.location("secret-policy", deny),
                     remediation=f"Remove or narrow {deny.location_label} of the secret's resource "
                                 f"policy so that it no longer matches {case.role_arn}",
                     evidence=evidence, **_where(case))
    elif decision.denies:
        yield errored(f"the resource policy of {case.secret} may deny the role GetSecretValue, "
                      "under conditions the auditor cannot decide: "
                      + ", ".join(sorted({c.raw_key for s in decision.denies for c in s.conditions})),
                      location=case.location("secret-policy", decision.denies[0]),
                      evidence=evidence, **_where(case))
    elif not case.cross_account:
        yield passed(f"the resource policy of {case.secret} does not deny the role", evidence=evidence,
                     **_where(case))
    elif decision.verdict == Verdict.ALLOWED:
        public = not any(p.value == case.role_arn or p.account_id == case.role_account
                         for s in decision.allows for p in s.principals or ())
        yield passed(f"the resource policy of {case.secret} (account {case.account}) allows the role"
                     + (" through a public principal (see SECRET-001)" if public else ""),
                     evidence=evidence, **_where(case))
    elif decision.verdict == Verdict.CONDITIONAL:
        yield errored(f"the resource policy of {case.secret} (account {case.account}) allows the role "
                      f"only under conditions the auditor cannot decide: {'; '.join(decision.notes)}",
                      location=case.location("secret-policy", decision.allows[0]),
                      evidence=evidence, **_where(case))
    else:
        yield failed(f"{case.secret} is in account {case.account} and its resource policy does not "
                     f"allow the role of account {case.role_account}",
                     location=case.location("secret-policy"), remediation=add_statement,
                     evidence=evidence, **_where(case))
