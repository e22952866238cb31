"""LP-001: secret-reading actions must not be granted on every secret."""
from __future__ import annotations

import json

from auditor.engine import LINT, SCAN, RuleMeta, failed, rule

from ._common import (SECRET_READ_ACTIONS, broad_resources, granted, location, role_account,
                      secret_patterns, targets)
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


def narrowed_statement(statement, secrets) -> str:
    """The statement rewritten to read only `secrets` (quoted in remediations)."""
    actions = [a for a in SECRET_READ_ACTIONS if a in granted(statement, SECRET_READ_ACTIONS)]
    body = {"Effect": "Allow", "Action": actions if len(actions) > 1 else actions[0],
            "Resource": list(secrets) or ["arn:aws:secretsmanager:<region>:<account>:secret:<name>-??????"]}
    if statement.sid:
        body = {"Sid": statement.sid, **body}
    return json.dumps(body)


def broad_secret_grants(document):
    """(statement, actions, reasons) for each Allow reading secrets beyond a fixed list."""
    for statement in document.policy.statements:
        if not statement.is_allow:
            continue
        actions = granted(statement, SECRET_READ_ACTIONS)
        if not actions or not targets(statement, "secretsmanager", "secret:"):
            continue
        reasons = broad_resources(statement, "secretsmanager", "secret:")
        if reasons:
            yield statement, actions, reasons


def finding_for(document, statement, actions, reasons, secrets=()):
    conditional = " (under conditions)" if statement.conditions else ""
    return failed(
        f"{document.label} {statement.location_label} allows {', '.join(actions)} on "
        f"{' and '.join(reasons)}{conditional}: it can read every secret it reaches, not only "
        "the product's",
        location=location(document.label, statement),
        remediation="Replace the statement with " + narrowed_statement(statement, secrets),
        evidence={"actions": actions, "resources": list(statement.resources or statement.not_resources or ()),
                  "not_resource": statement.not_resources is not None},
    )


@rule(META, LINT)
@identity_only
def check_document(doc, settings):
    for statement, actions, reasons in broad_secret_grants(doc):
        yield finding_for(doc, statement, actions, reasons)


@rule(META, SCAN)
def check_role(view, settings):
    for document in view.role_documents:
        for statement, actions, reasons in broad_secret_grants(document):
            yield finding_for(document, statement, actions, reasons,
                              secret_patterns(view.profile, role_account(view.role_arn)))
