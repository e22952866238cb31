import json

import pytest

from clitools import SCHEMA


@pytest.fixture(scope="session")
def report_schema():
    return json.loads(SCHEMA.read_text())


@pytest.fixture
def validate_report(report_schema):
    import jsonschema

    def validate(report):
        jsonschema.Draft202012Validator(report_schema).validate(report)
        return report
    return validate


@pytest.fixture(autouse=True)
def _accounts_in_this_process(request, monkeypatch):
    """moto's `mock_aws` patches this process only: a worker process of `discover` would not see
    it (and would call AWS's real endpoints). Outside tests/e2e, where the CLI runs against a moto
    server every process reaches, accounts are audited in threads of the test's process."""
    if "e2e" not in request.node.path.parts:
        monkeypatch.setenv("IAM_AUDITOR_PROCESSES", "0")
