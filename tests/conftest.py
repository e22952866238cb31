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
