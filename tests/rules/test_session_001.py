"""SESSION-001 max-session-too-long: MaxSessionDuration above max_session_limit FAILs."""
import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from auditor.settings import Settings  # noqa: E402
from scan_helpers import denied_role, missing_role, role_state, run, statuses, view  # noqa: E402

RULE = "SESSION-001"


def test_default_maximum_passes():
    [result] = run(RULE, view(role=role_state(3600)))
    assert (result.status, result.severity) == ("PASS", "low")
    assert "3600" in result.message and "14400" in result.message


def test_equal_to_the_limit_passes():
    assert statuses(run(RULE, view(role=role_state(14400)))) == [("PASS", "low")]


def test_above_the_limit_fails():
    [result] = run(RULE, view(role=role_state(43200)))
    assert (result.status, result.severity) == ("FAIL", "low")
    assert "43200" in result.message and "14400" in result.message
    assert result.evidence == {"max_session_duration": 43200, "max_session_limit": 14400}
    assert "--max-session-duration 14400" in result.remediation


def test_limit_comes_from_the_settings():
    strict = Settings(max_session_limit=3000)
    assert statuses(run(RULE, view(role=role_state(3600)), strict)) == [("FAIL", "low")]


def test_unknown_max_session_duration_is_an_error():
    assert statuses(run(RULE, view(role=role_state(None)))) == [("ERROR", "low")]


def test_missing_role_skips():
    assert statuses(run(RULE, view(role=missing_role()))) == [("SKIP", "low")]


def test_get_role_denied_is_an_error():
    [result] = run(RULE, view(role=denied_role()))
    assert result.status == "ERROR"
    assert "iam:GetRole" in result.message


def test_max_session_duration_known_only_at_deploy_skips():
    """A template's `MaxSessionDuration: !Ref Param` (AWS CloudFormation User Guide, AWS::IAM::Role;
    a parameter is supplied at deploy) cannot be judged: SKIP naming it, never PASS."""
    from auditor.unknown import Unknown

    [result] = run(RULE, view(role=role_state(Unknown("parameter MaxSession"))))
    assert result.status == "SKIP" and "parameter MaxSession" in result.message
