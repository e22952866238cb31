"""Tunable thresholds of the rules (the `settings:` block of the configuration)."""
from __future__ import annotations

from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class Settings:
    access_key_max_age_days: int = 90
    max_session_limit: int = 14400
    min_external_id_length: int = 16
    severity_overrides: dict = field(default_factory=dict, hash=False, compare=False)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


DEFAULT_SETTINGS = Settings()
