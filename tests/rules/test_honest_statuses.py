"""Catalogue v1.1, "Statuses are honest": PASS only what was checked; SKIP with the reason when a
rule's subject is absent; ERROR, never PASS, when what a rule needs could not be read."""
import sys
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
for _path in (str(HERE), str(HERE.parent.parent)):
    if _path in sys.path:
        sys.path.remove(_path)
    sys.path.insert(0, _path)

import pytest  # noqa: E402

from auditor.lint import lint_documents, read_document  # noqa: E402
from auditor.settings import Settings  # noqa: E402
from scan_helpers import denied, role_state, run, user_state, view  # noqa: E402

TRUST_RULES = ("TRUST-001", "TRUST-002", "TRUST-003", "TRUST-004", "TRUST-005")


@pytest.mark.parametrize("rule_id", TRUST_RULES)
def test_trust_rules_error_when_the_trust_policy_is_missing_from_the_answer(rule_id):
    results = run(rule_id, view(role=role_state(trust_policy=None)))
    assert [r.status for r in results] == ["ERROR"]
    assert "trust policy" in results[0].message


def test_policy_001_errors_over_documents_that_were_not_read():
    role = role_state(trust_policy={"Version": "2012-10-17", "Statement": []},
                      errors=(denied("iam:ListRolePolicies"),))
    results = run("POLICY-001", view(role=role))
    assert "ERROR" in [r.status for r in results]
    assert "PASS" not in [r.status for r in results]
    assert any("iam:ListRolePolicies" in r.message for r in results if r.status == "ERROR")


def test_policy_001_errors_when_nothing_could_be_read():
    role = role_state(trust_policy=None, errors=(denied("iam:ListRolePolicies"),))
    user = replace(user_state(), errors=(denied("iam:ListUserPolicies"),))
    statuses = [r.status for r in run("POLICY-001", view(role=role, user=user))]
    assert statuses and set(statuses) == {"ERROR"}


def test_lint_file_that_cannot_be_read_is_error_not_fail(tmp_path):
    document = read_document(tmp_path / "gone" / "policy.json")
    results = {r.rule_id: r for r in lint_documents([document], Settings())}
    assert results["POLICY-001"].status == "ERROR"
    assert all(r.status in ("SKIP", "ERROR") for r in results.values())


def test_lint_file_that_is_not_utf8_is_a_grammar_fail(tmp_path):
    path = tmp_path / "binary.json"
    path.write_bytes(b"\xff\xfe\x00{")
    results = {r.rule_id: r for r in lint_documents([read_document(path)], Settings())}
    assert (results["POLICY-001"].status, results["POLICY-001"].severity) == ("FAIL", "high")
