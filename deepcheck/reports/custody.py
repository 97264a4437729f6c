"""Chain of custody: a manifest of what was scanned and written, and checking it later.

``scan --manifest FILE`` hashes every input *before* analysis, then records
the tool, the model, the settings, the scan's start and end and the SHA-256
of each report written. ``deepcheck verify FILE`` re-hashes the evidence and
the reports and says, per file, whether it matches, changed or went missing.

Paths are checked at the absolute path recorded at scan time.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from deepcheck.media.fileio import atomic_write_text, sha256_file
from deepcheck.reports.results import ScanReport

SCHEMA = "deepcheck.manifest/1"
MATCH, CHANGED, MISSING, UNREADABLE, NOT_CHECKED = "match", "changed", "missing", "unreadable", "not checked"
FAILED_STATES = frozenset({CHANGED, MISSING, UNREADABLE})


class ManifestError(Exception):
    """The manifest cannot be read or is not a deepcheck manifest (a usage error)."""


def _utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="microseconds")


def _printable(path: Path | str) -> str:
    """Paths with undecodable bytes stay JSON-safe and visible."""
    return os.fsdecode(path).encode("utf-8", "backslashreplace").decode("utf-8")


def describe_file(path: Path) -> dict[str, Any]:
    """Path, absolute path, size, mtime and SHA-256 of one file, or why it could not be hashed."""
    entry: dict[str, Any] = {"path": _printable(path), "absolute_path": _printable(os.path.abspath(path))}
    try:
        if not os.path.isfile(path):
            entry["state"] = MISSING if not os.path.lexists(path) else "not a regular file"
            return entry
        stat = os.stat(path)
        entry["sha256"] = sha256_file(path)
        entry.update(size_bytes=stat.st_size, mtime=stat.st_mtime, mtime_utc=_utc(stat.st_mtime))
        entry["hashed_utc"] = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    except OSError as exc:
        entry["state"] = UNREADABLE
        entry["error"] = exc.strerror or str(exc)
    return entry


def hash_inputs(paths: list[Path]) -> list[dict[str, Any]]:
    """Hash every input before the analysis touches it."""
    return [describe_file(p) for p in paths]


def report_entry(path: Path | None, fmt: str, text: str | bytes | None = None) -> dict[str, Any]:
    """A written report (re-hashed from disk), or the SHA-256 of what went to stdout."""
    if path is None:
        from deepcheck.media.fileio import sha256_bytes

        data = text if isinstance(text, bytes) else (text or "").encode("utf-8")
        return {"stream": "stdout", "format": fmt, "sha256": sha256_bytes(data)}
    entry = describe_file(path)
    entry["format"] = fmt
    return entry


def build_manifest(report: ScanReport, inputs: list[dict[str, Any]], reports: list[dict[str, Any]]) -> dict[str, Any]:
    """The manifest document. Notes any input whose hash differed between before and during the scan."""
    scanned = {f.path: f.sha256 for f in report.files}
    notes = [
        f"{entry['path']}: SHA-256 changed during the scan (before {entry['sha256']}, "
        f"during analysis {scanned[entry['path']]})"
        for entry in inputs
        if entry.get("sha256") and scanned.get(entry["path"]) and scanned[entry["path"]] != entry["sha256"]
    ]
    return {
        "schema": SCHEMA,
        "tool": report.tool,
        "model": {k: report.model.get(k) for k in ("name", "architecture", "sha256", "threshold", "review_threshold")},
        "settings": report.settings,
        "started": report.started,
        "finished": report.finished,
        "working_directory": _printable(os.getcwd()),
        "inputs": inputs,
        "reports": reports,
        "notes": notes,
    }


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


def add_report(manifest_path: Path, entry: dict[str, Any]) -> None:
    """Record one more report (from ``deepcheck report``) in an existing manifest."""
    manifest = read_manifest(manifest_path)
    entry = dict(entry, added_utc=datetime.now(timezone.utc).isoformat(timespec="milliseconds"))
    manifest["reports"].append(entry)
    write_manifest(manifest_path, manifest)


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManifestError(f"cannot read manifest {path}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"manifest {path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ManifestError(f"{path} is not a deepcheck manifest (expected schema {SCHEMA!r})")
    if not isinstance(data.get("inputs"), list) or not isinstance(data.get("reports"), list):
        raise ManifestError(f"manifest {path} has no inputs/reports lists")
    return data


@dataclass
class Check:
    """The outcome for one recorded file."""

    kind: str  # input | report
    path: str
    state: str  # match | changed | missing | unreadable | not checked
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def check_entry(kind: str, entry: dict[str, Any]) -> Check:
    """Re-hash one recorded file and compare it with the record."""
    shown = str(entry.get("path", "?"))
    if "stream" in entry:
        return Check(kind, f"<{entry['stream']}>", NOT_CHECKED, "was written to a stream, not a file")
    if not entry.get("sha256"):
        was = entry.get("state", "no hash recorded")
        return Check(kind, shown, NOT_CHECKED, f"not hashed at scan time ({was})")
    where = entry.get("absolute_path") or shown
    now = describe_file(Path(where))
    if now.get("state") == MISSING:
        return Check(kind, shown, MISSING, f"not found at {where}")
    if now.get("state"):
        return Check(kind, shown, UNREADABLE if now["state"] == UNREADABLE else CHANGED, now.get("error", now["state"]))
    if now["sha256"] != entry["sha256"]:
        detail = f"SHA-256 was {entry['sha256']}, now {now['sha256']}"
        if now["size_bytes"] != entry.get("size_bytes"):
            detail += f"; size was {entry.get('size_bytes')}, now {now['size_bytes']} bytes"
        return Check(kind, shown, CHANGED, detail)
    detail = "" if now["mtime"] == entry.get("mtime") else "contents match; modification time differs"
    return Check(kind, shown, MATCH, detail)


def verify(manifest: dict[str, Any]) -> list[Check]:
    """Every input, then every report, re-hashed and compared."""
    return [check_entry("input", e) for e in manifest["inputs"]] + [
        check_entry("report", e) for e in manifest["reports"]
    ]
