"""External IDs in snapshots: written as salted, slow hashes and strength facts, never in full.

A snapshot keeps every policy as IAM returned it, except each literal `sts:ExternalId` value
(in a trust policy or in an identity policy's condition), which becomes a token: an scrypt hash
under a salt drawn for that snapshot, the facts TRUST-004 needs (length, format, variety) and,
only for an ID strong enough that it gives nothing away, its masked form. scrypt costs about a
tenth of a second and 32 MiB per guess, so even a short numeric ID takes years of brute force
where an unsalted SHA-256 took seconds. CHAIN-003 hashes the configured ID under the token's
salt and compares, so a scan of a snapshot decides as the live scan does.

Tokens are recognised by type, never by prefix: only the snapshot reader (`tokens_to_values`)
turns token text into `RedactedExternalId` values. A live trust policy holding text shaped like
a token is a literal, compared as AWS compares it.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from .masking import mask
from .unknown import OpaqueText

TOKEN_PREFIX = "iam-auditor-redacted-external-id;"
_FORMAT = re.compile(r"^[A-Za-z0-9_+=,.@:/-]{2,1224}\Z")
_KEY = "sts:externalid"
_SCRYPT = {"n": 2 ** 15, "r": 8, "p": 1, "dklen": 32, "maxmem": 64 * 1024 * 1024}
_HEX = re.compile(r"^[0-9a-f]{16,128}\Z")


def new_salt() -> str:
    return secrets.token_hex(16)


@lru_cache(maxsize=256)
def _digest(scheme: str, salt: str, text: str) -> str:
    if scheme == "sha256":  # version 1 tokens (unsalted): still read, never written
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return hashlib.scrypt(text.encode("utf-8", "surrogatepass"), salt=bytes.fromhex(salt),
                          **_SCRYPT).hex()


@dataclass(frozen=True)
class ExternalIdFacts:
    """What TRUST-004 needs to know of an external ID; none of it reveals the ID."""

    masked: str
    length: int
    format_ok: bool
    digits_only: bool
    distinct: int

    @classmethod
    def of(cls, value: str) -> "ExternalIdFacts":
        """Facts of a literal value, or those a snapshot's token carries."""
        if isinstance(value, RedactedExternalId):
            return value.facts
        return cls(mask(value), len(value), bool(_FORMAT.match(value)), value.isdigit(),
                   len(set(value)))

    @property
    def strong(self) -> bool:
        """Long and varied enough that its first characters leave a brute force hopeless."""
        return self.format_ok and self.length >= 16 and not self.digits_only and self.distinct > 3


class RedactedExternalId(OpaqueText, family=True):
    """An external ID read from a snapshot: its text is the token; it compares by hash, and
    equals only another token (OpaqueText)."""

    def matches(self, request_value: str, *, ignore_case: bool = False) -> bool | None:
        """Whether `request_value` is the ID (None: not decidable, e.g. no case-folded hash)."""
        if ignore_case:
            if self.digest_casefold is None:
                return None
            return _digest(self.scheme, self.salt, request_value.casefold()) == self.digest_casefold
        return _digest(self.scheme, self.salt, request_value) == self.digest

    def decide(self, operator: str, request_value: str) -> bool | None:
        """A string operator's positive form (`StringEquals`, `StringLike`,
        `StringEqualsIgnoreCase`) on this ID; None for any other operator."""
        if operator in ("StringEquals", "StringLike"):
            return self.matches(request_value)
        if operator == "StringEqualsIgnoreCase":
            return self.matches(request_value, ignore_case=True)
        return None


def redact_value(value: str, salt: str, *, ignore_case: bool = False) -> str:
    """The token text of a literal external ID under `salt` (the case-folded hash only when an
    IgnoreCase operator needs it)."""
    facts = ExternalIdFacts.of(value)
    fields = {"v": "2", "scrypt": _digest("scrypt", salt, value),
              "ci": _digest("scrypt", salt, value.casefold()) if ignore_case else "-",
              "salt": salt, "length": str(facts.length), "format": str(int(facts.format_ok)),
              "digits": str(int(facts.digits_only)), "distinct": str(facts.distinct),
              "mask": _field(facts.masked if facts.strong else "…")}
    return TOKEN_PREFIX + ";".join(f"{k}={v}" for k, v in fields.items())


def _field(text: str) -> str:
    """A token field's text: `;` (the field separator) and `%` percent-encoded, the rest as is."""
    return text.replace("%", "%25").replace(";", "%3B")


def parse_token(text: str) -> RedactedExternalId:
    """The value of a token written by `redact_value` (or by version 1); ValueError if malformed."""
    if not text.startswith(TOKEN_PREFIX):
        raise ValueError("not an external-ID token")
    try:
        fields = dict(part.split("=", 1) for part in text[len(TOKEN_PREFIX):].split(";"))
        if fields.get("v") == "2":
            scheme, digest, salt = "scrypt", fields["scrypt"], fields["salt"]
            casefold = None if fields["ci"] == "-" else fields["ci"]
        else:
            scheme, digest, salt, casefold = "sha256", fields["sha256"], "", fields["ci"]
        if not all(_HEX.match(h) for h in (digest, casefold or digest, salt or digest)):
            raise ValueError
        facts = ExternalIdFacts(unquote(fields["mask"]), int(fields["length"]),
                                fields["format"] == "1", fields["digits"] == "1",
                                int(fields["distinct"]))
    except (KeyError, ValueError):
        raise ValueError("malformed external-ID token in a policy document") from None
    token = RedactedExternalId(text)
    token.facts, token.scheme, token.salt = facts, scheme, salt
    token.digest, token.digest_casefold = digest, casefold
    return token


# --- documents -------------------------------------------------------------------------------

def _operator_parts(operator: str) -> tuple[str, bool]:
    """(base operator lower-cased without qualifier or IfExists, whether it ignores case)."""
    base = operator.split(":")[-1].lower()
    if base.endswith("ifexists"):
        base = base[:-len("ifexists")]
    return base, "ignorecase" in base


def _scalar_text(value) -> str | None:
    """The text IAM compares for a condition value (numbers and booleans count as text)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _redact_values(values, operator: str, salt: str):
    base, ignore_case = _operator_parts(operator)
    if isinstance(values, list):
        return [_redact_values(v, operator, salt) for v in values]
    if isinstance(values, dict):   # not IAM grammar, but nothing under the key is kept in clear
        return {k: _redact_values(v, operator, salt) for k, v in values.items()}
    text = _scalar_text(values)
    if text is None:
        return values
    if base in ("null", "bool") and text.lower() in ("true", "false"):
        return values            # presence tests, not IDs
    if "like" in base and ("*" in text or "?" in text):
        return values            # a pattern, not an ID: TRUST-003 reports it
    return redact_value(text, salt, ignore_case=ignore_case)


def redact_document(document: Any, salt: str) -> Any:
    """The policy document (trust or identity, decoded or as IAM's URL-encoded text) with every
    literal `sts:ExternalId` condition value replaced by its token under `salt`."""
    if isinstance(document, str):
        from .policy import PolicyParseError, load_document

        try:
            document = load_document(document)
        except (PolicyParseError, RecursionError):
            return document
    if not isinstance(document, dict):
        return document

    def redact_block(operator, block):
        if not isinstance(block, dict):
            return block
        return {key: (_redact_values(values, str(operator), salt)
                      if str(key).lower() == _KEY else values)
                for key, values in block.items()}

    def redact_statement(statement):
        if not isinstance(statement, dict):
            return statement
        return {k: ({op: redact_block(op, block) for op, block in v.items()}
                    if str(k).lower() == "condition" and isinstance(v, dict) else v)
                for k, v in statement.items()}

    out = dict(document)
    for key, value in document.items():
        if str(key).lower() == "statement":
            out[key] = ([redact_statement(s) for s in value] if isinstance(value, list)
                        else redact_statement(value))
    return out


def redact_trust_policy(document: Any) -> Any:
    """`redact_document` under a fresh salt (one document on its own)."""
    return redact_document(document, new_salt())


def tokens_to_values(document: Any) -> Any:
    """For the snapshot reader only: token text anywhere in a document becomes the
    `RedactedExternalId` it stands for. Raises ValueError on a malformed token."""
    if isinstance(document, str):
        return parse_token(document) if document.startswith(TOKEN_PREFIX) else document
    if isinstance(document, list):
        return [tokens_to_values(v) for v in document]
    if isinstance(document, dict):
        return {k: tokens_to_values(v) for k, v in document.items()}
    return document
