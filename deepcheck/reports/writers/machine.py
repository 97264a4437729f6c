"""JSON, JSON Lines and CSV: the machine-readable formats.

JSON and JSON Lines keep scan order (they are the record, re-rendered by ``deepcheck report``); the CSV
can be the worklist instead (``--sort risk``: deepcheck/reports/triage.py), for a spreadsheet read top down.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from deepcheck.reports.results import FileResult, ScanReport
from deepcheck.reports.triage import ordered

CSV_COLUMNS = [
    "path",
    "media_type",
    "status",
    "score",
    "verdict",  # fake | review | real, empty without a score
    "faces",
    "frames_analyzed",
    "sha256",
    "size_bytes",
    "error",
    "findings",  # provenance finding codes, ";"-separated (deepcheck/provenance/findings.py)
]


def _strip_images(obj: dict) -> dict:
    """Thumbnails, heatmaps and context frames belong to the HTML/PDF reports, not the data formats.

    Only a scan run with ``--explain`` keeps them, so that ``deepcheck report``
    can later re-render its HTML with the face pictures.
    """
    if obj.get("settings", {}).get("explain"):
        return obj
    for f in obj.get("files", [obj]):
        f.pop("context_frames", None)
        for face in f.get("faces", []):
            face.pop("thumbnail", None)
            face.pop("heatmap", None)
    return obj


def to_json(report: ScanReport) -> str:
    return json.dumps(_strip_images(report.to_dict()), indent=2, ensure_ascii=False) + "\n"


def to_jsonl(report: ScanReport) -> str:
    """One header line (provenance), then one line per file."""
    doc = _strip_images(report.to_dict())
    files = doc.pop("files")
    lines = [json.dumps({"type": "scan", **doc}, ensure_ascii=False)]
    lines += [json.dumps({"type": "file", **f}, ensure_ascii=False) for f in files]
    return "\n".join(lines) + "\n"


def file_row(f: FileResult) -> dict[str, Any]:
    """One file as the CSV report's columns (None where unknown); the DataFrame view uses the same."""
    return {
        "path": f.path,
        "media_type": f.media_type,
        "status": f.status,
        "score": f.score,
        "verdict": f.verdict,
        "faces": len(f.faces),
        "frames_analyzed": f.frames_analyzed,
        "sha256": f.sha256,
        "size_bytes": f.size_bytes,
        "error": f.error,
        "findings": ";".join(f.findings),
    }


def to_csv(report: ScanReport, sort: str = "scan") -> str:
    """One row per file, in scan order or (``sort="risk"``) the worklist's."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for f in ordered(report.files, sort):
        row = file_row(f)
        writer.writerow(["" if row[column] is None else row[column] for column in CSV_COLUMNS])
    return buf.getvalue()
