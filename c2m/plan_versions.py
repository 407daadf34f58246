"""Schedule versions that store what changed.

A plan run that succeeds becomes the schedule's next version. It writes a row only for an
operation that is new or whose machine, times or fixedness changed, and closes (`valid_to`)
the rows it replaces and those of lines that left the live schedule; a row is in version v
when valid_from <= v < valid_to. The current schedule is the rows with no `valid_to`, and a
version adds storage in proportion to what changed, where a full copy per run grew with the
plant (50,000 rows for each insertion at plant scale).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, func, insert, or_, select, update
from sqlalchemy.orm import Session

from c2m.models import PlannedOperation, PlanRun

CHUNK = 500  # ids per UPDATE ... IN (...): well inside every database's parameter limit


@dataclass(frozen=True)
class Row:
    """One operation's place in a version."""

    operation_key: str
    order_line_id: int
    operation_id: str
    machine: str
    start: datetime
    end: datetime
    fixed: bool

    def same_place(self, machine: str, start: datetime, end: datetime, fixed: bool) -> bool:
        return (self.machine, self.start, self.end, self.fixed) == (machine, start, end, fixed)


@dataclass(frozen=True)
class Stored:
    version: int
    written: int  # rows new in this version
    closed: int  # rows of the previous version not in this one (replaced or gone)


def rows_of(run: PlanRun) -> ColumnElement[bool]:
    """Where-clause for the planned operations of `run`'s version (none if it stored none)."""
    if run.version is None:
        return false()
    return and_(
        PlannedOperation.valid_from <= run.version,
        or_(PlannedOperation.valid_to.is_(None), PlannedOperation.valid_to > run.version),
    )


def store(session: Session, run: PlanRun, rows: Sequence[Row]) -> Stored:
    """Make `rows` the next version, stored by `run`. Call under the schedule lock: versions
    are a line, each built on the one in force."""
    version = (session.scalar(select(func.max(PlanRun.version))) or 0) + 1
    in_force = {
        key: (row_id, Row(key, 0, "", machine, start, end, fixed))
        for row_id, key, machine, start, end, fixed in session.execute(
            select(
                PlannedOperation.id,
                PlannedOperation.operation_key,
                PlannedOperation.machine,
                PlannedOperation.start,
                PlannedOperation.end,
                PlannedOperation.fixed,
            ).where(PlannedOperation.valid_to.is_(None))
        )
    }
    changed = [row for row in rows if not _unchanged(in_force.get(row.operation_key), row)]
    kept = {row.operation_key for row in rows} - {row.operation_key for row in changed}
    closing = [row_id for key, (row_id, _) in in_force.items() if key not in kept]
    for chunk in _chunks(closing):
        session.execute(
            update(PlannedOperation)
            .where(PlannedOperation.id.in_(chunk))
            .values(valid_to=version)
            .execution_options(synchronize_session=False)
        )
    if changed:
        session.execute(
            insert(PlannedOperation),
            [{**asdict(row), "plan_run_id": run.id, "valid_from": version} for row in changed],
        )
    run.version = version
    return Stored(version, len(changed), len(closing))


def _unchanged(stored: tuple[int, Row] | None, row: Row) -> bool:
    return stored is not None and stored[1].same_place(row.machine, row.start, row.end, row.fixed)


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    chunk: list[int] = []
    for row_id in ids:
        chunk.append(row_id)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
