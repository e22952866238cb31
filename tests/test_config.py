"""The YAML configuration: loading, ${VAR} expansion, strict validation, secrets never shown."""
import copy
import datetime
import os
import textwrap

import pytest
import yaml

from auditor.config import Config, Profile, Waiver, load_config, select_profiles
from auditor.errors import UsageError
from auditor.settings import Settings

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
EXTERNAL_ID = "d8f3b1c2-93a4-4e5f-a6b7-c8d9e0f1a2b3"

FULL = textwrap.dedent("""\
    version: 1
    settings:
      access_key_max_age_days: 60
      max_session_limit: 7200
      min_external_id_length: 20
      severity:
        TRUST-005: medium
        key-001: HIGH
    profiles:
      - name: catalog-prod
        auth_type: iam_role
        region: us-east-1
        user: catalog-secrets-reader
        role_arn: arn:aws:iam::123456789012:role/read_secrets_role
        external_id: ${CATALOG_EXTERNAL_ID}
        sts_duration: 3600
        access_key_id: AKIAIOSFODNN7EXAMPLE
        secret_access_key: ${CATALOG_SECRET}
        secrets:
          - arn:aws:secretsmanager:us-east-1:123456789012:secret:catalog/prod-db-AbCdEf
          - catalog/other
        aws_profile: audit-prod
        user_aws_profile: audit-saas
      - name: catalog-dev
        auth_type: iam_role
        region: eu-west-1
        user: arn:aws:iam::210987654321:user/service/catalog-dev-reader
        role_arn: arn:aws:iam::123456789012:role/team/dev/read_dev_role
        external_id: "0123456789abcdefXYZ"
        sts_duration: 900
    waivers:
      - rule: LP-001
        profile: catalog-prod
        resource: "arn:aws:iam::123456789012:role/*"
        reason: "legacy secrets, ticket SEC-123"
        expires: 2027-01-31
      - rule: TRUST-005
        reason: accepted
        expires: "2026-12-01"
      - rule: KEY-002
        reason: no expiry
    """)

BASE_PROFILE = {
    "name": "catalog-prod",
    "auth_type": "iam_role",
    "region": "us-east-1",
    "user": "catalog-secrets-reader",
    "role_arn": "arn:aws:iam::123456789012:role/read_secrets_role",
    "external_id": EXTERNAL_ID,
    "sts_duration": 3600,
}


@pytest.fixture
def env(monkeypatch):
    monkeypatch.setenv("CATALOG_EXTERNAL_ID", EXTERNAL_ID)
    monkeypatch.setenv("CATALOG_SECRET", SECRET)
    return monkeypatch


def write(tmp_path, text, name="config.yaml"):
    path = tmp_path / name
    path.write_text(text if isinstance(text, str) else yaml.safe_dump(text, sort_keys=False))
    return str(path)


def document(profile_changes=None, *, drop=(), top=None, profiles=None, waivers=None):
    profile = copy.deepcopy(BASE_PROFILE)
    profile.update(profile_changes or {})
    for key in drop:
        profile.pop(key)
    data = {"version": 1, "profiles": profiles if profiles is not None else [profile]}
    if waivers is not None:
        data["waivers"] = waivers
    data.update(top or {})
    return data


def load_error(tmp_path, content, name="config.yaml") -> str:
    path = write(tmp_path, content, name)
    with pytest.raises(UsageError) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message, message
    assert message.startswith(path + ": "), message
    return message


# -------------------------------------------------------------------------------------------
# Valid configurations


def test_full_configuration(tmp_path, env):
    path = write(tmp_path, FULL)
    config = load_config(path)
    assert isinstance(config, Config)
    assert config.path == path
    assert config.settings == Settings(access_key_max_age_days=60, max_session_limit=7200,
                                       min_external_id_length=20)
    assert config.settings.severity_overrides == {"TRUST-005": "medium", "KEY-001": "high"}
    assert config.profile_names == ("catalog-prod", "catalog-dev")

    prod, dev = config.profiles
    assert prod == Profile(
        name="catalog-prod", auth_type="iam_role", region="us-east-1",
        user="catalog-secrets-reader",
        role_arn="arn:aws:iam::123456789012:role/read_secrets_role", external_id=EXTERNAL_ID,
        sts_duration=3600, access_key_id="AKIAIOSFODNN7EXAMPLE", secret_access_key_literal=False,
        secret_access_key=SECRET,
        secrets=("arn:aws:secretsmanager:us-east-1:123456789012:secret:catalog/prod-db-AbCdEf",
                 "catalog/other"),
        aws_profile="audit-prod", user_aws_profile="audit-saas")
    assert prod.user_name == "catalog-secrets-reader"
    assert prod.user_arn_hint is None
    assert prod.user_account is None
    assert prod.role_name == "read_secrets_role"
    assert prod.role_account == "123456789012"
    assert prod.has_secret_access_key

    assert dev.external_id == "0123456789abcdefXYZ"
    assert dev.sts_duration == 900
    assert dev.user_name == "catalog-dev-reader"
    assert dev.user_arn_hint == "arn:aws:iam::210987654321:user/service/catalog-dev-reader"
    assert dev.user_account == "210987654321"
    assert dev.role_name == "read_dev_role"
    assert dev.role_account == "123456789012"
    assert dev.access_key_id is None and dev.secret_access_key is None
    assert dev.secret_access_key_literal is False
    assert dev.secrets == () and dev.aws_profile is None and dev.user_aws_profile is None

    assert config.waivers == (
        Waiver(rule="LP-001", profile="catalog-prod", resource="arn:aws:iam::123456789012:role/*",
               reason="legacy secrets, ticket SEC-123", expires=datetime.date(2027, 1, 31)),
        Waiver(rule="TRUST-005", profile=None, resource=None, reason="accepted",
               expires=datetime.date(2026, 12, 1)),
        Waiver(rule="KEY-002", profile=None, resource=None, reason="no expiry", expires=None),
    )
    assert config.get_profile("catalog-dev") is dev
    assert config.get_profile("nope") is None


def test_objects_are_frozen(tmp_path, env):
    config = load_config(write(tmp_path, FULL))
    with pytest.raises(Exception):
        config.profiles[0].name = "other"
    with pytest.raises(Exception):
        config.path = "x"
    with pytest.raises(Exception):
        config.waivers[0].rule = "LP-002"
    hash(config.profiles[0])


def test_defaults(tmp_path):
    config = load_config(write(tmp_path, document()))
    assert config.settings == Settings()
    assert config.settings.access_key_max_age_days == 90
    assert config.settings.max_session_limit == 14400
    assert config.settings.min_external_id_length == 16
    assert config.settings.severity_overrides == {}
    assert config.waivers == ()
    (profile,) = config.profiles
    assert profile.access_key_id is None
    assert profile.secret_access_key is None
    assert profile.secret_access_key_literal is False
    assert profile.secrets == ()
    assert profile.aws_profile is None and profile.user_aws_profile is None


def test_null_optional_blocks_mean_defaults(tmp_path):
    text = document(top={"settings": None, "waivers": None},
                    profile_changes={"secrets": None, "access_key_id": None,
                                     "secret_access_key": None, "aws_profile": None})
    config = load_config(write(tmp_path, text))
    assert config.settings == Settings() and config.waivers == ()
    assert config.profiles[0].secrets == () and config.profiles[0].secret_access_key is None


def test_partial_settings_keep_other_defaults(tmp_path):
    config = load_config(write(tmp_path, document(top={"settings": {"max_session_limit": 3600}})))
    assert config.settings == Settings(max_session_limit=3600)


def test_accepts_pathlike(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(document()))
    assert load_config(path).path == str(path)


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + yaml.safe_dump(document()).encode())
    assert load_config(str(path)).profiles[0].name == "catalog-prod"


def test_yaml_anchors_and_merge_keys(tmp_path):
    text = textwrap.dedent("""\
        version: 1
        profiles:
          - &base
            name: a
            auth_type: iam_role
            region: us-east-1
            user: u
            role_arn: arn:aws:iam::123456789012:role/r
            external_id: abcdefghijklmnopq
            sts_duration: 3600
          - <<: *base
            name: b
            region: eu-west-1
        """)
    config = load_config(write(tmp_path, text))
    assert [(p.name, p.region) for p in config.profiles] == [("a", "us-east-1"), ("b", "eu-west-1")]


def test_malformed_role_arn_and_unknown_region_load(tmp_path):
    """Well-formedness is CONFIG-002's job, not a load error."""
    config = load_config(write(tmp_path, document({"role_arn": "not-an-arn",
                                                   "region": "mars-north-7"})))
    profile = config.profiles[0]
    assert profile.role_arn == "not-an-arn" and profile.region == "mars-north-7"
    assert profile.role_name is None and profile.role_account is None


def test_empty_external_id_loads(tmp_path):
    """An empty external ID is a finding (TRUST-004), not a load error."""
    assert load_config(write(tmp_path, document({"external_id": ""}))).profiles[0].external_id == ""


# -------------------------------------------------------------------------------------------
# ${VAR} expansion


def test_var_expansion_everywhere(tmp_path, monkeypatch):
    monkeypatch.setenv("REGION", "eu-central-1")
    monkeypatch.setenv("ACCOUNT", "111122223333")
    monkeypatch.setenv("DURATION", "1800")
    monkeypatch.setenv("AGE", "30")
    monkeypatch.setenv("LEVEL", "critical")
    monkeypatch.setenv("UNTIL", "2030-05-06")
    monkeypatch.setenv("PROFILE_NAME", "from-env")
    text = document({"name": "${PROFILE_NAME}", "region": "${REGION}",
                     "role_arn": "arn:aws:iam::${ACCOUNT}:role/r",
                     "sts_duration": "${DURATION}",
                     "secrets": ["arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:x"]},
                    top={"settings": {"access_key_max_age_days": "${AGE}",
                                      "severity": {"LP-001": "${LEVEL}"}}},
                    waivers=[{"rule": "LP-001", "profile": "${PROFILE_NAME}",
                              "reason": "r ${REGION}", "expires": "${UNTIL}"}])
    config = load_config(write(tmp_path, text))
    profile = config.profiles[0]
    assert profile.name == "from-env"
    assert profile.region == "eu-central-1"
    assert profile.role_arn == "arn:aws:iam::111122223333:role/r"
    assert profile.role_account == "111122223333"
    assert profile.sts_duration == 1800
    assert profile.secrets == ("arn:aws:secretsmanager:eu-central-1:111122223333:secret:x",)
    assert config.settings.access_key_max_age_days == 30
    assert config.settings.severity_overrides == {"LP-001": "critical"}
    assert config.waivers[0].profile == "from-env"
    assert config.waivers[0].reason == "r eu-central-1"
    assert config.waivers[0].expires == datetime.date(2030, 5, 6)


def test_default_syntax(tmp_path, monkeypatch):
    monkeypatch.delenv("UNSET_REGION", raising=False)
    monkeypatch.setenv("EMPTY_VAR", "")
    monkeypatch.delenv("UNSET_PROFILE", raising=False)
    text = document({"region": "${UNSET_REGION:-us-west-2}", "user": "${EMPTY_VAR:-fallback}",
                     "aws_profile": "${UNSET_PROFILE:-}"})
    profile = load_config(write(tmp_path, text)).profiles[0]
    assert profile.region == "us-west-2"
    assert profile.user == "fallback"          # shell semantics: empty counts as unset
    assert profile.aws_profile is None         # an empty optional value means "not given"


def test_default_not_used_when_set(tmp_path, monkeypatch):
    monkeypatch.setenv("R", "ap-south-1")
    assert load_config(write(tmp_path, document({"region": "${R:-us-east-1}"}))) \
        .profiles[0].region == "ap-south-1"


def test_environ_argument(tmp_path, monkeypatch):
    monkeypatch.delenv("ONLY_IN_ARG", raising=False)
    path = write(tmp_path, document({"region": "${ONLY_IN_ARG}"}))
    assert load_config(path, environ={"ONLY_IN_ARG": "sa-east-1"}).profiles[0].region == "sa-east-1"


def test_missing_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("CATALOG_EXTERNAL_ID", raising=False)
    message = load_error(tmp_path, document({"external_id": "${CATALOG_EXTERNAL_ID}"}))
    assert "profile 'catalog-prod'" in message
    assert "'external_id'" in message
    assert "CATALOG_EXTERNAL_ID" in message and "not set" in message


def test_missing_variable_in_settings_and_waivers(tmp_path, monkeypatch):
    monkeypatch.delenv("NOPE_VAR", raising=False)
    message = load_error(tmp_path, document(top={"settings": {"max_session_limit": "${NOPE_VAR}"}}))
    assert "settings" in message and "max_session_limit" in message and "NOPE_VAR" in message
    message = load_error(tmp_path, document(waivers=[{"rule": "LP-001", "reason": "${NOPE_VAR}"}]))
    assert "waiver #1" in message and "'reason'" in message and "NOPE_VAR" in message


@pytest.mark.parametrize("value", ["${}", "${1ABC}", "${VAR:default}", "${A B}", "x${UNCLOSED"])
def test_malformed_reference(tmp_path, value):
    message = load_error(tmp_path, document({"user": value}))
    assert "profile 'catalog-prod'" in message and "'user'" in message


def test_dollar_without_brace_is_literal(tmp_path):
    assert load_config(write(tmp_path, document({"user": "price$5"}))).profiles[0].user == "price$5"


def test_expanded_value_not_integer(tmp_path, monkeypatch):
    monkeypatch.setenv("DURATION", "abc")
    message = load_error(tmp_path, document({"sts_duration": "${DURATION}"}))
    # The value came from the environment: it may be a secret put in the wrong key, so the
    # message says what is wrong without quoting it.
    assert message.endswith("profile 'catalog-prod': key 'sts_duration' must be an integer (its "
                            "${VAR} reference gives a string that is not a whole number)")
    assert "abc" not in message


# -------------------------------------------------------------------------------------------
# secret_access_key


def test_secret_from_environment_is_not_literal(tmp_path, env):
    profile = load_config(write(tmp_path, document({"secret_access_key": "${CATALOG_SECRET}"}))) \
        .profiles[0]
    assert profile.secret_access_key == SECRET
    assert profile.secret_access_key_literal is False


def test_literal_secret_is_allowed_and_flagged(tmp_path):
    profile = load_config(write(tmp_path, document({"secret_access_key": SECRET}))).profiles[0]
    assert profile.secret_access_key == SECRET
    assert profile.secret_access_key_literal is True


def test_secret_from_default_is_literal(tmp_path, monkeypatch):
    monkeypatch.delenv("NO_SECRET_VAR", raising=False)
    profile = load_config(write(tmp_path, document(
        {"secret_access_key": "${NO_SECRET_VAR:-" + SECRET + "}"}))).profiles[0]
    assert profile.secret_access_key == SECRET
    assert profile.secret_access_key_literal is True


def test_secret_partly_literal(tmp_path, monkeypatch):
    monkeypatch.setenv("HALF", SECRET[:20])
    profile = load_config(write(tmp_path, document(
        {"secret_access_key": "${HALF}" + SECRET[20:]}))).profiles[0]
    assert profile.secret_access_key == SECRET and profile.secret_access_key_literal is True


def test_secret_wrong_type_is_not_echoed(tmp_path):
    message = load_error(tmp_path, document({"secret_access_key": 123456789}))
    assert "123456789" not in message and "'secret_access_key'" in message


def test_external_id_wrong_type_is_not_echoed(tmp_path):
    message = load_error(tmp_path, document({"external_id": 987654321987}))
    assert "987654321987" not in message
    assert "'external_id'" in message and "quote" in message


# -------------------------------------------------------------------------------------------
# Secrets never printed


def test_repr_and_str_never_show_secrets(tmp_path, env):
    config = load_config(write(tmp_path, FULL))
    profile = config.profiles[0]
    for text in (repr(profile), str(profile), repr(config), str(config), f"{config}",
                 repr(config.profiles), str([profile])):
        assert SECRET not in text
        assert EXTERNAL_ID not in text
        assert "0123456789abcdefXYZ" not in text
        assert "AKIAIOSFODNN7EXAMPLE" not in text
    assert "d8f…" in repr(profile)
    assert "<redacted>" in repr(profile)
    assert "catalog-prod" in repr(profile)


def test_repr_of_profile_without_secret(tmp_path):
    text = repr(load_config(write(tmp_path, document())).profiles[0])
    assert "secret_access_key=None" in text and EXTERNAL_ID not in text


def test_short_external_id_fully_masked():
    profile = Profile(name="p", auth_type="iam_role", region="us-east-1", user="u",
                      role_arn="arn:aws:iam::123456789012:role/r", external_id="abc123",
                      sts_duration=3600)
    assert "abc123" not in repr(profile)


# -------------------------------------------------------------------------------------------
# Profile properties


@pytest.mark.parametrize("user, name, hint, account", [
    ("reader", "reader", None, None),
    ("arn:aws:iam::123456789012:user/reader", "reader", "arn:aws:iam::123456789012:user/reader",
     "123456789012"),
    ("arn:aws:iam::123456789012:user/a/b/reader", "reader",
     "arn:aws:iam::123456789012:user/a/b/reader", "123456789012"),
    ("arn:aws-cn:iam::123456789012:user/x", "x", "arn:aws-cn:iam::123456789012:user/x",
     "123456789012"),
])
def test_user_properties(user, name, hint, account):
    profile = Profile(name="p", auth_type="iam_role", region="us-east-1", user=user,
                      role_arn="arn:aws:iam::123456789012:role/r", external_id="x" * 20,
                      sts_duration=3600)
    assert profile.user_name == name
    assert profile.user_arn_hint == hint
    assert profile.user_account == account


@pytest.mark.parametrize("arn, name, account", [
    ("arn:aws:iam::123456789012:role/read_secrets_role", "read_secrets_role", "123456789012"),
    ("arn:aws:iam::123456789012:role/a/b/c", "c", "123456789012"),
    ("arn:aws:iam::12345:role/r", "r", None),
    ("arn:aws:iam::123456789012:user/u", None, "123456789012"),
    ("read_secrets_role", None, None),
    ("", None, None),
])
def test_role_properties(arn, name, account):
    profile = Profile(name="p", auth_type="iam_role", region="us-east-1", user="u", role_arn=arn,
                      external_id="x" * 20, sts_duration=3600)
    assert profile.role_name == name
    assert profile.role_account == account


def test_waiver_expiry():
    waiver = Waiver(rule="LP-001", profile=None, resource=None, reason="r",
                    expires=datetime.date(2027, 1, 31))
    assert not waiver.is_expired(datetime.date(2027, 1, 31))
    assert waiver.is_expired(datetime.date(2027, 2, 1))
    assert not Waiver(rule="LP-001", profile=None, resource=None, reason="r").is_expired()


# -------------------------------------------------------------------------------------------
# File-level errors


def test_missing_file(tmp_path):
    path = str(tmp_path / "absent.yaml")
    with pytest.raises(UsageError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: configuration file not found"


def test_directory(tmp_path):
    with pytest.raises(UsageError) as info:
        load_config(str(tmp_path))
    assert str(tmp_path) in str(info.value) and "directory" in str(info.value)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file(tmp_path):
    path = write(tmp_path, document())
    os.chmod(path, 0)
    try:
        with pytest.raises(UsageError) as info:
            load_config(path)
        assert path in str(info.value) and "permission denied" in str(info.value)
    finally:
        os.chmod(path, 0o600)


def test_not_utf8(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"version: 1\nprofiles: [\xff]\n")
    with pytest.raises(UsageError) as info:
        load_config(str(path))
    assert "UTF-8" in str(info.value) and "\n" not in str(info.value)


def test_malformed_yaml_names_line_and_column(tmp_path):
    text = "version: 1\nprofiles:\n  - name: a\n    region: [us-east-1\n"
    message = load_error(tmp_path, text)
    assert "invalid YAML" in message and "line " in message and "column " in message


def test_malformed_yaml_tab(tmp_path):
    message = load_error(tmp_path, "version: 1\nprofiles:\n\t- name: a\n")
    assert "invalid YAML at line 3, column 1" in message


def test_multiple_documents_rejected(tmp_path):
    message = load_error(tmp_path, "version: 1\n---\nversion: 1\n")
    assert "invalid YAML" in message


def test_duplicate_yaml_key(tmp_path):
    text = yaml.safe_dump(document()) + "version: 1\n"
    message = load_error(tmp_path, text)
    assert "duplicate key 'version'" in message and "line " in message


def test_duplicate_key_inside_profile(tmp_path):
    text = textwrap.dedent("""\
        version: 1
        profiles:
          - name: a
            region: us-east-1
            region: eu-west-1
        """)
    message = load_error(tmp_path, text)
    assert "duplicate key 'region'" in message and "line 5" in message


@pytest.mark.parametrize("text, fragment", [
    ("", "empty"),
    ("# only a comment\n", "empty"),
    ("- a\n- b\n", "top level must be a mapping (got a list)"),
    ("just a string\n", "top level must be a mapping"),
    ("42\n", "top level must be a mapping"),
])
def test_top_level_not_mapping(tmp_path, text, fragment):
    assert fragment in load_error(tmp_path, text)


# -------------------------------------------------------------------------------------------
# Version


def test_version_missing(tmp_path):
    data = document()
    del data["version"]
    message = load_error(tmp_path, data)
    assert "key 'version' is required" in message


@pytest.mark.parametrize("version", [2, 0, "1", "one", True, 1.0, None])
def test_version_not_one(tmp_path, version):
    message = load_error(tmp_path, document(top={"version": version}))
    assert "'version'" in message


# -------------------------------------------------------------------------------------------
# Unknown keys at every level


def test_unknown_top_level_key(tmp_path):
    message = load_error(tmp_path, document(top={"profile": []}))
    assert "unknown key 'profile'" in message and "did you mean 'profiles'" in message


def test_unknown_settings_key(tmp_path):
    message = load_error(tmp_path, document(top={"settings": {"max_session_limt": 10}}))
    assert "settings: unknown key 'max_session_limt'" in message
    assert "did you mean 'max_session_limit'" in message


def test_unknown_profile_key(tmp_path):
    message = load_error(tmp_path, document({"sts_durationn": 3600}))
    assert ": profile 'catalog-prod': unknown key 'sts_durationn'" in message
    assert "did you mean 'sts_duration'" in message


def test_unknown_profile_key_nameless_profile_by_index(tmp_path):
    second = dict(BASE_PROFILE, extra=1)
    del second["name"]
    message = load_error(tmp_path, document(profiles=[BASE_PROFILE, second]))
    assert ": profile #2: unknown key 'extra'" in message


def test_unknown_waiver_key(tmp_path):
    message = load_error(tmp_path, document(
        waivers=[{"rule": "LP-001", "reason": "r", "expiry": "2027-01-01"}]))
    assert "waiver #1: unknown key 'expiry'" in message


def test_non_string_key(tmp_path):
    message = load_error(tmp_path, "version: 1\n1: x\nprofiles: []\n")
    assert "unknown key" in message


# -------------------------------------------------------------------------------------------
# Profiles: required keys, types, values


@pytest.mark.parametrize("key", ["auth_type", "region", "user", "role_arn", "external_id",
                                 "sts_duration"])
def test_missing_required_profile_key(tmp_path, key):
    message = load_error(tmp_path, document(drop=[key]))
    assert message.endswith(f"profile 'catalog-prod': key '{key}' is required")


def test_missing_name_uses_index(tmp_path):
    message = load_error(tmp_path, document(drop=["name"]))
    assert message.endswith("profile #1: key 'name' is required")


@pytest.mark.parametrize("key", ["region", "user", "role_arn", "auth_type"])
def test_required_string_empty_or_null(tmp_path, key):
    assert f"'{key}'" in load_error(tmp_path, document({key: ""}))
    assert f"'{key}'" in load_error(tmp_path, document({key: None}))


@pytest.mark.parametrize("key, value", [
    ("region", 5), ("user", ["a"]), ("role_arn", {"a": 1}), ("role_arn", 123456789012),
    ("name", 7), ("access_key_id", 5), ("aws_profile", True), ("user_aws_profile", 1.5),
    ("auth_type", ["iam_role"]),
])
def test_wrong_string_types(tmp_path, key, value):
    message = load_error(tmp_path, document({key: value}))
    assert f"key '{key}' must be a string" in message
    assert "profile " in message


def test_sts_duration_from_text(tmp_path):
    message = load_error(tmp_path, document({"sts_duration": "abc"}))
    assert message.endswith(
        "config.yaml: profile 'catalog-prod': key 'sts_duration' must be an integer (got 'abc')")


@pytest.mark.parametrize("value, fragment", [
    (True, "must be an integer (got true)"),
    (False, "must be an integer (got false)"),
    (3600.5, "must be an integer (got 3600.5)"),
    ("3600", "must be an integer (got '3600')"),
    (None, "must be an integer (got null)"),
    ([3600], "must be an integer (got a list)"),
    (0, "must be a positive integer (got 0)"),
    (-5, "must be a positive integer (got -5)"),
])
def test_sts_duration_types(tmp_path, value, fragment):
    message = load_error(tmp_path, document({"sts_duration": value}))
    assert "profile 'catalog-prod': key 'sts_duration' " + fragment in message


def test_auth_type_other_than_iam_role(tmp_path):
    message = load_error(tmp_path, document({"auth_type": "access_key"}))
    assert "profile 'catalog-prod': key 'auth_type'" in message
    assert "only iam_role" in message and "'access_key'" in message


@pytest.mark.parametrize("secrets, fragment", [
    ("arn:aws:secretsmanager:...", "key 'secrets' must be a list"),
    ([1], "key 'secrets[0]' must be a string"),
    (["ok", None], "key 'secrets[1]' is required"),
    (["ok", ""], "key 'secrets[1]' must not be empty"),
    ({"a": "b"}, "key 'secrets' must be a list"),
])
def test_secrets_list(tmp_path, secrets, fragment):
    assert fragment in load_error(tmp_path, document({"secrets": secrets}))


def test_profile_not_a_mapping(tmp_path):
    message = load_error(tmp_path, document(profiles=[BASE_PROFILE, "catalog-dev"]))
    assert "profile #2: must be a mapping" in message


def test_duplicate_profile_names(tmp_path):
    message = load_error(tmp_path, document(profiles=[BASE_PROFILE, BASE_PROFILE]))
    assert "profile 'catalog-prod' (#2)" in message and "key 'name'" in message
    assert "profile #1" in message and "unique" in message


def test_duplicate_profile_names_after_expansion(tmp_path, monkeypatch):
    monkeypatch.setenv("PNAME", "catalog-prod")
    second = dict(BASE_PROFILE, name="${PNAME}")
    assert "duplicates profile #1" in load_error(tmp_path, document(profiles=[BASE_PROFILE,
                                                                              second]))


@pytest.mark.parametrize("profiles, fragment", [
    ([], "key 'profiles' is empty"),
    (None, "key 'profiles' is required"),
    ({"name": "x"}, "key 'profiles' must be a list"),
])
def test_profiles_list(tmp_path, profiles, fragment):
    data = document()
    data["profiles"] = profiles
    assert fragment in load_error(tmp_path, data)


def test_profiles_missing(tmp_path):
    assert "key 'profiles' is required" in load_error(tmp_path, {"version": 1})


def test_error_names_the_right_profile(tmp_path):
    second = dict(BASE_PROFILE, name="catalog-dev", region=3)
    message = load_error(tmp_path, document(profiles=[BASE_PROFILE, second]))
    assert "profile 'catalog-dev': key 'region'" in message


# -------------------------------------------------------------------------------------------
# Settings


@pytest.mark.parametrize("key", ["access_key_max_age_days", "max_session_limit",
                                 "min_external_id_length"])
@pytest.mark.parametrize("value, fragment", [
    (0, "must be a positive integer"), (-1, "must be a positive integer"),
    (True, "must be an integer"), ("ten", "must be an integer"), (1.5, "must be an integer"),
    (None, "must be an integer"),
])
def test_settings_positive_integers(tmp_path, key, value, fragment):
    message = load_error(tmp_path, document(top={"settings": {key: value}}))
    assert f"settings: key '{key}' {fragment}" in message


def test_settings_not_mapping(tmp_path):
    assert "settings: must be a mapping" in load_error(tmp_path, document(top={"settings": [1]}))


@pytest.mark.parametrize("severity, fragment", [
    ({"TRUST-005": "urgent"}, "key 'severity.TRUST-005' must be one of info, low, medium"),
    ({"TRUST-005": 3}, "key 'severity.TRUST-005' must be a string"),
    ({"not a rule": "low"}, "is not a rule ID"),
    ({"TRUST5": "low"}, "is not a rule ID"),
    (["TRUST-005"], "key 'severity' must be a mapping"),
])
def test_settings_severity(tmp_path, severity, fragment):
    message = load_error(tmp_path, document(top={"settings": {"severity": severity}}))
    assert "settings" in message and fragment in message


# -------------------------------------------------------------------------------------------
# Waivers


@pytest.mark.parametrize("key", ["rule", "reason"])
def test_waiver_required_keys(tmp_path, key):
    waiver = {"rule": "LP-001", "reason": "r"}
    del waiver[key]
    message = load_error(tmp_path, document(waivers=[waiver]))
    assert f"waiver #1: key '{key}' is required" in message


@pytest.mark.parametrize("waiver, fragment", [
    ({"rule": "LP-001", "reason": ""}, "key 'reason' must not be empty"),
    ({"rule": "LP-001", "reason": None}, "key 'reason' is required"),
    ({"rule": "lp1", "reason": "r"}, "key 'rule' must be a rule ID"),
    ({"rule": 1, "reason": "r"}, "key 'rule' must be a string"),
    ({"rule": "LP-001", "reason": "r", "resource": 5}, "key 'resource' must be a string"),
    ({"rule": "LP-001", "reason": "r", "profile": "catalog-prd"},
     "key 'profile' names no profile: 'catalog-prd' (did you mean 'catalog-prod'?)"),
    ({"rule": "LP-001", "reason": "r", "expires": "31/01/2027"}, "key 'expires' must be a date"),
    ({"rule": "LP-001", "reason": "r", "expires": "2027-02-30"}, "key 'expires' must be a date"),
    ({"rule": "LP-001", "reason": "r", "expires": "soon"}, "key 'expires' must be a date"),
    ({"rule": "LP-001", "reason": "r", "expires": 20270131}, "key 'expires' must be a date"),
    ({"rule": "LP-001", "reason": "r", "expires": True}, "key 'expires' must be a date"),
])
def test_waiver_errors(tmp_path, waiver, fragment):
    message = load_error(tmp_path, document(waivers=[{"rule": "KEY-001", "reason": "ok"}, waiver]))
    assert "waiver #2" in message and fragment in message


def test_waiver_impossible_yaml_date(tmp_path):
    text = yaml.safe_dump(document()) + "waivers:\n  - rule: LP-001\n    reason: r\n" \
                                        "    expires: 2027-02-30\n"
    message = load_error(tmp_path, text)
    assert "waiver #1 (LP-001): key 'expires' must be a date" in message


def test_waiver_datetime_rejected(tmp_path):
    text = yaml.safe_dump(document()) + "waivers:\n  - rule: LP-001\n    reason: r\n" \
                                        "    expires: 2027-01-31 10:00:00\n"
    assert "key 'expires' must be a date" in load_error(tmp_path, text)


def test_waivers_not_a_list(tmp_path):
    assert "key 'waivers' must be a list" in load_error(
        tmp_path, document(top={"waivers": {"rule": "LP-001"}}))


def test_waiver_not_a_mapping(tmp_path):
    assert "waiver #1: must be a mapping" in load_error(tmp_path, document(waivers=["LP-001"]))


# -------------------------------------------------------------------------------------------
# select_profiles


def test_select_profiles(tmp_path, env):
    config = load_config(write(tmp_path, FULL))
    assert select_profiles(config, []) == config.profiles
    assert select_profiles(config, None) == config.profiles
    assert [p.name for p in select_profiles(config, ["catalog-dev"])] == ["catalog-dev"]
    # configuration order, duplicates ignored
    chosen = select_profiles(config, ["catalog-dev", "catalog-prod", "catalog-dev"])
    assert [p.name for p in chosen] == ["catalog-prod", "catalog-dev"]


def test_select_unknown_profile(tmp_path, env):
    path = write(tmp_path, FULL)
    config = load_config(path)
    with pytest.raises(UsageError) as info:
        select_profiles(config, ["catalog-prod", "catalog-prd"])
    message = str(info.value)
    assert "\n" not in message
    assert "catalog-prd" in message and path in message
    assert "did you mean 'catalog-prod'" in message


# -------------------------------------------------------------------------------------------
# Every error is one line naming the file


@pytest.mark.parametrize("data", [
    document({"sts_duration": "x"}),
    document({"nope": 1}),
    document(top={"settings": {"severity": {"LP-001": "x\ny"}}}),
    document({"user": "a\nb", "region": 5}),
    "version: 1\nprofiles: [\n",
    "version: 1\nprofiles:\n  - {name: a, name: b}\n",
])
def test_errors_are_single_line(tmp_path, data):
    load_error(tmp_path, data)


def test_yaml_imported_lazily():
    import subprocess
    import sys
    code = "import sys, auditor.config; print('yaml' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert out.stdout.strip() == "False", out.stderr


def test_control_character_in_yaml(tmp_path):
    message = load_error(tmp_path, "version: 1\nx: \x00\n")
    assert "invalid YAML at character" in message and "<unicode string>" not in message


def test_severity_rule_given_twice(tmp_path):
    message = load_error(tmp_path, document(top={"settings": {"severity": {"LP-001": "low",
                                                                           "lp-001": "high"}}}))
    assert "key 'severity.LP-001' is given twice" in message
