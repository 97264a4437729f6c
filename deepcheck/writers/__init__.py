"""Report writers. Each takes a finished ScanReport and returns text; none computes.

``FORMATS`` maps a ``--format`` name to its writer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from deepcheck.results import ScanReport
from deepcheck.writers.html import to_html
from deepcheck.writers.junit import to_junit
from deepcheck.writers.machine import to_csv, to_json, to_jsonl
from deepcheck.writers.sarif import to_sarif

Writer = Callable[[ScanReport], str]

FORMATS: dict[str, Writer] = {
    "json": to_json,
    "jsonl": to_jsonl,
    "csv": to_csv,
    "html": to_html,
    "junit": to_junit,
    "sarif": to_sarif,
}


def write_report(report: ScanReport, path: Path, fmt: str) -> Path:
    """Render ``report`` in ``fmt`` and write it to ``path`` atomically; ValueError for an unknown format."""
    from deepcheck.fileio import atomic_write_text

    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    atomic_write_text(path, FORMATS[fmt](report))
    return path
