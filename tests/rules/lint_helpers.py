"""Shared helpers for the per-rule lint tests: build a LintDocument and run the lint engine."""
import json

import pytest

from auditor.lint import lint_documents, parse_text
from auditor.settings import Settings


def run_lint(doc, rule_id=None, *, yaml=False, settings=None, display="test.json"):
    """Lint one document (a dict/list or raw text) and return its results, optionally for one rule."""
    text = doc if isinstance(doc, str) else json.dumps(doc)
    document = parse_text(text, display, yaml_allowed=yaml)
    kwargs = {"settings": settings} if settings is not None else {}
    results = list(lint_documents([document], **kwargs))
    if rule_id is not None:
        results = [r for r in results if r.rule_id == rule_id]
    return results


@pytest.fixture
def lint():
    return run_lint


@pytest.fixture
def settings_factory():
    return Settings
