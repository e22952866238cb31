"""`lint` of CloudFormation templates through the real CLI, and of files that are no IAM input.

Template formats: AWS CloudFormation User Guide (template anatomy, intrinsic function
reference, AWS::IAM::Role). Verdicts: IAM User Guide, "How to use an external ID"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html):
the external ID must be compared exactly (StringEquals), so StringLike "*" is a FAIL; a
parameter external ID is known only at deploy, so its strength is not judged (SKIP).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from clitools import ROOT, SCHEMA, run_cli

DATA = ROOT / "tests" / "data" / "iac"
GUIDE = DATA / "cloudformation" / "guide-setup.yaml"
SARIF_SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"


def lint_json(*paths, extra=()):
    done = run_cli("lint", "--format", "json", *extra, *paths)
    report = json.loads(done.stdout)
    jsonschema.validate(report, json.loads(SCHEMA.read_text()))
    return done, report


def by_rule(report, rule_id, resource=None, policy=None):
    return [r for r in report["results"] if r["rule_id"] == rule_id
            and (resource is None or r["location"]["resource"] == resource)
            and (policy is None or r["location"].get("policy") == policy)]


def test_guide_template_end_to_end():
    done, report = lint_json(GUIDE)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    # GetSecretValue on "*" and AssumeRole on "*": least privilege (LP-001, LP-002).
    lp1, = [r for r in by_rule(report, "LP-001", "ReaderRole", "read-secrets") if r["status"] == "FAIL"]
    assert lp1["location"]["line"] == 74 and lp1["resource"] == GUIDE.as_posix()
    lp2, = by_rule(report, "LP-002", "AssumePolicy", "assume-reader")
    assert lp2["status"] == "FAIL" and lp2["location"]["line"] == 37
    # Trust with StringLike "*" external ID.
    trust3, = by_rule(report, "TRUST-003", "ReaderRole", "AssumeRolePolicyDocument")
    assert trust3["status"] == "FAIL" and trust3["location"]["line"] == 55
    # The parameter external ID: known only at deploy.
    trust4, = by_rule(report, "TRUST-004", "ReaderRole", "AssumeRolePolicyDocument")
    assert trust4["status"] == "SKIP" and "known only at deploy" in trust4["message"]
    assert "ExternalIdParameter" in trust4["message"] and "not-the-value" not in done.stdout
    # Nothing PASSes on a document holding a deploy-time value, except grammar.
    for result in report["results"]:
        if result["status"] == "PASS" and result["location"].get("policy") == "AssumeRolePolicyDocument":
            assert result["rule_id"] == "POLICY-001"
    # No grammar finding on Unknown values (the account in ARNs, the parameter).
    assert [r for r in report["results"] if r["rule_id"] == "POLICY-001" and r["status"] != "PASS"] == []
    assert report["summary"]["files_skipped"] == 0


def test_json_template_problems_are_findings_and_unknown_principal_not_passed():
    done, report = lint_json(DATA / "cloudformation" / "managed-and-groups.json")
    assert "Traceback" not in done.stderr
    problems = [r for r in by_rule(report, "POLICY-001") if r["status"] == "FAIL"]
    assert {r["location"]["resource"] for r in problems} == {"NoType", "Broken"}
    trust1, = by_rule(report, "TRUST-001", "Worker")
    assert trust1["status"] == "SKIP" and "ReaderArn" in trust1["message"]
    # LP-001 on a Resource known only at deploy (an Fn::Sub with the account): not a PASS.
    assert {r["status"] for r in by_rule(report, "LP-001", "ReadPolicy")} == {"SKIP"}


def test_sarif_points_at_the_statement_line(tmp_path):
    out = tmp_path / "r.sarif"
    done = run_cli("lint", "-o", out, GUIDE)
    assert done.returncode == 1, done.stderr
    sarif = json.loads(out.read_text())
    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text()))
    lines = {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
             for r in sarif["runs"][0]["results"] if r.get("level") != "none"}
    assert {("LP-001", 74), ("LP-002", 37), ("TRUST-003", 55)} <= lines


def test_template_waiver_suppresses_without_dropping(tmp_path):
    text = GUIDE.read_text().replace("rule: SESSION-001", "rule: LP-001")
    template = tmp_path / "waived.yaml"
    template.write_text(text)
    done, report = lint_json(template)
    lp1, = [r for r in by_rule(report, "LP-001", "ReaderRole") if r["status"] == "FAIL"]
    assert lp1["suppressed"]["reason"] == "batch jobs need long sessions"
    assert report["summary"]["suppressed"] >= 1


def test_invalid_waiver_block_is_a_finding(tmp_path):
    text = GUIDE.read_text().replace("          - rule: SESSION-001\n", "          - rule: 7\n")
    template = tmp_path / "bad-waiver.yaml"
    template.write_text(text)
    done, report = lint_json(template)
    assert "Traceback" not in done.stderr
    found = [r for r in by_rule(report, "POLICY-001", "ReaderRole") if r["status"] == "FAIL"]
    assert found and "waiver 1" in found[0]["message"]


def test_non_iam_files_in_a_directory_are_skipped_and_counted(tmp_path):
    corpus = tmp_path / "repo"
    shutil.copytree(DATA / "not-iam", corpus)
    # This tool's own reports, in every format, are not IAM input either.
    for name in ("r.json", "r.sarif.json", "r.ocsf.json"):
        run_cli("lint", "-o", tmp_path / name, GUIDE)
        shutil.copy(tmp_path / name, corpus / name)
    shutil.copy(GUIDE, corpus / "stack.yaml")
    done, report = lint_json(corpus)
    assert "Traceback" not in done.stderr
    files = {r["resource"] for r in report["results"]}
    assert files == {(corpus / "stack.yaml").as_posix()}, files
    assert report["summary"]["files_skipped"] == len(list((DATA / "not-iam").iterdir())) + 3


def test_non_iam_file_named_explicitly_gets_one_finding():
    done, report = lint_json(DATA / "not-iam" / "package.json")
    assert done.returncode == 1
    assert [(r["rule_id"], r["status"]) for r in report["results"]] == [("POLICY-001", "FAIL")]
    assert "nothing to lint" in report["results"][0]["message"]


@pytest.mark.parametrize("name", ["guide-setup.yaml", "managed-and-groups.json"])
def test_template_renamed_dot_template_is_read(tmp_path, name):
    target = tmp_path / "stack.template"
    shutil.copy(DATA / "cloudformation" / name, target)
    done, report = lint_json(target)
    assert "Traceback" not in done.stderr and any(r["location"].get("resource") for r in report["results"])


def test_secret_001_on_a_secret_resource_policy_in_a_template():
    """v1.1 catalogue: lint runs SECRET-001 on secret resource policies found in IaC; a "*"
    principal without an account or organization condition is critical."""
    done, report = lint_json(DATA / "cloudformation" / "public-secret.json")
    assert done.returncode == 1
    found, = [r for r in by_rule(report, "SECRET-001", "Open") if r["status"] == "FAIL"]
    assert found["severity"] == "critical" and found["location"]["statement"] == 0
    assert found["location"]["line"] == 10


def test_secret_001_skips_other_documents():
    done, report = lint_json(GUIDE)
    statuses = {(r["location"]["resource"], r["status"]) for r in by_rule(report, "SECRET-001")}
    assert ("AssumePolicy", "SKIP") in statuses
    # The guide's secret policy names a role of the stack's own account: not an exposure.
    assert ("AppSecretPolicy", "FAIL") not in statuses


def test_conditions_and_nested_intrinsics():
    """Undecidable Fn::If (on a parameter) is no grammar error; LP-001 still FAILs on the
    literal "*" beside a resource known only at deploy."""
    done, report = lint_json(DATA / "cloudformation" / "conditions.yaml")
    assert "Traceback" not in done.stderr
    assert {r["status"] for r in by_rule(report, "POLICY-001")} == {"PASS"}
    lp1, = [r for r in by_rule(report, "LP-001", "Reader") if r["status"] == "FAIL"]
    assert lp1["location"]["statement"] == 1 and lp1["location"]["policy"] == "reader-alpha"
    assert lp1["location"]["line"] == 24


def test_waiver_on_an_iam_policy_resource(tmp_path):
    text = GUIDE.read_text().replace('''  AssumePolicy:
    Type: AWS::IAM::Policy
''', '''  AssumePolicy:
    Type: AWS::IAM::Policy
    Metadata:
      iam-auditor:
        waivers: [{rule: "LP-*", reason: the role name is not fixed yet}]
''')
    template = tmp_path / "waived.yaml"
    template.write_text(text)
    done, report = lint_json(template)
    lp2, = by_rule(report, "LP-002", "AssumePolicy")
    assert lp2["status"] == "FAIL" and lp2["suppressed"]["reason"] == "the role name is not fixed yet"
    assert done.returncode == 1     # LP-001 on ReaderRole is not waived


def test_table_names_the_resource_policy_and_line():
    """The table (people's format) says where in the template a finding is, as JSON does."""
    done = run_cli("lint", "--format", "table", GUIDE)
    assert done.returncode == 1
    _, report = lint_json(GUIDE)
    trust = by_rule(report, "TRUST-003")[0]
    where = trust["location"]
    assert f"where: {where['resource']}, {where['policy']}: trust-policy statement 0 (line {where['line']})" \
        in done.stdout


def _alias_bomb(levels: int) -> str:
    """A billion-laughs YAML: each level repeats the previous one ten times through aliases."""
    lines = ['a0: &a0 ["lol"]']
    for n in range(1, levels):
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 10) + "]")
    lines += ["Resources:", "  R:", "    Type: AWS::IAM::Role", "    Properties:",
              "      AssumeRolePolicyDocument:", "        Version: '2012-10-17'", "        Statement:",
              "          - Effect: Allow", "            Principal: {Service: ec2.amazonaws.com}",
              "            Action: sts:AssumeRole",
              f"            Condition: {{StringEquals: {{'aws:SourceAccount': *a{levels - 1}}}}}"]
    return "\n".join(lines) + "\n"


def test_yaml_alias_bomb_is_refused_not_walked(tmp_path):
    """1.5 KB standing for 10^9 values: one POLICY-001 finding, at once (the process is bounded
    by clitools' timeout), never a hang."""
    bomb = tmp_path / "laughs.yaml"
    bomb.write_text(_alias_bomb(10))
    done, report = lint_json(bomb)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    failing = [r for r in report["results"] if r["status"] == "FAIL"]
    assert [r["rule_id"] for r in failing] == ["POLICY-001"]
    assert "alias" in failing[0]["message"]
    # A template using aliases modestly is read as usual.
    modest = tmp_path / "modest.yaml"
    modest.write_text(_alias_bomb(1).replace('["lol"]', '["111122223333"]'))
    _, report = lint_json(modest)
    assert not [r for r in report["results"] if r["rule_id"] == "POLICY-001" and r["status"] == "FAIL"]


TEMPLATE_WITH_IF = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env: {Type: String, Default: prod}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Reader:
    Type: AWS::IAM::Role
    Properties:
      RoleName: reader
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {AWS: "arn:aws:iam::111122223333:user/catalog"}
            Action: sts:AssumeRole
            Condition: !If [IsProd, {StringEquals: {sts:ExternalId: !Ref Env}}, !Ref AWS::NoValue]
"""


def test_a_fail_over_a_deploy_time_condition_block_says_so(tmp_path):
    """AWS CloudFormation User Guide, "Fn::If" and "AWS::NoValue": with a parameter deciding the
    condition, the Condition block may exist or not. TRUST-002 cannot PASS; its FAIL says the
    verdict reads the deploy-time block as it stands, and names it."""
    template = tmp_path / "if.yaml"
    template.write_text(TEMPLATE_WITH_IF)
    _, report = lint_json(template)
    trust_002 = by_rule(report, "TRUST-002")
    assert [r["status"] for r in trust_002] == ["FAIL"]
    assert "known only at deploy" in trust_002[0]["message"] and "Fn::If" in trust_002[0]["message"]
    assert trust_002[0]["evidence"]["unknowns"]
    assert not [r for r in report["results"] if r["status"] == "PASS" and r["rule_id"].startswith("TRUST-00")
                and r["rule_id"] in ("TRUST-002", "TRUST-003", "TRUST-004")]
