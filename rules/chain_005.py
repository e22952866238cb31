"""CHAIN-005: the configured STS duration lies strictly between 900 s and the role's maximum."""
from __future__ import annotations

from auditor.engine import SCAN, RuleMeta, errored, failed, passed, rule

from ._common import location

META = RuleMeta(
    id="CHAIN-005", name="sts-duration-valid",
    title="The STS duration fits the role's maximum session duration",
    severity="high", steps=(5,),
    description="The profile's sts_duration D is compared with the role's MaxSessionDuration M. "
                "AssumeRole rejects D < 900 or D > M, so the connection fails (high). AWS accepts "
                "D = 900 and D = M, but the product requires 900 < D < M (medium). A role whose "
                "MaxSessionDuration could not be read gives ERROR; a missing role gives SKIP "
                "(CHAIN-002 reports it).",
    remediation="Set the profile's STS duration to a value strictly between 900 and the role's "
                "maximum session duration (e.g. 1800 for a role with the default maximum of "
                "3600 s), or raise the role's maximum session duration "
                "(aws iam update-role --role-name <role> --max-session-duration <seconds>).",
)

MIN_DURATION = 900
LOCATION = location("profile", key="sts_duration")


def suggested(maximum: int) -> int:
    """A duration comfortably inside (900, maximum)."""
    return max(MIN_DURATION + 1, min(3600, maximum // 2 if maximum <= 3600 else 3600))


@rule(META, SCAN)
def check(view, settings):
    role = view.require_role(what="the role's maximum session duration")
    duration = view.profile.sts_duration
    maximum = role.max_session_duration
    if not isinstance(maximum, int) or isinstance(maximum, bool):
        yield errored(f"the role's MaxSessionDuration is unknown: cannot check sts_duration "
                      f"{duration} against it", location=LOCATION)
        return
    if not isinstance(duration, int) or isinstance(duration, bool):
        yield errored(f"the profile's sts_duration {duration!r} is not a number of seconds",
                      location=LOCATION)
        return
    evidence = {"sts_duration": duration, "max_session_duration": maximum,
                "valid_range": f"{MIN_DURATION} < D < {maximum}"}
    facts = (f"sts_duration D={duration} s, role MaxSessionDuration M={maximum} s; "
             f"the product requires {MIN_DURATION} < D < {maximum}")
    fix = (f"Set sts_duration to a value strictly between {MIN_DURATION} and {maximum}, "
           f"e.g. {suggested(maximum)}")
    if duration < MIN_DURATION or duration > maximum:
        why = (f"below AssumeRole's minimum of {MIN_DURATION} s" if duration < MIN_DURATION
               else "above the role's maximum session duration")
        if duration > maximum:
            fix += (f", or raise the role's maximum session duration above {duration} s "
                    "(at most 43200)")
        yield failed(f"{facts}: D is {why}, so AssumeRole rejects it and the connection fails",
                     location=LOCATION, severity="high", remediation=fix + ".", evidence=evidence)
    elif duration in (MIN_DURATION, maximum):
        bound = "900 s" if duration == MIN_DURATION else "the role's maximum session duration"
        yield failed(f"{facts}: D equals {bound}; AWS accepts it but the product does not",
                     location=LOCATION, severity="medium", remediation=fix + ".", evidence=evidence)
    else:
        yield passed(facts + ": D is within the range", location=LOCATION, evidence=evidence)
