"""Process-wide settings that make CPU inference fast and steady.

glibc returns large freed blocks to the kernel at once (mmap/munmap, heap
trimming), so every batch of frames and tensors page-faults its memory in
again. On this 2-core machine that made timings swing 2–5× between runs;
keeping freed memory in the process (``mallopt``) steadied them and gave
1.5–3× more throughput (../shared/design/MEASURED.md). The cost is that
freed blocks of many sizes pile up over a file's stages (frames, detector
pyramids, classifier batches): a worker's resident memory grew to 0.7–0.85 GB
on 1080p clips while its live data was under 0.2 GB after each file.
:func:`release_freed_memory` hands the unused blocks back between stages and
after a large file. The analysis workers, which run no torch, also let blocks
over 8 MB be mapped and unmapped again (:func:`map_large_blocks`): on three
1080p clips a worker's peak went from 0.85 GB to 0.68-0.73 GB at no measured
cost, and to 0.61-0.66 GB with a trim after each file (within the noise, 0-7%
CPU). Trimming at every stage as well reached 0.59-0.64 GB but cost ~13% CPU:
each trim makes the next stage fault its pages in again.
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
    if ok and hasattr(libc, "malloc_trim"):
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


def release_freed_memory(above_mb: int = 0) -> None:
    """Give the kernel back what the tuned allocator keeps (``malloc_trim``) when this process's resident
    memory is over ``above_mb``; a no-op where the allocator was not tuned.

    Called by the analysis workers after each file (deepcheck/workers.py). Each call costs the next
    file its page faults again, hence the floor: workers that only see photos stay under it.
    """
    if _libc is not None and (not above_mb or resident_mb() > above_mb):
        _libc.malloc_trim(0)


def resident_mb() -> float:
    """This process's resident memory (Linux ``/proc/self/statm``; 0 where it cannot be read)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0
