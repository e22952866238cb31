"""Values known only at deploy (auditor.unknown.Unknown) in the lower layers and the engine.

A CloudFormation parameter is not its Default ("Parameters" in the AWS CloudFormation User
Guide: the value is supplied when the stack is created), so the auditor cannot decide anything
that depends on it: no grammar finding, no match, no PASS.
IAM evaluation logic: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
"""
from __future__ import annotations

from auditor.engine import LINT, PASS, SKIP, Engine, Target
from auditor.evaluation import RequestContext, Tri, Verdict, decide, evaluate_condition
from auditor.lint import LintDocument
from auditor.policy import IDENTITY, TRUST, parse_policy
from auditor.settings import DEFAULT_SETTINGS
from auditor.unknown import Unknown

ACCOUNT = Unknown("AWS::AccountId")
ROLE_ARN = Unknown("arn:aws:iam::<AWS::AccountId>:role/reader", "arn:aws:iam::*:role/reader")
SECRET_ARN = Unknown("secret ARN", "arn:aws:secretsmanager:*:*:secret:app/*")


def identity(resource):
    return parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": resource}]}, IDENTITY)


def trust(principal, external_id):
    return parse_policy({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": external_id}}}]}, TRUST)


def test_no_grammar_finding_on_unknown_values():
    assert identity(Unknown("parameter SecretArn")).problems == ()
    assert trust(Unknown("parameter Reader"), Unknown("parameter ExternalId")).problems == ()
    # A literal that is no ARN is still reported.
    assert identity("not-an-arn").problems


def test_unknown_never_matches_as_a_wildcard_nor_passes_as_a_match():
    policy = identity(Unknown("parameter SecretArn"))
    decision = decide([policy], "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:eu-west-1:1:secret:x")
    assert decision.verdict is Verdict.CONDITIONAL          # may apply: undecidable, not ALLOWED
    assert "parameter SecretArn" in decision.notes[0]


def test_unknown_shape_rules_out_what_it_cannot_be():
    policy = identity(SECRET_ARN)
    other = decide([policy], "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:eu-west-1:1:secret:db-AbCdEf")
    assert other.verdict is Verdict.NOT_ALLOWED
    maybe = decide([policy], "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:eu-west-1:1:secret:app/x")
    assert maybe.verdict is Verdict.CONDITIONAL


def test_unknown_principal_and_external_id_are_undecidable():
    policy = trust(ROLE_ARN, Unknown("parameter ExternalId"))
    context = RequestContext({"sts:ExternalId": ("abc",)})
    assert evaluate_condition(policy.statements[0].conditions[0], context) is Tri.UNKNOWN
    decision = decide([policy], "sts:AssumeRole", "*", context=context,
                      caller=("arn:aws:iam::111122223333:role/reader", "111122223333"))
    assert decision.verdict is Verdict.CONDITIONAL
    elsewhere = decide([policy], "sts:AssumeRole", "*", context=context,
                       caller=("arn:aws:iam::111122223333:user/someone", "111122223333"))
    assert elsewhere.verdict is Verdict.NOT_ALLOWED


def _run(document, unknowns):
    engine = Engine(LINT, only=["POLICY-001", "TRUST-001", "TRUST-004"])
    target = Target(resource="t.yaml", resource_type="PolicyDocument", payload=document, unknowns=unknowns)
    return {r.rule_id: r for r in engine.run(target, DEFAULT_SETTINGS)}


def test_engine_makes_a_pass_on_unknowns_a_skip_unless_the_rule_handles_them():
    policy = trust("arn:aws:iam::111122223333:user/saas", "a" * 8 + "Zx9_-=.Q" * 4)
    document = LintDocument("t.yaml", "trust-policy", policy)
    plain = _run(document, ())
    assert plain["TRUST-001"].status == PASS
    net = _run(document, (ACCOUNT,))
    assert net["TRUST-001"].status == SKIP and "AWS::AccountId" in net["TRUST-001"].message
    assert net["POLICY-001"].status == PASS                      # declares handles_unknowns


def test_trust_004_skips_a_parameter_external_id():
    policy = trust("arn:aws:iam::111122223333:user/saas", Unknown("parameter ExternalIdParameter"))
    results = _run(LintDocument("t.yaml", "trust-policy", policy), (Unknown("parameter ExternalIdParameter"),))
    assert results["TRUST-004"].status == SKIP
    assert "known only at deploy" in results["TRUST-004"].message


def test_statement_principal_or_condition_decided_at_deploy_is_no_grammar_error():
    """`Statement: [!If [Cond, {...}, !Ref AWS::NoValue]]` and friends (AWS CloudFormation User
    Guide, Fn::If and AWS::NoValue) are common in templates: not malformed policies."""
    document = {"Version": "2012-10-17", "Statement": [
        Unknown("Fn::If on condition IsProd"),
        {"Effect": "Allow", "Principal": Unknown("Fn::If on condition Cross"), "Action": "sts:AssumeRole",
         "Condition": Unknown("Fn::If on condition Strict")}]}
    policy = parse_policy(document, TRUST)
    assert policy.problems == ()
    statement, = policy.statements
    decision = decide([policy], "sts:AssumeRole", "*",
                      caller=("arn:aws:iam::111122223333:role/x", "111122223333"))
    assert decision.verdict is Verdict.CONDITIONAL
