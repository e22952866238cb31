"""`scan -c CONFIG --iac FILE...`: the chain a template or plan will create, checked before deploy.

The "Done when" of issue 12: the guide's set-up with the mistakes people make gives the same
findings (rule IDs and statuses per profile) before deploy, from infrastructure code, as `scan`
gives after deploying the same set-up (into moto). The one inherent difference is stated where
it is asserted: the KEY rules read access keys, which exist only after deploy (the product's
configured key is never in the files), so before deploy they SKIP, saying so.
"""
from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from auditor import demo
from auditor.cli import main
from auditor.config import load_config
from auditor.iac.snapshot import IacFile, build_snapshot, locate
from auditor.scan import scan_report
from iac_guide import GUIDE_CONFIG, deploy, guide_inventory

KEY_RULES = {"KEY-001", "KEY-002", "KEY-003"}
NO_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
                  "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                  "AWS_EC2_METADATA_DISABLED": "true"}
CREDENTIAL_SOURCES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN",
                      "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                      "AWS_WEB_IDENTITY_TOKEN_FILE")


def _findings(results) -> dict:
    """(profile, rule ID) -> sorted statuses: what the comparison is about."""
    out = defaultdict(list)
    for result in results:
        out[(result.profile, result.rule_id)].append(result.status)
    return {key: sorted(value) for key, value in out.items()}


@pytest.fixture(scope="module")
def after_deploy(tmp_path_factory):
    """`scan` of the guide's set-up deployed into moto: the findings and the config's values."""
    saved = dict(os.environ)
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": demo.REGION})
    try:
        with mock_aws():
            values = deploy(boto3.Session(region_name=demo.REGION))
            config_path = tmp_path_factory.mktemp("guide") / "config.yaml"
            config_path.write_text(GUIDE_CONFIG)
            config = load_config(str(config_path), environ={**os.environ, **values})
            from auditor.collectors import collect

            report = scan_report(config, collect(config.profiles, demo.REGION))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return values, config_path, _findings(report.results)


def _offline(path, account_id, region, partition):
    return path


def _no_credentials(_aws_profile):
    return False


def _scan_before_deploy(values, config_path, reader):
    config = load_config(str(config_path), environ={**os.environ, **values})
    files = [IacFile("template.yaml", "", {}, "cloudformation")]
    snapshot, sources, _ = build_snapshot(files, config.profiles, credentials_usable=_no_credentials,
                                       reader=reader)
    report = scan_report(config, snapshot, deploy_time=True)
    locate(report.results, sources)
    return snapshot, report


def test_guide_inventory_gives_the_findings_scan_gives_after_deploy(after_deploy):
    values, config_path, deployed = after_deploy

    def reader(path, text, data, kind, *, account_id, region, partition):
        return guide_inventory(path, account_id, region, partition)

    snapshot, report = _scan_before_deploy(values, config_path, reader)
    before = _findings(report.results)
    assert snapshot.api_calls == 0
    # The chain's verdicts are the deployed account's: CHAIN, TRUST, LP, SESSION, SECRET, CONFIG.
    same = {k: v for k, v in deployed.items() if k[1] not in KEY_RULES}
    assert {k: v for k, v in before.items() if k[1] not in KEY_RULES} == same
    assert any(v == ["FAIL"] for v in same.values())   # the guide's mistakes are found
    # Inherent difference: access keys exist only after deploy, so every KEY rule SKIPs, saying why.
    keys = [r for r in report.results if r.rule_id in KEY_RULES]
    assert {r.rule_id for r in keys} == KEY_RULES
    assert all(r.status == "SKIP" for r in keys)
    assert all("only after deploy" in r.message for r in keys if r.rule_id != "KEY-003")


def test_results_name_the_file_and_the_resource(after_deploy):
    values, config_path, _ = after_deploy

    def reader(path, text, data, kind, *, account_id, region, partition):
        return guide_inventory(path, account_id, region, partition)

    _, report = _scan_before_deploy(values, config_path, reader)
    trust = [r for r in report.results if r.rule_id == "TRUST-005" and r.status == "FAIL"]
    assert trust and trust[0].location["file"] == "template.yaml"
    assert trust[0].location["address"] == "ReadSecretsRole"


def test_what_the_files_lack_is_an_error_naming_it_without_credentials(after_deploy):
    """A managed policy, a role, a secret's key the files do not define: ERROR naming each, no call."""
    values, config_path, _ = after_deploy
    from dataclasses import replace

    def reader(path, text, data, kind, *, account_id, region, partition):
        inv = guide_inventory(path, account_id, region, partition)
        aws_policy = "arn:aws:iam::aws:policy/SecretsManagerReadWrite"
        inv.roles[0] = replace(inv.roles[0], managed_arns=(aws_policy,))
        del inv.roles[1]
        del inv.keys[0]
        return inv

    snapshot, report = _scan_before_deploy(values, config_path, reader)
    assert snapshot.api_calls == 0
    errors = [r for r in report.results if r.status == "ERROR"]
    messages = " ".join(r.message for r in errors)
    assert "arn:aws:iam::aws:policy/SecretsManagerReadWrite" in messages
    assert "role read_secrets_role_legacy is not defined" in messages
    assert "KMS key alias/catalog-prod-db is not defined" in messages
    lp = {(r.profile, r.status) for r in report.results if r.rule_id == "LP-001"}
    assert ("catalog-prod", "PASS") not in lp        # never a PASS on what was not read
    assert ("catalog-legacy", "PASS") not in lp


def test_what_the_files_lack_is_read_from_aws_when_credentials_exist(after_deploy):
    """With credentials, the role the files do not define is read from AWS (moto here)."""
    values, config_path, deployed = after_deploy

    def reader(path, text, data, kind, *, account_id, region, partition):
        inv = guide_inventory(path, account_id, region, partition)
        del inv.roles[1]
        return inv

    saved = dict(os.environ)
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": demo.REGION})
    try:
        with mock_aws():
            deploy(boto3.Session(region_name=demo.REGION))
            config = load_config(str(config_path), environ={**os.environ, **values})
            files = [IacFile("template.yaml", "", {}, "cloudformation")]
            snapshot, _, _ = build_snapshot(files, config.profiles, credentials_usable=lambda _: True,
                                         reader=reader)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert snapshot.api_calls > 0
    legacy = snapshot.roles["|arn:aws:iam::123456789012:role/read_secrets_role_legacy"]
    assert legacy.exists is True and legacy.max_session_duration == 7200
    report = scan_report(config, snapshot)
    before = {k: v for k, v in _findings(report.results).items() if k[1] not in KEY_RULES}
    assert before == {k: v for k, v in deployed.items() if k[1] not in KEY_RULES}


# -- the command line -----------------------------------------------------------------------------
@pytest.fixture
def offline(monkeypatch):
    for name, value in NO_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    for name in CREDENTIAL_SOURCES:
        monkeypatch.delenv(name, raising=False)
    from auditor.iac import snapshot as iac_snapshot

    monkeypatch.setattr(iac_snapshot, "_USABLE", {})


def _template(tmp_path):
    path = tmp_path / "template.json"
    path.write_text(json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}))
    return path


def test_cli_scan_iac_offline_exit_code_by_findings(after_deploy, tmp_path, monkeypatch, offline, capsys):
    """No credentials, no network: the real command, every report format, exit 1 (FAIL found)."""
    values, config_path, _ = after_deploy
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    import auditor.iac as iac

    monkeypatch.setattr(iac, "read", lambda path, text, data, kind, **where: guide_inventory(path, **where))
    template = _template(tmp_path)
    out = tmp_path / "report.json"
    code = main(["scan", "-c", str(config_path), "--iac", str(template), "-o", str(out),
                 "-o", str(tmp_path / "r.sarif"), "-o", str(tmp_path / "r.html"),
                 "-o", str(tmp_path / "r.md"), "-o", str(tmp_path / "r.jsonl"),
                 "-o", str(tmp_path / "r.ocsf.json"), "-o", str(tmp_path / "r.txt")])
    assert code == 1
    report = json.loads(out.read_text())
    assert report["iac_files"] == [str(template)]
    located = [r for r in report["results"] if (r.get("location") or {}).get("file") == str(template)]
    assert located
    sarif = json.loads((tmp_path / "r.sarif").read_text())
    assert sarif["runs"][0]["results"]
    assert values["DEMO_SECRET_ACCESS_KEY"] not in out.read_text()
    assert demo.HEALTHY_EXTERNAL_ID not in out.read_text()


def test_cli_scan_iac_validates_against_the_schema(after_deploy, tmp_path, monkeypatch, offline,
                                                   validate_report):
    values, config_path, _ = after_deploy
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    import auditor.iac as iac

    monkeypatch.setattr(iac, "read", lambda path, text, data, kind, **where: guide_inventory(path, **where))
    out = tmp_path / "report.json"
    main(["scan", "-c", str(config_path), "--iac", str(_template(tmp_path)), "-o", str(out)])
    validate_report(json.loads(out.read_text()))


@pytest.mark.parametrize("content, message", [
    (None, "No such file"),
    ('{"name": "x", "dependencies": {}}', "not a CloudFormation template"),
    ("key: [unclosed", "not valid YAML"),
    ("FIFO", "not a regular file"),
])
def test_cli_scan_iac_bad_files_are_one_line_exit_2(after_deploy, tmp_path, offline, capsys,
                                                    monkeypatch, content, message):
    values, config_path, _ = after_deploy
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    path = tmp_path / "input.yaml"
    if content == "FIFO":
        os.mkfifo(path)
    elif content is not None:
        path.write_text(content)
    assert main(["scan", "-c", str(config_path), "--iac", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_cli_scan_iac_never_overwrites_its_input(after_deploy, tmp_path, offline, capsys, monkeypatch):
    values, config_path, _ = after_deploy
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    template = _template(tmp_path)
    before = template.read_text()
    assert main(["scan", "-c", str(config_path), "--iac", str(template), "-o", str(template)]) == 2
    assert template.read_text() == before


# -- through the real readers: the guide's template and plan ---------------------------------------
GUIDE = Path(__file__).parent / "data" / "iac" / "guide"
READERS = {"template.yaml": "auditor.iac.cloudformation", "plan.json": "auditor.iac.terraform"}


def _reader_or_skip(name):
    import importlib.util

    module = READERS[name]
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not in this build yet (branches cfn / tf)")


@pytest.mark.parametrize("name", sorted(READERS))
def test_guide_files_give_the_findings_scan_gives_after_deploy(after_deploy, name):
    """The Done-when of issue 12, through each reader: same rule IDs and statuses per profile."""
    _reader_or_skip(name)
    from auditor.iac.snapshot import load_files

    values, config_path, deployed = after_deploy
    config = load_config(str(config_path), environ={**os.environ, **values})
    snapshot, sources, _ = build_snapshot(load_files([str(GUIDE / name)]), config.profiles,
                                       credentials_usable=_no_credentials)
    report = scan_report(config, snapshot, deploy_time=True)
    before = _findings(report.results)
    assert snapshot.api_calls == 0
    assert {k: v for k, v in before.items() if k[1] not in KEY_RULES} == \
        {k: v for k, v in deployed.items() if k[1] not in KEY_RULES}
    # Inherent: the keys exist only after deploy.
    assert {r.status for r in report.results if r.rule_id in KEY_RULES} == {"SKIP"}
    assert {s.file for s in sources.values()} == {str(GUIDE / name)}


@pytest.mark.parametrize("name", sorted(READERS))
def test_cli_scan_iac_on_the_guide_files_offline(after_deploy, tmp_path, name):
    """The real CLI as users run it: no credentials, no network, exit 1 (the guide's mistakes)."""
    _reader_or_skip(name)
    from clitools import run_cli

    values, config_path, _ = after_deploy
    out = tmp_path / "report.json"
    done = run_cli("scan", "-c", config_path, "--iac", GUIDE / name, "-o", out,
                   env={**NO_CREDENTIALS, **values, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert done.returncode == 1, done.stderr
    report = json.loads(out.read_text())
    assert any((r.get("location") or {}).get("file") == str(GUIDE / name) for r in report["results"])


# -- through the AWS CLI reader: a saved get-account-authorization-details of the deployed set-up --
SESSION_RULES = {"SESSION-001", "CHAIN-005"}   # need MaxSessionDuration, which GAAD does not carry


def test_saved_authorization_details_with_secrets_read_from_aws(after_deploy, tmp_path):
    """`scan --iac gaad.json`: IAM from the file, the secrets and keys (not in it) read from AWS.
    Inherent differences: KEY rules SKIP (no access keys in the file), and the rules needing the
    role's MaxSessionDuration do not PASS (GAAD does not carry it: an Unknown)."""
    from auditor.iac.snapshot import load_files

    values, config_path, deployed = after_deploy
    saved = dict(os.environ)
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": demo.REGION})
    try:
        with mock_aws():
            session = boto3.Session(region_name=demo.REGION)
            deploy(session)
            details = session.client("iam").get_account_authorization_details()
            details.pop("ResponseMetadata", None)
            gaad = tmp_path / "gaad.json"
            gaad.write_text(json.dumps(details, indent=2, default=str))
            config = load_config(str(config_path), environ={**os.environ, **values})
            snapshot, sources, _ = build_snapshot(load_files([str(gaad)]), config.profiles,
                                               credentials_usable=lambda _: True)
            report = scan_report(config, snapshot)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    before = _findings(report.results)
    # Read from AWS: the secret side (2 secrets, 2 keys: DescribeSecret, GetResourcePolicy,
    # DescribeKey, GetKeyPolicy each) and each user's console password (GAAD does not say).
    assert 0 < snapshot.api_calls <= 10
    inherent = KEY_RULES | SESSION_RULES
    assert {k: v for k, v in before.items() if k[1] not in inherent} == \
        {k: v for k, v in deployed.items() if k[1] not in inherent}
    # GAAD has no MaxSessionDuration: never a PASS; SESSION-001 SKIPs on the deploy-time value,
    # CHAIN-005 says it could not check sts_duration against it (ERROR).
    session = {r.rule_id: r.status for r in report.results if r.rule_id in SESSION_RULES}
    assert session == {"SESSION-001": "SKIP", "CHAIN-005": "ERROR"}
    assert {s.kind for s in sources.values()} == {"aws-cli"}


def test_saved_authorization_details_offline_names_what_it_lacks(after_deploy, tmp_path, offline,
                                                                  monkeypatch):
    """The real CLI, no credentials: the secrets are not in the file, so the secret-side rules
    give ERROR naming them, and nothing is read from AWS (exit 1: the guide's FAILs come first)."""
    from clitools import run_cli

    values, config_path, _ = after_deploy
    with mock_aws():
        session = boto3.Session(region_name=demo.REGION, aws_access_key_id="testing",
                                aws_secret_access_key="testing")
        deploy(session)
        details = session.client("iam").get_account_authorization_details()
    details.pop("ResponseMetadata", None)
    gaad = tmp_path / "gaad.json"
    gaad.write_text(json.dumps(details, indent=2, default=str))
    out = tmp_path / "report.json"
    done = run_cli("scan", "-c", config_path, "--iac", gaad, "-o", out,
                   env={**NO_CREDENTIALS, **values, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert done.returncode == 1, done.stderr
    report = json.loads(out.read_text())
    errors = " ".join(r["message"] for r in report["results"] if r["status"] == "ERROR")
    assert "secret catalog/prod-db is not defined" in errors
    assert report["api_calls"] == 0
    # GAAD does not say whether a user has a console password: LP-004 never PASSes on the dump.
    lp_004 = [r for r in report["results"] if r["rule_id"] == "LP-004"]
    assert lp_004 and all(r["status"] in ("ERROR", "FAIL") for r in lp_004)
    assert all("console password" in r["message"] for r in lp_004 if r["status"] == "ERROR")


def test_cli_scan_iac_applies_waivers_from_the_resource_metadata(after_deploy, tmp_path, monkeypatch,
                                                                   offline):
    """A waiver in a resource's Metadata marks that resource's findings (never drops them)."""
    from dataclasses import replace

    from auditor.iac.model import Waiver

    values, config_path, _ = after_deploy
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    import auditor.iac as iac

    def read(path, text, data, kind, **where):
        inv = guide_inventory(path, **where)
        inv.roles[1] = replace(inv.roles[1], waivers=(Waiver("TRUST-*", "ticket SEC-7", "2099-12-31"),))
        return inv

    monkeypatch.setattr(iac, "read", read)
    out = tmp_path / "report.json"
    main(["scan", "-c", str(config_path), "--iac", str(_template(tmp_path)), "-o", str(out)])
    report = json.loads(out.read_text())
    legacy = [r for r in report["results"] if r["profile"] == "catalog-legacy"
              and r["rule_id"].startswith("TRUST-") and r["status"] == "FAIL"]
    assert legacy and all(r["suppressed"] and "ticket SEC-7" in r["suppressed"]["reason"]
                          and "ReadSecretsRoleLegacy" in r["suppressed"]["reason"] for r in legacy)
    others = [r for r in report["results"] if r["profile"] == "catalog-prod"
              and r["rule_id"] == "TRUST-004" and r["status"] == "FAIL"]
    assert all(not r["suppressed"] for r in others)


def test_cli_scan_iac_sarif_points_at_the_resource_line(after_deploy, tmp_path, monkeypatch, offline):
    """SARIF of scan --iac: a finding about a template's resource points at that resource's line
    (what GitHub code scanning annotates); a finding about the profile stays in the configuration."""
    from dataclasses import replace

    import jsonschema

    values, config_path, _ = after_deploy
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    import auditor.iac as iac

    def read(path, text, data, kind, **where):
        inv = guide_inventory(path, **where)
        inv.roles[1] = replace(inv.roles[1], source=replace(inv.roles[1].source, line=42))
        return inv

    monkeypatch.setattr(iac, "read", read)
    monkeypatch.chdir(tmp_path)
    template = _template(tmp_path)
    main(["scan", "-c", str(config_path), "--iac", "template.json", "-o", "r.sarif"])
    sarif = json.loads((tmp_path / "r.sarif").read_text())
    from test_reports_sarif_jsonl import SARIF_SCHEMA

    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text()))
    places = [loc["physicalLocation"] for r in sarif["runs"][0]["results"] for loc in r["locations"]
              if "physicalLocation" in loc]
    legacy = [p for p in places if p["artifactLocation"]["uri"] == template.name]
    assert any(p["region"]["startLine"] == 42 for p in legacy)


def test_no_rule_passes_over_a_value_known_only_at_deploy(after_deploy):
    """A role policy whose Resource is a parameter: the rules reading it SKIP naming it, never PASS
    (a parameter is not a wildcard, and not a narrow ARN either)."""
    from dataclasses import replace

    from auditor.iac.model import IDENTITY, PolicyDocument
    from auditor.unknown import Unknown

    values, config_path, _ = after_deploy

    def reader(path, text, data, kind, *, account_id, region, partition):
        inv = guide_inventory(path, account_id, region, partition)
        role = inv.roles[0]
        narrow = PolicyDocument("read", IDENTITY, {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
            "Resource": Unknown("parameter SecretArnParameter")}]}, role.source)
        inv.roles[0] = replace(role, managed_arns=(), inline=(narrow,))
        return inv

    _, report = _scan_before_deploy(values, config_path, reader)
    lp = [r for r in report.results if r.profile == "catalog-prod" and r.rule_id == "LP-001"]
    assert lp and all(r.status != "PASS" for r in lp)
    assert any("SecretArnParameter" in r.message for r in lp)


def test_a_managed_policy_attached_by_reference_before_its_arn_exists(after_deploy):
    """Terraform: the policy's ARN is known only after apply; the attachment names it by
    reference (the same Unknown), so the role holds the file's policy, and LP-001 judges it."""
    from dataclasses import replace

    from auditor.unknown import Unknown

    values, config_path, deployed = after_deploy

    def reader(path, text, data, kind, *, account_id, region, partition):
        inv = guide_inventory(path, account_id, region, partition)
        later = Unknown("arn of aws_iam_policy.read_secrets")
        inv.managed_policies[0] = replace(inv.managed_policies[0], managed_arn=later)
        inv.roles[0] = replace(inv.roles[0], managed_arns=(later,))
        inv.roles[1] = replace(inv.roles[1], managed_arns=(later,))
        return inv

    _, report = _scan_before_deploy(values, config_path, reader)
    lp = {(r.profile, r.status) for r in report.results if r.rule_id == "LP-001"}
    assert lp == {(p, s) for (p, rule), statuses in deployed.items() if rule == "LP-001" for s in statuses}
    assert not [r for r in report.results if r.status == "ERROR" and "not defined" in r.message]
