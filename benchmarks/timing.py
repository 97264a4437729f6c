"""Measuring helpers shared by benchmarks/speed.py and its parts: medians, folder scans, child processes.

The children report their own peak memory: a parent's getrusage would mix in its own size.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def median_time(fn, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def folder_scan(analyzer, paths: list[Path], prefetch: bool = False):
    from deepcheck.scanning.pipeline import run_scan

    return run_scan(paths, analyzer, prefetch=prefetch)


def cpu_of(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by these processes (Linux /proc)."""
    total = 0.0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return total


def cli_peak_rss_mb(args: list[str]) -> tuple[float, float, list[str]]:
    """Peak RSS (MB), wall seconds and heavy modules loaded of `deepcheck scan ARGS` as a cold child process.

    The child reads its own VmHWM: getrusage's ru_maxrss would include the forking parent's size.
    """
    code = (
        "import sys; from deepcheck.cli import run; sys.argv = ['deepcheck', 'scan', *sys.argv[1:]]\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        "hwm = [l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "print('PEAK_KB', hwm, *[m for m in ('torch', 'facenet_pytorch') if m in sys.modules], file=sys.stderr)"
    )
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    wall = time.perf_counter() - t
    line = [x for x in proc.stderr.splitlines() if x.startswith("PEAK_KB")]
    if not line:
        raise RuntimeError(f"deepcheck scan {args} failed: {proc.stderr[-2000:]}")
    fields = line[-1].split()
    return int(fields[1]) / 1024, wall, fields[2:]


def scan_process(args: list[str]) -> tuple[float, float]:
    """Wall seconds and the largest peak RSS (MB) of any process of a cold `deepcheck scan ARGS` (workers included).

    Run under a fresh Python whose RUSAGE_CHILDREN covers the scan and its workers: ru_maxrss of
    children is the largest single process, never a sum.
    """
    code = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "subprocess.run([sys.executable, '-m', 'deepcheck', 'scan', *sys.argv[1:]], check=False)\n"
        "wall = time.perf_counter() - t\n"
        "print('RESULT', wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO, env=dict(os.environ)
    )
    line = [x for x in out.stdout.splitlines() if x.startswith("RESULT")]
    if not line:
        raise RuntimeError(f"deepcheck scan {args} failed: {out.stderr[-2000:]}")
    _, wall, kb = line[-1].split()
    return float(wall), int(kb) / 1024
