"""Process-wide settings that make CPU inference fast and steady.

glibc returns large freed blocks to the kernel at once (mmap/munmap, heap
trimming), so every batch of frames and tensors page-faults its memory in
again. On this 2-core machine that made timings swing 2–5× between runs;
keeping freed memory in the process (``mallopt``) steadied them and gave
1.5–3× more throughput (../shared/design/MEASURED.md). Page faults are that
dear here that handing memory back costs more than it saves: in the analysis
workers, mapping blocks over 8 MB and ``malloc_trim`` after each clip or stage
brought the peak on 1080p clips from 0.85 GB to 0.55-0.73 GB but cost 18-32%
CPU per clip (benchmarks/README.md), so none of it is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_done = False
_tuned = False


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
    return ok
