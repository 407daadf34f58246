"""Errors raised for bad product models and bad configuration input."""

from __future__ import annotations


class ModelError(ValueError):
    """A problem in a product model (or in user input), located by file, line and field/token.

    ``str(error)`` reads ``file:line: message`` so that editors and terminals can jump to it.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str = "<model>",
        line: int | None = None,
        field: str | None = None,
        token: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        self.token = token
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "token": self.token,
            "message": self.message,
        }


class ChoiceError(ModelError):
    """A configuration request names an unknown feature or a value outside its domain."""

    def __init__(self, message: str, *, feature: str | None = None, value: str | None = None):
        super().__init__(message, file="<choices>", field=feature, token=value)
        self.feature = feature
        self.value = value

    def __str__(self) -> str:
        return self.message


class CompileError(RuntimeError):
    """The decision-diagram compiler gave up on a model (over its node budget, or an atom
    too large to enumerate). ``str(error)`` is one line naming the model and the reason."""

    def __init__(self, model: str, reason: str, *, budget: int | None = None,
                 cached: bool = False) -> None:
        self.model, self.reason, self.budget, self.cached = model, reason, budget, cached
        super().__init__(str(self))

    def __str__(self) -> str:
        if not self.model:  # raised below the compiler, which names the model
            return self.reason
        return f"model {self.model!r} does not compile to a BDD: {self.reason}"
