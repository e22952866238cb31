"""CONFIG-001 plaintext-secret-in-config: a literal secret_access_key FAILs; it is never echoed."""
import json
import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from auditor.scan_view import ProfileView  # noqa: E402
from auditor.settings import Settings  # noqa: E402
from scan_helpers import profile, run, statuses, view  # noqa: E402

RULE = "CONFIG-001"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_literal_secret_fails_without_echoing_it():
    [result] = run(RULE, view(profile(secret_access_key=SECRET, secret_access_key_literal=True)))
    assert (result.status, result.severity) == ("FAIL", "medium")
    assert result.location == {"document": "profile", "key": "secret_access_key"}
    text = json.dumps(result.to_dict())
    assert SECRET not in text
    assert SECRET[:8] not in text and SECRET[-8:] not in text


def test_secret_from_the_environment_passes():
    [result] = run(RULE, view(profile(secret_access_key=SECRET, secret_access_key_literal=False)))
    assert (result.status, result.severity) == ("PASS", "medium")
    assert "environment" in result.message
    assert SECRET not in json.dumps(result.to_dict())


def test_no_secret_configured_passes():
    [result] = run(RULE, view(profile()))
    assert result.status == "PASS"
    assert "no secret_access_key" in result.message


def test_needs_no_aws_state():
    """Neither the role nor the user was collected (or readable): the rule still decides."""
    bare = ProfileView(profile=profile(secret_access_key=SECRET, secret_access_key_literal=True),
                       role=None, user=None, settings=Settings())
    assert statuses(run(RULE, bare)) == [("FAIL", "medium")]


def test_a_profile_without_the_attribute_passes():
    from types import SimpleNamespace
    old = SimpleNamespace(name="old", role_arn="arn:aws:iam::123456789012:role/r", region="us-east-1")
    bare = ProfileView(profile=old, role=None, user=None, settings=Settings())
    assert statuses(run(RULE, bare)) == [("PASS", "medium")]


def test_broken_profile_is_an_error_not_a_crash():
    """SKIP and ERROR do not arise from AWS state here; an unreadable profile gives ERROR."""

    class Exploding:
        name = "broken"
        role_arn = "arn:aws:iam::123456789012:role/r"
        region = "us-east-1"

        @property
        def secret_access_key_literal(self):
            raise RuntimeError("configuration could not be read")

    bare = ProfileView(profile=Exploding(), role=None, user=None, settings=Settings())
    assert statuses(run(RULE, bare)) == [("ERROR", "medium")]
