"""`discover --secrets`: SECRET-001 on every secret of an account's region (opt-in).

ListSecrets (pages of 100) gives each secret's ARN; one GetResourcePolicy per secret gives its
resource policy. That is one call per secret, which is why it is opt-in. A secret whose policy
cannot be read gives an ERROR result naming the call, never a PASS.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from .collectors import CallFailed, Clients, _call, _pages
from .engine import SCAN, Engine, Result, Target
from .scan_view import ProfileView
from .settings import Settings
from .snapshot import SecretState

RULES = ("SECRET-001",)


def read_secrets(clients: Clients, aws_profile: str | None, region: str) -> list[SecretState]:
    """Every secret of the region with its resource policy (or the error reading it)."""
    client = clients.get(aws_profile, "secretsmanager", region)
    listed = _pages(client, "secretsmanager:ListSecrets", "list_secrets", "SecretList",
                    PaginationConfig={"PageSize": 100})

    def one(item) -> SecretState:
        arn = item["ARN"]
        try:
            policy = _call(client, "secretsmanager:GetResourcePolicy", "get_resource_policy",
                           SecretId=arn).get("ResourcePolicy")
        except CallFailed as failure:
            return SecretState(arn, region, arn, True, item.get("KmsKeyId"), errors=(failure.error,))
        return SecretState(arn, region, arn, True, item.get("KmsKeyId"), resource_policy=policy)

    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="secrets") as pool:
        return list(pool.map(one, listed))


def secret_results(clients: Clients, aws_profile: str | None, account: str | None, region: str,
                   settings: Settings, pair_type) -> list[Result]:
    """SECRET-001 per secret; a failed ListSecrets is one ERROR result for the account."""
    from .engine import ERROR, RuleMeta, fingerprint, load_rules

    try:
        states = read_secrets(clients, aws_profile, region)
    except CallFailed as failure:
        meta: RuleMeta = load_rules()["SECRET-001"].meta
        resource = f"arn:aws:secretsmanager:{region}:{account or ''}:secret:*"
        message = f"could not list the secrets of {region}: {failure.error.describe()}"
        return [Result(meta.id, meta.name, meta.title, ERROR, meta.severity, None, account, region,
                       resource, "AwsSecretsManagerSecret", None, message, meta.remediation,
                       meta.steps[0], {}, fingerprint(meta.id, account, resource, None), steps=meta.steps)]
    engine = Engine(SCAN, severity_overrides=settings.severity_overrides, only=RULES)
    results: list[Result] = []
    for state in sorted(states, key=lambda s: s.arn):
        view = ProfileView(pair_type("", "", region, secrets=(state.arn,)), None, None, settings,
                           caller_account=account, secrets={state.arn: state})
        target = Target(resource=state.arn, resource_type="AwsSecretsManagerSecret", payload=view,
                        account_id=account, region=region)
        results.extend(engine.run(target, settings))
    return results
