"""Duplicate groups within one scan: files that are exact or near copies of each other.

Two files are linked when they have the same SHA-256, when two stills' PDQ hashes are within the PDQ
distance, or when two videos match under Meta's vPDQ rule (80% of one's frames found in the other). A
group is a connected set of links. Near pairs come from the multi-index in deepcheck/known/index.py, so
grouping stays near-linear in the number of files. Each group records the links that joined it, and the
members that are flagged (a fake verdict or a hash-list match), so that a report can show "flagged fake,
and N more copies" on the whole group.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepcheck.known.index import near_pairs
from deepcheck.known.matching import record_pdq, record_vpdq
from deepcheck.media.perceptual import (
    PDQ_MATCH_DISTANCE,
    VPDQ_MATCH_PERCENT,
    as_words,
    vpdq_words,
    vpdq_words_percent,
)
from deepcheck.reports.results import VERDICT_FAKE, FileResult


class _Links:
    """Union-find over file indices that keeps the links which joined two sets (a spanning forest)."""

    def __init__(self, n: int):
        self.parent = list(range(n))
        self.kept: list[tuple[int, int, dict[str, Any]]] = []

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def link(self, a: int, b: int, why: dict[str, Any]) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)
            self.kept.append((a, b, why))


def find_groups(files: list[FileResult], pdq_distance: int = PDQ_MATCH_DISTANCE) -> list[dict[str, Any]]:
    """The scan's duplicate groups (two or more members), numbered g1, g2… in scan order; sets ``group``."""
    links = _Links(len(files))
    _same_sha256(files, links)
    _near_stills(files, links, pdq_distance)
    _near_videos(files, links, pdq_distance)
    members: dict[int, list[int]] = {}
    for i in range(len(files)):
        members.setdefault(links.find(i), []).append(i)
    groups, ids = [], {}
    for root in sorted(members):
        if len(members[root]) < 2:
            continue
        ids[root] = f"g{len(groups) + 1}"
        groups.append({"id": ids[root], "members": [files[i].path for i in members[root]], "why": []})
    by_id = {g["id"]: g for g in groups}
    for a, b, why in links.kept:
        by_id[ids[links.find(a)]]["why"].append({"a": files[a].path, "b": files[b].path, **why})
    for i, f in enumerate(files):
        f.group = ids.get(links.find(i))
    for root, gid in ids.items():
        flagged = [files[i] for i in members[root] if _flagged(files[i])]
        by_id[gid]["flagged"] = [
            {"path": f.path, "verdict": f.verdict, "score": f.score, "findings": f.findings} for f in flagged
        ]
    return groups


def _flagged(f: FileResult) -> bool:
    return f.verdict == VERDICT_FAKE or bool(f.hash_matches)


def _same_sha256(files: list[FileResult], links: _Links) -> None:
    first: dict[str, int] = {}
    for i, f in enumerate(files):
        if f.sha256:
            if f.sha256 in first:
                links.link(first[f.sha256], i, {"hash_type": "sha256", "distance": 0})
            else:
                first[f.sha256] = i


def _near_stills(files: list[FileResult], links: _Links, distance: int) -> None:
    hashed = [(i, h) for i, f in enumerate(files) if (h := record_pdq(f))]
    if len(hashed) < 2:
        return
    a, b, d = near_pairs(as_words([h for _, h in hashed]), None, distance)
    for x, y, dist in sorted(zip(a.tolist(), b.tolist(), d.tolist()), key=lambda t: t[2]):
        links.link(hashed[x][0], hashed[y][0], {"hash_type": "pdq", "distance": dist})


def _near_videos(files: list[FileResult], links: _Links, distance: int) -> None:
    """Videos sharing near frames are candidates; each candidate pair then gets Meta's vPDQ comparison."""
    videos = {i: frames for i, f in enumerate(files) if (frames := record_vpdq(f))}
    words = {i: vpdq_words(frames) for i, frames in videos.items()}  # once per video, not once per pair
    owner = [i for i, w in words.items() for _ in range(len(w))]
    if len(set(owner)) < 2:
        return
    a, b, _ = near_pairs(np.concatenate([w for w in words.values() if len(w)]), None, distance)
    owners = np.asarray(owner)
    pairs = {(int(x), int(y)) for x, y in zip(owners[a], owners[b]) if x != y}
    for x, y in sorted((min(p), max(p)) for p in pairs):
        x_in_y, y_in_x = vpdq_words_percent(words[x], words[y], distance)
        if max(x_in_y, y_in_x) >= VPDQ_MATCH_PERCENT:
            links.link(x, y, {"hash_type": "vpdq", "match_percent": [round(x_in_y, 1), round(y_in_x, 1)]})
