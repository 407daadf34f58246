"""The outbox from the command line: what is dead-lettered, and replaying it."""

from __future__ import annotations

import click
from sqlalchemy import select

from c2m.commands.app import _session
from c2m.models import OutboxMessage, OutboxStatus


def register(cli: click.Group, bench: click.Group) -> None:
    @cli.group()
    def outbox() -> None:
        """Messages to the MES: list dead letters, replay them."""

    @outbox.command("dead")
    def dead() -> None:
        """List dead-lettered messages with their last error."""
        with _session() as session:
            rows = session.scalars(
                select(OutboxMessage).filter_by(status=OutboxStatus.DEAD)
                .order_by(OutboxMessage.created_at)
            ).all()
            for row in rows:
                click.echo(f"{row.id}  work order {row.work_order_id}  seq {row.sequence}  "
                           f"attempts {row.attempts}  {row.last_error}")
            if not rows:
                click.echo("no dead letters")

    @outbox.command("replay")
    @click.argument("message_ids", nargs=-1, required=True)
    def replay(message_ids: tuple[str, ...]) -> None:
        """Send dead-lettered messages again (same idempotency key: the MES de-duplicates)."""
        from c2m import dispatch

        with _session() as session:
            for message_id in message_ids:
                dispatch.replay(session, message_id)
        click.echo(f"{len(message_ids)} message(s) queued again; the sweeper sends them")
