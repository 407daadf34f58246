"""Resident memory of long-running c2m processes (web, workers, MES simulator).

glibc gives every thread that allocates its own malloc arena, up to eight per core, and
returns little of them to the system: the web server's thread per request made its resident
memory grow 20-30 % over the soak's two simulated days (its `memory_bounded` invariant). With
two arenas the same soak grew 13 %. It is the usual cap for threaded Python servers; an
operator's own `MALLOC_ARENA_MAX` wins.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)
ARENAS = 2


def limit_malloc_arenas(env: os._Environ[str] | dict[str, str] = os.environ) -> bool:
    """Cap glibc's arenas for this process, unless `MALLOC_ARENA_MAX` already says how many
    (glibc read it at start). True when the cap was set here; False elsewhere (not glibc)."""
    if env.get("MALLOC_ARENA_MAX"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # musl and macOS have no mallopt
        return False
    return bool(mallopt(M_ARENA_MAX, ARENAS))
