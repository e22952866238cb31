"""discover's key facts from IAM's credential report (in-process moto), and the fallbacks."""
import pytest

from auditor import credential_report, readonly
from auditor.aws import CallFailed, classify
from auditor.discover import AccountSpec, discover, discover_accounts, open_clients
from auditor.settings import Settings
from test_discover import ACCOUNT, account, arn, doc  # noqa: F401 - the fixture

KEY_RULES = ("KEY-001", "KEY-002", "LP-004")


@pytest.fixture
def operations(monkeypatch):
    """Every AWS operation the auditor's clients make, in order (seen by the read-only guard)."""
    seen = []
    real = readonly._guard

    def guard(model, **kwargs):
        seen.append(readonly.iam_action(model.service_model, model.name))
        return real(model, **kwargs)

    monkeypatch.setattr(readonly, "_guard", guard)
    return seen


def _by(results):
    return {(r.resource, r.rule_id): r for r in results}


def test_key_facts_come_from_the_report_with_its_generation_time(account, operations):
    # No grace for new keys: alice's key, created now and never used, is a KEY-002 FAIL.
    results, _ = discover([AccountSpec("default")], "us-east-1", Settings(new_key_grace_days=0))
    assert "iam:GenerateCredentialReport" in operations and "iam:GetCredentialReport" in operations
    assert not {"iam:ListAccessKeys", "iam:GetAccessKeyLastUsed", "iam:GetLoginProfile"} & set(operations)
    key_results = [r for r in results if r.rule_id in KEY_RULES]
    assert {r.rule_id for r in key_results} == set(KEY_RULES)
    for result in key_results:
        assert result.evidence["key_facts_source"] == "credential-report"
        assert result.evidence["credential_report_generated_at"].endswith("Z")
    # alice's one key (created now) is young: KEY-001 PASS; never used: KEY-002 FAIL naming it.
    by = _by(results)
    assert by[(arn("catalog"), "KEY-001")].status == "PASS"
    never_used = by[(arn("catalog"), "KEY-002")]
    assert never_used.status == "FAIL" and "key 1 of user alice has never been used" in never_used.message
    assert not any(r.rule_id not in KEY_RULES and "key_facts_source" in r.evidence for r in results)


def test_api_calls_do_not_grow_with_paired_users(account):
    """The report answers for every user: more paired users cost no more calls."""
    results, before = discover([AccountSpec("default")], "us-east-1", Settings())
    for i in range(12):
        account.create_user(UserName=f"extra-{i}")
        account.create_access_key(UserName=f"extra-{i}")
        account.add_user_to_group(GroupName="assumers", UserName=f"extra-{i}")
    results, after = discover([AccountSpec("default")], "us-east-1", Settings())
    keys = {k for r in results if r.rule_id == "KEY-001" for k in r.evidence.get("active_keys", ())}
    assert sum("of user extra-" in key for key in keys) == 12   # every new user was audited
    assert after <= before   # the report was already generated: no STARTED answer this time


def test_console_password_from_the_report_fails_lp_004(account):
    account.create_login_profile(UserName="bob", Password="Not-a-real-password-1")
    results, _ = discover([AccountSpec("default")], "us-east-1", Settings())
    lp = [r for r in results if r.rule_id == "LP-004" and r.location == {"document": "login-profile"}]
    assert len(lp) == 1 and lp[0].status == "FAIL" and "bob" in lp[0].message
    assert lp[0].evidence["key_facts_source"] == "credential-report"


def _deny(monkeypatch, operation):
    from botocore.exceptions import ClientError

    real = credential_report.call

    def call(client, name, method, **params):
        if name == operation:
            raise CallFailed(classify(name, ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}},
                                                        name.split(":")[1])))
        return real(client, name, method, **params)

    monkeypatch.setattr(credential_report, "call", call)


def test_a_denied_report_falls_back_to_per_user_calls(account, operations, monkeypatch):
    _deny(monkeypatch, "iam:GenerateCredentialReport")
    clients = open_clients([AccountSpec("default")], "us-east-1")
    [outcome] = discover_accounts([AccountSpec("default")], clients, "us-east-1", Settings())
    assert "iam:ListAccessKeys" in operations and "iam:GetLoginProfile" in operations
    by = _by(outcome.results)
    key_001 = by[(arn("catalog"), "KEY-001")]
    assert key_001.status == "PASS" and key_001.evidence["key_facts_source"] == "per-user-calls"
    assert "iam:GenerateCredentialReport was denied" in key_001.evidence["key_facts_note"]
    assert "credential_report_generated_at" not in key_001.evidence
    assert outcome.summary()["key_facts"]["source"] == "per-user-calls"
    assert "denied" in outcome.summary()["key_facts"]["note"]
    assert not any(r.status == "ERROR" for r in outcome.results)


def test_fresh_keys_keeps_the_per_user_calls(account, operations):
    results, _ = discover([AccountSpec("default")], "us-east-1", Settings(), fresh_keys=True)
    assert "iam:GenerateCredentialReport" not in operations and "iam:ListAccessKeys" in operations
    by = _by(results)
    key_002 = by[(arn("catalog"), "KEY-002")]
    assert key_002.evidence["key_facts_source"] == "per-user-calls"
    assert "AKIA" in key_002.message   # per-user calls name the real key ID


def test_a_user_created_after_the_report_is_read_per_user(account, operations, monkeypatch):
    real = credential_report.parse

    def without_alice(content, generated_at):
        report = real(content, generated_at)
        report.users.pop(f"arn:aws:iam::{ACCOUNT}:user/alice")
        return report

    monkeypatch.setattr(credential_report, "parse", without_alice)
    results, _ = discover([AccountSpec("default")], "us-east-1", Settings())
    by = _by(results)
    alice = by[(arn("catalog"), "KEY-001")]
    bob = by[(arn("forgotten"), "KEY-001")]
    assert alice.evidence["key_facts_source"] == "per-user-calls"
    assert "not in the credential report" in alice.evidence["key_facts_note"]
    assert bob.evidence["key_facts_source"] == "credential-report"
    assert operations.count("iam:ListAccessKeys") == 1     # alice only


class _FakeIam:
    """generate_credential_report answers `states` in turn (then COMPLETE)."""

    def __init__(self, states, content=b"user,arn,password_enabled\n"):
        self.states, self.content, self.calls = list(states), content, []

    def generate_credential_report(self):
        self.calls.append("generate")
        return {"State": self.states.pop(0) if self.states else "COMPLETE"}

    def get_credential_report(self):
        self.calls.append("get")
        return {"Content": self.content, "GeneratedTime": "2026-11-23T08:00:00Z"}


class _Clock:
    def __init__(self):
        self.now, self.sleeps = 0.0, []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_report_in_progress_is_waited_for():
    iam, clock = _FakeIam(["STARTED", "INPROGRESS", "INPROGRESS"]), _Clock()
    report = credential_report.fetch(iam, wait_seconds=60, sleep=clock.sleep, clock=lambda: clock.now)
    assert report.generated_at == "2026-11-23T08:00:00Z" and report.calls == 5
    assert iam.calls == ["generate"] * 4 + ["get"] and len(clock.sleeps) == 3


def test_the_wait_is_bounded():
    iam, clock = _FakeIam(["INPROGRESS"] * 1000), _Clock()
    with pytest.raises(credential_report.Unavailable, match="still being generated after 10 s"):
        credential_report.fetch(iam, wait_seconds=10, sleep=clock.sleep, clock=lambda: clock.now)
    assert clock.now <= 10 and max(clock.sleeps) <= 5


def test_parse_reads_both_keys_status_last_use_and_password():
    content = (
        "user,arn,user_creation_time,password_enabled,access_key_1_active,access_key_1_last_rotated,"
        "access_key_1_last_used_date,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date\n"
        "<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,true,"
        "2020-01-01T00:00:00+00:00,N/A,false,N/A,N/A\n"
        "bob,arn:aws:iam::123456789012:user/bob,2020-01-01T00:00:00+00:00,true,true,"
        "2021-02-03T04:05:06+00:00,2026-11-01T00:00:00+00:00,false,2022-01-01T00:00:00+00:00,N/A\n"
        "carol,arn:aws:iam::123456789012:user/carol,2020-01-01T00:00:00+00:00,false,false,N/A,N/A,false,N/A,N/A\n")
    report = credential_report.parse(content.encode(), "2026-11-23T08:00:00Z")
    assert set(report.users) == {"arn:aws:iam::123456789012:user/bob", "arn:aws:iam::123456789012:user/carol"}
    bob = report.users["arn:aws:iam::123456789012:user/bob"]
    assert bob.has_login_profile is True
    assert [(k.access_key_id, k.status, k.created, k.last_used) for k in bob.access_keys] == [
        ("1 of user bob", "Active", "2021-02-03T04:05:06Z", "2026-11-01T00:00:00Z"),
        ("2 of user bob", "Inactive", "2022-01-01T00:00:00Z", None)]
    carol = report.users["arn:aws:iam::123456789012:user/carol"]
    assert carol.access_keys == () and carol.has_login_profile is False


def test_an_account_without_paired_users_does_not_wait_for_a_report(account, monkeypatch):
    """No user to read keys of: a report still being generated is not waited for."""
    import time

    for name in ("alice", "bob"):
        for policy in account.list_user_policies(UserName=name)["PolicyNames"]:
            account.delete_user_policy(UserName=name, PolicyName=policy)
    account.delete_group_policy(GroupName="assumers", PolicyName="p")
    monkeypatch.setattr(credential_report, "call", lambda client, name, method, **params: {"State": "STARTED"})
    clients = open_clients([AccountSpec("default")], "us-east-1")
    start = time.monotonic()
    [outcome] = discover_accounts([AccountSpec("default")], clients, "us-east-1", Settings(), report_wait=30)
    assert time.monotonic() - start < 10
    assert outcome.key_facts is None and "key_facts" not in outcome.summary()
    assert not any(r.rule_id.startswith("KEY") for r in outcome.results)


def test_the_table_header_says_how_old_the_report_is(account):
    from auditor.reports import render
    from auditor.stream import ReportCollector

    specs = [AccountSpec("default")]
    clients = open_clients(specs, "us-east-1")
    collector = ReportCollector()
    for outcome in discover_accounts(specs, clients, "us-east-1", Settings()):
        collector.add(outcome)
    report = collector.report(specs, clients.calls)
    [entry] = report.to_dict()["accounts"]
    assert entry["account_id"] == ACCOUNT and entry["key_facts"]["source"] == "credential-report"
    table = " ".join(render(report, "table").split())    # the table wraps long lines
    assert table.startswith(f"note: account {ACCOUNT}: access keys and passwords from IAM's credential "
                            f"report generated at {entry['key_facts']['credential_report_generated_at']}")
