"""YAML reading that keeps line numbers, so every load error can name file and line.

Mappings load as `Node` (a dict that remembers the line of each key); numbers that are
not integers load as `Decimal`, never float, so quantities stay exact from the file on.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from bom.errors import EngineeringError


class Node(dict[str, Any]):
    """A YAML mapping with its own line and the line of each key."""

    def __init__(self, file: str, line: int) -> None:
        super().__init__()
        self.file = file
        self.line = line
        self.key_lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)

    def error(self, key: str | None, message: str) -> EngineeringError:
        line = self.line if key is None else self.line_of(key)
        return EngineeringError(self.file, line, key or "", message)


class _Loader(yaml.SafeLoader):
    source_file = ""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> Node:
    loader.flatten_mapping(node)
    result = Node(loader.source_file, node.start_mark.line + 1)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, bool | int):  # `yes:`/`1:` keys would silently become non-strings
            key = key_node.value
        if key in result:
            raise EngineeringError(
                loader.source_file, key_node.start_mark.line + 1, str(key), "duplicate key"
            )
        result[str(key)] = loader.construct_object(value_node, deep=True)
        result.key_lines[str(key)] = key_node.start_mark.line + 1
    return result


def _construct_decimal(loader: _Loader, node: yaml.ScalarNode) -> Decimal:
    return Decimal(str(loader.construct_scalar(node)).replace("_", ""))


def _construct_text(loader: _Loader, node: yaml.ScalarNode) -> str:
    # Dates and times stay text: the loaders that need them parse them with a clear error.
    return str(loader.construct_scalar(node))


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_text)


def read_yaml(path: Path, display: str | None = None) -> Node:
    """Read a YAML file whose top level is a mapping; `display` is the name used in errors."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise EngineeringError(name, 0, "", f"cannot read file: {error.strerror}") from error
    loader = _Loader(text)
    loader.source_file = name
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else 0
        raise EngineeringError(name, line, "", f"invalid YAML: {error.problem}") from error
    finally:
        loader.dispose()
    if not isinstance(data, Node):
        raise EngineeringError(name, 1, "", "the file must be a mapping at the top level")
    return data


def require(node: Node, key: str, kind: type | tuple[type, ...], what: str = "") -> Any:
    """The value under `key`, which must exist and have the given type."""
    if key not in node:
        raise node.error(None, f"missing field '{key}'{what}")
    value = node[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise node.error(key, f"'{key}' must be {_kind_name(kind)}")
    return value


def optional(node: Node, key: str, kind: type | tuple[type, ...], default: Any) -> Any:
    if key not in node or node[key] is None:
        return default
    return require(node, key, kind)


def as_decimal(node: Node, key: str, default: Decimal | None = None) -> Decimal:
    """A number written as a YAML number or a string, read exactly."""
    if key not in node:
        if default is None:
            raise node.error(None, f"missing field '{key}'")
        return default
    value = node[key]
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise node.error(key, f"'{key}' must be a number")
    try:
        return Decimal(str(value))
    except ArithmeticError as error:
        raise node.error(key, f"'{key}' is not a number: {value!r}") from error


def items_of(node: Node, key: str) -> list[Node]:
    """A list of mappings under `key` (empty when absent)."""
    value = node.get(key) or []
    if not isinstance(value, list) or not all(isinstance(entry, Node) for entry in value):
        raise node.error(key, f"'{key}' must be a list of mappings")
    return value


def check_keys(node: Node, allowed: Mapping[str, object] | set[str], what: str) -> None:
    for key in node:
        if key not in allowed:
            raise node.error(key, f"unknown field '{key}' in {what}")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "text", int: "an integer", Decimal: "a number", list: "a list",
             Node: "a mapping", bool: "true or false", dict: "a mapping"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)
