"""sample_reports/ and docs/rules.md are the tool's current output (volatile fields normalized)."""
import subprocess
import sys

from auditor.sample_reports import normalize
from clitools import ROOT


def test_sample_reports_and_rules_doc_are_current():
    proc = subprocess.run([sys.executable, "-m", "auditor.sample_reports", "--check"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr + "\nregenerate with: python -m auditor.sample_reports"


def test_normalize_only_touches_volatile_fields():
    text = '{"generated_at": "2026-11-25T12:00:00Z", "time": 1795612629000, "rule_id": "LP-001"}'
    assert normalize(text) == '{"generated_at": "<time>", "time": <ms>, "rule_id": "LP-001"}'
