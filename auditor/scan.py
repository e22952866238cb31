"""`iam-auditor scan`: evaluate every profile of the configuration against a snapshot."""
from __future__ import annotations

from typing import Iterable

from .engine import SCAN, Engine, Result, Target
from .report import Report
from .scan_view import ProfileView
from .snapshot import Snapshot, entity_key


def profile_views(config_profiles, snapshot: Snapshot, settings, default_aws_profile=None) -> list[ProfileView]:
    from .collectors_secrets import secret_state_key

    views = []
    profiles = tuple(config_profiles)
    for p in profiles:
        role_profile = p.aws_profile or default_aws_profile
        user_profile = p.user_aws_profile or role_profile
        caller = snapshot.caller.get(entity_key(user_profile, "")) or {}
        secrets = {s: snapshot.secrets[k] for s in p.secrets
                   if (k := secret_state_key(p, s, role_profile)) in snapshot.secrets}
        views.append(ProfileView(
            profile=p,
            role=snapshot.roles.get(entity_key(role_profile, p.role_arn)),
            user=snapshot.users.get(entity_key(user_profile, p.user)),
            settings=settings, caller_account=caller.get("account"), peers=profiles,
            secrets=secrets, keys=snapshot.keys))
    return views


def _account(view: ProfileView) -> str | None:
    arn = view.role_arn or ""
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4] else view.caller_account


def deploy_time_values(view: ProfileView) -> tuple[str, ...]:
    """`scan --iac`: the values known only at deploy in the documents the profile's rules read
    (the role's, the user's, its secrets' and their keys'). No rule PASSes over them."""
    from .unknown import unknowns_in

    documents = []
    for entity in (view.role, view.user):
        if entity is not None:
            documents += [getattr(entity, "trust_policy", None), entity.boundary and entity.boundary.document]
            documents += [p.document for p in entity.policies]
    for secret in view.secrets.values():
        documents.append(secret.resource_policy)
        key = view.keys.get(secret.key_ref) if secret.key_ref else None
        documents.append(key.policy if key is not None else None)
    return tuple(sorted({u for d in documents if d is not None for u in unknowns_in(d)}))


def evaluate(views: Iterable[ProfileView], settings, *, deploy_time: bool = False) -> list[Result]:
    engine = Engine(SCAN, severity_overrides=settings.severity_overrides)
    results: list[Result] = []
    for view in views:
        user = view.user_arn or view.profile.user
        target = Target(resource=view.role_arn, resource_type="AwsIamRole", payload=view,
                        profile=view.profile.name, account_id=_account(view),
                        region=view.profile.region,
                        subjects={"user": (user, "AwsIamUser", view.user_account or _account(view))},
                        unknowns=deploy_time_values(view) if deploy_time else ())
        results.extend(engine.run(target, settings))
    return results


def scan_report(config, snapshot: Snapshot, profiles=None, default_aws_profile=None, mode="scan", *,
                deploy_time: bool = False) -> Report:
    """`deploy_time`: the snapshot comes from infrastructure code (`scan --iac`), whose values
    known only at deploy no rule may PASS over."""
    selected = profiles if profiles is not None else config.profiles
    views = profile_views(selected, snapshot, config.settings, default_aws_profile)
    results = evaluate(views, config.settings, deploy_time=deploy_time)
    extra = {"api_calls": snapshot.api_calls, "snapshot_generated_at": snapshot.generated_at,
             "profiles": [p.name for p in selected]}
    if config.waivers:
        from .waivers import apply_waivers

        extra["waivers"] = apply_waivers(results, config.waivers)
    if snapshot.errors:
        extra["collection_errors"] = [e.describe() for e in snapshot.errors]
        results.extend(collection_errors(snapshot))
    return Report(mode, results, extra=extra)


def collection_errors(snapshot: Snapshot) -> list[Result]:
    """An ERROR for each failure not tied to a profile's role or user (a caller identity, an
    internal error): the report names what could not be read, and the exit code is 3."""
    from .engine import COLLECT_META, error_result

    return [error_result(COLLECT_META, f"could not read {e.entity or 'AWS'}: {e.describe()}",
                         e.entity or e.operation, "Other") for e in snapshot.errors]


def internal_error_report(mode: str, exc: BaseException, extra: dict | None = None) -> Report:
    """The last resort: evaluation failed unexpectedly, and the report still says so (ERROR)."""
    from .engine import COLLECT_META, error_result

    message = f"internal error {type(exc).__name__} while evaluating: the results are incomplete"
    return Report(mode, [error_result(COLLECT_META, message, "iam-auditor", "Other")],
                  extra=dict(extra or {}))
