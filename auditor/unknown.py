"""Values infrastructure code leaves to deploy time.

A CloudFormation parameter, an attribute AWS assigns (`!GetAtt Secret.Id`), an `ImportValue`, a
Terraform value "known after apply": the files cannot say what it will be. Such a value is an
`Unknown`: a `str` (so the policy model keeps it where a string goes) whose text names what it
stands for, e.g. `<parameter ExternalIdParameter>`. It holds no `*` or `?`, so it is never read
as a wildcard, and it equals only an identical `Unknown`, never a literal, so no comparison with
a real value can succeed by accident.

Rules must not PASS on an `Unknown`: they SKIP, or say the verdict depends on it. `shape` helps
a rule that only needs an upper bound: the text with each unknown part written as `*` (e.g.
`arn:aws:iam::*:role/reader` for an ARN whose only unknown is the account), or None when nothing
of the value is known.

This module is the lowest layer: the policy model, the evaluator and the rules may all use it.
"""
from __future__ import annotations


class OpaqueText(str):
    """A `str` that stands for something other than its text (a value known only at deploy, a
    snapshot's token of an external ID): `str()` returns it unchanged, so the policy model keeps
    the type, and it equals only text of its own family (`family=True` on the class that starts
    one), never a literal, so no cache keyed by a statement mixes one up with plain text."""

    _family: type = str

    def __init_subclass__(cls, family: bool = False, **kwargs):
        super().__init_subclass__(**kwargs)
        if family:
            cls._family = cls

    def __str__(self) -> str:
        return self

    def __eq__(self, other) -> bool:
        return isinstance(other, self._family) and str.__eq__(self, other)

    def __ne__(self, other) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__


class Unknown(OpaqueText, family=True):
    """A value known only at deploy. `what` says what it is; `shape` is its known skeleton."""

    what: str
    shape: str | None

    def __new__(cls, what: str, shape: str | None = None) -> "Unknown":
        text = "<" + what.replace("*", "").replace("?", "") + ">"
        value = super().__new__(cls, text)
        value.what = what
        value.shape = shape if shape is not None and shape.strip("*") else None
        return value

    def __reduce__(self):
        return (Unknown, (self.what, self.shape))

    def __repr__(self) -> str:
        return f"Unknown({self.what!r})"


def is_unknown(value) -> bool:
    return isinstance(value, Unknown)


def unknowns_in(value) -> list[Unknown]:
    """Every `Unknown` inside a decoded document (dicts, lists, strings), in document order."""
    found: list[Unknown] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Unknown):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.keys()) + list(item.values())))
        elif isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
    return found
