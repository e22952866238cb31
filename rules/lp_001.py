"""LP-001: secret-reading actions must not be granted on every secret."""
from __future__ import annotations

import json

from auditor.engine import LINT, SCAN, RuleMeta, failed, rule

from ._common import SECRET_READ_ACTIONS, granted, location, role_account, secret_patterns
from ._effective import AccessSet, broad_grants
from ._lint import identity_only

META = RuleMeta(
    id="LP-001", name="secrets-read-wildcard-resource",
    title="Secret reads are limited to the configured secrets",
    severity="medium", steps=(1,),
    description="An Allow grants a secret-reading action (secretsmanager:GetSecretValue or "
                "BatchGetSecretValue, by name or wildcard) on \"*\", through NotResource, or on a "
                "pattern that matches more secrets than the configured ones.",
    remediation="List the secrets the product reads in the statement's Resource, by full ARN or "
                "by name with the \"-??????\" suffix.",
)


GET_SECRET_VALUE, BATCH_GET_SECRET_VALUE = SECRET_READ_ACTIONS


def narrowed_statement(statement, secrets) -> str:
    """The statement rewritten to read only `secrets` (quoted in remediations)."""
    body = {"Effect": "Allow", "Action": GET_SECRET_VALUE,
            "Resource": list(secrets) or ["arn:aws:secretsmanager:<region>:<account>:secret:<name>-??????"]}
    if statement.sid:
        body = {"Sid": statement.sid, **body}
    return json.dumps(body)


def finding_for(grant, secrets=()):
    document, statement = grant.document, grant.statement
    actions = granted(statement, SECRET_READ_ACTIONS)
    conditional = " (under conditions)" if statement.conditions else ""
    remediation = "Replace the statement with " + narrowed_statement(statement, secrets)
    if BATCH_GET_SECRET_VALUE in actions:
        # BatchGetSecretValue supports only Resource "*" and also needs GetSecretValue on each
        # secret (Secrets Manager API reference, BatchGetSecretValue).
        remediation += (f"; keep {BATCH_GET_SECRET_VALUE} in a statement of its own on \"*\": it "
                        "supports no other resource and reads only what GetSecretValue allows")
    return failed(
        f"{document.label} {statement.location_label} allows {', '.join(actions)} on "
        f"{' and '.join(grant.reasons)}{conditional}{grant.note()}: it can read every secret it "
        "reaches, not only the product's",
        location=location(document.label, statement),
        remediation=remediation,
        evidence={"actions": actions, "resources": list(statement.resources or statement.not_resources or ()),
                  "not_resource": statement.not_resources is not None, **grant.evidence()},
    )


def broad_secret_grants(access):
    # LP-001 judges what GetSecretValue reaches: BatchGetSecretValue on "*" reads nothing that
    # GetSecretValue does not also allow, and "*" is the only resource it supports.
    return broad_grants(access, GET_SECRET_VALUE, "secretsmanager", "secret:")


@rule(META, LINT)
@identity_only
def check_document(doc, settings):
    for grant in broad_secret_grants(AccessSet([doc])):
        yield finding_for(grant)


@rule(META, SCAN)
def check_role(view, settings):
    access = AccessSet(view.role_documents, view.role_boundary)
    secrets = secret_patterns(view.profile, role_account(view.role_arn))
    for grant in broad_secret_grants(access):
        yield finding_for(grant, secrets)
