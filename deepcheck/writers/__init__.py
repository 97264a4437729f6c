"""Report writers. Each takes a finished ScanReport and returns text; none computes.

``FORMATS`` maps a ``--format`` name to its writer.
"""

from __future__ import annotations

from collections.abc import Callable

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
