"""Records matched against hash lists: exact for MD5 and SHA-256, by distance for PDQ and vPDQ.

Runs on the driver once the workers have hashed every file, before any writer: a match becomes an entry
of the record's ``hash_matches`` and so the finding ``hash-list-match``. PDQ uses Meta's distance (31 bits
by default, ``--pdq-distance``) and skips hashes under quality 50, as Meta's tools do (a flat picture's
hash matches other flat pictures). vPDQ follows Meta's rule: a video matches a listed video when at least
80% of its usable frames are within the distance of some listed frame.
"""

from __future__ import annotations

from typing import Any

from deepcheck.known.hashlist import HashEntry, HashList
from deepcheck.known.index import near_pairs
from deepcheck.media.perceptual import (
    PDQ_MATCH_DISTANCE,
    PDQ_MIN_QUALITY,
    VPDQ_MATCH_PERCENT,
    VpdqFeature,
    as_words,
    vpdq_words,
    vpdq_words_percent,
)
from deepcheck.reports.results import FileResult


def record_vpdq(f: FileResult) -> list[VpdqFeature]:
    """A record's vPDQ frames (a saved scan can be edited: malformed frames are left out)."""
    out = []
    for item in (f.hashes or {}).get("vpdq") or []:
        try:
            out.append(VpdqFeature.parse(item))
        except (ValueError, TypeError):
            continue
    return out


def record_pdq(f: FileResult) -> str | None:
    """A record's PDQ hash when it is usable for matching (quality at least 50)."""
    h = f.hashes or {}
    quality = h.get("pdq_quality")
    if isinstance(h.get("pdq"), str) and isinstance(quality, int) and quality >= PDQ_MIN_QUALITY:
        return h["pdq"]
    return None


def match_lists(files: list[FileResult], lists: list[HashList], pdq_distance: int = PDQ_MATCH_DISTANCE) -> int:
    """Fill each record's ``hash_matches`` from ``lists``; returns how many records matched."""
    entries = [e for hl in lists for e in hl.entries]
    exact: dict[tuple[str, str], list[HashEntry]] = {}
    for e in entries:
        if e.hash_type in ("md5", "sha256"):
            exact.setdefault((e.hash_type, e.value), []).append(e)
    for f in files:
        f.hash_matches = []
        for kind in ("md5", "sha256"):
            value = (f.hashes or {}).get(kind)
            for e in exact.get((kind, value), []) if isinstance(value, str) else []:
                f.hash_matches.append(_match(e, distance=0))
    _match_pdq(files, [e for e in entries if e.hash_type == "pdq"], pdq_distance)
    _match_vpdq(files, [e for e in entries if e.hash_type == "vpdq"], pdq_distance)
    return sum(1 for f in files if f.hash_matches)


def _match_pdq(files: list[FileResult], listed: list[HashEntry], distance: int) -> None:
    hashed = [(f, h) for f in files if (h := record_pdq(f))]
    if not hashed or not listed:
        return
    i, j, d = near_pairs(as_words([h for _, h in hashed]), as_words([e.value for e in listed]), distance)
    for a, b, dist in sorted(zip(i.tolist(), j.tolist(), d.tolist()), key=lambda t: (t[0], t[2])):
        hashed[a][0].hash_matches.append(_match(listed[b], distance=dist))


def _match_vpdq(files: list[FileResult], listed: list[HashEntry], distance: int) -> None:
    if not listed:
        return
    for f in files:
        frames = record_vpdq(f)
        if not frames:
            continue
        words = vpdq_words(frames)
        for e in listed:  # e.words: prepared when the list was read
            query, other = vpdq_words_percent(words, e.words, distance)
            if query >= VPDQ_MATCH_PERCENT:
                f.hash_matches.append(_match(e, match_percent=round(query, 1), listed_percent=round(other, 1)))


def _match(e: HashEntry, **how: Any) -> dict[str, Any]:
    """One match as the record keeps it: the list's labels, the hash type and how close."""
    return {"list": e.list, "label": e.label, "case": e.case, "hash_type": e.hash_type, **how}
