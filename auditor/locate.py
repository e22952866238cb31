"""Where things are in source text: 1-based (line, column) for SARIF regions.

* `statement_position(text, index, yaml)`: the statement object `Statement[index]` (or the
  single `Statement` object when the document holds one, for index 0) of a JSON or YAML policy
  document; the document's start when `index` is None.
* `parse_error_position(text, yaml)`: where a JSON or YAML parser gives up on the text.
* `config_position(text, profile, key)`: a profile's entry (or one of its keys) in the YAML
  configuration file.

Lines follow SARIF: CR, LF and CRLF each end a line. Columns count UTF-16 code units (SARIF's
default `columnKind`), which is the character count for everything outside the astral planes.
The document is read as IAM reads it: keys found case-insensitively (the first spelling wins,
and its last duplicate, as `policy._get_ci` over `json.loads` does); a `.yaml` file holding
JSON is located as JSON, as `policy.load_document` parses it. These helpers never raise: on
anything unexpected they return None and the caller falls back to line 1.

`SourceFiles` reads each file once and remembers the positions asked for, so a renderer that
locates many results in the same files does each read and parse once per render.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

Position = tuple[int, int]

_WHITESPACE = " \t\n\r"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_DECODER = json.JSONDecoder()
YAML_SUFFIXES = (".yaml", ".yml")


def statement_position(text: str, statement_index: int | None, yaml: bool) -> Position | None:
    """1-based (line, column) of statement `statement_index`, or of the document when None."""
    try:
        if statement_index is not None and (
                isinstance(statement_index, bool) or not isinstance(statement_index, int)
                or statement_index < 0):
            return None
        text = _strip_bom(text)
        if not yaml or _is_json(text):
            offset = _json_statement_offset(text, statement_index)
        else:
            offset = _yaml_statement_offset(text, statement_index)
        return None if offset is None else line_column(text, offset)
    except Exception:  # noqa: BLE001 - a position is a nicety; never lose the report over it
        return None


def parse_error_position(text: str, yaml: bool) -> Position | None:
    """Where the text stops being JSON (or, with `yaml`, YAML); None when it parses."""
    try:
        text = _strip_bom(text)
        if not yaml:
            return _json_error_position(text)
        if _is_json(text):
            return None
        import yaml as pyyaml  # imported lazily: only YAML files need it

        try:
            pyyaml.compose(text, Loader=pyyaml.SafeLoader)
        except pyyaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
            if mark is None:
                return None
            return line_column(text, min(mark.index, len(text)))
        return None
    except Exception:  # noqa: BLE001
        return None


def config_position(text: str, profile: str | None, key: str | None = None) -> Position | None:
    """1-based (line, column) of `profiles[name == profile]` (of its `key` when given and
    present) in a YAML configuration; of the document when `profile` is None."""
    try:
        import yaml as pyyaml

        text = _strip_bom(text)
        root = pyyaml.compose(text, Loader=pyyaml.SafeLoader)
        if root is None:
            return None
        if profile is None:
            return line_column(text, root.start_mark.index)
        profiles = _yaml_get(root, "profiles", case_insensitive=False)
        if not isinstance(profiles, pyyaml.SequenceNode):
            return None
        for entry in profiles.value:
            name = _yaml_get(entry, "name", case_insensitive=False)
            if isinstance(name, pyyaml.ScalarNode) and name.value == profile:
                node = entry
                if key is not None:
                    key_node = _yaml_key(entry, key)
                    node = key_node if key_node is not None else entry
                return line_column(text, node.start_mark.index)
        return None
    except Exception:  # noqa: BLE001
        return None


def line_column(text: str, offset: int) -> Position:
    """1-based line and UTF-16 column of character `offset` in `text`."""
    line, line_start = 1, 0
    for match in _LINE_BREAK.finditer(text, 0, offset):
        line += 1
        line_start = match.end()
    prefix = text[line_start:offset]
    return line, len(prefix.encode("utf-16-le")) // 2 + 1


class SourceFiles:
    """File reads and positions, cached for the life of one render."""

    def __init__(self) -> None:
        self._texts: dict[str, str | None] = {}
        self._positions: dict[tuple, Position | None] = {}

    def text(self, path: str) -> str | None:
        if path not in self._texts:
            try:
                self._texts[path] = Path(path).read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError, ValueError):
                self._texts[path] = None
        return self._texts[path]

    def statement_position(self, path: str, statement_index: int | None) -> Position | None:
        return self._cached(("statement", path, statement_index), path, lambda text: statement_position(
            text, statement_index, yaml=Path(path).suffix.lower() in YAML_SUFFIXES))

    def parse_error_position(self, path: str) -> Position | None:
        return self._cached(("error", path), path, lambda text: parse_error_position(
            text, yaml=Path(path).suffix.lower() in YAML_SUFFIXES))

    def config_position(self, path: str, profile: str | None, key: str | None = None) -> Position | None:
        return self._cached(("config", path, profile, key), path,
                            lambda text: config_position(text, profile, key))

    def _cached(self, cache_key: tuple, path: str, locate) -> Position | None:
        try:
            hash(cache_key)
        except TypeError:
            return None
        if cache_key not in self._positions:
            text = self.text(path)
            self._positions[cache_key] = None if text is None else locate(text)
        return self._positions[cache_key]


# --- JSON --------------------------------------------------------------------------------

def _strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in _WHITESPACE:
        index += 1
    return index


def _json_statement_offset(text: str, statement_index: int | None) -> int | None:
    start = _skip(text, 0)
    if start >= len(text):
        return None
    if statement_index is None:
        return start
    if text[start] != "{":
        return None
    members = _json_members(text, start)
    if members is None:
        return None
    value = _pick(members)
    if value is None:
        return None
    if text[value] == "{":
        return value if statement_index == 0 else None
    if text[value] != "[":
        return None
    return _json_element(text, value, statement_index)


def _json_members(text: str, start: int) -> list[tuple[str, int]] | None:
    """(key, offset of the value) for each member of the object opening at `start`."""
    members: list[tuple[str, int]] = []
    index = _skip(text, start + 1)
    if text[index] == "}":
        return members
    while True:
        if text[index] != '"':
            return None
        key, index = json.decoder.scanstring(text, index + 1, True)
        index = _skip(text, index)
        if text[index] != ":":
            return None
        value = _skip(text, index + 1)
        _, index = _DECODER.raw_decode(text, value)
        members.append((key, value))
        index = _skip(text, index)
        if text[index] == ",":
            index = _skip(text, index + 1)
        elif text[index] == "}":
            return members
        else:
            return None


def _json_element(text: str, start: int, wanted: int) -> int | None:
    index = _skip(text, start + 1)
    if text[index] == "]":
        return None
    position = 0
    while True:
        if position == wanted:
            return index
        _, index = _DECODER.raw_decode(text, index)
        index = _skip(text, index)
        if text[index] != ",":
            return None
        index = _skip(text, index + 1)
        position += 1


def _pick(members: list[tuple[Any, Any]], name: str = "statement"):
    """The value IAM's parser reads for `name`: first spelling that matches case-insensitively,
    last duplicate of that spelling."""
    chosen = next((key for key, _ in members if isinstance(key, str) and key.lower() == name), None)
    if chosen is None:
        return None
    return [value for key, value in members if key == chosen][-1]


def _json_error_position(text: str) -> Position | None:
    start = _skip(text, 0)
    try:
        _, end = _DECODER.raw_decode(text, start)
    except json.JSONDecodeError as error:
        return line_column(text, min(error.pos, len(text)))
    end = _skip(text, end)
    return line_column(text, end) if end < len(text) else None


# --- YAML --------------------------------------------------------------------------------

def _yaml_statement_offset(text: str, statement_index: int | None) -> int | None:
    import yaml as pyyaml  # imported lazily: only YAML files need it

    root = pyyaml.compose(text, Loader=pyyaml.SafeLoader)
    if root is None:
        return None
    if statement_index is None:
        return root.start_mark.index
    node = _yaml_get(root, "statement", case_insensitive=True)
    if isinstance(node, pyyaml.MappingNode):
        return node.start_mark.index if statement_index == 0 else None
    if isinstance(node, pyyaml.SequenceNode) and statement_index < len(node.value):
        return node.value[statement_index].start_mark.index
    return None


def _yaml_pairs(node) -> list[tuple[str, Any]]:
    import yaml as pyyaml

    if not isinstance(node, pyyaml.MappingNode):
        return []
    return [(key.value, (key, value)) for key, value in node.value
            if isinstance(key, pyyaml.ScalarNode) and isinstance(key.value, str)]


def _yaml_get(node, name: str, *, case_insensitive: bool):
    pairs = _yaml_pairs(node)
    if case_insensitive:
        picked = _pick(pairs, name)
    else:
        matches = [pair for key, pair in pairs if key == name]
        picked = matches[-1] if matches else None
    return None if picked is None else picked[1]


def _yaml_key(node, name: str):
    matches = [pair for key, pair in _yaml_pairs(node) if key == name]
    return matches[-1][0] if matches else None
