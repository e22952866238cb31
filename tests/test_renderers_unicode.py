"""Every renderer takes arbitrary Unicode (file names, messages, evidence, waiver reasons,
lone surrogates included) without crashing; JSON formats parse, and the report and SARIF
validate against their schemas; what people read keeps one result's text on its lines."""
import json
import os
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from auditor.engine import Result
from auditor.report import Report
from auditor.reports import FORMATS, render
from clitools import SCHEMA, run_cli

SARIF_SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "schemas" / "sarif-schema-2.1.0.json"
EXAMPLES = int(os.environ.get("HYPOTHESIS_EXAMPLES", "2000"))
REPORT_VALIDATOR = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
SARIF_VALIDATOR = (jsonschema.Draft7Validator(json.loads(SARIF_SCHEMA.read_text()))
                   if SARIF_SCHEMA.exists() else None)
# Controls a terminal or a Markdown reader would act on.
CONTROLS = [chr(c) for c in range(0x20) if chr(c) not in "\n"] + ["\x7f", "\x9b", "\u202e"]

text = st.text(st.characters(codec=None, blacklist_categories=()), max_size=40)
hostile = st.one_of(text, st.sampled_from(["\ud800", "a\udcff.json", "x\n**✅ Ready to go live**\n<!--",
                                           "\x1b[31mred\x1b[0m", "`` ` ``", "| a | b |", "\u2028"]))
evidence = st.dictionaries(text, st.one_of(text, st.integers(), st.lists(text, max_size=3)), max_size=3)


@st.composite
def results(draw):
    status = draw(st.sampled_from(["PASS", "FAIL", "ERROR", "SKIP"]))
    scan = draw(st.booleans())
    waived = draw(st.booleans()) and status == "FAIL"
    return Result(
        rule_id=draw(st.sampled_from(["LP-001", "TRUST-002", "CHAIN-003", "POLICY-001"])),
        rule_name="rule-name", title=draw(hostile) or "t", status=status,
        severity=draw(st.sampled_from(["info", "low", "medium", "high", "critical"])),
        profile=draw(hostile) if scan else None, account_id="123456789012" if scan else None,
        region=draw(hostile) if scan else None, resource=draw(hostile) or "r",
        resource_type="AwsIamRole" if scan else "PolicyDocument",
        location=draw(st.one_of(st.none(), st.fixed_dictionaries({"document": hostile}),
                                st.fixed_dictionaries({"document": hostile, "statement": st.integers(0, 3)}))),
        message=draw(hostile) or "m", remediation=draw(hostile) or "r", step=draw(st.integers(1, 5)),
        evidence=draw(evidence), fingerprint="f" * 64,
        suppressed={"reason": draw(hostile), "expires": None} if waived else None, steps=(1,))


@settings(max_examples=max(50, EXAMPLES // 10), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(results(), min_size=1, max_size=4), st.sampled_from(["lint", "scan"]))
def test_every_renderer_survives_arbitrary_unicode(items, mode):
    report = Report(mode, items)
    for fmt in FORMATS:
        out = render(report, fmt)
        out.encode("utf-8")                      # any UTF-8 stream or file can take it
        if fmt == "json":
            REPORT_VALIDATOR.validate(json.loads(out))
        elif fmt == "sarif":
            data = json.loads(out)
            if SARIF_VALIDATOR is not None:
                SARIF_VALIDATOR.validate(data)
        elif fmt == "ocsf":
            assert len(json.loads(out)) == len(items)
        elif fmt == "jsonl":
            lines = out.split("\n")[:-1]
            assert len(lines) == len(items) and all(json.loads(line) for line in lines)
        else:
            assert not any(c in out for c in CONTROLS), fmt
            if fmt == "markdown":
                assert not any(line.lstrip().startswith(("<!--", "**✅")) for line in out.splitlines()[3:])


@pytest.mark.parametrize("fmt", ["json", "jsonl", "sarif", "ocsf"])
def test_a_lone_surrogate_in_a_policy_is_escaped(tmp_path, fmt):
    (tmp_path / "p.json").write_text('{"Version": "2012-10-17", "Statement": [{"Sid": "\\ud800", '
                                     '"Effect": "Allow", "Action": "*", "Resource": "\\ud800*"}]}')
    proc = run_cli("lint", tmp_path / "p.json", "--format", fmt)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    parsed = [json.loads(line) for line in proc.stdout.splitlines()] if fmt == "jsonl" \
        else json.loads(proc.stdout)
    assert "\\ud800" in proc.stdout and parsed
