"""The action catalogue: the shipped merge is current, and answers as the sources would."""
from __future__ import annotations

import json

import pytest

from auditor import actions
from auditor.actions import ActionCatalogue

REBUILD = "the shipped catalogue is stale: run `python -m auditor.actions --build` and commit it"


@pytest.fixture(scope="module")
def shipped():
    loaded = actions.load_shipped()
    assert loaded is not None, "auditor/data/actions.json is missing or unreadable"
    return loaded


def test_shipped_file_is_the_documented_format():
    text = (actions.resources.files("auditor") / actions.SHIPPED).read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["format"] == 1 and set(data["built_from"]) == {"botocore", "policyuniverse"}
    assert all(code in "rlwptu" for acts in data["services"].values() for code in acts.values())
    # One service per line, so that a rebuild's diff shows what AWS added.
    assert len(text.splitlines()) == len(data["services"]) + 2


def test_shipped_holds_every_policyuniverse_action_with_aws_access_level(shipped):
    universe = actions.policyuniverse_actions()
    missing = [f"{p}:{name}" for p, acts in universe.items() for lower, (name, _) in acts.items()
               if lower not in shipped.get(p, {})]
    assert not missing, f"{REBUILD}; missing e.g. {missing[:5]}"
    wrong = [f"{p}:{name}" for p, acts in universe.items() for lower, (name, level) in acts.items()
             if shipped[p][lower][1] != level]
    assert not wrong, f"{REBUILD}; access levels differ for {wrong[:5]}"


def test_shipped_covers_the_installed_botocore(shipped):
    """Kept current: at most 2% of the installed botocore's operations may be newer than the
    shipped file (the LIVE_SERVICES are merged at run time whatever their age)."""
    loader = actions._loader()
    total, missing = 0, []
    for name in loader.list_available_services("service-2"):
        loaded = actions.botocore_service(loader, name)
        if not loaded:
            continue
        prefix, operations = loaded
        total += len(operations)
        missing += [f"{prefix}:{op}" for lower, (op, _) in operations.items()
                    if lower not in shipped.get(prefix, {})]
    assert total > 10_000
    assert len(missing) <= 0.02 * total, f"{REBUILD}: {len(missing)} of {total} operations unknown, e.g. {missing[:5]}"


def test_live_services_come_from_the_installed_botocore():
    """An action botocore knows but the shipped file lacks (here: all of secretsmanager's) is known."""
    stale = ActionCatalogue(shipped={"secretsmanager": {"getsecretvalue": ("GetSecretValue", "read")}})
    assert "secretsmanager:BatchGetSecretValue" in stale.expand("secretsmanager:*GetSecretValue")
    assert stale.canonical("SECRETSMANAGER:batchgetsecretvalue") == "secretsmanager:BatchGetSecretValue"
    assert stale.access_level("secretsmanager:GetSecretValue") == "read"  # AWS's level is kept
    assert "secretsmanager:BatchGetSecretValue" in stale.all_actions()


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
