"""Rate-limit counts in a SQLite file, shared by every process of one host.

The web server runs several processes (c2m.web_server): counts kept in each process's memory
would split, and ten failed logins spread over two processes would be five each. Where there
is no Redis (the embedded default), the counts live in a small SQLite file in the instance
folder instead, which every web process of the host opens. A Flask-Limiter storage for the
fixed-window strategy (what c2m.web.throttling uses): `c2m+sqlite:///absolute/path`.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from typing import Any

from limits.storage import Storage

SCHEME = "c2m+sqlite"
BUSY_TIMEOUT_S = 10.0
PURGE_EVERY_S = 60.0  # expired windows are deleted this often (per process)

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS rate_limit_counts ("
    " key TEXT PRIMARY KEY, hits INTEGER NOT NULL, expires_at REAL NOT NULL)"
)
# One statement, so two processes counting the same key at once never lose a hit: a window
# that has run out starts again at `amount`.
_INCREMENT = (
    "INSERT INTO rate_limit_counts (key, hits, expires_at) VALUES (:key, :amount, :expires)"
    " ON CONFLICT (key) DO UPDATE SET"
    " hits = CASE WHEN expires_at <= :now THEN excluded.hits ELSE hits + excluded.hits END,"
    " expires_at = CASE WHEN expires_at <= :now THEN excluded.expires_at ELSE expires_at END"
    " RETURNING hits"
)


def storage_uri(path: str) -> str:
    """`path` absolute: the URI is `c2m+sqlite:///absolute/path`."""
    return f"{SCHEME}://{path}"


class SqliteStorage(Storage):
    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **_options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.path = uri.split("://", 1)[1]
        self._local = threading.local()
        self._purged_at = 0.0

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        """One connection per thread (sqlite3's rule), made afresh in a forked process."""
        held: tuple[int, sqlite3.Connection] | None = getattr(self._local, "held", None)
        if held is not None and held[0] == os.getpid():
            return held[1]
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(_SCHEMA)
        self._local.held = (os.getpid(), connection)
        return connection

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        self._purge_now_and_then(now)
        row = self._connection().execute(
            _INCREMENT, {"key": key, "amount": amount, "expires": now + expiry, "now": now}
        ).fetchone()
        return int(row[0])

    def get(self, key: str) -> int:
        row = self._live(key)
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._live(key)
        return float(row[1]) if row else time.time()

    def _live(self, key: str) -> tuple[int, float] | None:
        row = self._connection().execute(
            "SELECT hits, expires_at FROM rate_limit_counts WHERE key = ? AND expires_at > ?",
            (key, time.time()),
        ).fetchone()
        return (int(row[0]), float(row[1])) if row else None

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return int(self._connection().execute("DELETE FROM rate_limit_counts").rowcount)

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM rate_limit_counts WHERE key = ?", (key,))

    def _purge_now_and_then(self, now: float) -> None:
        if now - self._purged_at < PURGE_EVERY_S:
            return
        self._purged_at = now
        self._connection().execute("DELETE FROM rate_limit_counts WHERE expires_at <= ?", (now,))
