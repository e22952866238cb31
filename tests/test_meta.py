"""Meta-tests: rule IDs are unique, match the published catalogue, and each rule has tests."""
import re
from pathlib import Path

from auditor.engine import SEVERITIES, load_rules

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT.parent / "shared" / "rules-catalogue.md"
# The IDs of the catalogue v1 (a public contract); kept here too so the check runs without shared/.
CATALOGUE_IDS = {
    "CHAIN-001", "CHAIN-002", "CHAIN-003", "CHAIN-004", "CHAIN-005", "LP-001", "LP-002", "LP-003",
    "LP-004", "TRUST-001", "TRUST-002", "TRUST-003", "TRUST-004", "TRUST-005", "SESSION-001",
    "KEY-001", "KEY-002", "KEY-003", "CONFIG-001", "CONFIG-002", "POLICY-001",
    # v1.1
    "CHAIN-006", "CHAIN-007", "SECRET-001", "POLICY-002",
}


def test_catalogue_copy_is_current():
    if CATALOGUE.exists():
        published = set(re.findall(r"^\| ([A-Z]+-\d{3}) \|", CATALOGUE.read_text(), re.M))
        assert published == CATALOGUE_IDS


def test_rule_ids_unique_and_from_catalogue():
    rules = load_rules()
    assert set(rules) <= CATALOGUE_IDS
    names = [r.meta.name for r in rules.values()]
    assert len(names) == len(set(names))


def test_rule_metadata_complete():
    if CATALOGUE.exists():
        text = CATALOGUE.read_text()
    for rule_id, registered in load_rules().items():
        meta = registered.meta
        assert meta.severity in SEVERITIES
        assert meta.steps and all(1 <= s <= 5 for s in meta.steps)
        assert meta.title and meta.description and meta.remediation
        if CATALOGUE.exists():
            row = re.search(rf"^\| {rule_id} \| ([a-z0-9-]+) \|.*\| (\w+) \| [^|]+\|$", text, re.M)
            assert row, rule_id
            assert (meta.name, meta.severity) == (row.group(1), row.group(2)), rule_id


def test_every_rule_has_a_test_module():
    tests = {p.stem for p in (ROOT / "tests" / "rules").glob("test_*.py")}
    for rule_id in load_rules():
        module = "test_" + rule_id.lower().replace("-", "_")
        assert module in tests, f"{rule_id} has no tests/rules/{module}.py"
        body = (ROOT / "tests" / "rules" / f"{module}.py").read_text()
        assert '"PASS"' in body and '"FAIL"' in body, f"{module} must test passing and failing cases"
