"""LP-002: the user may assume only the configured role."""
from __future__ import annotations

import json

from auditor.engine import LINT, SCAN, RuleMeta, failed, rule

from ._common import ASSUME_ROLE, location
from ._effective import AccessSet, broad_grants
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


def finding_for(grant, role_arn=None):
    document, statement = grant.document, grant.statement
    narrowed = {"Effect": "Allow", "Action": ASSUME_ROLE,
                "Resource": role_arn or "arn:aws:iam::<account>:role/<read_secrets_role>"}
    if statement.sid:
        narrowed = {"Sid": statement.sid, **narrowed}
    return failed(
        f"{document.label} {statement.location_label} allows sts:AssumeRole on "
        f"{' and '.join(grant.reasons)}{grant.note()}: the key can assume every role that trusts "
        "it, not only the product's role",
        location=location(document.label, statement),
        remediation="Replace the statement with " + json.dumps(narrowed),
        evidence={"resources": list(statement.resources or statement.not_resources or ()),
                  "not_resource": statement.not_resources is not None, **grant.evidence()},
    )


def broad_assume_grants(access):
    return broad_grants(access, ASSUME_ROLE, "iam", "role/")


@rule(META, LINT)
@identity_only
def check_document(doc, settings):
    for grant in broad_assume_grants(AccessSet([doc])):
        yield finding_for(grant)


@rule(META, SCAN)
def check_user(view, settings):
    access = AccessSet(view.user_documents, view.user_boundary)
    for grant in broad_assume_grants(access):
        yield finding_for(grant, view.profile.role_arn)
