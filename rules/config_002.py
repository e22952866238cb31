"""CONFIG-002: the profile is coherent (region, role ARN, secret ARNs, auth type)."""
from __future__ import annotations

import difflib
import re
from functools import lru_cache

from auditor.engine import SCAN, RuleMeta, failed, passed, rule

from ._common import location

META = RuleMeta(
    id="CONFIG-002", name="profile-consistency", title="The profile is coherent",
    severity="high", steps=(5,),
    description="The profile's region is a known AWS region (of the aws, aws-cn and aws-us-gov "
                "partitions, from botocore's endpoint data that ships with boto3); role_arn is a "
                "well-formed IAM role ARN; each secret configured as an ARN is a well-formed "
                "Secrets Manager ARN in the profile's region and the role's partition (a plain "
                "name is fine); the region belongs to the role's partition; auth_type is iam_role. "
                "One FAIL per problem. Read from the configuration only, not from AWS.",
    remediation="Fix the profile in the configuration file (and the matching fields in the "
                "product's connection settings).",
)

PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
ROLE_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:role/[A-Za-z0-9_+=,.@/-]+$")
SECRET_ARN = re.compile(r"^arn:(?P<partition>[^:]*):secretsmanager:(?P<region>[^:]*):"
                        r"(?P<account>\d{12}):secret:(?P<name>[^:]+)$")


@lru_cache(maxsize=1)
def known_regions() -> dict[str, str]:
    """Region -> partition, for the partitions a product's role can live in (botocore's data)."""
    from botocore.loaders import create_loader  # lazily: only a scan needs it

    endpoints = create_loader().load_data("endpoints")
    return {region: partition["partition"] for partition in endpoints.get("partitions", ())
            if partition.get("partition") in PARTITIONS for region in partition.get("regions", {})}


def _problem(message, key, remediation, evidence=None, **extra):
    return failed(message, location=location("profile", key=key, **extra),
                  remediation=remediation, evidence=evidence or {})


def problems(profile):
    regions = known_regions()
    region = profile.region
    if region not in regions:
        close = difflib.get_close_matches(str(region or ""), list(regions), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        yield _problem(f"region {region!r} is not a known AWS region{hint}", "region",
                       "Set region to the AWS region where the secrets are stored, e.g. us-east-1.",
                       {"region": region})

    role_arn = profile.role_arn
    role_partition = None
    match = ROLE_ARN.match(str(role_arn or ""))
    if match:
        role_partition = match.group(1)
    else:
        yield _problem(f"role_arn {role_arn!r} is not a well-formed IAM role ARN "
                       "(arn:aws:iam::<12-digit account>:role/<name>)", "role_arn",
                       "Copy the role's ARN from its summary page in the IAM console, e.g. "
                       "arn:aws:iam::123456789012:role/read_secrets_role.", {"role_arn": role_arn})

    if role_partition and region in regions and regions[region] != role_partition:
        yield _problem(f"region {region} is in partition {regions[region]} but the role "
                       f"{role_arn} is in partition {role_partition}", "region",
                       "Use a region of the role's partition, or the role of that partition.",
                       {"region": region, "region_partition": regions[region],
                        "role_partition": role_partition}, check="partition")

    for index, secret in enumerate(profile.secrets or ()):
        text = str(secret)
        if not text.startswith("arn:"):
            continue  # a secret name: resolved in the profile's region
        parsed = SECRET_ARN.match(text)
        if parsed is None:
            yield _problem(f"secret {text} is not a well-formed Secrets Manager ARN "
                           "(arn:<partition>:secretsmanager:<region>:<account>:secret:<name>)",
                           "secrets", "Give the secret's full ARN as shown in the Secrets Manager "
                           "console, or its name.", {"secret": text}, index=index)
            continue
        if parsed["region"] != region:
            yield _problem(f"secret {text} is in region {parsed['region'] or '(none)'}, not in the "
                           f"profile's region {region}: the product reads secrets in {region} only",
                           "secrets", "Use one profile per region, or move the secret "
                           "(replicate it) to the profile's region.",
                           {"secret": text, "secret_region": parsed["region"], "region": region},
                           index=index, check="region")
        if role_partition and parsed["partition"] != role_partition:
            yield _problem(f"secret {text} is in partition {parsed['partition']}, not in the role's "
                           f"partition {role_partition}", "secrets",
                           "A role can read secrets of its own partition only: use a secret of "
                           f"partition {role_partition}.",
                           {"secret": text, "secret_partition": parsed["partition"],
                            "role_partition": role_partition}, index=index, check="partition")

    if profile.auth_type != "iam_role":
        yield _problem(f"auth_type is {profile.auth_type!r}: iam-auditor audits only iam_role "
                       "profiles (a user's keys assuming a role)", "auth_type",
                       "Set auth_type: iam_role, or remove the profile from the configuration.",
                       {"auth_type": profile.auth_type})


@rule(META, SCAN)
def check(view, settings):
    found = list(problems(view.profile))
    if found:
        yield from found
    else:
        yield passed("region, role ARN, secret ARNs and auth type are coherent",
                     location=location("profile"))
