"""Log encoding of finite-domain features into Boolean variables (shared by BDD and SAT)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

Assignment = Mapping[str, object]


@dataclass(frozen=True)
class Variable:
    """A finite-domain variable: a feature and its values in their fixed order."""

    name: str
    values: tuple[object, ...]
    index: int  # position in the model (bit names use it so any feature name is allowed)

    @cached_property
    def width(self) -> int:
        return max(1, (len(self.values) - 1).bit_length())

    @cached_property
    def bits(self) -> tuple[str, ...]:
        """Bit names, most significant first."""
        return tuple(f"v{self.index}_{k}" for k in range(self.width))


@dataclass
class Encoding:
    variables: tuple[Variable, ...]
    _by_name: dict[str, Variable] = field(init=False, repr=False)
    _positions: dict[str, dict[object, int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name = {v.name: v for v in self.variables}
        self._positions = {
            v.name: {_key(value): i for i, value in enumerate(v.values)} for v in self.variables
        }

    @classmethod
    def of(cls, domains: Sequence[tuple[str, Sequence[object]]]) -> Encoding:
        return cls(tuple(Variable(name, tuple(values), i)
                         for i, (name, values) in enumerate(domains)))

    def __getitem__(self, name: str) -> Variable:
        return self._by_name[name]

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    @property
    def all_bits(self) -> list[str]:
        return [bit for variable in self.variables for bit in variable.bits]

    def position(self, name: str, value: object) -> int:
        """Index of ``value`` in the domain of ``name``; KeyError when it is not there."""
        return self._positions[name][_key(value)]

    def bits_of(self, name: str, value: object) -> dict[str, bool]:
        variable = self._by_name[name]
        return code_bits(variable, self.position(name, value))

    def cube(self, assignment: Assignment) -> dict[str, bool]:
        bits: dict[str, bool] = {}
        for name, value in assignment.items():
            bits.update(self.bits_of(name, value))
        return bits

    def decode(self, bits: Mapping[str, bool]) -> dict[str, object]:
        values: dict[str, object] = {}
        for variable in self.variables:
            code = 0
            for bit in variable.bits:
                code = code * 2 + int(bool(bits.get(bit, False)))
            values[variable.name] = variable.values[code]
        return values

    def bit_owner(self) -> Iterator[tuple[str, str]]:
        for variable in self.variables:
            for bit in variable.bits:
                yield bit, variable.name


def code_bits(variable: Variable, code: int) -> dict[str, bool]:
    width = variable.width
    return {bit: bool((code >> (width - 1 - k)) & 1) for k, bit in enumerate(variable.bits)}


def _key(value: object) -> object:
    # True == 1 in Python; keep booleans and integers apart when looking values up.
    return (type(value) is bool, value)
