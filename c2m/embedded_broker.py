"""The embedded broker: kombu's SQLAlchemy transport, polling often enough for live clicks.

kombu reads `polling_interval` from the transport options but also hands every option to
`create_engine`, which refuses it; a subclass sets the interval instead.
"""

from __future__ import annotations

from kombu.transport import sqlalchemy as kombu_sqlalchemy

EMBEDDED_PREFIX = "sqla+"


class Transport(kombu_sqlalchemy.Transport):  # type: ignore[misc]
    polling_interval = 0.2


TRANSPORT_PATH = f"{__name__}:Transport"
