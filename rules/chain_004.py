"""CHAIN-004: the role may read the configured secrets."""
from __future__ import annotations

from auditor.engine import SCAN, RuleMeta, failed, passed, rule
from auditor.evaluation import Verdict, decide, glob_match, has_wildcard

from ._common import SECRET_READ_ACTIONS, decision_evidence, role_account, secret_arn

META = RuleMeta(
    id="CHAIN-004", name="role-can-read-secrets", title="The role may read the secrets",
    severity="high", steps=(1, 2),
    description="The role's effective permissions allow secretsmanager:GetSecretValue on every "
                "configured secret (ARN, partial ARN or name); with no secrets configured, on some "
                "secret in the profile's region.",
    remediation="Attach to the role a policy allowing secretsmanager:GetSecretValue on the secrets "
                "(step 1), and remove any Deny or boundary that blocks it.",
)

GET_SECRET_VALUE = SECRET_READ_ACTIONS[0]


def _candidates(view) -> list[str]:
    account = role_account(view.role_arn)
    partition = view.role_arn.split(":")[1] if view.role_arn.count(":") >= 5 else "aws"
    if view.profile.secrets:
        return [secret_arn(s, view.profile.region, account, partition) for s in view.profile.secrets]
    # No secrets configured: any secret of the profile's region will do. Probe with a generic
    # secret ARN and with the policies' own patterns for that region, wildcards made concrete.
    probes = [f"arn:{partition}:secretsmanager:{view.profile.region}:{account or '000000000000'}"
              ":secret:any-xxxxxx"]
    for document in view.role_documents:
        for statement in document.policy.statements:
            for pattern in statement.resources or ():
                parts = pattern.split(":", 5)
                if len(parts) == 6 and parts[2] == "secretsmanager" \
                        and glob_match(parts[3], view.profile.region):
                    concrete = [parts[0], parts[1], parts[2], view.profile.region,
                                parts[4] if not has_wildcard(parts[4]) else (account or "000000000000"),
                                parts[5]]
                    probes.append(":".join(concrete).replace("*", "x").replace("?", "x"))
    return probes


@rule(META, SCAN)
def check(view, settings):
    documents = view.role_documents
    boundary = view.role_boundary
    policies = [d.policy for d in documents]
    boundary_policies = [d.policy for d in boundary] if boundary else None
    all_docs = documents + (boundary or [])
    results = [(arn, decide(policies, GET_SECRET_VALUE, arn, boundary=boundary_policies))
               for arn in _candidates(view)]
    if view.profile.secrets:
        for secret, (arn, decision) in zip(view.profile.secrets, results):
            evidence = {**decision_evidence(decision, all_docs), "secret": secret}
            if decision.verdict == Verdict.ALLOWED:
                yield passed(f"the role may read {secret}", evidence=evidence)
            elif decision.verdict == Verdict.CONDITIONAL:
                yield passed(f"the role may read {secret} only under conditions the auditor "
                             "cannot check", evidence=evidence)
            else:
                why = "an explicit Deny stops it" if decision.verdict == Verdict.DENIED else \
                    "no policy of the role allows it"
                yield failed(f"the role cannot read {secret}: {why}",
                             location={"document": "profile", "secret": secret}, evidence=evidence)
        return
    allowed = [(arn, d) for arn, d in results if d.allowed]
    if allowed:
        arn, decision = allowed[0]
        yield passed(f"the role may read secrets in {view.profile.region} (no secrets configured; "
                     f"e.g. {arn})", evidence=decision_evidence(decision, all_docs))
    else:
        yield failed(f"the role cannot read any secret in {view.profile.region}",
                     evidence=decision_evidence(results[0][1], all_docs))
