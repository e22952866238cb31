"""LP-003: the role may do nothing but read its secrets."""
from __future__ import annotations

from auditor.engine import SCAN, RuleMeta, failed, rule

from ._common import location
from ._effective import AccessSet, effective_excess

META = RuleMeta(
    id="LP-003", name="role-excess-permissions", title="The role only reads secrets",
    severity="high", steps=(1, 2),
    description="The role's policies allow actions beyond reading its secrets (GetSecretValue, "
                "BatchGetSecretValue, DescribeSecret, ListSecretVersionIds, and kms:Decrypt): "
                "critical for full admin (* on *); high for any write, delete or "
                "permissions-management action; medium otherwise.",
    remediation="Detach or narrow every policy of the role to the secret-reading actions.",
)

ALLOWED = frozenset({"secretsmanager:getsecretvalue", "secretsmanager:batchgetsecretvalue",
                     "secretsmanager:describesecret", "secretsmanager:listsecretversionids",
                     "kms:decrypt"})


@rule(META, SCAN)
def check(view, settings):
    access = AccessSet(view.role_documents, view.role_boundary)
    for document in view.role_documents:
        for statement in document.policy.statements:
            if not statement.is_allow:
                continue
            excess = effective_excess(access, statement, ALLOWED)
            if excess is None:
                continue
            yield failed(f"{document.label} {statement.location_label} {excess.describe()}",
                         location=location(document.label, statement), severity=excess.severity,
                         evidence=excess.evidence())
