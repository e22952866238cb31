"""The compiled query-protocol parser gives what botocore's QueryParser gives, answer for answer:
on IAM's and STS's real answers (moto's), and on those answers mangled (elements repeated,
dropped, emptied, unknown, out of order), where it must also fail where botocore fails."""
import json
import random
import sys
import xml.etree.ElementTree as ET

import boto3
import pytest
from botocore.parsers import QueryParser
from moto import mock_aws

from auditor.aws import _wire_timestamp, new_session
from auditor.query_parser import CompiledQueryParser, ParserFactory, compiled

REGION = "us-east-1"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture(scope="module")
def answers():
    """(operation model, raw answer) of every call discover and scan make, from moto."""
    recorded = []
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
            patch.delenv(name, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        iam = boto3.client("iam", region_name=REGION)
        policy = iam.create_policy(PolicyName="read", PolicyDocument=doc(
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))["Policy"]["Arn"]
        iam.create_policy_version(PolicyArn=policy, SetAsDefault=True, PolicyDocument=doc(
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "arn:aws:s:1"}))
        user = iam.create_user(UserName="alice", Tags=[{"Key": "team", "Value": "data"}])["User"]["Arn"]
        iam.create_access_key(UserName="alice")
        iam.create_login_profile(UserName="alice", Password="Not-a-real-password-1")
        iam.create_group(GroupName="g")
        iam.add_user_to_group(GroupName="g", UserName="alice")
        iam.put_group_policy(GroupName="g", PolicyName="p", PolicyDocument=doc(
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))
        iam.put_user_policy(UserName="alice", PolicyName="u", PolicyDocument=doc(
            {"Effect": "Deny", "NotAction": ["iam:*"], "Resource": "*"}))
        for n in range(3):
            boundary = {"PermissionsBoundary": policy} if n == 1 else {}
            iam.create_role(RoleName=f"role-{n}", MaxSessionDuration=3600 * (n + 1), **boundary,
                            AssumeRolePolicyDocument=doc({"Effect": "Allow", "Principal": {"AWS": user},
                                                          "Action": "sts:AssumeRole",
                                                          "Condition": {"StringEquals": {"sts:ExternalId": f"x{n}"}}}))
            iam.attach_role_policy(RoleName=f"role-{n}", PolicyArn=policy)
            iam.put_role_policy(RoleName=f"role-{n}", PolicyName="inline", PolicyDocument=doc(
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}))
        iam.generate_credential_report()

        session = new_session(region_name=REGION)
        iam, sts = session.client("iam"), session.client("sts")
        for client in (iam, sts):
            client.meta.events.register(
                "before-parse.*.*",
                lambda operation_model, response_dict, **_: recorded.append((operation_model, dict(response_dict))))
        iam.get_account_authorization_details()
        iam.list_roles()
        iam.get_role(RoleName="role-1")
        iam.list_users()
        iam.get_user(UserName="alice")
        iam.list_access_keys(UserName="alice")
        iam.get_login_profile(UserName="alice")
        iam.list_groups_for_user(UserName="alice")
        iam.get_policy(PolicyArn=policy)
        iam.get_policy_version(PolicyArn=policy, VersionId="v2")
        iam.list_attached_role_policies(RoleName="role-0")
        iam.get_role_policy(RoleName="role-0", PolicyName="inline")
        iam.get_credential_report()
        iam.list_account_aliases()
        sts.get_caller_identity()
        sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/role-0", RoleSessionName="tests")
    return recorded


def _comparable(value):
    """Parsed values, with the XML elements botocore leaves in odd answers by their content."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, ET.Element):
        return ("element", ET.tostring(value))
    return value


def both(model, response):
    """(botocore's parse, the compiled parse), each the value or ("raised", exception type)."""
    out = []
    for parser in (QueryParser(timestamp_parser=_wire_timestamp), CompiledQueryParser(timestamp_parser=_wire_timestamp)):
        try:
            out.append(_comparable(parser.parse(dict(response), model.output_shape)))
        except Exception as error:  # noqa: BLE001 - the failures must match too
            out.append(("raised", type(error)))
    return out


def test_every_recorded_answer_parses_as_botocore_parses_it(answers):
    operations = {model.name for model, _ in answers}
    assert {"GetAccountAuthorizationDetails", "ListRoles", "AssumeRole", "GetCredentialReport"} <= operations
    fast = {model.name for model, _ in answers if compiled(model.output_shape) is not None}
    assert {"GetAccountAuthorizationDetails", "ListRoles", "GetRole", "AssumeRole"} <= fast
    for model, response in answers:
        theirs, ours = both(model, response)
        assert ours == theirs, model.name
        assert "raised" not in ours


def _mangled(body: bytes, rng: random.Random) -> bytes:
    root = ET.fromstring(body)
    elements = [e for e in root.iter() if e is not root]
    for _ in range(rng.randint(1, 4)):
        parent = rng.choice([root] + elements)
        children = list(parent)
        kind = rng.choice(["repeat", "drop", "empty", "unknown", "shuffle", "text"])
        if not children:
            continue
        child = rng.choice(children)
        if kind == "repeat":
            parent.append(child)
        elif kind == "drop":
            parent.remove(child)
        elif kind == "empty":
            child.clear()
        elif kind == "unknown":
            ET.SubElement(parent, child.tag.rsplit("}", 1)[0] + "}NoSuchMember" if "}" in child.tag else "NoSuchMember").text = "x"
        elif kind == "shuffle":
            rng.shuffle(children)
            for c in list(parent):
                parent.remove(c)
            parent.extend(children)
        else:
            leaf = rng.choice([e for e in elements if not len(e)] or [child])
            leaf.text = rng.choice(["", "true", "True", "false", "12", "not-a-number", "2026-01-01T00:00:00Z"])
    return ET.tostring(root)


def test_mangled_answers_parse_or_fail_as_botocore_does(answers):
    rng = random.Random(20261203)
    for model, response in answers:
        for _ in range(150):
            mangled = dict(response, body=_mangled(response["body"], rng))
            theirs, ours = both(model, mangled)
            assert ours == theirs, (model.name, mangled["body"][:300])


def test_the_auditors_sessions_use_the_compiled_parser_for_query_services_only():
    factory = ParserFactory()
    factory.set_parser_defaults(timestamp_parser=_wire_timestamp)
    assert type(factory.create_parser("query")) is CompiledQueryParser
    assert type(factory.create_parser("json")) is not CompiledQueryParser
    assert factory.create_parser("query")._timestamp_parser is _wire_timestamp
    session = new_session(region_name=REGION)
    assert isinstance(session._session.get_component("response_parser_factory"), ParserFactory)


def test_policy_documents_are_decoded_as_botocore_decodes_them(answers):
    from botocore.handlers import json_decode_policies

    from auditor.query_parser import decode_policies

    rng = random.Random(7)
    decoded = 0
    for model, response in answers:
        for body in [response["body"]] + [_mangled(response["body"], rng) for _ in range(30)]:
            outcomes = []
            for decode in (json_decode_policies, decode_policies):
                try:
                    parsed = QueryParser(timestamp_parser=_wire_timestamp).parse(
                        dict(response, body=body), model.output_shape)
                except Exception as error:  # noqa: BLE001
                    outcomes.append(("unparsable", type(error)))
                    continue
                try:
                    decode(parsed=parsed, model=model)
                    outcomes.append(_comparable(parsed))
                except Exception as error:  # noqa: BLE001 - botocore's walk may fail on odd answers
                    outcomes.append(("raised", type(error)))
            theirs, ours = outcomes
            if not (isinstance(theirs, tuple) and theirs[0] == "raised"):   # ours is pruned
                assert ours == theirs, model.name
            decoded += json.dumps(ours, default=str).count('"Statement"')
    assert decoded > 10


def test_a_policy_text_is_decoded_once_into_one_shared_document_and_the_cache_stays_bounded():
    from urllib.parse import quote

    from auditor import query_parser

    text = quote(doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}))
    first, second = query_parser._decoded(text), query_parser._decoded(str(text))
    assert first is second and first["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert query_parser._decoded("%7Bnot json") == "%7Bnot json"        # as botocore leaves it
    for n in range(query_parser._DECODED_ENTRIES + 10):
        query_parser._decoded(quote(doc({"Sid": f"s{n}", "Effect": "Allow", "Action": "*", "Resource": "*"})))
    assert len(query_parser._DECODED) <= query_parser._DECODED_ENTRIES
    long_text = quote(doc(*[{"Effect": "Allow", "Action": f"s3:Get{n}", "Resource": "*"} for n in range(200)]))
    assert query_parser._decoded(long_text) is not query_parser._decoded(long_text)   # not kept


def test_threads_parsing_with_shapes_never_seen_before_all_get_botocores_answer(answers):
    """Shapes are compiled on first use, by whichever thread meets them first: the others must
    wait for the whole function (a half-compiled walk once recursed until RecursionError)."""
    from botocore.handlers import json_decode_policies

    model, response = next((m, r) for m, r in answers if m.name == "GetAccountAuthorizationDetails")
    expected = QueryParser(timestamp_parser=_wire_timestamp).parse(dict(response), model.output_shape)
    json_decode_policies(parsed=expected, model=model)
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)             # threads switch as often as they can: races show
    try:
        _race(model, response, expected)
    finally:
        sys.setswitchinterval(switching)


def _race(model, response, expected):
    import threading

    from auditor.query_parser import decode_policies

    for _ in range(15):
        fresh = new_session(region_name=REGION).client("iam").meta.service_model.operation_model(model.name)
        barrier, got, failures = threading.Barrier(8), [], []

        def parse():
            barrier.wait()
            try:
                parsed = CompiledQueryParser(timestamp_parser=_wire_timestamp).parse(dict(response), fresh.output_shape)
                decode_policies(parsed=parsed, model=fresh)
                got.append(parsed)
            except Exception as error:  # noqa: BLE001
                failures.append(repr(error))

        threads = [threading.Thread(target=parse) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not failures and all(_comparable(p) == _comparable(expected) for p in got) and len(got) == 8
