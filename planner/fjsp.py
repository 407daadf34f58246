"""Reader for the standard FJSP text format (machines numbered from 0)."""

from __future__ import annotations

from pathlib import Path

from planner.model import Machine, Operation, Order, Problem


class FjspFormatError(ValueError):
    """A malformed FJSP file; names the file, line and token."""

    def __init__(self, path: str, line: int, token: str, message: str) -> None:
        super().__init__(f"{path}:{line}: {message} (token {token!r})")
        self.path = path
        self.line = line
        self.token = token
        self.detail = message


def op_id(job: int, index: int) -> str:
    return f"j{job}.o{index}"


def read_fjsp(path: str | Path) -> Problem:
    text = Path(path).read_text(encoding="utf-8")
    return parse_fjsp(text, str(path))


def parse_fjsp(text: str, name: str = "<fjsp>") -> Problem:
    lines = [(k + 1, line.split()) for k, line in enumerate(text.splitlines()) if line.strip()]
    if not lines:
        raise FjspFormatError(name, 1, "", "empty file")
    header_line, header = lines[0]
    if len(header) < 2:
        raise FjspFormatError(name, header_line, " ".join(header), "header needs jobs and machines")
    jobs = _int(name, header_line, header[0], "job count")
    machines = _int(name, header_line, header[1], "machine count")
    if len(lines) - 1 < jobs:
        raise FjspFormatError(name, lines[-1][0], "", f"expected {jobs} job lines, "
                              f"found {len(lines) - 1}")
    operations: list[Operation] = []
    for job in range(jobs):
        line_no, tokens = lines[job + 1]
        operations.extend(_job(name, line_no, tokens, job, machines))
    return Problem(
        machines=tuple(Machine(f"m{k}") for k in range(machines)),
        orders=tuple(Order(f"j{job}") for job in range(jobs)),
        operations=tuple(operations),
    )


def _job(name: str, line_no: int, tokens: list[str], job: int, machines: int) -> list[Operation]:
    pos = 0

    def take(what: str) -> int:
        nonlocal pos
        if pos >= len(tokens):
            raise FjspFormatError(name, line_no, "", f"line ends where {what} was expected")
        value = _int(name, line_no, tokens[pos], what)
        pos += 1
        return value

    ops: list[Operation] = []
    for index in range(take("operation count")):
        durations = []
        for _ in range(take("eligible machine count")):
            token = tokens[pos] if pos < len(tokens) else ""
            machine = take("machine number")
            if not 0 <= machine < machines:
                raise FjspFormatError(name, line_no, token,
                                      f"machine {machine} outside 0..{machines - 1}")
            durations.append((f"m{machine}", take("processing time")))
        preds = (op_id(job, index - 1),) if index else ()
        ops.append(Operation(op_id(job, index), f"j{job}", tuple(durations), preds))
    if pos != len(tokens):
        raise FjspFormatError(name, line_no, tokens[pos], "unexpected extra token")
    return ops


def _int(name: str, line_no: int, token: str, what: str) -> int:
    try:
        value = int(token)
    except ValueError:
        try:
            value = int(float(token))
        except ValueError:
            raise FjspFormatError(name, line_no, token, f"{what} is not a number") from None
    if value < 0:
        raise FjspFormatError(name, line_no, token, f"{what} is negative")
    return value
