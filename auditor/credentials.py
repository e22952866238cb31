"""Before any AWS call: does each AWS profile a run needs exist, and does it give credentials?

botocore turns a missing credential into NoCredentialsError on every call, which a scan would
report as one ERROR per call; a missing named profile would stop the run from a worker thread.
Resolving the credentials once, up front, turns both into one clear line. Resolution is what
the clients would do anyway (environment, shared files, SSO, container and instance roles);
role and SSO profiles resolve lazily, so this makes no API call.
"""
from __future__ import annotations

from .errors import UsageError


def problem(aws_profile: str | None) -> str | None:
    """Why `aws_profile` (None: boto3's default chain) cannot be used, or None when it can."""
    import botocore.session
    from botocore.exceptions import BotoCoreError

    name = aws_profile or "(default)"
    try:
        session = botocore.session.Session(profile=aws_profile)
        credentials = session.get_credentials()
    except BotoCoreError as error:    # ProfileNotFound, a broken credential_process, ...
        return f"AWS profile {name}: {error}"
    if credentials is None:
        where = (f"AWS profile {aws_profile} gives" if aws_profile else
                 "the environment, ~/.aws and the instance or container role give")
        return (f"no AWS credentials: {where} none (set AWS_PROFILE or AWS_ACCESS_KEY_ID/"
                "AWS_SECRET_ACCESS_KEY, or run `aws configure`; `iam-auditor demo` needs none)")
    return None


def require(aws_profiles) -> None:
    """Raise a usage error (exit 2) naming the first profile that cannot be used."""
    for aws_profile in sorted(set(aws_profiles), key=lambda p: p or ""):
        reason = problem(aws_profile)
        if reason:
            raise UsageError(reason)
