"""CONFIG-001: the secret access key is not written in the configuration file."""
from __future__ import annotations

from auditor.engine import SCAN, RuleMeta, failed, passed, rule

from ._common import location

META = RuleMeta(
    id="CONFIG-001", name="plaintext-secret-in-config",
    title="No secret access key is written in the configuration",
    severity="medium", steps=(5,),
    description="The profile holds a literal secret_access_key instead of an environment "
                "reference (${VAR}): anyone who can read the file, its backups or its history in "
                "version control holds the user's key. The value itself is never reported.",
    remediation="Replace the value with an environment reference, e.g. "
                "secret_access_key: ${CATALOG_SECRET_ACCESS_KEY}, and rotate the key: treat the "
                "one written in the file as leaked (KEY-001 describes the rotation).",
)

LOCATION = location("profile", key="secret_access_key")


@rule(META, SCAN)
def check(view, settings):
    # Only the flag is read: the secret's value is never touched, so it cannot leak into a result.
    profile = view.profile
    if getattr(profile, "secret_access_key_literal", False) is True:
        yield failed(f"profile {profile.name} holds its secret_access_key as a literal value in "
                     "the configuration file instead of an environment reference (${VAR})",
                     location=LOCATION, evidence={"literal": True})
    elif getattr(profile, "secret_access_key", None) is None:
        yield passed(f"profile {profile.name} configures no secret_access_key", location=LOCATION,
                     evidence={"literal": False})
    else:
        yield passed(f"profile {profile.name} reads its secret_access_key from the environment",
                     location=LOCATION, evidence={"literal": False})
