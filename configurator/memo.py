"""A bounded memo that many threads may share (one web process serves many clicks at once).

Only pure functions of the key may be memoised here: whichever thread computes a value
first, every later request gets the same answer, so nothing depends on earlier traffic.
The value is computed outside the lock (two threads may both compute it, and get the same).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedMemo(Generic[K, V]):
    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"a memo needs room for at least one entry, got {capacity}")
        self.capacity = capacity
        self._entries: dict[K, V] = {}
        self._lock = threading.Lock()

    def get(self, key: K, compute: Callable[[], V]) -> V:
        with self._lock:
            if key in self._entries:
                return self._entries[key]
        value = compute()
        with self._lock:
            if key not in self._entries:
                while len(self._entries) >= self.capacity:  # oldest first
                    del self._entries[next(iter(self._entries))]
                self._entries[key] = value
            return self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)
