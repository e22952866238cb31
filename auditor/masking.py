"""Masking of sensitive values: external IDs and access keys never appear in full."""
from __future__ import annotations




def mask(value: str | None, keep: int = 3) -> str | None:
    """First `keep` characters, then an ellipsis; short values are masked entirely."""
    if value is None:
        return None
    if len(value) <= keep * 2:
        return "…"
    return value[:keep] + "…"

