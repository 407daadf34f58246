"""Resident memory of long-running c2m processes (web, workers, MES simulator).

glibc gives every thread that allocates its own malloc arena, up to eight per core, and
returns little of them to the system: the web server's thread per request made its resident
memory grow 20-30 % over the soak's two simulated days (its `memory_bounded` invariant). With
two arenas the same soak grew 13 %. It is the usual cap for threaded Python servers; an
operator's own `MALLOC_ARENA_MAX` wins. A trim every half minute hands the pages freed since
back to the system.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
import time
from collections.abc import Callable

M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)
ARENAS = 2


def limit_malloc_arenas(env: os._Environ[str] | dict[str, str] = os.environ) -> bool:
    """Cap glibc's arenas for this process, unless `MALLOC_ARENA_MAX` already says how many
    (glibc read it at start). True when the cap was set here; False elsewhere (not glibc)."""
    if env.get("MALLOC_ARENA_MAX"):
        return False
    mallopt = _libc_function("mallopt")
    return mallopt is not None and bool(mallopt(M_ARENA_MAX, ARENAS))


TRIM_EVERY_S = 30.0


def _libc_function(symbol: str) -> Callable[..., int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return getattr(ctypes.CDLL(name), symbol)  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # musl and macOS lack glibc's extensions
        return None


def return_free_memory() -> bool:
    """Hand the free pages of every malloc arena back to the system (glibc's malloc_trim):
    freed memory otherwise stays resident for the life of the process. False where there is
    no malloc_trim or nothing was returned."""
    trim = _libc_function("malloc_trim")
    return trim is not None and bool(trim(0))


def keep_returning_free_memory(
    every_s: float = TRIM_EVERY_S, trim: Callable[[], bool] = return_free_memory
) -> threading.Thread:
    """A daemon thread that trims every `every_s` seconds, for the life of the process: a
    long-running web server or worker frees memory in bursts (a plan run, a PDF) that it may
    not need again for hours."""

    def loop() -> None:
        while True:
            time.sleep(every_s)
            trim()

    thread = threading.Thread(target=loop, name="c2m-malloc-trim", daemon=True)
    thread.start()
    return thread
