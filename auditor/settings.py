"""Tunable thresholds of the rules (the `settings:` block of the configuration)."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from fnmatch import fnmatchcase
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    access_key_max_age_days: int = 90
    max_session_limit: int = 14400
    min_external_id_length: int = 16
    new_key_grace_days: int = 7          # KEY-002: a key this young may not have been used yet
    rules: tuple[str, ...] = ()          # globs on rule IDs: only these run (all when empty)
    skip_rules: tuple[str, ...] = ()     # globs on rule IDs: these never run
    severity_overrides: dict = field(default_factory=dict, hash=False, compare=False)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def selects(self, rule_id: str) -> bool:
        """Whether the rule runs under `rules` / `skip_rules`."""
        return _selects(self.rules, self.skip_rules, rule_id)


@lru_cache(maxsize=4096)
def _selects(rules: tuple[str, ...], skip_rules: tuple[str, ...], rule_id: str) -> bool:
    if rules and not any(fnmatchcase(rule_id, pattern) for pattern in rules):
        return False
    return not any(fnmatchcase(rule_id, pattern) for pattern in skip_rules)


def unmatched_patterns(patterns, rule_ids) -> list[str]:
    """The patterns that match no rule ID (a typo selects nothing: the caller says so)."""
    return [p for p in patterns if not any(fnmatchcase(rule_id, p) for rule_id in rule_ids)]


DEFAULT_SETTINGS = Settings()
