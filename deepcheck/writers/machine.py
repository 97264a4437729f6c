"""JSON, JSON Lines and CSV: the machine-readable formats."""

from __future__ import annotations

import csv
import io
import json

from deepcheck.provenance import finding_codes
from deepcheck.results import ScanReport

CSV_COLUMNS = [
    "path",
    "media_type",
    "status",
    "score",
    "verdict",
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


def to_csv(report: ScanReport) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for f in report.files:
        writer.writerow(
            [
                f.path,
                f.media_type or "",
                f.status,
                "" if f.score is None else f.score,
                f.verdict or "",
                len(f.faces),
                "" if f.frames_analyzed is None else f.frames_analyzed,
                f.sha256 or "",
                "" if f.size_bytes is None else f.size_bytes,
                f.error or "",
                ";".join(finding_codes(f.provenance)),
            ]
        )
    return buf.getvalue()
