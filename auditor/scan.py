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


def evaluate(views: Iterable[ProfileView], settings) -> list[Result]:
    engine = Engine(SCAN, severity_overrides=settings.severity_overrides)
    results: list[Result] = []
    for view in views:
        user = view.user_arn or view.profile.user
        target = Target(resource=view.role_arn, resource_type="AwsIamRole", payload=view,
                        profile=view.profile.name, account_id=_account(view),
                        region=view.profile.region,
                        subjects={"user": (user, "AwsIamUser", view.user_account or _account(view))})
        results.extend(engine.run(target, settings))
    return results


def scan_report(config, snapshot: Snapshot, profiles=None, default_aws_profile=None, mode="scan") -> Report:
    selected = profiles if profiles is not None else config.profiles
    views = profile_views(selected, snapshot, config.settings, default_aws_profile)
    results = evaluate(views, config.settings)
    extra = {"api_calls": snapshot.api_calls, "snapshot_generated_at": snapshot.generated_at,
             "profiles": [p.name for p in selected]}
    if config.waivers:
        from .waivers import apply_waivers

        extra["waivers"] = apply_waivers(results, config.waivers)
    if snapshot.errors:
        extra["collection_errors"] = [e.describe() for e in snapshot.errors]
    return Report(mode, results, extra=extra)
