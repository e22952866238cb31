"""`discover --accounts FILE`: the accounts to read, from YAML; exit 2 with one line on bad input.

The file is checked for what it must hold (UTF-8 text, a mapping with a non-empty list under
`accounts`, each item a mapping of known keys with string values) before anything is read from
AWS: a binary file, a deeply nested one or a mistyped value is a usage error, never a traceback.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import UsageError
from .lines import printable

_KEYS = ("account", "aws_profile", "role_arn")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}\Z")
MAX_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class AccountSpec:
    label: str                      # how the account is named in messages
    aws_profile: str | None = None  # a named profile reading this account
    role_arn: str | None = None     # or a read-only role to assume in it
    name: str | None = None         # the organization's name for the account
    via_profile: str | None = None  # the profile whose credentials assume role_arn

    @property
    def account_id(self) -> str | None:
        return self.role_arn.split(":")[4] if self.role_arn else None


def load_accounts(path: str) -> list[AccountSpec]:
    shown = printable(path)
    data = _read_yaml(path, shown)
    items = data.get("accounts") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise UsageError(f"--accounts {shown}: expected a non-empty list under 'accounts'")
    if set(data) - {"accounts"}:
        raise UsageError(f"--accounts {shown}: unknown top-level key; only 'accounts'")
    return [_spec(item, f"--accounts {shown}: account #{index + 1}")
            for index, item in enumerate(items)]


def _read_yaml(path: str, shown: str):
    import yaml

    from .safejson import JSONInputError, read_text

    try:
        text = read_text(path, MAX_BYTES)
    except OSError as error:
        raise UsageError(f"--accounts {shown}: {error.strerror or error}") from None
    except JSONInputError as error:
        raise UsageError(f"--accounts {shown}: {error}") from None
    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as error:
        first = str(error).splitlines()[0] if str(error) else "malformed"
        raise UsageError(f"--accounts {shown}: malformed YAML: {printable(first)}") from None
    except (RecursionError, ValueError, TypeError) as error:
        raise UsageError(f"--accounts {shown}: malformed YAML ({type(error).__name__})") from None


def _spec(item, where: str) -> AccountSpec:
    if not isinstance(item, dict):
        raise UsageError(f"{where}: must be a mapping with account and aws_profile or role_arn")
    for key, value in item.items():
        if key not in _KEYS:
            raise UsageError(f"{where}: unknown key {printable(str(key))!r}; keys are "
                             + ", ".join(_KEYS))
        # An unquoted 12-digit account reads as a number in YAML: it is still the account.
        if not (isinstance(value, str) or (key == "account" and isinstance(value, int)
                                           and not isinstance(value, bool))):
            raise UsageError(f"{where}: {key!r} must be a string")
    account = item.get("account")
    account = f"{account:012d}" if isinstance(account, int) else account
    profile, role_arn = item.get("aws_profile"), item.get("role_arn")
    if bool(profile) == bool(role_arn):
        raise UsageError(f"{where}: give exactly one of aws_profile or role_arn")
    if role_arn and not _ROLE_ARN.match(role_arn):
        raise UsageError(f"{where}: role_arn is not an IAM role ARN "
                         "(arn:aws:iam::<12 digits>:role/<name>)")
    return AccountSpec(str(account or profile or role_arn), profile, role_arn)
