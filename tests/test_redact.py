"""External IDs in snapshots are tokens: never written in full, still decidable."""
import json

from auditor.evaluation import RequestContext, evaluate_conditions
from auditor.policy import TRUST, parse_policy
from auditor.redact import ExternalIdFacts, redact_trust_policy
from rules.trust_004 import weaknesses

ID = "7f3c9a1e-52b4-4d8e-a6c1-0b9e2f4d7a35"


def trust(operator, value):
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/u"},
        "Action": "sts:AssumeRole", "Condition": {operator: {"sts:ExternalId": value}}}]}


def decide_with(document, external_id):
    statement = parse_policy(document, TRUST).statements[0]
    return evaluate_conditions(statement.conditions, RequestContext({"sts:ExternalId": (external_id,)}))


def test_token_hides_the_id_and_decides_like_the_value():
    for operator in ("StringEquals", "StringEqualsIgnoreCase", "StringNotEquals", "StringLike"):
        original = trust(operator, ID)
        redacted = redact_trust_policy(original)
        assert ID not in json.dumps(redacted)
        for candidate in (ID, ID.upper(), "wrong-id"):
            assert decide_with(redacted, candidate) == decide_with(original, candidate), (operator, candidate)


def test_wildcards_and_url_encoded_documents():
    assert redact_trust_policy(trust("StringLike", "*")) == trust("StringLike", "*")
    from urllib.parse import quote

    encoded = quote(json.dumps(trust("StringEquals", [ID, "12345"])))
    values = redact_trust_policy(encoded)["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"]
    assert [v.startswith("iam-auditor-redacted-external-id;") for v in values] == [True, True]
    assert ID not in json.dumps(values)


def test_strength_facts_survive():
    for value in (ID, "12345", "aaaaaaaaaaaaaaaaaaaa", "has space", "123456789012"):
        token = ExternalIdFacts.of(value).token()
        assert weaknesses(token, 16) == weaknesses(value, 16)
        assert ExternalIdFacts.of(token).masked == ExternalIdFacts.of(value).masked
