"""AWS's own managed policies as an oracle (see tests/data/README.md): AWS accepted every one,
so a high grammar finding on any of them is our bug; linting them all never raises; statements
known to be broad are found."""
import tarfile
from collections import Counter
from pathlib import Path

import pytest

from auditor.lint import lint_paths

ARCHIVE = Path(__file__).resolve().parent / "data" / "aws-managed-policies.tar.xz"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    with tarfile.open(ARCHIVE) as archive:
        archive.extractall(root, filter="data")
    policies = root / "aws-managed-policies"
    return policies, lint_paths([str(policies)])


def test_every_policy_is_linted_and_nothing_errors(corpus):
    policies, results = corpus
    files = {r.resource for r in results}
    assert len(files) == len(list(policies.glob("*.json"))) == 1641
    statuses = Counter(r.status for r in results)
    assert statuses["ERROR"] == 0, [r.message for r in results if r.status == "ERROR"][:5]


def test_no_high_grammar_finding_on_aws_own_policies(corpus):
    _, results = corpus
    high = [(Path(r.resource).name, r.message) for r in results
            if r.rule_id == "POLICY-001" and r.status == "FAIL" and r.severity == "high"]
    assert high == []


@pytest.mark.parametrize("name", [
    "SageMakerStudioProjectUserRolePolicy.json", "AmazonDataZoneBedrockModelConsumptionPolicy.json",
])
def test_empty_string_condition_values_are_no_finding(corpus, name):
    # These used an empty-string condition value and got high POLICY-001 findings before v1.1.
    _, results = corpus
    grammar = [r for r in results if Path(r.resource).name == name and r.rule_id == "POLICY-001"]
    assert [r.status for r in grammar] == ["PASS"]


@pytest.mark.parametrize("name, statement", [
    ("SageMakerStudioProjectUserRolePolicy.json", 69),
    ("SageMakerStudioProjectUserRolePermissionsBoundary.json", 48),
])
def test_known_assume_role_on_star_is_found(corpus, name, statement):
    _, results = corpus
    found = [r for r in results if Path(r.resource).name == name and r.rule_id == "LP-002"
             and r.status == "FAIL" and r.location["statement"] == statement]
    assert len(found) == 1 and 'sts:AssumeRole on "*"' in found[0].message
