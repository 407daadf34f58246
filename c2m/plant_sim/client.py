"""HTTP with bookkeeping: every answer is counted by status class, every 5xx kept (the
invariant "no 5xx" reads this), connection errors retried a few times."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests

TIMEOUT_S = 60.0


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    by_class: dict[str, int] = field(default_factory=dict)
    server_errors: list[str] = field(default_factory=list)  # "POST /path -> 500: detail"
    connection_errors: int = 0

    def count(self, method: str, path: str, response: requests.Response) -> None:
        with self.lock:
            key = f"{response.status_code // 100}xx"
            self.by_class[key] = self.by_class.get(key, 0) + 1
            if response.status_code >= 500:
                self.server_errors.append(
                    f"{method} {path} -> {response.status_code}: {response.text[:200]}"
                )

    def connection_error(self) -> None:
        with self.lock:
            self.connection_errors += 1


class Client:
    """One browser-like client: its own cookie jar (a planner's session lives in it)."""

    def __init__(self, base_url: str, tally: Tally) -> None:
        self.base_url, self.tally = base_url.rstrip("/"), tally
        self.http = requests.Session()

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        for attempt in range(5):
            try:
                response = self.http.request(
                    method, self.base_url + path, timeout=TIMEOUT_S, **kwargs
                )
            except requests.ConnectionError:
                self.tally.connection_error()
                time.sleep(0.5 * (attempt + 1))
                continue
            self.tally.count(method, path, response)
            return response
        raise ConnectionError(f"{method} {path}: no answer after 5 tries")

    def json(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        response = self.call(method, path, **kwargs)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, {"error": response.text[:200]}
