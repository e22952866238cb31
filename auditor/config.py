"""The YAML configuration: profiles to audit, rule settings and waivers.

`load_config` validates strictly: any problem raises `UsageError` with one line naming the file,
the profile (by name, or by position when it has no usable name) and the key. Every string value
may use `${VAR}` or `${VAR:-default}` to read the environment. Secrets never reach a message or
a repr: a `secret_access_key` is shown as redacted and an external ID only by its first characters.
"""
from __future__ import annotations

import datetime
import difflib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import UsageError
from .masking import mask
from .settings import Settings

__all__ = ["Config", "Profile", "Waiver", "load_config", "select_profiles", "SEVERITY_LEVELS",
           "SUPPORTED_AUTH_TYPES"]

SEVERITY_LEVELS = ("info", "low", "medium", "high", "critical")
SUPPORTED_AUTH_TYPES = ("iam_role",)
CONFIG_VERSION = 1

_RULE_ID = re.compile(r"^[A-Z]+-\d{3}$")
_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_REFERENCE_BODY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$", re.S)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_TOP_KEYS = ("version", "settings", "profiles", "waivers")
_SETTINGS_INT_KEYS = ("access_key_max_age_days", "max_session_limit", "min_external_id_length")
_SETTINGS_KEYS = _SETTINGS_INT_KEYS + ("new_key_grace_days", "rules", "skip_rules", "severity")
_PROFILE_REQUIRED = ("name", "auth_type", "region", "user", "role_arn", "external_id",
                     "sts_duration")
_PROFILE_OPTIONAL = ("access_key_id", "secret_access_key", "secrets", "aws_profile",
                     "user_aws_profile", "secrets_aws_profile")
_PROFILE_KEYS = _PROFILE_REQUIRED + _PROFILE_OPTIONAL
_WAIVER_KEYS = ("rule", "profile", "resource", "reason", "expires")
# Values that must never be echoed in an error message.
_SENSITIVE_KEYS = frozenset({"secret_access_key", "external_id"})


# --------------------------------------------------------------------------------------------
# Data model


@dataclass(frozen=True, repr=False)
class Profile:
    """One authentication profile of the product (its "Config Name")."""

    name: str
    auth_type: str
    region: str
    user: str                       # IAM user name or ARN
    role_arn: str                   # as configured; well-formedness is CONFIG-002's business
    external_id: str
    sts_duration: int
    access_key_id: str | None = None
    secret_access_key_literal: bool = False   # the YAML held the value itself, not a ${VAR}
    secret_access_key: str | None = field(default=None, repr=False)
    secrets: tuple[str, ...] = ()
    aws_profile: str | None = None
    user_aws_profile: str | None = None
    secrets_aws_profile: str | None = None     # reads secrets of another account than the role's

    @property
    def user_name(self) -> str:
        """The IAM user name, whether `user` is a name or an ARN (last path segment)."""
        if self.user.startswith("arn:"):
            parts = self.user.split(":", 5)
            resource = parts[5] if len(parts) == 6 else ""
            name = resource.rsplit("/", 1)[-1]
            return name or self.user
        return self.user

    @property
    def user_arn_hint(self) -> str | None:
        """The user's ARN when the configuration gives one, else None."""
        return self.user if self.user.startswith("arn:") else None

    @property
    def user_account(self) -> str | None:
        """The account ID of the user's ARN, when the configuration gives an ARN with one."""
        return _arn_account(self.user_arn_hint)

    @property
    def role_name(self) -> str | None:
        """The role name from `role_arn` (last segment after `role/`), None if it has none."""
        parts = self.role_arn.split(":", 5)
        if len(parts) != 6 or not parts[5].startswith("role/"):
            return None
        return parts[5].rsplit("/", 1)[-1] or None

    @property
    def role_account(self) -> str | None:
        """The 12-digit account ID from `role_arn`, None if it has none."""
        return _arn_account(self.role_arn)

    @property
    def has_secret_access_key(self) -> bool:
        return self.secret_access_key is not None

    def __repr__(self) -> str:
        secret = None if self.secret_access_key is None else "<redacted>"
        items = [
            ("name", self.name), ("auth_type", self.auth_type), ("region", self.region),
            ("user", self.user), ("role_arn", self.role_arn),
            ("external_id", mask(self.external_id)), ("sts_duration", self.sts_duration),
            ("access_key_id", mask(self.access_key_id)),
            ("secret_access_key_literal", self.secret_access_key_literal),
            ("secrets", self.secrets), ("aws_profile", self.aws_profile),
            ("user_aws_profile", self.user_aws_profile),
            ("secrets_aws_profile", self.secrets_aws_profile),
        ]
        body = ", ".join(f"{key}={value!r}" for key, value in items)
        return f"Profile({body}, secret_access_key={secret})"

    __str__ = __repr__


@dataclass(frozen=True)
class Waiver:
    """An accepted risk: marks matching results as waived (never drops them)."""

    rule: str
    profile: str | None          # None: every profile
    resource: str | None         # a glob; None: every resource
    reason: str
    expires: datetime.date | None = None

    def is_expired(self, today: datetime.date | None = None) -> bool:
        """True once `expires` is past (the waiver applies through its expiry date)."""
        if self.expires is None:
            return False
        return (today or datetime.date.today()) > self.expires


@dataclass(frozen=True)
class Config:
    path: str
    settings: Settings
    profiles: tuple[Profile, ...]
    waivers: tuple[Waiver, ...] = ()

    @property
    def profile_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.profiles)

    def get_profile(self, name: str) -> Profile | None:
        return next((p for p in self.profiles if p.name == name), None)


def _arn_account(arn: str | None) -> str | None:
    if not arn:
        return None
    parts = arn.split(":", 5)
    if len(parts) == 6 and re.fullmatch(r"\d{12}", parts[4]):
        return parts[4]
    return None


# --------------------------------------------------------------------------------------------
# Loading


def load_config(path: str | os.PathLike, *, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate the YAML configuration at `path`; raise `UsageError` on any problem.

    `environ` (default: `os.environ`) supplies the values of `${VAR}` references.
    """
    path = os.fspath(path)
    text = _read_text(path)
    data = _parse_yaml(path, text)
    return _Validator(path, os.environ if environ is None else environ).config(data)


def select_profiles(config: Config, names: Iterable[str] | None) -> tuple[Profile, ...]:
    """The profiles named (`--profile-name`), in configuration order; all when `names` is empty.

    An unknown name raises `UsageError`.
    """
    wanted = list(dict.fromkeys(names or ()))
    if not wanted:
        return config.profiles
    known = set(config.profile_names)
    for name in wanted:
        if name not in known:
            hint = _did_you_mean(name, config.profile_names)
            raise UsageError(_one_line(
                f"--profile-name {name}: no such profile in {config.path}{hint} "
                f"(profiles: {', '.join(config.profile_names)})"))
    chosen = set(wanted)
    return tuple(p for p in config.profiles if p.name in chosen)


def _read_text(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise UsageError(_one_line(f"{path}: configuration file not found")) from None
    except IsADirectoryError:
        raise UsageError(_one_line(f"{path}: is a directory, not a configuration file")) from None
    except PermissionError:
        raise UsageError(_one_line(f"{path}: cannot read configuration: permission denied")) \
            from None
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise UsageError(_one_line(f"{path}: cannot read configuration: {reason}")) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(_one_line(
            f"{path}: configuration is not valid UTF-8 (byte {exc.start})")) from None


def _parse_yaml(path: str, text: str) -> Any:
    import yaml

    loader_class = _loader_class(yaml)
    try:
        return yaml.load(text, Loader=loader_class)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "malformed document"
        if exc.context and exc.problem:
            problem = f"{problem} ({exc.context})"
        raise UsageError(_one_line(f"{path}: invalid YAML{where}: {problem}")) from None
    except yaml.reader.ReaderError as exc:
        raise UsageError(_one_line(f"{path}: invalid YAML at character {exc.position}: "
                                   f"{exc.reason}")) from None
    except yaml.YAMLError as exc:
        raise UsageError(_one_line(f"{path}: invalid YAML: {exc}")) from None
    except (ValueError, TypeError, RecursionError) as exc:
        raise UsageError(_one_line(f"{path}: invalid YAML: {exc}")) from None


_STRICT_LOADER: type | None = None


def _loader_class(yaml) -> type:
    """A safe loader that rejects duplicate keys and keeps impossible dates as strings."""
    global _STRICT_LOADER
    if _STRICT_LOADER is not None:
        return _STRICT_LOADER
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class StrictLoader(base):  # type: ignore[misc, valid-type]
        def construct_mapping(self, node, deep=False):
            if isinstance(node, yaml.MappingNode):
                seen = set()
                for key_node, _ in node.value:
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        continue
                    key = self.construct_object(key_node, deep=True)
                    try:
                        duplicate = key in seen
                    except TypeError:      # unhashable: the base class reports it
                        continue
                    if duplicate:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"duplicate key {key!r}", key_node.start_mark)
                    seen.add(key)
            return super().construct_mapping(node, deep=deep)

        def construct_yaml_timestamp(self, node):
            try:
                return super().construct_yaml_timestamp(node)
            except ValueError:             # e.g. 2027-02-30: let validation say what is wrong
                return self.construct_scalar(node)

    StrictLoader.add_constructor("tag:yaml.org,2002:timestamp",
                                 StrictLoader.construct_yaml_timestamp)
    _STRICT_LOADER = StrictLoader
    return StrictLoader


# --------------------------------------------------------------------------------------------
# Validation


_MISSING = object()


class _Validator:
    def __init__(self, path: str, environ: Mapping[str, str]):
        self.path = path
        self.environ = environ
        self.environment_values: list[str] = []   # never echoed, whatever key they sit in

    # -- errors ------------------------------------------------------------------------------

    def fail(self, where: str | None, message: str) -> UsageError:
        from .scrub import scrub_with

        prefix = f"{self.path}: {where}: " if where else f"{self.path}: "
        return UsageError(scrub_with(_one_line(prefix + message), self.environment_values))

    # -- top level ---------------------------------------------------------------------------

    def config(self, data: Any) -> Config:
        if data is None:
            raise self.fail(None, "the file is empty; expected a mapping with 'version', "
                                  "'profiles' (and optionally 'settings', 'waivers')")
        if not isinstance(data, dict):
            raise self.fail(None, f"the top level must be a mapping (got {_describe(data)})")
        self.unknown_keys(data, _TOP_KEYS, None)

        version = data.get("version", _MISSING)
        if version is _MISSING:
            raise self.fail(None, f"key 'version' is required (version: {CONFIG_VERSION})")
        version = self.integer(version, "version", None, check_positive=False)
        if version != CONFIG_VERSION:
            raise self.fail(None, f"key 'version' must be {CONFIG_VERSION} (got {version!r}); "
                                  "this iam-auditor reads configuration version 1")

        settings = self.settings(data.get("settings"))
        profiles = self.profiles(data.get("profiles", _MISSING))
        waivers = self.waivers(data.get("waivers"), {p.name for p in profiles})
        return Config(path=self.path, settings=settings, profiles=profiles, waivers=waivers)

    def unknown_keys(self, mapping: dict, allowed: tuple[str, ...], where: str | None) -> None:
        for key in mapping:
            if key not in allowed:
                shown = repr(key) if isinstance(key, str) else repr(_describe(key))
                hint = _did_you_mean(key, allowed) if isinstance(key, str) else ""
                raise self.fail(where, f"unknown key {shown}{hint} "
                                       f"(expected one of: {', '.join(allowed)})")

    # -- settings ----------------------------------------------------------------------------

    def settings(self, raw: Any) -> Settings:
        if raw is None:
            return Settings()
        where = "settings"
        if not isinstance(raw, dict):
            raise self.fail(where, f"must be a mapping (got {_describe(raw)})")
        self.unknown_keys(raw, _SETTINGS_KEYS, where)
        values: dict[str, Any] = {}
        for key in _SETTINGS_INT_KEYS:
            if key in raw:
                values[key] = self.integer(raw[key], key, where, check_positive=True)
        if "new_key_grace_days" in raw:   # 0 turns the grace off
            grace = self.integer(raw["new_key_grace_days"], "new_key_grace_days", where,
                                 check_positive=False)
            if grace < 0:
                raise self.fail(where, f"key 'new_key_grace_days' must be 0 or more (got {grace})")
            values["new_key_grace_days"] = grace
        for key in ("rules", "skip_rules"):
            if key in raw:
                values[key] = self.rule_patterns(raw[key], key, where)
        if "severity" in raw:
            values["severity_overrides"] = self.severity(raw["severity"], where)
        return Settings(**values)

    def rule_patterns(self, raw: Any, key: str, where: str) -> tuple[str, ...]:
        """Globs on rule IDs (`KEY-*`); one that matches no rule is a typo, not a no-op."""
        from .settings import unmatched_patterns

        patterns = tuple(p.strip().upper() for p in self.string_list(raw, key, where))
        unmatched = unmatched_patterns(patterns, _known_rule_ids())
        if unmatched:
            raise self.fail(where, f"key {key!r}: {unmatched[0]!r} matches no rule ID "
                                   "(`iam-auditor rules` lists them)")
        return patterns

    def severity(self, raw: Any, where: str) -> dict[str, str]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise self.fail(where, f"key 'severity' must be a mapping of rule ID to level, "
                                   f"e.g. {{TRUST-005: medium}} (got {_describe(raw)})")
        overrides: dict[str, str] = {}
        for rule, level in raw.items():
            if not isinstance(rule, str) or not _RULE_ID.match(rule.strip().upper()):
                raise self.fail(where, f"key 'severity': {_describe(rule)} is not a rule ID "
                                       "(like TRUST-005)")
            rule_id = rule.strip().upper()
            key = f"severity.{rule_id}"
            if rule_id not in _known_rule_ids():
                hint = _did_you_mean(rule_id, _known_rule_ids())
                raise self.fail(where, f"key {key!r}: unknown rule ID {rule_id!r}{hint} "
                                       "(`iam-auditor rules` lists them)")
            if rule_id in overrides:
                raise self.fail(where, f"key {key!r} is given twice")
            text = self.string(level, key, where)
            if text.strip().lower() not in SEVERITY_LEVELS:
                raise self.fail(where, f"key '{key}' must be one of {', '.join(SEVERITY_LEVELS)} "
                                       f"(got {text!r})")
            overrides[rule_id] = text.strip().lower()
        return overrides

    # -- profiles ----------------------------------------------------------------------------

    def profiles(self, raw: Any) -> tuple[Profile, ...]:
        if raw is _MISSING or raw is None:
            raise self.fail(None, "key 'profiles' is required: list at least one profile")
        if not isinstance(raw, list):
            raise self.fail(None, f"key 'profiles' must be a list of profiles "
                                  f"(got {_describe(raw)})")
        if not raw:
            raise self.fail(None, "key 'profiles' is empty: list at least one profile")
        profiles: list[Profile] = []
        first_index: dict[str, int] = {}
        for index, item in enumerate(raw, start=1):
            profile = self.profile(item, index)
            if profile.name in first_index:
                raise self.fail(f"profile {profile.name!r} (#{index})",
                                f"key 'name' duplicates profile #{first_index[profile.name]}; "
                                "profile names must be unique")
            first_index[profile.name] = index
            profiles.append(profile)
        return tuple(profiles)

    def profile(self, raw: Any, index: int) -> Profile:
        where = f"profile #{index}"
        if not isinstance(raw, dict):
            raise self.fail(where, f"must be a mapping (got {_describe(raw)})")
        name = raw.get("name")
        if isinstance(name, str):
            try:
                expanded = self.expand(name, "name", where)[0]
            except UsageError:
                expanded = ""
            if expanded.strip():
                where = f"profile {expanded!r}"
        self.unknown_keys(raw, _PROFILE_KEYS, where)
        for key in _PROFILE_REQUIRED:
            if key not in raw:
                raise self.fail(where, f"key {key!r} is required")

        name = self.required_string(raw["name"], "name", where)
        auth_type = self.required_string(raw["auth_type"], "auth_type", where)
        if auth_type not in SUPPORTED_AUTH_TYPES:
            raise self.fail(where, f"key 'auth_type' is {auth_type!r}: only iam_role profiles "
                                   "are audited (the product's role-on-behalf-of-a-user set-up)")
        region = self.required_string(raw["region"], "region", where)
        user = self.required_string(raw["user"], "user", where)
        role_arn = self.required_string(raw["role_arn"], "role_arn", where)
        external_id = self.string(raw["external_id"], "external_id", where)
        sts_duration = self.integer(raw["sts_duration"], "sts_duration", where,
                                    check_positive=True)

        access_key_id = self.optional_string(raw.get("access_key_id"), "access_key_id", where)
        secret, literal = None, False
        if raw.get("secret_access_key") is not None:
            secret, literal = self.secret(raw["secret_access_key"], where)
        secrets = self.string_list(raw.get("secrets"), "secrets", where)
        aws_profile = self.optional_string(raw.get("aws_profile"), "aws_profile", where)
        user_aws_profile = self.optional_string(raw.get("user_aws_profile"), "user_aws_profile",
                                                where)
        secrets_aws_profile = self.optional_string(raw.get("secrets_aws_profile"),
                                                   "secrets_aws_profile", where)
        return Profile(name=name, auth_type=auth_type, region=region, user=user,
                       role_arn=role_arn, external_id=external_id, sts_duration=sts_duration,
                       access_key_id=access_key_id, secret_access_key_literal=literal,
                       secret_access_key=secret, secrets=secrets, aws_profile=aws_profile,
                       user_aws_profile=user_aws_profile, secrets_aws_profile=secrets_aws_profile)

    def secret(self, raw: Any, where: str) -> tuple[str | None, bool]:
        """(value, literal): literal unless the value came entirely from the environment."""
        key = "secret_access_key"
        if not isinstance(raw, str):
            raise self.fail(where, f"key {key!r} must be a string, preferably ${{VAR}} "
                                   f"(got {_describe(raw, sensitive=True)})")
        value, references = self.expand(raw, key, where)
        if not value:
            return None, False
        match = _REFERENCE.fullmatch(raw.strip())
        from_environment = False
        if match:
            body = _REFERENCE_BODY.match(match.group(1))
            from_environment = bool(body) and self.environ.get(body.group(1)) not in (None, "")
        return value, not from_environment

    # -- waivers -----------------------------------------------------------------------------

    def waivers(self, raw: Any, profile_names: set[str]) -> tuple[Waiver, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self.fail(None, f"key 'waivers' must be a list (got {_describe(raw)})")
        return tuple(self.waiver(item, index, profile_names)
                     for index, item in enumerate(raw, start=1))

    def waiver(self, raw: Any, index: int, profile_names: set[str]) -> Waiver:
        where = f"waiver #{index}"
        if not isinstance(raw, dict):
            raise self.fail(where, f"must be a mapping (got {_describe(raw)})")
        self.unknown_keys(raw, _WAIVER_KEYS, where)
        for key in ("rule", "reason"):
            if key not in raw:
                raise self.fail(where, f"key {key!r} is required")
        rule = self.required_string(raw["rule"], "rule", where).strip()
        if not _RULE_ID.match(rule):
            raise self.fail(where, f"key 'rule' must be a rule ID like LP-001 (got {rule!r})")
        where = f"waiver #{index} ({rule})"
        reason = self.required_string(raw["reason"], "reason", where)
        profile = self.optional_string(raw.get("profile"), "profile", where)
        if profile is not None and profile not in profile_names:
            hint = _did_you_mean(profile, sorted(profile_names))
            raise self.fail(where, f"key 'profile' names no profile: {profile!r}{hint}")
        resource = self.optional_string(raw.get("resource"), "resource", where)
        expires = self.date(raw.get("expires"), "expires", where)
        return Waiver(rule=rule, profile=profile, resource=resource, reason=reason,
                      expires=expires)

    # -- scalar helpers ----------------------------------------------------------------------

    def expand(self, text: str, key: str, where: str | None) -> tuple[str, bool]:
        """Expand `${VAR}` / `${VAR:-default}`; returns (value, whether it held a reference)."""
        if "$" not in text:
            return text, False
        pieces: list[str] = []
        position = 0
        found = False
        for match in _REFERENCE.finditer(text):
            found = True
            pieces.append(self.check_no_open_reference(text[position:match.start()], key, where))
            body = _REFERENCE_BODY.match(match.group(1))
            if not body:
                shown = "${" + match.group(1)[:40] + "}"
                if key in _SENSITIVE_KEYS:
                    shown = "${…}"
                raise self.fail(where, f"key {key!r}: malformed reference {shown!r}; use "
                                       "${VAR} or ${VAR:-default}")
            variable, default = body.group(1), body.group(2)
            value = self.environ.get(variable)
            if value:
                self.environment_values.append(value)
            if default is not None:
                pieces.append(value if value else default)
            elif value is None:
                raise self.fail(where, f"key {key!r}: environment variable {variable} is not "
                                       f"set (referenced as ${{{variable}}})")
            else:
                pieces.append(value)
            position = match.end()
        pieces.append(self.check_no_open_reference(text[position:], key, where))
        return "".join(pieces), found

    def check_no_open_reference(self, chunk: str, key: str, where: str | None) -> str:
        if "${" in chunk:
            raise self.fail(where, f"key {key!r}: unterminated '${{' (use ${{VAR}} or "
                                   "${VAR:-default})")
        return chunk

    def string(self, raw: Any, key: str, where: str | None) -> str:
        if not isinstance(raw, str):
            sensitive = key in _SENSITIVE_KEYS
            scalar = isinstance(raw, (bool, int, float, datetime.date))
            hint = "; quote it in the YAML" if scalar else ""
            raise self.fail(where, f"key {key!r} must be a string "
                                   f"(got {_describe(raw, sensitive=sensitive)}){hint}")
        return self.expand(raw, key, where)[0]

    def required_string(self, raw: Any, key: str, where: str | None) -> str:
        if raw is None:
            raise self.fail(where, f"key {key!r} is required (got an empty value)")
        value = self.string(raw, key, where)
        if not value.strip():
            raise self.fail(where, f"key {key!r} must not be empty")
        return value

    def optional_string(self, raw: Any, key: str, where: str | None) -> str | None:
        if raw is None:
            return None
        value = self.string(raw, key, where)
        return value if value.strip() else None

    def string_list(self, raw: Any, key: str, where: str | None) -> tuple[str, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            raise self.fail(where, f"key {key!r} must be a list of strings "
                                   f"(got {_describe(raw)})")
        values = []
        for position, item in enumerate(raw):
            item_key = f"{key}[{position}]"
            value = self.required_string(item, item_key, where)
            values.append(value)
        return tuple(values)

    def integer(self, raw: Any, key: str, where: str | None, *, check_positive: bool) -> int:
        value = raw
        if isinstance(raw, str):
            expanded, had_reference = self.expand(raw, key, where)
            if had_reference and re.fullmatch(r"\s*[+-]?\d+\s*", expanded):
                value = int(expanded)
            elif had_reference:
                raise self.fail(where, f"key {key!r} must be an integer (its ${{VAR}} reference "
                                       f"gives {_describe(expanded, sensitive=True)} that is not "
                                       "a whole number)")
            else:
                value = expanded
        if isinstance(value, bool) or not isinstance(value, int):
            hint = ""
            if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
                hint = "; write it without quotes"
            raise self.fail(where, f"key {key!r} must be an integer "
                                   f"(got {_describe(value)}){hint}")
        if check_positive and value <= 0:
            raise self.fail(where, f"key {key!r} must be a positive integer (got {value})")
        return value

    def date(self, raw: Any, key: str, where: str | None) -> datetime.date | None:
        if raw is None:
            return None
        if isinstance(raw, datetime.datetime):
            raise self.fail(where, f"key {key!r} must be a date YYYY-MM-DD without a time "
                                   f"(got {raw.isoformat()})")
        if isinstance(raw, datetime.date):
            return raw
        if isinstance(raw, str):
            text = self.expand(raw, key, where)[0].strip()
            if _DATE.match(text):
                try:
                    return datetime.date.fromisoformat(text)
                except ValueError:
                    pass
            raise self.fail(where, f"key {key!r} must be a date YYYY-MM-DD (got {text!r})")
        raise self.fail(where, f"key {key!r} must be a date YYYY-MM-DD (got {_describe(raw)})")


# --------------------------------------------------------------------------------------------
# Message helpers


def _describe(value: Any, *, sensitive: bool = False) -> str:
    """A short, single-line description of a YAML value for an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if sensitive:
        kinds = {int: "a number", float: "a number", str: "a string"}
        return kinds.get(type(value), f"a {type(value).__name__}")
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return repr(shown)
    if isinstance(value, (int, float)):
        return repr(value)
    return f"a {type(value).__name__}"


def _known_rule_ids() -> tuple[str, ...]:
    from .engine import load_rules  # the registry is only needed when a setting names a rule

    return tuple(load_rules())


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _one_line(message: str) -> str:
    return " ".join(message.split())
