"""Plain result records. The pipeline fills them; writers only read them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas

STATUS_OK, STATUS_NO_FACE, STATUS_ERROR, STATUS_SKIPPED = "ok", "no_face", "error", "skipped"
# The three verdicts, worst first: ``fake`` at or above the model card's fake threshold, ``review`` from its
# lower review threshold up to that, ``real`` below both (deepcheck/model/scoring.py decides, writers only read).
VERDICT_FAKE, VERDICT_REVIEW, VERDICT_REAL = "fake", "review", "real"
VERDICTS = (VERDICT_FAKE, VERDICT_REVIEW, VERDICT_REAL)
HASH_LIST_MATCH = "hash-list-match"  # the finding a hash-list match gives (deepcheck/known)


@dataclass
class FaceResult:
    """One face in one frame. ``box`` is [x1, y1, x2, y2] in original pixels."""

    frame_index: int
    box: list[float]
    detection_prob: float
    score: float
    time_s: float | None = None
    person: int = 0
    thumbnail: str | None = None  # data: URI (JPEG), only when a report needs it
    heatmap: str | None = None  # data: URI (JPEG overlay), only when a report needs it


@dataclass
class PersonResult:
    """A face tracked across frames; its score is the mean of its face scores.

    ``verdict`` is the band of this person's own score, so a video with several people can say which of
    them needs a look; None in scans saved before verdict bands existed.
    """

    person: int
    frames: int
    score: float
    max_score: float
    verdict: str | None = None


@dataclass
class FileResult:
    """Everything the report says about one input file (the fields of one file in the JSON report).

    ``status`` is ok, no_face, error or skipped; ``score`` and ``verdict`` are None unless it is ok.
    """

    path: str
    media_type: str | None = None  # image | video | None when unknown
    status: str = STATUS_OK
    score: float | None = None
    verdict: str | None = None  # fake | review | real | None
    error: str | None = None
    sha256: str | None = None
    size_bytes: int | None = None
    mtime: float | None = None
    faces: list[FaceResult] = field(default_factory=list)
    persons: list[PersonResult] = field(default_factory=list)
    frames_analyzed: int | None = None
    frame_scores: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, Any] = field(default_factory=dict)
    seconds: float | None = None
    # what the file declares about how it was made, and findings read from it (deepcheck/provenance/);
    # kept apart from the face score and verdict, which it never changes. None: not read (not media).
    provenance: dict[str, Any] | None = None
    # frames of the source with every face boxed and labelled (explain only):
    # {"frame_index", "time_s", "persons": [ids whose best frame this is], "image": JPEG data: URI}
    context_frames: list[dict[str, Any]] = field(default_factory=list)
    # md5, sha256, and pdq with pdq_quality (images) or vpdq (videos: "hex,quality,seconds" per frame,
    # Meta's compact form), computed by the worker from the bytes and frames it decoded; None: not read
    hashes: dict[str, Any] | None = None
    # entries of --hash-list files this file matches (deepcheck/known/matching.py): list, label, case,
    # hash_type, distance; any match is the finding "hash-list-match", listed first
    hash_matches: list[dict[str, Any]] = field(default_factory=list)
    group: str | None = None  # id of its duplicate group in ScanReport.groups (exact or near copies)
    # the Telegram Desktop export message this file came from: chat, chat_id, message_id, date, from,
    # from_id, forwarded_from (deepcheck/provenance/telegram.py)
    telegram: dict[str, Any] | None = None

    @property
    def findings(self) -> list[str]:
        """Finding codes in order: "hash-list-match" first when a list matched, then provenance findings."""
        from deepcheck.provenance import finding_codes

        return ([HASH_LIST_MATCH] if self.hash_matches else []) + finding_codes(self.provenance)

    def to_dict(self) -> dict[str, Any]:
        """The record's fields, with ``findings`` (the finding codes, derived) just before ``provenance``."""
        out: dict[str, Any] = {}
        for key, value in dataclasses.asdict(self).items():
            if key == "provenance":
                out["findings"] = self.findings
            out[key] = value
        return out

    def to_json(self) -> str:
        """This record as a JSON object."""
        import json

        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_dataframe(self) -> pandas.DataFrame:
        """One row per face: frame, time, person, score, detection probability and box (needs pandas)."""
        from deepcheck.reports.dataframes import faces_frame

        return faces_frame(self)


@dataclass
class ScanReport:
    """A whole scan: provenance (tool, model, settings, times) first, then one record per file."""

    tool: dict[str, Any]
    model: dict[str, Any]
    settings: dict[str, Any]
    started: str
    finished: str | None = None
    files: list[FileResult] = field(default_factory=list)
    # duplicate groups (deepcheck/known/groups.py): {"id", "members": [paths], "why": [links], "flagged": [...]}
    groups: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        """Files in all, then by verdict (fake, review, real) and by status (no_face, skipped, error)."""
        counts = {
            "files": len(self.files),
            VERDICT_FAKE: 0,
            VERDICT_REVIEW: 0,
            VERDICT_REAL: 0,
            STATUS_OK: 0,
            STATUS_NO_FACE: 0,
            STATUS_ERROR: 0,
            STATUS_SKIPPED: 0,
        }
        for f in self.files:
            counts[f.status] = counts.get(f.status, 0) + 1
            if f.verdict in VERDICTS:  # a hand-edited saved scan may hold anything
                counts[f.verdict] += 1
        return counts

    def findings_summary(self) -> dict[str, int]:
        """Files per finding code (a file with several findings counts under each); hash-list matches first."""
        counts: dict[str, int] = {}
        matched = sum(1 for f in self.files if f.hash_matches)
        if matched:
            counts[HASH_LIST_MATCH] = matched
        for f in self.files:
            for finding in (f.provenance or {}).get("findings") or []:
                code = finding.get("code") if isinstance(finding, dict) else None
                if code:
                    counts[code] = counts.get(code, 0) + 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "deepcheck.scan/1",
            "tool": self.tool,
            "model": self.model,
            "settings": self.settings,
            "started": self.started,
            "finished": self.finished,
            "summary": self.summary(),
            "findings_summary": self.findings_summary(),
            "files": [f.to_dict() for f in self.files],
            "groups": self.groups,
        }

    def to_json(self) -> str:
        """The JSON report, as ``deepcheck scan --format json`` writes it."""
        from deepcheck.reports.writers.machine import to_json

        return to_json(self)

    def to_dataframe(self) -> pandas.DataFrame:
        """One row per file, with the CSV report's columns (needs pandas)."""
        from deepcheck.reports.dataframes import files_frame

        return files_frame(self)

    def write(
        self, path: str | Path, format: str = "html", *, sort: str = "scan", fail_on: tuple[str, ...] = ("fake",)
    ) -> Path:
        """Write the report in any ``--format`` but table (html, pdf, json, jsonl, csv, junit, sarif), atomically.

        ``sort="risk"`` orders the CSV rows and the HTML index as a worklist; ``fail_on`` is ``--fail-on``
        for JUnit (with ``"review"`` in it, files to review are failures).
        """
        from deepcheck.reports.writers import write_report

        return write_report(self, Path(path), format, sort=sort, fail_on=fail_on)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScanReport:
        """A report read back from its JSON document (``deepcheck report`` re-renders saved scans this way)."""
        files = []
        for f in data.get("files", []):
            f = dict(f)
            faces = [FaceResult(**x) for x in f.pop("faces", [])]
            persons = [PersonResult(**x) for x in f.pop("persons", [])]
            known = {x.name for x in dataclasses.fields(FileResult)}
            files.append(FileResult(faces=faces, persons=persons, **{k: v for k, v in f.items() if k in known}))
        return cls(
            tool=data.get("tool", {}),
            model=data.get("model", {}),
            settings=data.get("settings", {}),
            started=data.get("started", ""),
            finished=data.get("finished"),
            files=files,
            groups=[g for g in data.get("groups") or [] if isinstance(g, dict)],  # absent before 0.2
        )
