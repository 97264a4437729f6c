"""Near PDQ hashes found without comparing every pair: multi-index hashing (Norouzi et al.), in numpy.

A 256-bit hash is cut into 16 segments of 16 bits. Two hashes within 31 bits of each other differ by at
most one bit in at least one segment (pigeonhole: 16 segments x 2 bits would be 32), so every such pair
shares a segment value exactly or with one bit flipped. Each segment is sorted once; each hash looks up
its own value and its 16 one-bit neighbours there, and only those candidates get a full distance. For
uniformly spread hashes a bucket holds n / 65,536 entries, so 100,000 hashes cost about 17 x 16 x 1.5
candidates each instead of 100,000 (benchmarks/grouping.py). Radii over 31 fall back to all pairs.
"""

from __future__ import annotations

import numpy as np

from deepcheck.media.perceptual import popcount

SEGMENTS = 16
MAX_INDEXED_RADIUS = 31  # two bits per segment would be needed beyond this


def segment_keys(words: np.ndarray) -> np.ndarray:
    """(n, 16) uint32 keys: 16-bit segments of (n, 4) uint64 hash words."""
    shifts = np.arange(4, dtype=np.uint64) * np.uint64(16)
    parts = (words[:, :, None] >> shifts[None, None, :]) & np.uint64(0xFFFF)
    return parts.reshape(len(words), SEGMENTS).astype(np.uint32)


def near_pairs(query: np.ndarray, base: np.ndarray | None, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index pairs (i in query, j in base) at Hamming distance <= ``radius``, with their distances.

    ``base=None`` joins ``query`` with itself and gives each unordered pair once (i < j).
    """
    self_join = base is None
    base = query if base is None else base
    if len(query) == 0 or len(base) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    if radius > MAX_INDEXED_RADIUS:
        return _all_pairs(query, base, radius, self_join)
    qkeys, bkeys = segment_keys(query), segment_keys(base)
    probes = [0] + [1 << b for b in range(16)]
    found_i, found_j, found_d = [], [], []
    for s in range(SEGMENTS):
        order = np.argsort(bkeys[:, s], kind="stable")
        bucket = np.bincount(bkeys[:, s], minlength=1 << 16)  # a 16-bit key is its own table index
        first = np.concatenate([[0], np.cumsum(bucket)[:-1]])
        cand_i, cand_j = [], []
        for mask in probes:
            keys = qkeys[:, s] ^ np.uint32(mask)
            lo, counts = first[keys], bucket[keys]
            total = int(counts.sum())
            if not total:
                continue
            qi = np.repeat(np.arange(len(query)), counts)
            offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
            cand_i.append(qi)
            cand_j.append(order[np.repeat(lo, counts) + offsets])
        if not cand_i:
            continue
        i, j = np.concatenate(cand_i), np.concatenate(cand_j)
        keep = i < j if self_join else np.ones(len(i), dtype=bool)
        i, j = i[keep], j[keep]
        d = popcount(query[i] ^ base[j])
        close = d <= radius
        found_i.append(i[close])
        found_j.append(j[close])
        found_d.append(d[close])
    if not found_i:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    i, j, d = np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_d)
    pair = i.astype(np.int64) * len(base) + j  # a pair found through several segments is kept once
    _, first = np.unique(pair, return_index=True)
    return i[first], j[first], d[first]


def _all_pairs(query: np.ndarray, base: np.ndarray, radius: int, self_join: bool):
    """Every pair, in blocks of rows (for radii the index cannot serve)."""
    found_i, found_j, found_d = [], [], []
    block = max(1, 2_000_000 // max(1, len(base)))
    for start in range(0, len(query), block):
        d = popcount(query[start : start + block, None, :] ^ base[None, :, :])
        i, j = np.nonzero(d <= radius)
        i = i + start
        keep = i < j if self_join else np.ones(len(i), dtype=bool)
        found_i.append(i[keep])
        found_j.append(j[keep])
        found_d.append(d[i[keep] - start, j[keep]])
    return np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_d)
