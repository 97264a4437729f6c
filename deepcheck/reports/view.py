"""What a report shows, worked out once for every human-readable writer (table, HTML, PDF).

A :class:`ReportView` is plain data built from a finished :class:`ScanReport`:
the files in risk order (files on a --hash-list first, then flagged fake, needs
review, could not be analysed, then the rest; each band by score,
deepcheck/reports/triage.py), each with its
path relative to the common root of the inputs, its strongest face, how many
sampled frames crossed the thresholds, and one plain-language sentence that
names the band and, in a video with several people, each person's band.
Numbers are rounded for reading here; the full values stay in the JSON.
Writers lay this out and compute nothing themselves. The verdicts are read as
the scan wrote them: a scan saved before verdict bands has no review threshold,
and reads as it did then.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

from deepcheck.provenance.findings import CODES, NO_PROVENANCE
from deepcheck.reports.results import (
    HASH_LIST_MATCH,
    STATUS_ERROR,
    VERDICT_FAKE,
    VERDICT_REVIEW,
    FaceResult,
    FileResult,
    ScanReport,
)
from deepcheck.reports.triage import category, check_sort, risk_positions
from deepcheck.reports.view_known import (
    ChatView,
    GroupView,
    Row,
    chat_views,
    group_views,
    hash_rows,
    match_sentences,
    origin_rows,
)
from deepcheck.reports.view_sentences import CATEGORIES, LABELS, explanation, over_text

# What a C2PA validation state means to a reader (deepcheck/provenance/content_credentials.py sets it)
C2PA_STATES = {
    "valid": "valid, signer on the trust list given with --c2pa-trust",
    "untrusted-signer": "integrity checks pass; signer not on a trust list: not verified (not forged)",
    "invalid": "INVALID: changed after signing, or a damaged manifest",
}

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
    frames_over: int | None  # sampled frames whose highest face score reached the fake threshold
    frames_sampled: int | None  # sampled frames (videos) or 1 (photos)
    over_text: str  # frames over the thresholds in words ("" when there were no faces)
    explanation: str  # one plain sentence: why this verdict or status
    message: str | None  # the error or skip reason, full text
    context_frames: list[dict] = field(default_factory=list)  # those that show the deciding person first
    # hash-list matches in words: every writer reads them here (each is also the first of ``findings``)
    matches: list[str] = field(default_factory=list)
    findings: list[tuple[str, str, str]] = field(default_factory=list)  # (code, severity, sentence)
    c2pa_state: str | None = None  # the C2PA validation state in words, when the file has Content Credentials
    seconds: float | None = None  # analysis time, rounded for reading
    frames_review: int | None = None  # sampled frames at or over the review threshold (None: no review band)
    risk: int = 0  # place in the worklist (risk order), 0 first
    hash_rows: list[Row] = field(default_factory=list)  # MD5, PDQ and its quality (HTML and PDF)
    vpdq_rows: list[Row] = field(default_factory=list)  # vPDQ frames hashed (HTML; the PDF leaves it to the JSON)
    origin_rows: list[Row] = field(default_factory=list)  # duplicate group, Telegram message (HTML and PDF)


@dataclass
class ReportView:
    """A whole report in reading order, with the metadata kept for the appendix."""

    report: ScanReport
    root: str  # the common folder of the inputs ("" when they share none)
    threshold: float | None  # the fake threshold
    counts: list[tuple[str, str, int]]  # (category key, label, count), in risk order
    # risk order: hash-list matches, then fake, review, could not analyse, real, no face, skipped; bands by score
    files: list[FileView]
    scan_id: str
    data_sha256: str  # SHA-256 of the scan's JSON document, as `-f json` writes it
    model_rows: list[tuple[str, Any]]
    metric_rows: list[tuple[str, Any]]
    run_rows: list[tuple[str, Any]]
    settings_rows: list[tuple[str, Any]]
    limitations: list[str]
    finding_counts: list[tuple[str, int]] = field(default_factory=list)  # files per finding code; [] when unread
    review_threshold: float | None = None  # where "review" starts; None: no review band (or a scan from before)
    sort: str = "scan"  # the index's order: scan (as listed) or risk (the worklist)
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
        return self.of(VERDICT_FAKE)

    @property
    def review(self) -> list[FileView]:
        return self.of(VERDICT_REVIEW)

    @property
    def failed(self) -> list[FileView]:
        return self.of(STATUS_ERROR)

    @property
    def remaining(self) -> list[FileView]:
        return [v for v in self.files if v.category not in (VERDICT_FAKE, VERDICT_REVIEW, STATUS_ERROR)]

    @property
    def indexed(self) -> list[FileView]:
        """Every file in the index's order: as scanned, or the worklist (``--sort risk``)."""
        return self.files if self.sort == "risk" else sorted(self.files, key=lambda v: v.index)

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


def _findings(f: FileResult, matches: list[str]) -> tuple[list[tuple[str, str, str]], str | None]:
    """A file's findings (its hash-list matches first) and its C2PA validation state in words (a saved scan can
    be edited: checked)."""
    prov = f.provenance if isinstance(f.provenance, dict) else {}
    found = [x for x in prov.get("findings") or [] if isinstance(x, dict)]
    rows = [(str(x.get("code") or "?"), str(x.get("severity") or ""), str(x.get("sentence") or "")) for x in found]
    c2pa = prov.get("c2pa")
    state = c2pa.get("validation") if isinstance(c2pa, dict) else None
    known = [(HASH_LIST_MATCH, "high", sentence) for sentence in matches]
    return known + rows, None if state is None else C2PA_STATES.get(state, str(state))


def _frames_over(f: FileResult, line: float) -> int:
    return sum(1 for p in f.frame_scores if isinstance(p.get("score"), (int, float)) and p["score"] >= line)


def _file_view(i: int, f: FileResult, root: str, threshold: float | None, review: float | None) -> FileView:
    cat = category(f)
    strongest = max(f.faces, key=lambda x: x.score) if f.faces else None
    person = _deciding_person(f)
    over = sampled = over_review = None
    if f.faces and threshold is not None:
        sampled = f.frames_analyzed if f.media_type == "video" and f.frames_analyzed else 1
        over = _frames_over(f, threshold)
        over_review = None if review is None else _frames_over(f, review)
    frames = [c for c in f.context_frames if isinstance(c, dict)]
    frames.sort(key=lambda c: person not in (c.get("persons") or []))  # the deciding person's frame first
    matches = match_sentences(f)
    findings, c2pa_state = _findings(f, matches)
    hashes, vpdq = hash_rows(f)
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
        over_text=over_text(f, over, sampled, over_review),
        explanation=explanation(f, cat, threshold, review, person),
        message=f.error,
        context_frames=frames,
        matches=matches,
        findings=findings,
        c2pa_state=c2pa_state,
        seconds=readable(float(f.seconds)) if isinstance(f.seconds, (int, float)) else None,
        frames_review=over_review,
        hash_rows=hashes,
        vpdq_rows=vpdq,
        origin_rows=origin_rows(f),
    )


def band_rule(view: ReportView) -> str:
    """What the bands mean, with the thresholds this scan used (the HTML and the PDF say the same)."""
    fake = "—" if view.threshold is None else f"{view.threshold:.3f}"
    if view.review_threshold is None:
        return f"A file is flagged fake when its score reaches the threshold ({fake}). "
    return (
        f"A file is flagged fake when its score reaches the fake threshold ({fake}), and needs review when it "
        f"reaches the review threshold ({view.review_threshold:.3f}) but not the fake one: the model is unsure. "
        "The model card's measured rates say how often each band holds fakes and real faces. "
    )


def rest_note(view: ReportView) -> str:
    """What the rest of the files are, in a sentence under their heading (HTML and PDF)."""
    under = "under the review threshold" if view.review_threshold is not None else "under the threshold"
    return (
        f"Not flagged ({under}), or without a verdict (no face, skipped). Not flagged does not mean verified genuine."
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


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _thresholds(model: dict[str, Any]) -> tuple[float | None, float | None]:
    """(fake, review) thresholds; review is None without a band: a scan from before bands, or an empty band."""
    threshold = _number(model.get("threshold"))
    review = _number(model.get("review_threshold"))
    return threshold, None if threshold is None or review is None or review >= threshold else review


def file_views(report: ScanReport) -> list[FileView]:
    """Every file's view in scan order: what JUnit and SARIF read, without the rest of a ReportView."""
    threshold, review = _thresholds(report.model)
    root = common_root([f.path for f in report.files])
    return [_file_view(i, f, root, threshold, review) for i, f in enumerate(report.files)]


def build(report: ScanReport, sort: str = "scan") -> ReportView:
    """The view every human-readable writer lays out; ``sort`` orders the index (scan or risk)."""
    from deepcheck.reports.writers.machine import to_json

    check_sort(sort)
    threshold, review = _thresholds(report.model)
    root = common_root([f.path for f in report.files])
    views = file_views(report)
    views = [views[i] for i in risk_positions(report.files)]  # hash-list matches first, then the bands
    for rank, v in enumerate(views):
        v.risk = rank
    counts = [(k, label, sum(1 for v in views if v.category == k)) for k, label in CATEGORIES]
    m, tool = report.model, report.tool
    model_rows = [
        ("name", m.get("name")),
        ("architecture", m.get("architecture")),
        ("weights SHA-256", m.get("sha256")),
        ("fake threshold", readable(m.get("threshold"))),
        ("review threshold", readable(m.get("review_threshold"))),
        ("model card fake threshold", readable(m.get("card_threshold"))),
        ("model card review threshold", readable(m.get("card_review_threshold"))),
        ("fake threshold rule", m.get("threshold_rule")),
        ("review threshold rule", m.get("review_threshold_rule")),
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
        review_threshold=review,
        sort=sort,
        groups=group_views(report.groups, {v.result.path: (v.index, v.shown_path) for v in views}),
        chats=chat_views([(v.index, v.shown_path, v.result) for v in views]),
    )


def _finding_counts(report: ScanReport) -> list[tuple[str, int]]:
    """Files per finding code, every code listed; none when no file's provenance was read."""
    if not any(f.provenance is not None for f in report.files):
        return []
    counts = report.findings_summary()  # hash-list matches have their own block: provenance codes only here
    return [(code, counts.get(code, 0)) for code in CODES]
