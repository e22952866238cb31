"""Clients of assumed roles are lent from one account to the next (in-process moto): each call
signs as the account the clients are lent to, none between two accounts, and clients whose
retry state an account spent are not lent again."""
import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import NoCredentialsError
from moto import mock_aws

from auditor.aws import Clients
from auditor.readonly import ReadOnlyViolation

REGION = "us-east-1"
ACCOUNTS = ("111111111111", "222222222222")


@pytest.fixture
def accounts(monkeypatch):
    """Two accounts, each with one user named after it; their auditor roles' credentials."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    with mock_aws():
        sts = boto3.client("sts", region_name=REGION)
        credentials = {}
        for account in ACCOUNTS:
            got = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/auditor",
                                  RoleSessionName="tests")["Credentials"]
            boto3.client("iam", region_name=REGION, aws_access_key_id=got["AccessKeyId"],
                         aws_secret_access_key=got["SecretAccessKey"],
                         aws_session_token=got["SessionToken"]).create_user(UserName=f"user-of-{account}")
            credentials[account] = got
        yield credentials


class _Body:
    def stream(self):
        return iter([b""])


def users(iam):
    return [u["UserName"] for u in iam.list_users()["Users"]]


def test_a_lent_client_reads_the_account_it_is_lent_to_and_is_counted_for_it(accounts):
    clients = Clients(REGION)
    clients.add_credentials("a", accounts[ACCOUNTS[0]])
    first = clients.get("a", "iam")
    assert users(first) == [f"user-of-{ACCOUNTS[0]}"]
    clients.release("a")
    clients.add_credentials("b", accounts[ACCOUNTS[1]])
    second = clients.get("b", "iam")
    assert second is first                           # the same client, lent again
    assert users(second) == [f"user-of-{ACCOUNTS[1]}"]
    assert (clients.calls_by["a"], clients.calls_by["b"]) == (1, 1)


def test_between_two_accounts_a_lent_client_signs_as_nobody(accounts):
    clients = Clients(REGION)
    clients.add_credentials("a", accounts[ACCOUNTS[0]])
    iam = clients.get("a", "iam")
    users(iam)
    clients.release("a")
    with pytest.raises(NoCredentialsError):
        iam.list_users()


def test_accounts_in_flight_at_once_each_have_their_own_clients(accounts):
    clients = Clients(REGION)
    clients.add_credentials("a", accounts[ACCOUNTS[0]])
    clients.add_credentials("b", accounts[ACCOUNTS[1]])
    assert clients.get("a", "iam") is not clients.get("b", "iam")
    assert users(clients.get("a", "iam")) == [f"user-of-{ACCOUNTS[0]}"]
    assert users(clients.get("b", "iam")) == [f"user-of-{ACCOUNTS[1]}"]


def test_clients_that_retried_a_call_are_not_lent_again(accounts):
    """botocore keeps a retry quota and an adaptive send rate per client: an account whose
    throttling spent them must not hand them on to the next account."""
    clients = Clients(REGION)
    clients.add_credentials("a", accounts[ACCOUNTS[0]])
    iam = clients.get("a", "iam")
    failures = []

    def unavailable_once(request, **_kwargs):
        if not failures:
            failures.append(request.url)
            return AWSResponse(request.url, 503, {}, _Body())
        return None

    iam.meta.events.register("before-send.iam.ListUsers", unavailable_once)
    assert users(iam) == [f"user-of-{ACCOUNTS[0]}"] and failures        # retried, then answered
    clients.release("a")
    clients.add_credentials("b", accounts[ACCOUNTS[1]])
    assert clients.get("b", "iam") is not iam


def test_a_lent_client_is_read_only(accounts):
    clients = Clients(REGION)
    clients.add_credentials("a", accounts[ACCOUNTS[0]])
    with pytest.raises(ReadOnlyViolation):
        clients.get("a", "iam").create_user(UserName="not-allowed")
