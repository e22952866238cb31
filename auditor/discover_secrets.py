"""`discover --secrets`: SECRET-001 on every secret of an account's region (opt-in).

ListSecrets (pages of 100) gives each secret's ARN; one GetResourcePolicy per secret gives its
resource policy. That is one call per secret, which is why it is opt-in. A secret whose policy
cannot be read gives an ERROR result naming the call, never a PASS.
"""
from __future__ import annotations

from .aws import CallFailed, Clients, call, pages, reading, worker_pool
from .engine import SCAN, Engine, Result, Target, error_result
from .scan_view import ProfileView
from .settings import Settings
from .snapshot import SecretState

RULES = ("SECRET-001",)


def read_secrets(clients: Clients, aws_profile: str | None, region: str) -> list[SecretState]:
    """Every secret of the region with its resource policy (or the error reading it)."""
    client = clients.get(aws_profile, "secretsmanager", region)
    listed = pages(client, "secretsmanager:ListSecrets", "list_secrets", "SecretList",
                   entity=f"the secrets of {region}", PaginationConfig={"PageSize": 100})
    with reading("secretsmanager:ListSecrets", f"the secrets of {region}"):
        listed = [(item["ARN"], item.get("KmsKeyId")) for item in listed]

    def one(listed_secret) -> SecretState:
        arn, kms_key_id = listed_secret
        try:
            policy = call(client, "secretsmanager:GetResourcePolicy", "get_resource_policy",
                          entity=f"secret {arn}", SecretId=arn).get("ResourcePolicy")
        except CallFailed as failure:
            return SecretState(arn, region, arn, True, kms_key_id, errors=(failure.error,))
        return SecretState(arn, region, arn, True, kms_key_id, resource_policy=policy)

    with worker_pool(8, "secrets") as pool:
        return list(pool.map(one, listed))


def secret_results(clients: Clients, aws_profile: str | None, account: str | None, region: str,
                   settings: Settings, pair_type) -> list[Result]:
    """SECRET-001 per secret; a failed ListSecrets is one ERROR result for the account."""
    from .engine import load_rules

    try:
        states = read_secrets(clients, aws_profile, region)
    except CallFailed as failure:
        resource = f"arn:aws:secretsmanager:{region}:{account or ''}:secret:*"
        return [error_result(load_rules()["SECRET-001"].meta,
                             f"could not list the secrets of {region}: {failure.error.describe()}",
                             resource, "AwsSecretsManagerSecret", account, region=region)]
    engine = Engine(SCAN, severity_overrides=settings.severity_overrides, only=RULES)
    results: list[Result] = []
    for state in sorted(states, key=lambda s: s.arn):
        view = ProfileView(pair_type("", "", region, secrets=(state.arn,)), None, None, settings,
                           caller_account=account, secrets={state.arn: state})
        target = Target(resource=state.arn, resource_type="AwsSecretsManagerSecret", payload=view,
                        account_id=account, region=region)
        results.extend(engine.run(target, settings))
    return results
