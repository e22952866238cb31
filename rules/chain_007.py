"""CHAIN-007: the KMS key that encrypts each configured secret lets the role decrypt it."""
from __future__ import annotations

from auditor.collectors_secrets import is_aws_managed_secrets_key
from auditor.engine import SCAN, Finding, RuleMeta, errored, failed, passed, rule
from auditor.evaluation import Verdict, decide
from auditor.policy import TRUST
from auditor.resource_access import KMS_DECRYPT, decrypt_context, unmet_allows
from auditor.scan_view import Document, parse_once
from auditor.snapshot import NO_SUCH_ENTITY

from ._common import decision_evidence
from ._secrets import (SECRET_TYPE, identity_decrypt_statement, key_policy_statement,
                       secret_cases)

META = RuleMeta(
    id="CHAIN-007", name="role-can-decrypt-secret", title="The role can decrypt the secret",
    severity="high", steps=(1,),
    description="The KMS key that encrypts each configured secret lets the role decrypt it through "
                "Secrets Manager. The AWS managed key aws/secretsmanager works only for a role in "
                "the secret's account. A customer managed key must be Enabled, and its key policy "
                "must allow the role kms:Decrypt: directly, or by delegating to the role's account, "
                "in which case the role's own policies must allow kms:Decrypt on the key. "
                "kms:ViaService, kms:CallerAccount and kms:EncryptionContext:SecretARN are evaluated "
                "for that call. Grants are not read. SKIP when no secrets are configured.",
    remediation="Add to the key policy a statement allowing the role kms:Decrypt with kms:ViaService "
                "secretsmanager.<region>.amazonaws.com, and enable the key.",
)

GRANTS_NOTE = "KMS grants are not read: a grant could let the role decrypt where the key policy does not"


@rule(META, SCAN)
def check(view, settings):
    for case in secret_cases(view):
        if isinstance(case, Finding):
            yield case
            continue
        yield from _judge(view, case)


def _judge(view, case):
    where = {"resource": case.arn, "resource_type": SECRET_TYPE}
    key = view.keys.get(case.state.key_ref) if case.state.key_ref else None
    if is_aws_managed_secrets_key(case.state.kms_key_id) or (key is not None and key.key_manager == "AWS"):
        evidence = case.evidence(kms_key="aws/secretsmanager (AWS managed)")
        if not case.cross_account:
            yield passed(f"{case.secret} is encrypted with the AWS managed key aws/secretsmanager, "
                         "which roles of the secret's account may use through Secrets Manager",
                         evidence=evidence, **where)
        else:
            yield failed(f"{case.secret} (account {case.account}) is encrypted with the AWS managed key "
                         f"aws/secretsmanager, which a role of account {case.role_account} cannot use",
                         location=case.location("key-policy"), evidence=evidence,
                         remediation="Re-encrypt the secret with a customer managed key (aws "
                                     f"secretsmanager update-secret --secret-id {case.arn} --kms-key-id "
                                     "<key ARN>) and add to that key's policy: "
                                     + key_policy_statement(case.role_arn, case.region), **where)
        return
    if key is None:
        yield errored(f"the KMS key {case.state.kms_key_id} of {case.secret} was not read",
                      location=case.location("key-policy"), **where)
        return
    evidence = case.evidence(kms_key=key.arn or key.key_id, key_state=key.key_state)
    described = next((e for e in key.errors if e.operation == "kms:DescribeKey"), None)
    if described is not None and described.kind == NO_SUCH_ENTITY:
        yield failed(f"the KMS key {key.key_id} that encrypts {case.secret} does not exist",
                     location=case.location("key-policy"), evidence=evidence,
                     remediation="Restore the secret's key or re-encrypt the secret with an existing "
                                 "customer managed key.", **where)
        return
    if described is not None:
        yield errored(f"could not describe the KMS key {key.key_id} of {case.secret}: {described.describe()}",
                      location=case.location("key-policy"), evidence=evidence, **where)
        return
    if key.key_state != "Enabled":
        yield failed(f"the KMS key {key.arn} that encrypts {case.secret} is {key.key_state}: "
                     "nothing can decrypt the secret", location=case.location("key-policy"),
                     evidence=evidence, **where,
                     remediation=f"Enable the key (aws kms enable-key --key-id {key.arn}), or cancel "
                                 "its deletion (aws kms cancel-key-deletion) and enable it.")
        return
    policy_error = next((e for e in key.errors if e.operation == "kms:GetKeyPolicy"), None)
    if policy_error is not None or key.policy is None:
        why = policy_error.describe() if policy_error else "it was not read"
        yield errored(f"could not read the key policy of {key.arn}: {why}",
                      location=case.location("key-policy"), evidence=evidence, **where)
        return
    yield _decide(view, case, key, evidence, where)


def _decide(view, case, key, evidence, where) -> Finding:
    document = Document("key-policy", parse_once(key.policy, TRUST))
    context = decrypt_context(case.role_arn, case.role_account, case.arn, case.region)
    caller = (case.role_arn, case.role_account)
    full = decide([document.policy], KMS_DECRYPT, key.arn, context=context, caller=caller)
    evidence = {**evidence, **decision_evidence(full, [document]), "grants": GRANTS_NOTE}
    statement = key_policy_statement(case.role_arn, case.region)
    if full.verdict == Verdict.DENIED:
        deny = full.denies[0]
        return failed(f"the key policy of {key.arn} denies the role kms:Decrypt ({deny.location_label})",
                      location=case.location("key-policy", deny), evidence=evidence,
                      remediation=f"Remove or narrow {deny.location_label} of the key policy so it no "
                                  f"longer matches the role, and keep a statement such as {statement}",
                      **where)
    if full.verdict == Verdict.NOT_ALLOWED:
        unmet = unmet_allows([document.policy], KMS_DECRYPT, key.arn, caller, context)
        why = "; ".join(u.describe() for u in unmet) if unmet else \
            f"no statement names the role or account {case.role_account}"
        return failed(f"the key policy of {key.arn} does not let the role decrypt {case.secret} "
                      f"through Secrets Manager: {why}", location=case.location(
                          "key-policy", unmet[0].statement if unmet else None),
                      evidence={**evidence, **({"unmet": [u.describe() for u in unmet]} if unmet else {})},
                      remediation=f"Add to the key policy: {statement}", **where)
    # Without the account root, only statements naming the role itself (or "*") remain.
    direct = decide([document.policy], KMS_DECRYPT, key.arn, context=context, caller=(case.role_arn, None))
    verdict, notes = full.verdict, list(full.notes)
    if case.cross_account or direct.verdict < Verdict.CONDITIONAL:
        why = "the key is in another account" if case.cross_account else \
            f"the key policy delegates to account {case.role_account}"
        documents = view.role_documents
        boundary = view.role_boundary
        identity = decide([d.policy for d in documents], KMS_DECRYPT, key.arn, context=context,
                          boundary=[d.policy for d in boundary] if boundary else None)
        evidence["role_policies"] = decision_evidence(identity, documents + (boundary or []))
        if not identity.allowed:
            return failed(f"the role cannot decrypt {case.secret} because {why} and the role's "
                          f"policies do not allow kms:Decrypt on {key.arn}",
                          location=case.location("role-policies"), evidence=evidence, **where,
                          remediation="Add to the role's policy (step 1): "
                                      + identity_decrypt_statement(key.arn, case.region)
                                      + f", or to the key policy: {statement}")
        verdict, notes = min(verdict, identity.verdict), notes + list(identity.notes)
    if verdict == Verdict.CONDITIONAL:
        return errored(f"the role may decrypt {case.secret} with {key.arn} only under conditions the "
                       f"auditor cannot decide: {'; '.join(notes)}", location=case.location("key-policy"),
                       evidence=evidence, **where)
    return passed(f"the role may decrypt {case.secret} with {key.arn} through Secrets Manager",
                  evidence=evidence, **where)
