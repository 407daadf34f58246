"""The embedded broker: kombu's SQLAlchemy transport, made fit for several processes.

Two fixes over the stock transport:
- kombu reads `polling_interval` from the transport options but also hands every option to
  `create_engine`, which refuses it; the subclass sets the interval instead.
- When two processes (the web app and a worker's beat, say) create the same queue row at once,
  the loser gets an IntegrityError that kombu leaves in its session, poisoning every later
  publish of that process. The channel rolls back and reads the winner's row instead.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import sqlalchemy as kombu_sqlalchemy
from sqlalchemy.exc import SQLAlchemyError

EMBEDDED_PREFIX = "sqla+"


class Channel(kombu_sqlalchemy.Channel):  # type: ignore[misc]
    def _get_or_create(self, queue: str) -> Any:
        try:
            return super()._get_or_create(queue)
        except SQLAlchemyError:
            self.session.rollback()  # another process won the race: its row is there now
            return super()._get_or_create(queue)

    def _put(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super()._put(*args, **kwargs)
        except SQLAlchemyError:
            self.session.rollback()  # never leave the session unusable for the next publish
            raise

    def _get(self, queue: Any, timeout: Any = None) -> Any:
        try:
            return super()._get(queue)
        except SQLAlchemyError:
            self.session.rollback()
            raise


class Transport(kombu_sqlalchemy.Transport):  # type: ignore[misc]
    Channel = Channel
    polling_interval = 0.2


TRANSPORT_PATH = f"{__name__}:Transport"
