"""External IDs in snapshots: written as facts, never in full.

A snapshot keeps the trust policy as IAM returned it, except each literal `sts:ExternalId`
value, which becomes a token holding its SHA-256 (exact and case-folded), its masked form and
the facts TRUST-004 needs. CHAIN-003 compares the configured ID by hash; TRUST-004 reads the
facts; so a scan of a snapshot gives the results of the live scan.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .masking import mask

TOKEN_PREFIX = "iam-auditor-redacted-external-id;"
_FORMAT = re.compile(r"^[A-Za-z0-9_+=,.@:/-]{2,1224}\Z")
_KEY = "sts:externalid"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ExternalIdFacts:
    masked: str
    length: int
    format_ok: bool
    digits_only: bool
    distinct: int
    sha256: str
    sha256_casefold: str

    @classmethod
    def of(cls, value: str) -> "ExternalIdFacts":
        """Facts of a literal value, or of a token written by `redact_trust_policy`."""
        if value.startswith(TOKEN_PREFIX):
            fields = dict(part.split("=", 1) for part in value[len(TOKEN_PREFIX):].split(";"))
            return cls(fields["mask"], int(fields["length"]), fields["format"] == "1",
                       fields["digits"] == "1", int(fields["distinct"]), fields["sha256"],
                       fields["ci"])
        return cls(mask(value), len(value), bool(_FORMAT.match(value)), value.isdigit(),
                   len(set(value)), _sha(value), _sha(value.casefold()))

    def token(self) -> str:
        return (f"{TOKEN_PREFIX}sha256={self.sha256};ci={self.sha256_casefold};mask={self.masked};"
                f"length={self.length};format={int(self.format_ok)};digits={int(self.digits_only)};"
                f"distinct={self.distinct}")

    def equals(self, request_value: str, *, ignore_case: bool = False) -> bool:
        if ignore_case:
            return _sha(request_value.casefold()) == self.sha256_casefold
        return _sha(request_value) == self.sha256


def is_token(value: str) -> bool:
    return value.startswith(TOKEN_PREFIX)


def redact_trust_policy(document):
    """The trust policy with every literal external-ID value replaced by its token.
    Wildcard patterns (StringLike "*") are kept: they are not IDs."""
    if isinstance(document, str):
        from .policy import PolicyParseError, load_document

        try:
            document = load_document(document)
        except PolicyParseError:
            return document
    if not isinstance(document, dict):
        return document

    def redact_block(operator: str, block):
        if not isinstance(block, dict):
            return block
        out = {}
        for key, values in block.items():
            if str(key).lower() == _KEY and not operator.lower().startswith(("null", "bool")):
                single = not isinstance(values, list)
                items = [values] if single else values
                items = [ExternalIdFacts.of(v).token()
                         if isinstance(v, str) and not ("Like" in operator and ("*" in v or "?" in v))
                         else v for v in items]
                values = items[0] if single else items
            out[key] = values
        return out

    def redact_statement(statement):
        if not isinstance(statement, dict):
            return statement
        return {k: ({op: redact_block(str(op), block) for op, block in v.items()}
                    if str(k).lower() == "condition" and isinstance(v, dict) else v)
                for k, v in statement.items()}

    statements = {k: v for k, v in document.items()}
    for key, value in document.items():
        if str(key).lower() == "statement":
            statements[key] = ([redact_statement(s) for s in value] if isinstance(value, list)
                               else redact_statement(value))
    return statements
