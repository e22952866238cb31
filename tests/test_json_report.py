"""`--format json`: valid JSON with every result, one result per line, whatever the fields hold."""
import json

import pytest

from auditor.lint import lint_paths
from auditor.report import Report
from auditor.reports import render
from clitools import EXAMPLES


@pytest.fixture(scope="module")
def results():
    return list(lint_paths([str(EXAMPLES)]))


def test_each_result_is_one_line_and_the_envelope_is_indented(results, validate_report):
    text = render(Report("lint", results), "json")
    data = json.loads(text)
    validate_report(data)
    assert [json.loads(line.strip().rstrip(",")) for line in text.splitlines()
            if line.startswith('    {"rule_id"')] == data["results"]
    assert len(data["results"]) == len(results) > 10
    assert text.startswith('{\n  "schema_version"') and text.endswith("  ]\n}\n")


@pytest.mark.parametrize("value", ["\x00results\x00", 'a"\x00results\x00', "[\n", "\u2028 é ✓"])
def test_fields_before_the_results_cannot_disturb_them(results, value):
    report = Report("lint", results[:3], extra={"config_path": value, "waivers": [{"reason": value}]})
    data = json.loads(render(report, "json"))
    assert data["config_path"] == value and data["waivers"] == [{"reason": value}]
    assert data["results"] == [r.to_dict() for r in results[:3]]


def test_no_results():
    data = json.loads(render(Report("lint", []), "json"))
    assert data["results"] == [] and data["summary"]["results"] == 0
