"""TRUST-001 trust-principal-too-broad: "*" / {"AWS": "*"} critical whatever the conditions;
an account root ARN or bare account ID high; NotPrincipal high."""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# lint_helpers is a plain module beside this file; the project root goes first so that `rules`
# is the rules package, not this tests/rules directory (a namespace package once tests/ is on sys.path).
for _path in (str(HERE), str(HERE.parent.parent)):
    if _path in sys.path:
        sys.path.remove(_path)
    sys.path.insert(0, _path)

import pytest  # noqa: E402

from lint_helpers import (ACCOUNT, ROOT_ARN, STRONG_ID, USER, allow, deny, external_id, lint, policy,  # noqa: E402
                          single, statuses, trust_allow)

RULE = "TRUST-001"


def check(*statements, **kwargs):
    return lint(policy(*statements, **kwargs), RULE)


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["*"]}, {"AWS": [USER, "*"]}])
@pytest.mark.parametrize("condition", [None, external_id(STRONG_ID)], ids=["bare", "with-external-id"])
def test_public_principal_is_critical_whatever_the_conditions(principal, condition):
    result = single(check(trust_allow(principal, condition=condition, Sid="Public")))
    assert (result.status, result.severity, result.rule_id) == ("FAIL", "critical", "TRUST-001")
    assert result.location == {"document": "trust-policy", "statement": 0, "sid": "Public"}
    assert ("even with its conditions" in result.message) == (condition is not None)


@pytest.mark.parametrize("action", ["sts:AssumeRole", "sts:*", "*", "STS:ASSUMEROLE", ["sts:AssumeRole"]])
def test_assume_role_by_any_spelling(action):
    assert statuses(check(trust_allow("*", action=action))) == [("FAIL", "critical")]


@pytest.mark.parametrize("principal", [{"AWS": ACCOUNT}, {"AWS": int(ACCOUNT)}, {"AWS": ROOT_ARN},
                                       {"AWS": [ROOT_ARN]}])
def test_account_root_or_bare_account_id_is_high(principal):
    result = single(check(trust_allow(principal, condition=external_id(STRONG_ID))))
    assert (result.status, result.severity) == ("FAIL", "high")
    assert result.location["statement"] == 0
    assert result.evidence == {"principals": [ROOT_ARN]}         # the bare ID is normalized
    assert ACCOUNT in result.message


def test_not_principal_is_high():
    result = single(check(allow(Sid="Np", NotPrincipal={"AWS": USER}, Action="sts:AssumeRole",
                                Condition=external_id(STRONG_ID))))
    assert (result.status, result.severity) == ("FAIL", "high")
    assert result.location["sid"] == "Np"
    assert "NotPrincipal" in result.message


def test_public_and_root_in_one_statement_is_one_critical_result():
    assert statuses(check(trust_allow({"AWS": ["*", ACCOUNT]}))) == [("FAIL", "critical")]


def test_each_broad_statement_is_its_own_result():
    results = check(trust_allow({"AWS": USER}, Sid="User", condition=external_id(STRONG_ID)),
                    trust_allow({"AWS": ACCOUNT}, Sid="Account"),
                    trust_allow("*", Sid="Everyone"))
    assert statuses(results) == [("FAIL", "high"), ("FAIL", "critical")]
    assert [(r.location["statement"], r.location["sid"]) for r in results] == [(1, "Account"), (2, "Everyone")]
    assert len({r.fingerprint for r in results}) == 2


@pytest.mark.parametrize("statements", [
    [trust_allow({"AWS": USER}, condition=external_id(STRONG_ID))],
    [trust_allow({"Service": "ec2.amazonaws.com"})],
    [trust_allow({"AWS": "*"}, action="sts:TagSession")],                     # not AssumeRole
    [deny(Principal="*", Action="sts:AssumeRole", Condition={"StringNotEquals": {"sts:ExternalId": STRONG_ID}}),
     trust_allow({"AWS": USER})],                                             # Deny "*" is not a grant
    [trust_allow({"AWS": f"arn:aws:iam::{ACCOUNT}:role/root"})],              # a role named root
], ids=["user", "service", "other-action", "deny-star", "role-named-root"])
def test_narrow_trust_passes(statements):
    result = single(check(*statements))
    assert (result.status, result.severity, result.location) == ("PASS", "high", None)


def test_statement_as_object():
    result = single(check(trust_allow("*"), as_list=False))
    assert (result.status, result.severity, result.location["statement"]) == ("FAIL", "critical", 0)


def test_yaml_trust_policy_with_bare_account_id():
    text = ("Version: '2012-10-17'\nStatement:\n  - Sid: TrustAccount\n    Effect: Allow\n"
            f"    Principal:\n      AWS: {ACCOUNT}\n    Action: sts:AssumeRole\n")
    result = single(lint(text, RULE, yaml=True))
    assert (result.status, result.severity, result.location["sid"]) == ("FAIL", "high", "TrustAccount")


def test_identity_policy_is_skipped():
    assert single(lint(policy(allow(Action="*", Resource="*")), RULE)).status == "SKIP"
