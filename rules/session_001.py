"""SESSION-001: the role's maximum session duration is not longer than needed."""
from __future__ import annotations

from auditor.engine import SCAN, RuleMeta, errored, failed, passed, rule, skipped
from auditor.unknown import is_unknown

from ._common import location

META = RuleMeta(
    id="SESSION-001", name="max-session-too-long",
    title="The role's maximum session duration is not too long",
    severity="low", steps=(2,),
    description="The role's MaxSessionDuration exceeds the max_session_limit setting (default "
                "14400 s): credentials leaked from one session stay valid longer than needed. "
                "A role whose MaxSessionDuration could not be read gives ERROR; a missing role "
                "gives SKIP (CHAIN-002 reports it).",
    remediation="Lower the role's maximum session duration "
                "(aws iam update-role --role-name <role> --max-session-duration <seconds>), "
                "keeping it above the profile's STS duration (CHAIN-005).",
    handles_unknowns=True,   # SKIPs an unknown MaxSessionDuration; judges a known one
)

LOCATION = location("role", key="MaxSessionDuration")


@rule(META, SCAN)
def check(view, settings):
    limit = (settings or view.settings).max_session_limit
    role = view.require_role(what="the role's maximum session duration")
    maximum = role.max_session_duration
    if is_unknown(maximum):
        yield skipped(f"the role's MaxSessionDuration is {maximum}, known only at deploy: "
                      "not judged until it is known", location=LOCATION)
        return
    if not isinstance(maximum, int) or isinstance(maximum, bool):
        yield errored("the role's MaxSessionDuration is unknown", location=LOCATION)
        return
    evidence = {"max_session_duration": maximum, "max_session_limit": limit}
    if maximum > limit:
        yield failed(f"the role's MaxSessionDuration is {maximum} s ({maximum / 3600:g} h), more "
                     f"than the limit of {limit} s (max_session_limit)", location=LOCATION,
                     remediation=f"Lower the role's maximum session duration to at most {limit} s "
                                 "(aws iam update-role --role-name "
                                 f"{role.name} --max-session-duration {limit}), keeping it above "
                                 "the profile's STS duration (CHAIN-005).",
                     evidence=evidence)
    else:
        yield passed(f"the role's MaxSessionDuration is {maximum} s, within the limit of "
                     f"{limit} s", location=LOCATION, evidence=evidence)
