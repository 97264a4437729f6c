"""From face scores to a file verdict: face → frame → person → file.

- face: calibrated probability from the classifier;
- frame: the highest face score in that frame (one fake face makes a fake frame);
- person: faces linked across frames by nearby, similar-sized boxes; person score = mean of
  its face scores (averaging over time damps single-frame errors, SBI's protocol);
- file: the highest person score among persons seen in at least
  ``MIN_PERSON_SHARE`` of the frames with faces (so a one-frame false
  detection cannot decide a video), falling back to all persons.
Images are one frame, so a file score is simply the highest face score.

A score becomes a verdict through :class:`Bands`: ``fake`` at or above the fake
threshold, ``review`` from the review threshold up to it, ``real`` below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from deepcheck.reports.results import VERDICT_FAKE, VERDICT_REAL, VERDICT_REVIEW, FaceResult, PersonResult

if TYPE_CHECKING:
    from deepcheck.model.card import ModelCard

MIN_PERSON_SHARE = 0.25
LINK_DISTANCE = 1.0
MAX_SIZE_RATIO = 1.6


def _link_distance(a: list[float], b: list[float]) -> float:
    """Centre distance in units of the mean box side; inf when sizes differ too much to be one face."""
    sa, sb = max(a[2] - a[0], a[3] - a[1]), max(b[2] - b[0], b[3] - b[1])
    if min(sa, sb) <= 0 or not 1 / MAX_SIZE_RATIO <= sa / sb <= MAX_SIZE_RATIO:
        return float("inf")
    dx = (a[0] + a[2] - b[0] - b[2]) / 2
    dy = (a[1] + a[3] - b[1] - b[3]) / 2
    return float(np.hypot(dx, dy) / ((sa + sb) / 2))


def assign_persons(faces: list[FaceResult]) -> None:
    """Give each face a person id: greedy linking to the nearest track's last box.

    Sampled frames can be a third of a second apart, so faces move; a face
    joins the track whose last box centre is within ``LINK_DISTANCE`` box
    sides and whose size is similar, else it starts a new person.
    """
    tracks: list[list[float]] = []
    by_frame: dict[int, list[FaceResult]] = {}
    for face in faces:
        by_frame.setdefault(face.frame_index, []).append(face)
    for frame_index in sorted(by_frame):
        taken: set[int] = set()
        for face in sorted(by_frame[frame_index], key=lambda f: -f.detection_prob):
            best, best_d = -1, LINK_DISTANCE
            for t, last in enumerate(tracks):
                if t not in taken:
                    d = _link_distance(face.box, last)
                    if d <= best_d:
                        best, best_d = t, d
            if best < 0:
                tracks.append(face.box)
                best = len(tracks) - 1
            tracks[best] = face.box
            taken.add(best)
            face.person = best


def _top_share_mean(share: float):
    def rule(scores: np.ndarray) -> float:
        k = max(1, int(np.ceil(share * len(scores))))
        return float(np.mean(np.sort(scores)[-k:]))

    return rule


# How a person's face scores become the person's score. "mean" is SBI's video protocol; the top-share
# means let a manipulation visible in part of a clip (a turn of the head, one expression) count.
PERSON_RULES = {
    "mean": lambda s: float(np.mean(s)),
    "median": lambda s: float(np.median(s)),
    "top-half-mean": _top_share_mean(0.5),
    "top-quarter-mean": _top_share_mean(0.25),
    "max": lambda s: float(np.max(s)),
}
DEFAULT_PERSON_RULE = "mean"


def persons_of(faces: list[FaceResult], rule: str = DEFAULT_PERSON_RULE) -> list[PersonResult]:
    """One record per person; ``rule`` (a key of ``PERSON_RULES``) makes the person score."""
    aggregate = PERSON_RULES[rule]
    groups: dict[int, list[float]] = {}
    for face in faces:
        groups.setdefault(face.person, []).append(face.score)
    return [
        PersonResult(person=p, frames=len(s), score=aggregate(np.asarray(s)), max_score=float(np.max(s)))
        for p, s in sorted(groups.items())
    ]


def frame_scores(faces: list[FaceResult]) -> list[dict]:
    best: dict[int, FaceResult] = {}
    for face in faces:
        if face.frame_index not in best or face.score > best[face.frame_index].score:
            best[face.frame_index] = face
    return [
        {
            "frame_index": i,
            "time_s": best[i].time_s,
            "score": best[i].score,
            "faces": sum(1 for f in faces if f.frame_index == i),
        }
        for i in sorted(best)
    ]


def file_score(persons: list[PersonResult]) -> float | None:
    if not persons:
        return None
    frames_with_faces = max(p.frames for p in persons)
    steady = [p for p in persons if p.frames >= MIN_PERSON_SHARE * frames_with_faces]
    return float(max(p.score for p in (steady or persons)))


@dataclass(frozen=True)
class Bands:
    """The two thresholds a verdict is read against; ``review == fake`` means an empty review band."""

    fake: float
    review: float

    def verdict(self, score: float | None) -> str | None:
        """fake, review or real for a score; None when there is no score (no face, error)."""
        if score is None:
            return None
        if score >= self.fake:
            return VERDICT_FAKE
        return VERDICT_REVIEW if score >= self.review else VERDICT_REAL

    @property
    def has_review(self) -> bool:
        return self.review < self.fake


def bands_for(card: ModelCard, threshold: float | None = None, review_threshold: float | None = None) -> Bands:
    """The bands a scan uses: the options where given, else the card's.

    A card without a review threshold (written before bands existed) gives an empty review band rather
    than an invented one: its threshold was measured for two verdicts. A fake threshold set below the
    review threshold empties the review band too (everything from it up is fake).
    """
    fake = card.threshold if threshold is None else threshold
    review = card.review_threshold if review_threshold is None else review_threshold
    return Bands(fake=fake, review=fake if review is None else min(review, fake))


def band_persons(persons: list[PersonResult], bands: Bands) -> None:
    """Give each person the verdict of its own score, so the report can say who needs a look."""
    for p in persons:
        p.verdict = bands.verdict(p.score)
