"""Reading YAML while keeping line numbers, so every load error can name file and line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import yaml

from configurator.errors import ModelError


@dataclass(frozen=True)
class Node:
    """A YAML node plus the file it came from; accessors raise ModelError with its line."""

    raw: yaml.Node
    file: str
    path: str  # e.g. "features[2].options[0].code", used as the error's field

    @property
    def line(self) -> int:
        return int(self.raw.start_mark.line) + 1

    def fail(self, message: str, token: object = None) -> ModelError:
        return ModelError(
            message, file=self.file, line=self.line, field=self.path,
            token=None if token is None else str(token),
        )

    def is_mapping(self) -> bool:
        return isinstance(self.raw, yaml.MappingNode)

    def items(self) -> Iterator[tuple[str, Node]]:
        if not isinstance(self.raw, yaml.MappingNode):
            raise self.fail(f"{self.path}: expected a mapping")
        for key, value in self.raw.value:
            name = str(key.value)
            yield name, Node(value, self.file, f"{self.path}.{name}" if self.path else name)

    def mapping(self, allowed: frozenset[str], required: frozenset[str]) -> dict[str, Node]:
        fields: dict[str, Node] = {}
        for name, value in self.items():
            if name not in allowed:
                raise value.fail(f"{self.path or 'model'}: unknown field {name!r}", name)
            if name in fields:
                raise value.fail(f"{self.path or 'model'}: duplicate field {name!r}", name)
            fields[name] = value
        for name in sorted(required - fields.keys()):
            raise self.fail(f"{self.path or 'model'}: missing field {name!r}", name)
        return fields

    def sequence(self) -> list[Node]:
        if not isinstance(self.raw, yaml.SequenceNode):
            raise self.fail(f"{self.path}: expected a list")
        return [Node(item, self.file, f"{self.path}[{i}]") for i, item in enumerate(self.raw.value)]

    def scalar(self) -> object:
        if not isinstance(self.raw, yaml.ScalarNode):
            raise self.fail(f"{self.path}: expected a single value")
        return yaml.SafeLoader("").construct_object(self.raw)

    def text(self) -> str:
        value = self.scalar()
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise self.fail(f"{self.path}: expected text, got {value!r}", value)
        return str(value)

    def integer(self) -> int:
        value = self.scalar()
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(f"{self.path}: expected an integer, got {value!r}", value)
        return value

    def boolean(self) -> bool:
        value = self.scalar()
        if not isinstance(value, bool):
            raise self.fail(f"{self.path}: expected true or false, got {value!r}", value)
        return value

    def decimal(self) -> Decimal:
        # Read from the source text, not the float YAML made of it, so 0.1 stays exact.
        value = self.scalar()
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.fail(f"{self.path}: expected a number, got {value!r}", value)
        text = str(self.raw.value) if isinstance(value, float) else str(value)
        try:
            number = Decimal(text.strip())
        except InvalidOperation:
            raise self.fail(f"{self.path}: not a number: {text!r}", text) from None
        if not number.is_finite():
            raise self.fail(f"{self.path}: not a finite number: {text!r}", text)
        return number


def compose(text: str, file: str) -> Node:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = None if mark is None else mark.line + 1
        raise ModelError(f"YAML syntax: {error.problem}", file=file, line=line) from None
    if root is None:
        raise ModelError("empty model file", file=file, line=1)
    return Node(root, file, "")
