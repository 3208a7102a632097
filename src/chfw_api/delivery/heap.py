"""Freed heap given back to the operating system after a large job run.

CPython returns its large allocations to the C allocator, but glibc's malloc keeps the freed
pages of each arena mapped for reuse; a worker completing a 10,000,000-hub AllEligible
instruction, whose chunks each allocate and free ~100 MB, saw its resident size climb chunk
after chunk (249, 320, 398 MB at chunks 3, 19 and 29; 467-563 MB at the end, bar 500) while
one chunk alone peaks at 166 MB. `malloc_trim(0)` hands those free pages back (glibc 2.8+
releases whole free pages inside every arena, not only at the top of the main heap), as Dask's
workers do for the same reason. Elsewhere (musl, macOS) it is a no-op.

glibc also raises its mmap threshold each time a large block is freed (up to 32 MiB), after
which the chunk's large buffers (driver results, lists of 50,000 GUIDs, a CSP file's 9 MB of
XML) come from the arenas instead of their own mappings, and fragment them. `hold_mmap_threshold`
keeps it at glibc's starting 128 KiB, so those buffers go back to the OS when freed
(bench/worker_heap.py, 1,000,000 hubs, ten chunks on one thread: 112 -> 119 MB with both,
115 -> 135 MB with neither).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

TRIM_AFTER_SECONDS = 0.2
"""Runs shorter than this (an idle poll) allocate too little to be worth a trim."""


MMAP_THRESHOLD_BYTES = 128 * 1024
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (glibc malloc.h)


@cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim, libc.mallopt  # noqa: B018 (glibc only: absent elsewhere)
    except (OSError, AttributeError):
        return None
    return libc


def release_free_heap() -> bool:
    """Give the C allocator's free pages back to the OS; False where there is no glibc."""
    libc = _libc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


def hold_mmap_threshold(threshold: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Blocks of `threshold` bytes or more get their own mapping, for the process's life;
    False where there is no glibc."""
    libc = _libc()
    if libc is None:
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, threshold))
