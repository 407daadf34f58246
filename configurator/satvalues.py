"""Feature values as integer tokens, so that witnessing a SAT model is a C-level set operation.

A one-bit variable's value is keyed by its literal (``+x`` for code 1, ``-x`` for code 0): a
model's literal list then *is* the list of values it witnesses. Values of wider variables get
tokens above every solver variable id (so they never collide with a literal) and are decoded
from the model one variable at a time; feature models have none, product models a few.
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence

from configurator.encoding import Encoding, Variable, code_bits


class ValueTokens:
    """Tokens of every variable's values, with the bit literals that make each true."""

    def __init__(self, encoding: Encoding, ids: Mapping[str, int], first_free: int) -> None:
        self.bit_count = len(ids)  # bit variables are numbered 1..bit_count
        self._tokens: list[tuple[int, ...]] = []
        self._literals: dict[int, tuple[int, ...]] = {}
        self._wide: list[tuple[tuple[int, ...], tuple[int, ...]]] = []  # bit ids, code tokens
        self.decoded: dict[int, tuple[Variable, int]] = {}
        for variable in encoding.variables:
            literals = [tuple(ids[b] if v else -ids[b]
                              for b, v in code_bits(variable, code).items())
                        for code in range(len(variable.values))]
            if variable.width == 1:
                tokens = tuple(lits[0] for lits in literals)
            else:
                tokens = tuple(range(first_free, first_free + len(literals)))
                first_free += len(literals)
                self._wide.append((tuple(ids[b] for b in variable.bits), tokens))
            self._tokens.append(tokens)
            for code, (token, lits) in enumerate(zip(tokens, literals, strict=True)):
                self._literals[token] = lits
                self.decoded[token] = (variable, code)

    def of(self, variable: Variable) -> tuple[int, ...]:
        """Tokens of the variable's values, in value order."""
        return self._tokens[variable.index]

    def literals(self, token: int) -> tuple[int, ...]:
        """The bit literals that make the value true."""
        return self._literals[token]

    def wide(self, holds: Callable[[int], bool]) -> list[int]:
        """Tokens of the wide variables' values, given which bit variables are true."""
        tokens = []
        for bits, codes in self._wide:
            code = 0
            for bit in bits:
                code = code * 2 + holds(bit)
            tokens.append(codes[code])
        return tokens

    def taken(self, model: Sequence[int], among: set[int]) -> set[int]:
        """The tokens in ``among`` that the (complete) model takes."""
        bits = self.bit_count
        if len(among) * 8 > bits:  # many to look up: let C walk the model instead
            taken = among.intersection(model[:bits])
        else:
            taken = {t for t in among if -bits <= t <= bits and model[abs(t) - 1] == t}
        if self._wide:
            taken.update(among.intersection(self.wide(lambda bit: model[bit - 1] > 0)))
        return taken

    def gained(self, true: set[int], flipped: list[int]) -> list[int]:
        """Tokens of the values touched by ``flipped`` in the model with these true
        literals (a wide variable's value is decoded whole: one flipped bit changes it)."""
        return flipped + self.wide(true.__contains__) if self._wide else flipped

    def phases(self, unseen: Iterable[int]) -> list[int]:
        """Bit literals pointing the solver at the unseen values."""
        if not self._wide:
            return list(unseen)
        phases: list[int] = []
        for token in unseen:
            phases.extend(self._literals[token])
        return phases

    def refuted(self, unseen: Iterable[int], implied: Iterable[int]) -> set[int]:
        """Unseen values contradicting some implied literal."""
        false = {-literal for literal in implied}
        if not self._wide:
            return false.intersection(unseen)
        return {t for t in unseen if not false.isdisjoint(self._literals[t])}


_DIGITS = bytes.maketrans(b"\x00\x01", b"01")
_SIGN_FLAGS = bytes.maketrans(b"\x00\xff", b"\x01\x00")


class KeptModels:
    """Recent models, each as a bit mask of its true bit variables (bit ``v - 1`` for
    variable ``v``) plus its wide-value tokens: a few hundred bytes per model, and reusing
    hundreds of them is a little big-integer arithmetic."""

    def __init__(self, values: ValueTokens, size: int) -> None:
        self.values = values
        self._kept: deque[tuple[int, tuple[int, ...]]] = deque(maxlen=size)
        self._packer = struct.Struct(f"<{values.bit_count}i")

    def add(self, model: Sequence[int]) -> None:
        """Keep a solver model (a literal list over variables 1..n, n >= bit count)."""
        # packed little-endian, each literal's last byte is its sign: 0x00 true, 0xff false
        signs = self._packer.pack(*model[:self.values.bit_count])[3::4]
        self._keep(signs.translate(_SIGN_FLAGS), lambda bit: model[bit - 1] > 0)

    def add_true(self, true: set[int]) -> None:
        """Keep a model given as its set of true literals."""
        flags = bytes(map(true.__contains__, range(1, self.values.bit_count + 1)))
        self._keep(flags, true.__contains__)

    def _keep(self, flags: bytes, holds: Callable[[int], bool]) -> None:
        # the reversed digit string puts variable 1 in the lowest bit
        entry = (int(flags.translate(_DIGITS)[::-1] or b"0", 2), tuple(self.values.wide(holds)))
        if entry not in self._kept:
            self._kept.append(entry)

    def take(self, base: Iterable[int], unseen: set[int]) -> None:
        """Remove from ``unseen`` the values some kept model with all ``base`` literals
        takes."""
        must = sum(1 << (lit - 1) for lit in base if lit > 0)
        must_not = sum(1 << (-lit - 1) for lit in base if lit < 0)
        some, every = 0, -1  # bits true in some / in every agreeing model
        wide: set[int] = set()
        for mask, tokens in self._kept:
            if mask & must == must and not mask & must_not:
                some |= mask
                every &= mask
                wide.update(tokens)
        if every == -1 and not some:
            return  # no kept model agrees
        bits = self.values.bit_count
        unseen.difference_update(
            [t for t in unseen if (0 < t <= bits and some >> (t - 1) & 1)
             or (-bits <= t < 0 and not every >> (-t - 1) & 1)] + list(wide))
