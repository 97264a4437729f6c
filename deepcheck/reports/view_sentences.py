"""The words of a file's view: its band's label, and the sentences saying why it got its verdict.

Part of the :class:`ReportView` (deepcheck/reports/view.py), kept apart so that each module reads in one go;
every human-readable writer shows these sentences as they are.
"""

from __future__ import annotations

from deepcheck.reports.results import (
    STATUS_ERROR,
    STATUS_NO_FACE,
    STATUS_SKIPPED,
    VERDICT_FAKE,
    VERDICT_REAL,
    VERDICT_REVIEW,
    VERDICTS,
    FileResult,
    PersonResult,
)
from deepcheck.reports.triage import RISK_ORDER

# Risk order (deepcheck/reports/triage.py), with the words the reports use for each.
CATEGORIES = [
    (VERDICT_FAKE, "flagged fake"),
    (VERDICT_REVIEW, "needs review"),
    (STATUS_ERROR, "could not analyse"),
    (VERDICT_REAL, "not flagged"),
    (STATUS_NO_FACE, "no face found"),
    (STATUS_SKIPPED, "skipped"),
]
assert [k for k, _ in CATEGORIES] == list(RISK_ORDER)
LABELS = dict(CATEGORIES)
MAX_PERSONS = 4  # persons named in a video's sentence; the faces table lists them all


def _head(cat: str, score: float, threshold: float, review: float | None) -> str:
    """The verdict against the threshold that decided it ("review: score 0.712 ≥ review threshold 0.850, ...")."""
    if review is None and cat != VERDICT_REVIEW:  # no review band: the sentence scans have always had
        return f"{cat}: score {score:.3f} {'≥' if cat == VERDICT_FAKE else '<'} threshold {threshold:.3f}"
    if cat == VERDICT_FAKE:
        return f"fake: score {score:.3f} ≥ fake threshold {threshold:.3f}"
    if cat == VERDICT_REVIEW:
        low = "" if review is None else f" ≥ review threshold {review:.3f},"
        return f"review: score {score:.3f}{low} under the fake threshold {threshold:.3f}"
    return f"real: score {score:.3f} < review threshold {review:.3f}"


def _persons_text(persons: list[PersonResult], sampled: int) -> str:
    """Each person's band, the worst first: "person 1: review (0.71) in 9 of 32 frames" (frames seen in)."""
    ranked = sorted(persons, key=lambda p: (RISK_ORDER.index(p.verdict), -p.score, p.person))
    parts = [f"person {p.person}: {p.verdict} ({p.score:.2f}) in {p.frames} of {sampled} frames" for p in ranked]
    more = len(parts) - MAX_PERSONS
    return "; ".join(
        parts[:MAX_PERSONS] + ([f"{more} more {'person' if more == 1 else 'persons'}"] if more > 0 else [])
    )


def explanation(f: FileResult, cat: str, threshold: float | None, review: float | None, person: int | None) -> str:
    """One plain sentence: why this verdict or status."""
    sampled = f.frames_analyzed
    if cat in VERDICTS and f.score is not None and threshold is not None:
        head = _head(cat, f.score, threshold, review)
        # the threshold the sentence counts against: the one that decided a fake, else where review starts
        line = threshold if cat == VERDICT_FAKE or review is None else review
        which = "" if review is None else ("fake " if cat == VERDICT_FAKE else "review ")
        if f.media_type == "video" and person is not None and sampled:
            banded = len(f.persons) > 1 and all(p.verdict in VERDICTS for p in f.persons)
            if banded:  # several people: say who is in which band
                return f"{head}; {_persons_text(f.persons, sampled)}"
            mine = sum(1 for x in f.faces if x.person == person and x.score >= line)
            return f"{head}; person {person} over {which or ''}threshold in {mine} of {sampled} sampled frames"
        faces = len(f.faces)
        found = f"{faces} face{'' if faces == 1 else 's'} found"
        if review is None:
            return f"{head}; {found}, {sum(1 for x in f.faces if x.score >= threshold)} over the threshold"
        n_fake = sum(1 for x in f.faces if x.score >= threshold)
        n_review = sum(1 for x in f.faces if review <= x.score < threshold)
        return f"{head}; {found}: {n_fake} at or over the fake threshold, {n_review} in the review band"
    if cat == STATUS_NO_FACE:
        where = f" in {sampled} sampled frames" if sampled else ""
        return f"no face found{where}: no verdict"
    if cat == STATUS_ERROR:
        return f"could not analyse: {f.error or 'unknown error'}"
    if cat == STATUS_SKIPPED:
        return f"skipped: {f.error or 'not media'}"
    return LABELS.get(cat, cat)


def over_text(f: FileResult, over: int | None, sampled: int | None, over_review: int | None) -> str:
    """Frames over the thresholds in words ("" when there were no faces)."""
    if over is None or not sampled:
        return ""
    if f.media_type == "video":
        if over_review is None:
            return f"{over} of {sampled} sampled frames at or over the threshold"
        return f"{over} of {sampled} sampled frames at or over the fake threshold, {over_review} over the review one"
    if over_review is None:
        return "at or over the threshold" if over else "under the threshold"
    return "at or over the fake threshold" if over else "in the review band" if over_review else "under both thresholds"
