"""A training bundle: crops, landmarks and lists in a few files, small enough to travel to a lent GPU.

Layout of a bundle folder::

    items.json      what each crop is (kind, label, group, byte range, landmark rows) and where it came from
    crops.bin       the JPEG bytes, back to back
    dense.npy       (M, 56, 2) float16: face oval and brows (deepcheck/training/landmarks.py), crop pixels
    five.npy        (M, 5, 2) float16: MTCNN's five points, crop pixels (NaN where unknown)

Kinds: ``corpus`` (real faces with context, stored at the bundle's ``corpus_framing``),
``dfdc_real`` and ``dfdc_fake`` (the shared tight DFDC crops, bytes unchanged,
framed as ``dfdc_framing``). Packing (:func:`pack`) runs on the CPU machine;
:class:`BundleDataset` reads a bundle anywhere, with only NumPy, OpenCV and torch.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from deepcheck.model.card import Framing
from deepcheck.training.corpus import MASTER, held_out, read_index, subframe, subframe_points

CORPUS_FRAMING = Framing(size_rel_height=1.3, shift_y_rel_height=0.0)
DFDC_FRAMING = Framing(size_rel_height=0.85, shift_y_rel_height=0.13)  # dfdc-faces README
STORE_PX = 224
KINDS = ("corpus", "dfdc_real", "dfdc_fake")


def _encode(img: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", img[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()


def pack(
    out: Path,
    corpora: list[Path],
    corpus_landmarks: list[Path | None],
    dfdc_dir: Path | None,
    dfdc_landmarks: Path | None,
    n_corpus: int,
    n_dfdc_pairs: int,
    seed: int = 20261204,
    quality: int = 85,
    max_per_source: float = 0.45,
    dfdc_pool: Path | None = None,
    holdout: float = 0.0,
) -> dict:
    """Write a bundle; returns its summary (counts per source and kind, size in bytes).

    ``corpora``: corpus folders (deepcheck/training/corpus.py), their landmark files in the same
    order (None: five-point masks only). Faces are drawn at random, no source more than
    ``max_per_source`` of them, so one large set (All-Age-Faces) cannot crowd out the others.
    ``dfdc_dir`` is the shared train split with ``metadata.csv`` one folder up (None: no DFDC);
    each chosen real comes with its fake. ``dfdc_pool``: a folder of fakes fetched from the split's
    ``<split>_pool.csv`` (the shared README says how); those whose original is a chosen real join
    as more fakes of that person, so DFDC's several methods are seen, not one fake per real.
    ``holdout``: the share of corpus persons (:func:`~deepcheck.training.corpus.held_out`) kept out,
    so real photos of people the model never saw remain for measuring its false alarms.
    """
    from deepcheck.training.landmarks import load

    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    items: list[dict] = []
    dense_rows: list[np.ndarray] = []
    five_rows: list[np.ndarray] = []
    blob = bytearray()

    def add(kind: str, label: int, group: str, data: bytes, dense, five, source: str) -> None:
        items.append(
            {
                "kind": kind,
                "label": label,
                "group": group,
                "source": source,
                "offset": len(blob),
                "length": len(data),
                "row": len(dense_rows),
            }
        )
        blob.extend(data)
        dense_rows.append(np.full((56, 2), np.nan, np.float32) if dense is None else dense)
        five_rows.append(np.full((5, 2), np.nan, np.float32) if five is None else five)

    # real faces with context
    pool = []
    for folder, lm_path in zip(corpora, corpus_landmarks):
        dense = load(lm_path) if lm_path else {}
        pool += [(folder, f, dense.get(f.file)) for f in read_index(folder) if not held_out(f.person, holdout)]
    by_source: dict[str, list] = {}
    for entry in pool:
        by_source.setdefault(entry[1].source, []).append(entry)
    cap = int(max_per_source * n_corpus)
    chosen = []
    for entries in by_source.values():
        take = rng.permutation(len(entries))[:cap]
        chosen += [entries[i] for i in take]
    chosen = [chosen[i] for i in rng.permutation(len(chosen))[:n_corpus]]
    for folder, face, dense in chosen:
        master = cv2.imread(str(folder / face.file))[:, :, ::-1]
        img = subframe(master, CORPUS_FRAMING, STORE_PX)
        d = None if dense is None else subframe_points(dense, master.shape[0], CORPUS_FRAMING, STORE_PX)
        f5 = subframe_points(face.points, master.shape[0], CORPUS_FRAMING, STORE_PX)
        add("corpus", 0, face.person, _encode(img, quality), d, f5, face.source)

    # DFDC pairs: a real crop and its fake, bytes unchanged
    meta = []
    if dfdc_dir is not None and n_dfdc_pairs:
        with open(dfdc_dir.parent / "metadata.csv", newline="", encoding="utf-8") as fh:
            meta = list(csv.DictReader(fh))
    rows = [r for r in meta if dfdc_dir is not None and r["split"] == dfdc_dir.name]
    fake_of = {r["original"]: r for r in rows if r["label"] == "FAKE"}
    reals = [r for r in rows if r["label"] == "REAL" and Path(r["file"]).stem + ".mp4" in fake_of]
    dfdc_dense = load(dfdc_landmarks) if dfdc_landmarks else {}
    pool_of: dict[str, list[Path]] = {}
    if dfdc_pool is not None and dfdc_dir is not None:
        with open(dfdc_dir.parent / f"{dfdc_dir.name}_pool.csv", newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                if (dfdc_pool / r["file"]).is_file():
                    pool_of.setdefault(r["original"], []).append(dfdc_pool / r["file"])
    for i in rng.permutation(len(reals))[:n_dfdc_pairs]:
        real = reals[int(i)]
        fake = fake_of[Path(real["file"]).stem + ".mp4"]
        real_path = dfdc_dir.parent / real["file"]
        d = dfdc_dense.get(str(real_path))
        if d is not None:
            d = d * (STORE_PX / _side(real_path))
        add("dfdc_real", 0, real["cluster"], real_path.read_bytes(), d, None, "dfdc-faces")
        add("dfdc_fake", 1, fake["cluster"], (dfdc_dir.parent / fake["file"]).read_bytes(), None, None, "dfdc-faces")
        for extra in pool_of.get(Path(real["file"]).stem + ".mp4", []):
            add("dfdc_fake", 1, real["cluster"], extra.read_bytes(), None, None, "dfdc-pool")

    (out / "crops.bin").write_bytes(bytes(blob))
    np.save(out / "dense.npy", np.stack(dense_rows).astype(np.float16))
    np.save(out / "five.npy", np.stack(five_rows).astype(np.float16))
    counts: dict[str, int] = {}
    for it in items:
        key = f"{it['kind']}:{it['source']}"
        counts[key] = counts.get(key, 0) + 1
    summary = {
        "version": 1,
        "store_px": STORE_PX,
        "corpus_framing": asdict(CORPUS_FRAMING),
        "dfdc_framing": asdict(DFDC_FRAMING),
        "master_framing": asdict(MASTER),
        "seed": seed,
        "holdout": holdout,
        "counts": counts,
        "dense_landmarks": int(sum(np.isfinite(r).all() for r in dense_rows)),
        "bytes": len(blob),
    }
    (out / "items.json").write_text(json.dumps({**summary, "items": items}), encoding="utf-8")
    return summary


def _side(path: Path) -> int:
    img = cv2.imread(str(path))
    return img.shape[0] if img is not None else STORE_PX


@dataclass
class Recipe:
    """What a training run draws from a bundle, and how (the ablation switches)."""

    input_size: int = 192
    corpus: bool = True  # real faces with context (part 1); off: DFDC only
    corpus_view: str = "wide"  # wide: the corpus framing; tight: DFDC's framing cut from it (part 4)
    mask: str = "dense"  # dense: landmark hull (part 2); five: MTCNN five points
    codecs: bool = True  # H.264/H.265 and messaging-app damage (part 5)
    sbi_dfdc: float = 0.1  # share of fakes self-blended from DFDC reals
    dfdc_fake: float = 0.45  # share of fakes that are DFDC's own; the rest are corpus self-blends
    local: float = 0.0  # share of self-blends that are local, reenactment-like (sbi.local_blend)
    warp: float = 0.0  # share of local blends that show another expression (sbi.expression_warp)

    def __post_init__(self) -> None:
        if not (0 <= self.local <= 1 and 0 <= self.warp <= 1):
            raise ValueError(f"local and warp must be shares in [0, 1]: {self}")
        if not (0 <= self.dfdc_fake and 0 <= self.sbi_dfdc and self.dfdc_fake + self.sbi_dfdc <= 1):
            raise ValueError(f"fake shares must be >= 0 and sum to at most 1: {self}")


class BundleDataset:
    """Balanced, paired draws from a bundle: half real, half fake, each index its own seeded draw.

    Reals: corpus faces and DFDC reals. Fakes: self-blends of corpus faces, DFDC
    fakes, and a few self-blends of DFDC reals. Index ``i`` always gives the
    same sample for a seed, so a run can be repeated and resumed.
    """

    def __init__(self, folder: Path, recipe: Recipe, seed: int = 0, length: int = 10_000_000):
        meta = json.loads((Path(folder) / "items.json").read_text(encoding="utf-8"))
        self.folder = Path(folder)
        self.recipe = recipe
        self.seed = seed
        self.length = length
        self.items = meta["items"]
        self.corpus_framing = Framing(**meta["corpus_framing"])
        self.dfdc_framing = Framing(**meta["dfdc_framing"])
        self.by_kind = {k: [i for i, it in enumerate(self.items) if it["kind"] == k] for k in KINDS}
        self._blob = None
        self._dense = np.load(self.folder / "dense.npy").astype(np.float32)
        self._five = np.load(self.folder / "five.npy").astype(np.float32)
        use_corpus = recipe.corpus and bool(self.by_kind["corpus"])
        dfdc = bool(self.by_kind["dfdc_real"])
        if not (use_corpus or dfdc):
            raise ValueError(f"{folder}: nothing to train on with {recipe}")
        sbi_dfdc = recipe.sbi_dfdc if use_corpus else 0.4  # without the corpus, DFDC reals carry the blends
        if dfdc and use_corpus:
            sbi_corpus = 1.0 - recipe.dfdc_fake - sbi_dfdc
            # reals follow the fakes' mix of corpus and DFDC, so neither domain nor its framing tells
            # real from fake; the 0.05 keeps the first recipe's draws (0.5 corpus reals to 0.45 blends)
            corpus_real = round(min(1.0, sbi_corpus + 0.05), 6)  # rounded: exactly 0.5 for the first recipe
            self.reals = [("corpus", corpus_real), ("dfdc_real", round(1.0 - corpus_real, 6))]
            self.fakes = [("dfdc_fake", recipe.dfdc_fake), ("sbi_dfdc", sbi_dfdc), ("sbi_corpus", sbi_corpus)]
        elif dfdc:
            self.reals = [("dfdc_real", 1.0)]
            self.fakes = [("dfdc_fake", 1.0 - sbi_dfdc), ("sbi_dfdc", sbi_dfdc)]
        else:
            self.reals, self.fakes = [("corpus", 1.0)], [("sbi_corpus", 1.0)]
        self.reals = [k for k in self.reals if k[1] > 0]
        self.fakes = [k for k in self.fakes if k[1] > 0]

    def __len__(self) -> int:
        return self.length

    def _bytes(self, it: dict) -> np.ndarray:
        if self._blob is None:  # opened lazily: each loader worker maps its own view
            self._blob = np.memmap(self.folder / "crops.bin", dtype=np.uint8, mode="r")
        return np.asarray(self._blob[it["offset"] : it["offset"] + it["length"]])

    def _draw(self, options, rng) -> str:
        names, weights = zip(*options)
        return str(rng.choice(names, p=np.array(weights) / sum(weights)))

    def sample(self, index: int) -> tuple[np.ndarray, int]:
        """(RGB uint8 input_size², label) for draw ``index``."""
        from deepcheck.training.augment import evidence_augment
        from deepcheck.training.sbi import local_blend, self_blend

        r = self.recipe
        rng = np.random.default_rng((self.seed, index))
        label = int(index % 2)  # alternate: every batch balanced
        what = self._draw(self.fakes if label else self.reals, rng)
        kind = {"sbi_corpus": "corpus", "sbi_dfdc": "dfdc_real"}.get(what, what)
        pick = self.by_kind[kind][int(rng.integers(len(self.by_kind[kind])))]
        it = self.items[pick]
        img = cv2.imdecode(self._bytes(it), cv2.IMREAD_COLOR)[:, :, ::-1]
        n = img.shape[0]
        dense, five = self._dense[it["row"]], self._five[it["row"]]
        if kind == "corpus":
            view = self.corpus_framing if r.corpus_view == "wide" else self.dfdc_framing
            img = subframe(img, view, r.input_size, outer=self.corpus_framing)
            dense = subframe_points(dense, n, view, r.input_size, outer=self.corpus_framing)
            five = subframe_points(five, n, view, r.input_size, outer=self.corpus_framing)
        else:
            img = cv2.resize(img, (r.input_size, r.input_size), interpolation=cv2.INTER_AREA)
            dense = dense * (r.input_size / n)
        if what.startswith("sbi") and r.local and rng.random() < r.local:  # no draw when off: old runs repeat
            points = five if np.isfinite(five).all() else None
            img, _ = local_blend(np.ascontiguousarray(img), rng, points, warp=r.warp)
        elif what.startswith("sbi"):
            if r.mask == "dense" and np.isfinite(dense).all():
                points = dense
            elif np.isfinite(five).all():
                points = five
            else:
                points = None  # typical positions in a tight crop
            img, _ = self_blend(np.ascontiguousarray(img), rng, points)
        img = evidence_augment(np.ascontiguousarray(img), rng, codecs=r.codecs)
        return img, label

    def __getitem__(self, index: int):
        import torch

        img, label = self.sample(index)
        x = (img.astype(np.float32) - np.float32(127.0)) / np.float32(128.0)
        return torch.from_numpy(x.transpose(2, 0, 1).copy()), torch.tensor(float(label))
