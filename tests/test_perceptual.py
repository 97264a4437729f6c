"""PDQ and vPDQ against Meta's published values, the multi-index against brute force, hash lists parsed."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from deepcheck.known.hashlist import HashListError, load_hash_list
from deepcheck.known.index import _all_pairs, near_pairs
from deepcheck.media.perceptual import VpdqFeature, as_words, hamming, pdq, vpdq_match_percent

DATA = Path(__file__).parent / "data" / "pdq"

# Meta's ThreatExchange, pdq/python/pdqhashing/tests/pdq_test.py: the hashes its reference gives these images
PUBLISHED = {
    "small.jpg": "0007001f003f003f007f00ff00ff00ff01ff01ff01ff03ff03ff03ff03ff03ff",
    "wee.jpg": "6227401f601ff4ccafcc9fad4b0d95d371a2eb7265a3285234d228ca94deeb2d",
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_pdq_gives_metas_published_hashes(name):
    from PIL import Image

    rgb = np.asarray(Image.open(DATA / name).convert("RGB"))
    value, quality = pdq(rgb)
    assert value == PUBLISHED[name]
    assert 0 <= quality <= 100


def test_pdq_survives_resizing_and_recompression_but_not_another_picture(astronaut):
    import skimage.data

    original, quality = pdq(astronaut)
    assert quality >= 50
    small = cv2.resize(astronaut, (200, 200), interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", small[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 60])
    copy = cv2.imdecode(jpeg, cv2.IMREAD_COLOR)[:, :, ::-1]
    assert hamming(original, pdq(copy)[0]) <= 16
    big = cv2.resize(astronaut, (2048, 2048), interpolation=cv2.INTER_CUBIC)  # shrunk to 512 before hashing
    assert hamming(original, pdq(big)[0]) <= 16
    assert hamming(original, pdq(skimage.data.coffee())[0]) > 70


def test_flat_picture_has_low_quality():
    assert pdq(np.full((100, 100, 3), 128, np.uint8))[1] < 50


def test_vpdq_rule_counts_frames_as_meta_does():
    a = [VpdqFeature(f"{i:064x}", 100, float(i)) for i in range(1, 6)]
    same = [VpdqFeature(f.pdq, 100, f.time_s) for f in a]
    assert vpdq_match_percent(a, same, 31) == (100.0, 100.0)
    far = "f" * 64
    half = a[:2] + [VpdqFeature(far, 100, 9.0)] * 3
    q, c = vpdq_match_percent(a, half, 0)
    assert q == pytest.approx(40.0) and c == pytest.approx(200 / 3)  # the 3 identical far frames count once
    low = [VpdqFeature(f.pdq, 10, f.time_s) for f in a]  # under quality 50: left out
    assert vpdq_match_percent(a, low, 31) == (0.0, 0.0)
    assert str(VpdqFeature.parse("ab" * 32 + ",87,1.5")) == "ab" * 32 + ",87,1.500"


def test_multi_index_finds_exactly_the_pairs_brute_force_finds():
    rng = np.random.default_rng(1)
    hashes = [f"{int(x):064x}" for x in rng.integers(0, 2**62, size=800)]
    words = as_words(hashes)
    words[:, 1:] = rng.integers(0, 2**63, size=(800, 3), dtype=np.uint64)
    for k in range(0, 300, 2):  # plant near copies at 0..40 bits
        copy = words[k].copy()
        for bit in rng.choice(256, size=rng.integers(0, 41), replace=False):
            copy[bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
        words[k + 1] = copy
    fast = near_pairs(words, None, 31)
    slow = _all_pairs(words, words, 31, True)
    assert set(zip(*map(list, fast[:2]))) == set(zip(*map(list, slow[:2])))
    assert len(fast[0]) > 50
    i, j, d = near_pairs(words[:10], words, 31)  # a cross join finds each hash itself at distance 0
    assert all(((a, a, 0) in set(zip(i.tolist(), j.tolist(), d.tolist()))) for a in range(10))


def test_hash_list_csv_and_its_errors(tmp_path):
    good = tmp_path / "known.csv"
    good.write_text(
        "hash_type,hash,label,list,case\n"
        f"md5,{'a' * 32},victim 1,StopNCII,C-1\n"
        f"PDQ,{'B' * 64},,,\n"
        '\nvpdq,"[""' + "c" * 64 + ',90,0.000""]",clip,,\n',
        encoding="utf-8",
    )
    loaded = load_hash_list(good)
    assert [e.hash_type for e in loaded.entries] == ["md5", "pdq", "vpdq"]
    assert loaded.entries[0].list == "StopNCII" and loaded.entries[1].list == "known"  # default: the file name
    assert loaded.entries[1].value == "b" * 64
    cases = {
        "hash_type,label\nmd5,x\n": "line 1: the header lacks hash",
        f"hash_type,hash\nmd5,{'a' * 32}\nsha1,{'a' * 40}\n": "line 3: unknown hash_type 'sha1'",
        f"hash_type,hash\npdq,{'a' * 63}\n": "line 2: a pdq hash is 64 hex digits",
        f"hash_type,hash\nmd5,{'a' * 32},extra\n": "line 2: 3 columns where the header has 2",
        'hash_type,hash\nvpdq,"[""zz,1,0""]"\n': "line 2: not a vPDQ frame",
    }
    for text, message in cases.items():
        bad = tmp_path / "bad.csv"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(HashListError, match=message) as info:
            load_hash_list(bad)
        assert str(bad) in str(info.value)
    broken_json = tmp_path / "export.json"
    broken_json.write_text('{\n "schema": "deepcheck.hashes/1",\n "entries": [\n', encoding="utf-8")
    with pytest.raises(HashListError, match=r"export.json, line \d+: not valid JSON"):
        load_hash_list(broken_json)
    export = tmp_path / "export2.json"
    export.write_text(json.dumps({"schema": "deepcheck.hashes/1", "entries": [{"hash_type": "md5"}]}))
    with pytest.raises(HashListError, match="entry 1: a md5 hash is 32 hex digits"):
        load_hash_list(export)
