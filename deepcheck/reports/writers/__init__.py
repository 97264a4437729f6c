"""Report writers. Each takes a finished ScanReport and returns text (PDF: bytes); none computes.

``FORMATS`` maps a ``--format`` name to its writer; :func:`render` applies the
options some writers take: the PDF page size, the order of the CSV rows and the
HTML index (``--sort``), and which verdicts JUnit counts as failures
(``--fail-on``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

from deepcheck.reports.results import ScanReport
from deepcheck.reports.triage import SORTS, check_sort
from deepcheck.reports.writers.hashes import to_hashes_csv, to_hashes_json
from deepcheck.reports.writers.html import to_html
from deepcheck.reports.writers.junit import to_junit
from deepcheck.reports.writers.machine import to_csv, to_json, to_jsonl
from deepcheck.reports.writers.pdf import PAGE_SIZES, to_pdf
from deepcheck.reports.writers.sarif import to_sarif

Writer = Callable[[ScanReport], "str | bytes"]

FORMATS: dict[str, Writer] = {
    "json": to_json,
    "jsonl": to_jsonl,
    "csv": to_csv,
    "html": to_html,
    "pdf": to_pdf,
    "junit": to_junit,
    "sarif": to_sarif,
    "hashes": to_hashes_csv,
    "hashes-json": to_hashes_json,
}
PICTURE_FORMATS = ("html", "pdf")  # formats that show face pictures: they turn on ScanSettings.explain

__all__ = ["FORMATS", "PAGE_SIZES", "PICTURE_FORMATS", "SORTS", "render", "write_report"]


def render(
    report: ScanReport,
    fmt: str,
    page_size: str = "a4",
    *,
    sort: str = "scan",
    fail_on: Collection[str] = ("fake",),
) -> str | bytes:
    """The report in ``fmt``; ``page_size`` (a4 | letter) applies to PDF only, ``sort`` (scan | risk) to the CSV
    rows and the HTML index, ``fail_on`` (the ``--fail-on`` values) to JUnit's failures."""
    check_sort(sort)
    if fmt == "pdf":
        return to_pdf(report, page_size=page_size)
    if fmt == "csv":
        return to_csv(report, sort=sort)
    if fmt == "html":
        return to_html(report, sort=sort)
    if fmt == "junit":
        return to_junit(report, fail_on=fail_on)
    return FORMATS[fmt](report)


def write_report(
    report: ScanReport,
    path: Path,
    fmt: str,
    page_size: str = "a4",
    *,
    sort: str = "scan",
    fail_on: Collection[str] = ("fake",),
) -> Path:
    """Render ``report`` in ``fmt`` and write it to ``path`` atomically; ValueError for an unknown format."""
    from deepcheck.media.fileio import atomic_write_bytes, atomic_write_text

    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    data = render(report, fmt, page_size, sort=sort, fail_on=fail_on)
    if isinstance(data, bytes):
        atomic_write_bytes(path, data)
    else:
        atomic_write_text(path, data)
    return path
