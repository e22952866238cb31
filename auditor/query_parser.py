"""botocore's parser for query-protocol answers (IAM, STS), with its per-element work done once
per shape; and IAM's policy documents decoded without walking all of every answer.

For every XML element, botocore's QueryParser strips the namespace with a regular expression,
looks its handler up by name, and walks the structure's members with three dictionary lookups
each. On an account's GetAccountAuthorizationDetails and ListRoles pages that walk was a third
of discover's CPU. Here each output shape is compiled once into a function of an element (a
table of its members' XML names for a structure), kept as long as the shape lives.

Only what botocore would parse the same way is compiled: structures with no XML attribute, no
error or union metadata; non-flattened lists; strings, numbers, booleans and timestamps (with
the parser's own timestamp function). A shape holding anything else (maps, flattened lists,
blobs, documents) is left to botocore, and so is an answer that repeats an element where one is
expected: botocore's parser then handles it as it always did.
"""
from __future__ import annotations

import re
import threading
import weakref
from typing import Any, Callable

from botocore.handlers import decode_quoted_jsondoc, json_decode_policies
from botocore.parsers import PROTOCOL_PARSERS, QueryParser, ResponseParserFactory

_Compiled = Callable[[Any, "CompiledQueryParser"], Any]
_COMPILED: "weakref.WeakKeyDictionary[Any, _Compiled | None]" = weakref.WeakKeyDictionary()
_COMPILING = threading.RLock()              # compiling recurses into member shapes
_IN_PROGRESS: set[int] = set()              # shapes being compiled (alive: on the stack)
_SKIPPED_LOCATIONS = QueryParser.KNOWN_LOCATIONS
_NAMESPACE = re.compile("{.*}")             # botocore's own


class _Irregular(Exception):
    """The answer is not shaped as compiled (an element repeated): botocore's parser decides."""


def local_name(tag: str) -> str:
    """`{namespace}Name` -> `Name`, as botocore's `re.sub('{.*}', '', tag)`."""
    start = tag.find("{")
    if start < 0:
        return tag
    end = tag.rfind("}")
    if end < start or "\n" in tag:
        return _NAMESPACE.sub("", tag)
    return tag[:start] + tag[end + 1:]


def _text(node) -> str:
    text = node.text
    return "" if text is None else text


def _scalar(type_name: str) -> _Compiled | None:
    if type_name in ("string", "character"):
        return lambda node, parser: _text(node)
    if type_name == "boolean":
        return lambda node, parser: _text(node) == "true"
    if type_name in ("integer", "long"):
        return lambda node, parser: int(_text(node))
    if type_name in ("float", "double"):
        return lambda node, parser: float(_text(node))
    if type_name == "timestamp":
        return lambda node, parser: parser._timestamp_parser(_text(node))
    return None


def _member_xml_name(shape, member_name: str) -> str:
    serialized = shape.serialization.get("name")
    return member_name if serialized is None else serialized


_TEXT = object()            # a string member: its text is taken in the structure's loop
_KNOWN_TAGS = 256          # full tags remembered per structure (an answer may invent any number)


def _structure(shape) -> _Compiled | None:
    if shape.metadata.get("exception", False) or shape.is_tagged_union:
        return None
    table: dict[str, tuple[str, Any]] = {}
    for member_name, member_shape in shape.members.items():
        serialization = member_shape.serialization
        if serialization.get("location") in _SKIPPED_LOCATIONS or serialization.get("eventheader"):
            continue
        if serialization.get("xmlAttribute") or serialization.get("flattened"):
            return None
        parse = compiled(member_shape)
        if parse is None:
            return None
        kind = _TEXT if member_shape.type_name in ("string", "character") else parse
        table[_member_xml_name(member_shape, member_name)] = (member_name, kind)
    by_tag: dict[str, tuple[str, Any] | None] = {}     # `{namespace}Name` -> its entry

    def parse_structure(node, parser) -> dict:
        parsed: dict = {}
        for child in node:
            tag = child.tag
            try:
                entry = by_tag[tag]
            except KeyError:
                entry = table.get(local_name(tag))
                if len(by_tag) < _KNOWN_TAGS:
                    by_tag[tag] = entry
            if entry is None:
                continue            # an element the model does not name: botocore ignores it too
            name, parse = entry
            if name in parsed:
                raise _Irregular(name)
            if parse is _TEXT:
                text = child.text
                parsed[name] = "" if text is None else text
            else:
                parsed[name] = parse(child, parser)
        return parsed

    return parse_structure


def _list(shape) -> _Compiled | None:
    if shape.serialization.get("flattened"):
        return None
    parse = compiled(shape.member)
    if parse is None:
        return None
    return lambda node, parser: [parse(item, parser) for item in node]


def _once(cache, in_progress: set[int], shape, build: Callable, again: Callable):
    """`build(shape)`, once per shape, published whole: another thread never sees a half-built
    one (it waits on the lock); `again(shape)` is what a shape met again while it is being built
    (a recursive shape) gets."""
    try:
        return cache[shape]
    except KeyError:
        pass
    with _COMPILING:
        if shape in cache:
            return cache[shape]
        if id(shape) in in_progress:
            return again(shape)
        in_progress.add(id(shape))
        try:
            built = build(shape)
        finally:
            in_progress.discard(id(shape))
        cache[shape] = built
        return built


def compiled(shape) -> _Compiled | None:
    """The function parsing `shape` from an element, or None where botocore's parser is kept
    (a recursive shape among them)."""
    return _once(_COMPILED, _IN_PROGRESS, shape, _compile, lambda _shape: None)


def _compile(shape) -> _Compiled | None:
    type_name = shape.type_name
    if type_name == "structure":
        return _structure(shape)
    if type_name == "list":
        return _list(shape)
    return _scalar(type_name)


class CompiledQueryParser(QueryParser):
    def _parse_shape(self, shape, node):
        parse = compiled(shape) if not isinstance(node, list) else None
        if parse is not None:
            try:
                return parse(node, self)
            except _Irregular:
                pass
        return super()._parse_shape(shape, node)

    def _node_tag(self, node):
        return local_name(node.tag)


_POLICY_DOCUMENT = "policyDocumentType"     # IAM's shape of a URL-encoded JSON policy
_DECODERS: "weakref.WeakKeyDictionary[Any, Callable[[Any], None] | None]" = weakref.WeakKeyDictionary()
_IN_PROGRESS_DECODERS: set[int] = set()


def _policy_decoder(shape) -> Callable[[Any], None] | None:
    """botocore's `json_decode_policies` walk of `shape`, pruned to the members and items where a
    policy document can be (None: nowhere). botocore walks every member and list item of every
    answer: on a GetAccountAuthorizationDetails page, that walk cost as much as the decoding."""
    return _once(_DECODERS, _IN_PROGRESS_DECODERS, shape, _compile_decoder, _walk_later)


def _walk_later(shape) -> Callable[[Any], None]:
    """A recursive shape's walk, looked up when it runs (by then it is built)."""
    itself = weakref.ref(shape)

    def walk_recursive(parsed) -> None:
        walk = _DECODERS.get(itself())
        if walk is not None:
            walk(parsed)

    return walk_recursive


def _compile_decoder(shape) -> Callable[[Any], None] | None:
    if shape.type_name == "structure":
        steps = []
        for member_name, member_shape in shape.members.items():
            if member_shape.type_name == "string" and member_shape.name == _POLICY_DOCUMENT:
                steps.append((member_name, None))
            elif (inner := _policy_decoder(member_shape)) is not None:
                steps.append((member_name, inner))

        def walk_structure(parsed) -> None:
            for name, inner in steps:
                if name in parsed:
                    if inner is None:
                        parsed[name] = _decoded(parsed[name])
                    else:
                        inner(parsed[name])

        return walk_structure if steps else None
    if shape.type_name == "list":
        inner = _policy_decoder(shape.member)
        if inner is not None:
            def walk_list(parsed) -> None:
                for item in parsed:
                    inner(item)

            return walk_list
    return None


# Decoded documents by their encoded text. The same document comes back many times: each trust
# policy in both ListRoles and GetAccountAuthorizationDetails, and most service roles' trust
# policies are one of a few texts. One decoded object per text is also parsed once (parse_once
# goes by object). Bounded (the whole cache, and each text), and only ever read, never changed.
_DECODED: dict[str, Any] = {}
_DECODED_ENTRIES, _DECODED_TEXT = 1024, 4096


def _decoded(text):
    if not isinstance(text, str) or len(text) > _DECODED_TEXT:
        return decode_quoted_jsondoc(text)
    try:
        return _DECODED[text]
    except KeyError:
        pass
    value = decode_quoted_jsondoc(text)
    if len(_DECODED) >= _DECODED_ENTRIES:
        _DECODED.clear()
    _DECODED[text] = value
    return value


def decode_policies(parsed, model, **_kwargs) -> None:
    """In place of botocore's `json_decode_policies` (after-call.iam): the same documents decoded
    the same way (urldecoded JSON, left as text when it is not JSON)."""
    shape = model.output_shape
    walk = _policy_decoder(shape) if shape is not None else None
    if walk is not None:
        walk(parsed)


def install(core) -> None:
    """A botocore session's IAM and STS answers parsed and decoded as here."""
    core.unregister("after-call.iam", json_decode_policies)
    core.register("after-call.iam", decode_policies)


class ParserFactory(ResponseParserFactory):
    """botocore's factory, with the compiled parser for the query protocol."""

    def __init__(self):
        super().__init__()
        self._parser_defaults: dict = {}

    def set_parser_defaults(self, **kwargs) -> None:
        super().set_parser_defaults(**kwargs)
        self._parser_defaults.update(kwargs)

    def create_parser(self, protocol_name):
        if PROTOCOL_PARSERS.get(protocol_name) is QueryParser:
            return CompiledQueryParser(**self._parser_defaults)
        return super().create_parser(protocol_name)
