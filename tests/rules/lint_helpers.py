"""Shared helpers for the per-rule lint tests (imported as a plain module, not a conftest).

Not named conftest.py on purpose: tests/conftest.py is imported by `from conftest import ...`
in tests/test_cli_lint.py, and a second rootless conftest.py would replace it in sys.modules
during collection of the whole suite.
"""
import json

from auditor.lint import LintDocument, lint_documents, parse_text
from auditor.policy import parse_policy
from auditor.settings import Settings

VERSION = "2012-10-17"
ACCOUNT = "123456789012"
USER = f"arn:aws:iam::{ACCOUNT}:user/catalog-secrets-reader"
OTHER_USER = f"arn:aws:iam::{ACCOUNT}:user/someone-else"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/read-secrets"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:catalog/prod-db-AbCdEf"
STRONG_ID = "c1f0e0b2-7d4e-4e8a-9a51-3f1b6f2d9c47"


def lint(doc, rule_id=None, *, yaml=False, settings=None, display="test.json"):
    """Lint one document (a dict/list, or raw text) as `iam-auditor lint` would; the results,
    optionally only those of `rule_id`."""
    text = doc if isinstance(doc, str) else json.dumps(doc)
    document = parse_text(text, display, yaml_allowed=yaml)
    return run(document, rule_id, settings=settings)


def lint_as(doc, kind, rule_id=None):
    """Lint a decoded document forcing its kind ("identity" or "trust")."""
    document = LintDocument("test.json", {"identity": "identity-policy", "trust": "trust-policy"}[kind],
                            parse_policy(doc, kind))
    return run(document, rule_id)


def run(document, rule_id=None, *, settings=None):
    results = list(lint_documents([document], settings or Settings()))
    if rule_id is not None:
        results = [r for r in results if r.rule_id == rule_id]
        assert results, f"{rule_id} produced no result at all"
    return results


def statuses(results):
    """(status, severity) of each result, in order."""
    return [(r.status, r.severity) for r in results]


def single(results):
    assert len(results) == 1, [(r.status, r.severity, r.message) for r in results]
    return results[0]


def allow(**fields):
    return {"Effect": "Allow", **fields}


def deny(**fields):
    return {"Effect": "Deny", **fields}


def policy(*statements, as_list=True, version=VERSION):
    """A document of `statements`; `as_list=False` with one statement gives `"Statement": {...}`."""
    doc = {} if version is None else {"Version": version}
    doc["Statement"] = list(statements) if as_list else statements[0]
    return doc


def trust_allow(principal=None, *, action="sts:AssumeRole", condition=None, **fields):
    """An Allow of sts:AssumeRole in a trust policy (principal defaults to the product's user)."""
    statement = allow(Principal={"AWS": USER} if principal is None else principal, Action=action, **fields)
    if condition is not None:
        statement["Condition"] = condition
    return statement


def external_id(value, operator="StringEquals", key="sts:ExternalId"):
    return {operator: {key: value}}
