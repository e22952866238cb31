"""The action catalogue: every current IAM action and its access level.

botocore's service models ship with boto3 and know every current API operation (including
secretsmanager:BatchGetSecretValue); policyuniverse's data (2023) knows IAM-only actions and
AWS's own access levels. Both are loaded lazily, per service prefix when a pattern names one,
and wholly only for a pattern whose service part is a wildcard. Expansions are memoized, so no
wildcard is expanded twice in a process.
"""
from __future__ import annotations

import json
import re
import threading
from functools import lru_cache

READ, LIST, WRITE, PERMISSIONS, TAGGING, UNKNOWN = "read", "list", "write", "permissions", "tagging", "unknown"
_POLICYUNIVERSE_LEVELS = {"Read": READ, "List": LIST, "Write": WRITE, "Permissions": PERMISSIONS,
                          "Tagging": TAGGING}
_PERMISSION_WORDS = ("Policy", "Permission", "Grant", "AccessKey", "LoginProfile", "Role",
                     "ServiceSpecificCredential", "SSHPublicKey")
_READ_VERBS = ("Get", "BatchGet", "Describe", "Search", "Query", "Lookup", "Check", "Validate",
               "Preview", "Export", "Download", "Select", "Scan", "Retrieve", "Read", "View")


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


class ActionCatalogue:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._services: dict[str, dict[str, tuple[str, str]]] = {}   # prefix -> lower -> (Name, level)
        self._universe: dict[str, dict[str, tuple[str, str]]] | None = None
        self._botocore_names: dict[str, str] | None = None           # botocore service -> prefix
        self._complete = False
        self._all: frozenset[str] | None = None

    # -- loading --------------------------------------------------------------------------
    def _policyuniverse(self) -> dict[str, dict[str, tuple[str, str]]]:
        if self._universe is None:
            from importlib import resources

            data = json.loads(resources.files("policyuniverse").joinpath("data.json").read_text())
            universe: dict[str, dict[str, tuple[str, str]]] = {}
            for body in data.values():
                actions = universe.setdefault(body["prefix"].lower(), {})
                for name, info in body["actions"].items():
                    level = _POLICYUNIVERSE_LEVELS.get(info.get("calculated_action_group"), UNKNOWN)
                    actions[name.lower()] = (name, level)
            self._universe = universe
        return self._universe

    @staticmethod
    def _loader():
        import botocore.loaders

        return botocore.loaders.create_loader()

    def _load_botocore(self, loader, name: str) -> tuple[str, dict[str, tuple[str, str]]] | None:
        try:
            model = loader.load_service_model(name, "service-2")
        except Exception:  # noqa: BLE001 - an unknown or broken model just adds nothing
            return None
        metadata = model.get("metadata", {})
        prefix = (metadata.get("signingName") or metadata.get("endpointPrefix") or name).lower()
        return prefix, {op.lower(): (op, _guess_level(op)) for op in model.get("operations", {})}

    def _merge(self, prefix: str, botocore_actions: dict[str, tuple[str, str]]) -> None:
        merged = dict(botocore_actions)
        merged.update(self._policyuniverse().get(prefix, {}))  # AWS's access levels win
        existing = self._services.get(prefix, {})
        existing.update({k: v for k, v in merged.items() if k not in existing})
        self._services[prefix] = existing

    def service(self, prefix: str) -> dict[str, tuple[str, str]]:
        prefix = prefix.lower()
        with self._lock:
            if prefix not in self._services and not self._complete:
                loaded = self._load_botocore(self._loader(), prefix)
                self._merge(prefix, loaded[1] if loaded and loaded[0] == prefix else {})
            return self._services.get(prefix, {})

    def everything(self) -> dict[str, dict[str, tuple[str, str]]]:
        with self._lock:
            if not self._complete:
                loader = self._loader()
                by_prefix: dict[str, dict[str, tuple[str, str]]] = {}
                for name in loader.list_available_services("service-2"):
                    loaded = self._load_botocore(loader, name)
                    if loaded:
                        by_prefix.setdefault(loaded[0], {}).update(loaded[1])
                for prefix in set(by_prefix) | set(self._policyuniverse()):
                    self._merge(prefix, by_prefix.get(prefix, {}))
                self._complete = True
            return self._services

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
    if pattern == "*":
        return catalogue.all_actions()
    prefix, _, name = pattern.partition(":")
    regex = re.compile(re.escape(name).replace(r"\*", ".*").replace(r"\?", "."), re.IGNORECASE)
    if "*" in prefix or "?" in prefix:
        prefix_regex = re.compile(re.escape(prefix).replace(r"\*", ".*").replace(r"\?", "."))
        services = {p: a for p, a in catalogue.everything().items() if prefix_regex.fullmatch(p)}
    else:
        services = {prefix: catalogue.service(prefix)}
    return frozenset(f"{p}:{canonical}" for p, actions in services.items()
                     for lower, (canonical, _) in actions.items() if regex.fullmatch(lower))


_CATALOGUE: ActionCatalogue | None = None


def catalogue() -> ActionCatalogue:
    global _CATALOGUE
    if _CATALOGUE is None:
        _CATALOGUE = ActionCatalogue()
    return _CATALOGUE
