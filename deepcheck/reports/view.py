"""What a report shows, worked out once for every human-readable writer (table, HTML, PDF).

A :class:`ReportView` is plain data built from a finished :class:`ScanReport`:
the files in findings order (flagged, then those that could not be analysed,
then the rest), each with its path relative to the common root of the inputs,
its strongest face, how many sampled frames crossed the threshold, and one
plain-language sentence. Numbers are rounded for reading here; the full values
stay in the JSON. Writers lay this out and compute nothing themselves.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

from deepcheck.provenance.findings import CODES, NO_PROVENANCE
from deepcheck.reports.results import (
    STATUS_ERROR,
    STATUS_NO_FACE,
    STATUS_OK,
    STATUS_SKIPPED,
    FaceResult,
    FileResult,
    ScanReport,
)
from deepcheck.reports.view_known import ChatView, GroupView, chat_views, group_views, match_rows

# What a C2PA validation state means to a reader (deepcheck/provenance/content_credentials.py sets it)
C2PA_STATES = {
    "valid": "valid, signer on the trust list given with --c2pa-trust",
    "untrusted-signer": "integrity checks pass; signer not on a trust list: not verified (not forged)",
    "invalid": "INVALID: changed after signing, or a damaged manifest",
}

CATEGORIES = [
    ("fake", "flagged fake"),
    ("real", "not flagged"),
    (STATUS_NO_FACE, "no face found"),
    (STATUS_ERROR, "could not analyse"),
    (STATUS_SKIPPED, "skipped"),
]
LABELS = dict(CATEGORIES)
CAVEAT = (
    "Scores are the model's estimated probability that a face was manipulated: an aid for a reviewer, not proof. "
    "A detector can be wrong in both directions; confirm findings by other means."
)


def readable(value: Any) -> Any:
    """Floats to 4 significant digits for reading (0.04987531172069826 → 0.04988); anything else unchanged."""
    if isinstance(value, float):
        return float(f"{value:.4g}")
    if isinstance(value, list) and all(isinstance(v, float) for v in value):
        return [readable(v) for v in value]
    return value


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def score_text(score: float | None) -> str:
    return "—" if score is None else f"{score:.3f}"


def category(f: FileResult) -> str:
    """One of CATEGORIES' keys: the verdict when there is one, else the status."""
    if f.status == STATUS_OK and f.verdict in ("fake", "real"):
        return f.verdict
    return f.status if f.status in (STATUS_NO_FACE, STATUS_ERROR, STATUS_SKIPPED) else STATUS_ERROR


@dataclass
class FileView:
    """One file as the reader sees it."""

    index: int  # position in scan order
    result: FileResult
    shown_path: str  # relative to ReportView.root
    category: str
    label: str
    score: str  # rounded for reading
    strongest: FaceResult | None  # the highest-scoring face
    person: int | None  # the person whose score decided the file
    frames_over: int | None  # sampled frames whose highest face score reached the threshold
    frames_sampled: int | None  # sampled frames (videos) or 1 (photos)
    over_text: str  # frames_over in words ("" when there were no faces)
    explanation: str  # one plain sentence: why this verdict or status
    message: str | None  # the error or skip reason, full text
    context_frames: list[dict] = field(default_factory=list)  # those that show the deciding person first
    findings: list[tuple[str, str, str]] = field(default_factory=list)  # provenance: (code, severity, sentence)
    c2pa_state: str | None = None  # the C2PA validation state in words, when the file has Content Credentials
    seconds: float | None = None  # analysis time, rounded for reading


@dataclass
class ReportView:
    """A whole report in reading order, with the metadata kept for the appendix."""

    report: ScanReport
    root: str  # the common folder of the inputs ("" when they share none)
    threshold: float | None
    counts: list[tuple[str, str, int]]  # (category key, label, count)
    files: list[FileView]  # findings order: flagged, could not analyse, the rest
    scan_id: str
    data_sha256: str  # SHA-256 of the scan's JSON document, as `-f json` writes it
    model_rows: list[tuple[str, Any]]
    metric_rows: list[tuple[str, Any]]
    run_rows: list[tuple[str, Any]]
    settings_rows: list[tuple[str, Any]]
    limitations: list[str]
    finding_counts: list[tuple[str, int]] = field(default_factory=list)  # files per finding code; [] when unread
    groups: list[GroupView] = field(default_factory=list)  # duplicate groups (exact or near copies)
    chats: list[ChatView] = field(default_factory=list)  # findings by Telegram chat and sender; [] without export

    @property
    def matched(self) -> list[FileView]:
        """Files on a --hash-list, whatever their verdict: shown before everything else."""
        return [v for v in self.files if v.result.hash_matches]

    def of(self, cat: str) -> list[FileView]:
        return [v for v in self.files if v.category == cat]

    @property
    def flagged(self) -> list[FileView]:
        return self.of("fake")

    @property
    def failed(self) -> list[FileView]:
        return self.of(STATUS_ERROR)

    @property
    def remaining(self) -> list[FileView]:
        return [v for v in self.files if v.category not in ("fake", STATUS_ERROR)]

    @property
    def notable_provenance(self) -> bool:
        """Some file declares something ("no-provenance" alone is the usual case and not worth the first screen)."""
        return any(code != NO_PROVENANCE and n for code, n in self.finding_counts)


def common_root(paths: list[str]) -> str:
    """The deepest folder holding every path ("" when they share none, e.g. relative and absolute mixed)."""
    folders = [os.path.dirname(p) for p in paths if p]
    if not folders:
        return ""
    try:
        root = os.path.commonpath(folders)
    except ValueError:
        return ""
    return "" if root in ("", ".") else root


def relative(path: str, root: str) -> str:
    if not root:
        return path
    rel = os.path.relpath(path, root) if path.startswith(root.rstrip("/") + "/") else path
    return rel


def _deciding_person(f: FileResult) -> int | None:
    """The person whose score is the file score (the scoring rule picked it)."""
    if f.score is None or not f.persons:
        return None
    return min(f.persons, key=lambda p: (abs(p.score - f.score), -p.frames)).person


def _explanation(f: FileResult, cat: str, threshold: float | None, person: int | None) -> str:
    sampled = f.frames_analyzed
    if cat in ("fake", "real") and f.score is not None and threshold is not None:
        sign = "≥" if cat == "fake" else "<"
        head = f"{cat}: score {f.score:.3f} {sign} threshold {threshold:.3f}"
        if f.media_type == "video" and person is not None and sampled:
            mine = sum(1 for x in f.faces if x.person == person and x.score >= threshold)
            return f"{head}; person {person} over threshold in {mine} of {sampled} sampled frames"
        faces = len(f.faces)
        over_faces = sum(1 for x in f.faces if x.score >= threshold)
        return f"{head}; {faces} face{'' if faces == 1 else 's'} found, {over_faces} over the threshold"
    if cat == STATUS_NO_FACE:
        where = f" in {sampled} sampled frames" if sampled else ""
        return f"no face found{where}: no verdict"
    if cat == STATUS_ERROR:
        return f"could not analyse: {f.error or 'unknown error'}"
    if cat == STATUS_SKIPPED:
        return f"skipped: {f.error or 'not media'}"
    return LABELS.get(cat, cat)


def _over_text(f: FileResult, over: int | None, sampled: int | None) -> str:
    if over is None or not sampled:
        return ""
    if f.media_type == "video":
        return f"{over} of {sampled} sampled frames at or over the threshold"
    return "at or over the threshold" if over else "under the threshold"


def _findings(f: FileResult) -> tuple[list[tuple[str, str, str]], str | None]:
    """A file's provenance findings and its C2PA validation state in words (a saved scan can be edited: checked)."""
    prov = f.provenance if isinstance(f.provenance, dict) else {}
    found = [x for x in prov.get("findings") or [] if isinstance(x, dict)]
    rows = [(str(x.get("code") or "?"), str(x.get("severity") or ""), str(x.get("sentence") or "")) for x in found]
    c2pa = prov.get("c2pa")
    state = c2pa.get("validation") if isinstance(c2pa, dict) else None
    return match_rows(f) + rows, None if state is None else C2PA_STATES.get(state, str(state))


def _file_view(i: int, f: FileResult, root: str, threshold: float | None) -> FileView:
    cat = category(f)
    strongest = max(f.faces, key=lambda x: x.score) if f.faces else None
    person = _deciding_person(f)
    over = sampled = None
    if f.faces and threshold is not None:
        sampled = f.frames_analyzed if f.media_type == "video" and f.frames_analyzed else 1
        over = sum(1 for p in f.frame_scores if isinstance(p.get("score"), (int, float)) and p["score"] >= threshold)
    frames = [c for c in f.context_frames if isinstance(c, dict)]
    frames.sort(key=lambda c: person not in (c.get("persons") or []))  # the deciding person's frame first
    findings, c2pa_state = _findings(f)
    return FileView(
        index=i,
        result=f,
        shown_path=relative(f.path, root),
        category=cat,
        label=LABELS.get(cat, cat),
        score=score_text(f.score),
        strongest=strongest,
        person=person,
        frames_over=over,
        frames_sampled=sampled,
        over_text=_over_text(f, over, sampled),
        explanation=_explanation(f, cat, threshold, person),
        message=f.error,
        context_frames=frames,
        findings=findings,
        c2pa_state=c2pa_state,
        seconds=readable(float(f.seconds)) if isinstance(f.seconds, (int, float)) else None,
    )


def flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested dicts → ("a.b", value) rows, values rounded for reading; long lists are summarised."""
    if isinstance(data, dict):
        rows: list[tuple[str, Any]] = []
        for k, v in data.items():
            rows += flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return rows
    if isinstance(data, list) and len(data) > 8:
        return [(prefix, f"[{len(data)} values]")]
    if isinstance(data, list) and any(isinstance(v, (dict, list)) for v in data):
        return [row for i, v in enumerate(data) for row in flatten(v, f"{prefix}[{i}]")]
    if isinstance(data, list):
        return [(prefix, [readable(v) for v in data])]
    return [(prefix, readable(data))]


def build(report: ScanReport) -> ReportView:
    """The view every human-readable writer lays out."""
    from deepcheck.reports.writers.machine import to_json

    threshold = report.model.get("threshold")
    threshold = float(threshold) if isinstance(threshold, (int, float)) else None
    root = common_root([f.path for f in report.files])
    views = [_file_view(i, f, root, threshold) for i, f in enumerate(report.files)]
    order = {"fake": 0, STATUS_ERROR: 1}
    views.sort(key=lambda v: (not v.result.hash_matches, order.get(v.category, 2), v.index))  # list matches first
    counts = [(k, label, sum(1 for v in views if v.category == k)) for k, label in CATEGORIES]
    m, tool = report.model, report.tool
    model_rows = [
        ("name", m.get("name")),
        ("architecture", m.get("architecture")),
        ("weights SHA-256", m.get("sha256")),
        ("verdict threshold", readable(m.get("threshold"))),
        ("model card threshold", readable(m.get("card_threshold"))),
        ("calibration temperature", readable(m.get("temperature"))),
        ("input size (px)", m.get("input_size")),
        ("mirror averaging", {True: "yes", False: "no"}.get(m.get("flip_average"), "–")),
        ("runtime", m.get("runtime")),
    ]
    engine = tool.get("engine")
    run_rows = [
        ("tool", f"{tool.get('name', 'deepcheck')} {tool.get('version', '')}".strip()),
        ("engine", engine.get("name") if isinstance(engine, dict) else engine),
        ("python", tool.get("python")),
        ("platform", tool.get("platform")),
        ("started (UTC)", report.started),
        ("finished (UTC)", report.finished),
    ]
    return ReportView(
        report=report,
        root=root,
        threshold=threshold,
        counts=counts,
        files=views,
        scan_id=report.started or "unknown",
        data_sha256=hashlib.sha256(to_json(report).encode("utf-8")).hexdigest(),
        model_rows=[(k, v) for k, v in model_rows if v not in (None, "")],
        metric_rows=flatten(m.get("metrics") or {}),
        run_rows=[(k, v) for k, v in run_rows if v not in (None, "")],
        settings_rows=flatten(report.settings or {}),
        limitations=[str(x) for x in (m.get("limitations") or [])],
        finding_counts=_finding_counts(report),
        groups=group_views(report.groups, {v.result.path: (v.index, v.shown_path) for v in views}),
        chats=chat_views([(v.index, v.shown_path, v.result) for v in views]),
    )


def _finding_counts(report: ScanReport) -> list[tuple[str, int]]:
    """Files per finding code, every code listed; none when no file's provenance was read."""
    if not any(f.provenance is not None for f in report.files):
        return []
    counts = report.findings_summary()  # hash-list matches have their own block: provenance codes only here
    return [(code, counts.get(code, 0)) for code in CODES]
