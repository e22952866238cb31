"""LP-002: the user may assume only the configured role."""
from __future__ import annotations

import json

from auditor.engine import LINT, SCAN, RuleMeta, failed, rule

from ._common import ASSUME_ROLE, broad_resources, granted, location, targets
from ._lint import identity_only

META = RuleMeta(
    id="LP-002", name="assume-role-wildcard-resource",
    title="The user may assume only the configured role",
    severity="medium", steps=(3,),
    description="An Allow in the user's policies grants sts:AssumeRole (by name or wildcard) on "
                "\"*\", through NotResource, or on a pattern matching roles other than the "
                "configured role.",
    remediation="Set the statement's Resource to the role's ARN.",
    subject="user",
)


def broad_assume_grants(document):
    for statement in document.policy.statements:
        if not statement.is_allow or not granted(statement, (ASSUME_ROLE,)):
            continue
        if not targets(statement, "iam", "role/"):
            continue
        reasons = broad_resources(statement, "iam", "role/")
        if reasons:
            yield statement, reasons


def finding_for(document, statement, reasons, role_arn=None):
    narrowed = {"Effect": "Allow", "Action": ASSUME_ROLE,
                "Resource": role_arn or "arn:aws:iam::<account>:role/<read_secrets_role>"}
    if statement.sid:
        narrowed = {"Sid": statement.sid, **narrowed}
    return failed(
        f"{document.label} {statement.location_label} allows sts:AssumeRole on "
        f"{' and '.join(reasons)}: the key can assume every role that trusts it, not only the "
        "product's role",
        location=location(document.label, statement),
        remediation="Replace the statement with " + json.dumps(narrowed),
        evidence={"resources": list(statement.resources or statement.not_resources or ()),
                  "not_resource": statement.not_resources is not None},
    )


@rule(META, LINT)
@identity_only
def check_document(doc, settings):
    for statement, reasons in broad_assume_grants(doc):
        yield finding_for(doc, statement, reasons)


@rule(META, SCAN)
def check_user(view, settings):
    for document in view.user_documents:
        for statement, reasons in broad_assume_grants(document):
            yield finding_for(document, statement, reasons, view.profile.role_arn)
