"""Readers never raise on a file of another shape: a plan or CLI answer with any subtree replaced
by a value of another type still gives an Inventory (with Problems where it could not read),
never a traceback (common brief: bad input is a clear finding, never a crash)."""
import copy
import json
import random
from pathlib import Path

import pytest

from auditor.iac import AWS_CLI, TERRAFORM_PLAN, read
from auditor.iac.model import Inventory

DATA = Path(__file__).parent / "data" / "iac"
JUNK = [None, 0, 1, "x", "", [], {}, [1], {"a": 1}, True, "%7Bbad", '{"Statement": 5}', [None],
        {"address": 5}, {"references": 7}]


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, prefix + (index,))


def _mutated(data, rng):
    data = copy.deepcopy(data)
    paths = list(_paths(data))[1:]
    for _ in range(rng.randint(1, 4)):
        path = rng.choice(paths)
        node = data
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = rng.choice(JUNK)
        except (KeyError, IndexError, TypeError):
            continue        # an earlier change removed this path
    return data


@pytest.mark.parametrize("kind, name", [
    (TERRAFORM_PLAN, "terraform/guide-plan.json"),
    (TERRAFORM_PLAN, "terraform/resource-types-plan.json"),
    (AWS_CLI, "awscli/authorization-details.json"),
])
def test_mutated_inputs_never_raise(kind, name):
    base = json.loads((DATA / name).read_text())
    rng = random.Random(20261203)
    for _ in range(300):
        inventory = read("mutated.json", None, _mutated(base, rng), kind)
        assert isinstance(inventory, Inventory)
        list(inventory.documents())
        assert all(p.message for p in inventory.problems)


@pytest.mark.parametrize("kind", [TERRAFORM_PLAN, AWS_CLI])
@pytest.mark.parametrize("data", [{}, {"format_version": 1}, {"format_version": "1.0", "planned_values": []},
                                  {"Role": "x"}, {"PolicyVersion": {"Document": 5}}])
def test_odd_top_levels_are_read_without_error(kind, data):
    assert isinstance(read("odd.json", None, data, kind), Inventory)
