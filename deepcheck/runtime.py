"""Process-wide settings that make CPU inference fast and steady.

glibc returns large freed blocks to the kernel at once (mmap/munmap, heap
trimming), so every batch of frames and tensors page-faults its memory in
again. On this 2-core machine that made timings swing 2–5× between runs;
keeping freed memory in the process (``mallopt``) steadied them and gave
1.5–3× more throughput (../shared/design/MEASURED.md). Page faults are that
dear here: giving freed memory back (``malloc_trim``) after each 1080p clip cut
a worker's peak by ~70 MB but cost ~20% CPU per clip, as the next clip faulted
its pages in again, so nothing is trimmed. The analysis workers, which run no
torch, do let blocks over 8 MB be mapped and unmapped again
(:func:`map_large_blocks`): on three 1080p clips a worker's peak went from
0.85 GB to 0.68-0.73 GB at no measured cost.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_MMAP_MAX = -4
LARGE_BLOCK_BYTES = 8 << 20  # frames of 1080p RGB (6.2 MB) stay in the heap; detector pyramids' tensors do not
_done = False
_tuned = False
_libc = None


def tune_for_inference() -> bool:
    """Apply once per process, before models load; True when the allocator was tuned."""
    global _done, _tuned
    if not _done:
        _done = True
        _tuned = _keep_freed_memory()
    return _tuned


def _keep_freed_memory() -> bool:
    """mallopt(M_MMAP_MAX=0, M_TRIM_THRESHOLD=2 GiB) on glibc; False where that is not available."""
    if os.environ.get("DEEPCHECK_NO_MALLOPT"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False  # not glibc (macOS, musl, Windows): nothing to tune
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    ok = mallopt(_M_MMAP_MAX, 0) == 1
    ok = mallopt(_M_TRIM_THRESHOLD, 2**31 - 1) == 1 and ok
    if ok:
        global _libc
        _libc = libc
    return ok


def map_large_blocks() -> None:
    """After :func:`tune_for_inference`: blocks over ``LARGE_BLOCK_BYTES`` get their own mapping again,
    returned to the kernel when freed. For the torch-free scan path; torch's many large temporaries
    are what made mapping slow (MEASURED.md)."""
    if _libc is not None:
        _libc.mallopt(_M_MMAP_MAX, 65536)
        _libc.mallopt(_M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES)
