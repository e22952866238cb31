"""External IDs in snapshots are salted, slow tokens: never written in full, still decidable,
and recognised only when read from a snapshot."""
import hashlib
import json
import sys
from pathlib import Path

import pytest

from auditor.evaluation import RequestContext, evaluate_conditions
from auditor.policy import TRUST, parse_policy
from auditor.redact import (ExternalIdFacts, RedactedExternalId, parse_token, redact_document,
                            redact_trust_policy, tokens_to_values)
from auditor.snapshot import NamedPolicy, RoleState, Snapshot, UserState, snapshot_from_dict
from rules.trust_004 import weaknesses

sys.path.insert(0, str(Path(__file__).resolve().parent / "rules"))
from scan_helpers import USER_ARN, profile, role_state, run, view  # noqa: E402

ID = "7f3c9a1e-52b4-4d8e-a6c1-0b9e2f4d7a35"


def trust(operator, value):
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": USER_ARN},
        "Action": "sts:AssumeRole", "Condition": {operator: {"sts:ExternalId": value}}}]}


def decide_with(document, external_id):
    statement = parse_policy(document, TRUST).statements[0]
    return evaluate_conditions(statement.conditions, RequestContext({"sts:ExternalId": (external_id,)}))


def snapshot_with(trust_policy=None, user_policy=None) -> Snapshot:
    role = RoleState("r", arn="arn:aws:iam::123456789012:role/r", exists=True, trust_policy=trust_policy)
    policies = (NamedPolicy("assume", "inline", "user", user_policy),) if user_policy else ()
    user = UserState("u", arn=USER_ARN, exists=True, policies=policies)
    return Snapshot("2026-01-01T00:00:00Z", {}, {"|r": role}, {"|u": user})


def read_back(snapshot: Snapshot) -> Snapshot:
    return snapshot_from_dict(json.loads(snapshot.to_json()))


def test_token_read_back_hides_the_id_and_decides_like_the_value():
    for operator in ("StringEquals", "StringEqualsIgnoreCase", "StringNotEquals", "StringLike",
                     "ForAnyValue:StringEqualsIfExists"):
        original = trust(operator, ID)
        redacted = redact_trust_policy(original)
        assert ID not in json.dumps(redacted) and ID.casefold() not in json.dumps(redacted)
        values = tokens_to_values(redacted)
        for candidate in (ID, ID.upper(), "wrong-id"):
            assert decide_with(values, candidate) == decide_with(original, candidate), (operator, candidate)


def test_a_live_value_shaped_like_a_token_is_compared_as_written():
    # What AWS compares is the literal string: a trust value that merely looks like a token
    # (here one of the old unsalted kind, made for the configured ID) must not be trusted.
    configured = "abcSecretExternalId-2024-XYZ"
    digest = hashlib.sha256(configured.encode()).hexdigest()
    forged = (f"iam-auditor-redacted-external-id;sha256={digest};ci={digest};mask=abc…;"
              "length=28;format=1;digits=0;distinct=20")
    policy = trust("StringEquals", forged)
    [result] = run("CHAIN-003", view(profile(external_id=configured), role=role_state(trust_policy=policy)))
    assert result.status == "FAIL"
    assert decide_with(policy, configured).value == "false"


def test_external_ids_as_json_numbers_and_in_identity_policies_are_tokens():
    number = 4815162342
    user_policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*",
        "Condition": {"StringEquals": {"STS:EXTERNALID": [ID, 97531]}}}]}
    snapshot = snapshot_with(trust("StringEquals", number), user_policy)
    text = snapshot.to_json()
    for secret in (str(number), ID, "97531"):
        assert secret not in text
    back = read_back(snapshot)
    trust_doc = back.roles["|r"].trust_policy
    assert decide_with(trust_doc, str(number)).value == "true"
    assert decide_with(trust_doc, "4815162343").value == "false"
    values = back.users["|u"].policies[0].document["Statement"][0]["Condition"]["StringEquals"]["STS:EXTERNALID"]
    assert all(isinstance(v, RedactedExternalId) for v in values)
    assert values[0].matches(ID) and not values[0].matches(ID + "x")


def test_tokens_are_salted_per_snapshot_and_cost_an_scrypt_per_guess():
    first, second = (json.loads(snapshot_with(trust("StringEquals", "4815162342")).to_json())
                     for _ in range(2))
    tokens = [s["roles"]["|r"]["trust_policy"]["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"]
              for s in (first, second)]
    assert tokens[0] != tokens[1]
    token = parse_token(tokens[0])
    assert hashlib.sha256(b"4815162342").hexdigest() not in tokens[0]
    # The digest is scrypt at N=2^15, r=8: a guess costs ~0.1 s and 32 MiB, not a SHA-256.
    expected = hashlib.scrypt(b"4815162342", salt=bytes.fromhex(token.salt), n=2 ** 15, r=8, p=1,
                              dklen=32, maxmem=64 * 1024 * 1024).hex()
    assert token.digest == expected and len(bytes.fromhex(token.salt)) >= 16


def test_weak_ids_keep_no_characters_strong_ones_their_mask():
    salt = "00" * 16
    weak = parse_token(redact_document(trust("StringEquals", "4815162342"), salt)["Statement"][0]
                       ["Condition"]["StringEquals"]["sts:ExternalId"])
    strong = parse_token(redact_document(trust("StringEquals", ID), salt)["Statement"][0]
                         ["Condition"]["StringEquals"]["sts:ExternalId"])
    assert weak.facts.masked == "…" and "481" not in weak
    assert strong.facts.masked == ExternalIdFacts.of(ID).masked


def test_strength_facts_survive():
    for value in (ID, "12345", "aaaaaaaaaaaaaaaaaaaa", "has space", "123456789012", "a;b=c…"):
        token = tokens_to_values(redact_trust_policy(trust("StringEquals", value)))["Statement"][0][
            "Condition"]["StringEquals"]["sts:ExternalId"]
        assert weaknesses(token, 16) == weaknesses(value, 16)


def test_wildcards_and_url_encoded_documents():
    assert redact_trust_policy(trust("StringLike", "*")) == trust("StringLike", "*")
    from urllib.parse import quote

    encoded = quote(json.dumps(trust("StringEquals", [ID, "12345"])))
    values = redact_trust_policy(encoded)["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"]
    assert [v.startswith("iam-auditor-redacted-external-id;") for v in values] == [True, True]
    assert ID not in json.dumps(values)


@pytest.mark.parametrize("token", [
    "iam-auditor-redacted-external-id;v=2;scrypt=zz",
    "iam-auditor-redacted-external-id;garbage",
])
def test_a_malformed_token_in_a_snapshot_is_one_line(token):
    data = json.loads(snapshot_with(trust("StringEquals", "x")).to_json())
    data["roles"]["|r"]["trust_policy"]["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] = token
    with pytest.raises(ValueError) as caught:
        snapshot_from_dict(data)
    assert "\n" not in str(caught.value) and "token" in str(caught.value)
