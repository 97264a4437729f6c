"""The scan's hashes as a hash list: ``--format hashes`` (CSV) and ``--format hashes-json``.

One row per hash (md5, sha256, pdq or vpdq of each file) in the columns ``--hash-list`` reads, followed by
what the scan found, so that a platform or hotline can match the files without ever receiving one. The
JSON form is the deepcheck hash export that ``--hash-list`` also reads. Both only read the records.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from deepcheck.reports.results import FileResult, ScanReport

# what --hash-list reads, then what the scan found (a reader of lists ignores the extra columns)
HASH_COLUMNS = [
    "hash_type",  # md5 | sha256 | pdq | vpdq
    "hash",  # hex; for vpdq Meta's signal string, a JSON list of "hex,quality,seconds" frames
    "label",  # the scan's verdict, or the status when there is none (no_face, error, skipped)
    "list",  # "deepcheck scan <start time>"
    "case",  # empty: for the user to fill in
    "quality",  # PDQ quality (0-100) for pdq; empty otherwise
    "path",
    "media_type",
    "verdict",
    "score",
    "findings",  # finding codes, ";"-separated (hash-list-match first)
    "group",  # the duplicate group id, when the file has copies in the scan
]
EXPORT_SCHEMA = "deepcheck.hashes/1"


def hash_rows(report: ScanReport) -> list[dict[str, Any]]:
    """Every hash of every file as a row of ``HASH_COLUMNS`` (None where unknown)."""
    name = f"deepcheck scan {report.started}".strip()
    rows = []
    for f in report.files:
        hashes = f.hashes if isinstance(f.hashes, dict) else {}
        found = {"md5": hashes.get("md5"), "sha256": hashes.get("sha256") or f.sha256}
        if hashes.get("pdq"):
            found["pdq"] = hashes["pdq"]
        if hashes.get("vpdq"):
            found["vpdq"] = json.dumps(list(hashes["vpdq"]), separators=(",", ":"))
        for kind, value in found.items():
            if value:
                rows.append(_row(f, kind, value, name, hashes.get("pdq_quality") if kind == "pdq" else None))
    return rows


def _row(f: FileResult, kind: str, value: str, list_name: str, quality: Any) -> dict[str, Any]:
    return {
        "hash_type": kind,
        "hash": value,
        "label": f.verdict or f.status,
        "list": list_name,
        "case": "",
        "quality": quality,
        "path": f.path,
        "media_type": f.media_type,
        "verdict": f.verdict,
        "score": f.score,
        "findings": ";".join(f.findings),
        "group": f.group,
    }


def to_hashes_csv(report: ScanReport) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(HASH_COLUMNS)
    for row in hash_rows(report):
        writer.writerow(["" if row[c] is None else row[c] for c in HASH_COLUMNS])
    return buf.getvalue()


def to_hashes_json(report: ScanReport) -> str:
    entries = []
    for row in hash_rows(report):
        entry = {k: v for k, v in row.items() if v not in (None, "")}
        if row["hash_type"] == "vpdq":
            entry["hash"] = json.loads(row["hash"])  # the frames as a list, not a string in a string
        entries.append(entry)
    doc = {"schema": EXPORT_SCHEMA, "tool": report.tool, "started": report.started, "entries": entries}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
