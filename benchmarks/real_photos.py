"""False alarms on real photos of people the model never saw, by source, age, gender and ethnicity.

A ``fake`` verdict on a real photo of a child or a student is the harm this tool must not do. The
validation reals (DFDC val, ``ffpp-faces``) are video crops of adults; this measures the product itself
(``deepcheck.scan``: MTCNN, the card's framing, the calibrated verdict) on real photos with context, from
the corpus sources of kit/README.md (unpacked under ``~/deepcheck-data/raw``):

- ``aaf``: All-Age-Faces (mostly East Asian, ages 2-80; age and gender in the file name);
- ``mebeauty``: MEBeauty portraits (gender and ethnicity in the folders);
- ``fairface540``: a FairFace sample balanced by age and gender (``ground_truth.json``);
- ``lfw``, ``sriffs`` (Indian faces), ``webmorph`` (London and Canadian face sets).

Persons are split by a stable hash of their corpus id (``deepcheck.training.corpus.split_of``): bundles
packed with ``holdout=0.2`` never hold the ``calibration`` or ``audit`` persons. ``--split audit`` (the
default) measures a model on people it never saw and its thresholds never saw; ``--exclude FILE`` also
drops the persons a model's bundle held when it was packed without a holdout.

    python benchmarks/real_photos.py [--model deepcheck-lite0] [--split audit|calibration|not-calibration]
                                     [--sources aaf,mebeauty,...] [--per-source 1500] [--exclude FILE]
    python benchmarks/real_photos.py --split calibration --calibration-crops DIR   # face crops for calibrate
    python benchmarks/real_photos.py --process half     # the same photos after processing (PROCESSES)
    python benchmarks/real_photos.py --split calibration --process half --calibration-crops DIR  # processed reals
    python benchmarks/real_photos.py --split calibration --calibration-files LIST.csv  # for calibrate --files

Writes ``benchmarks/results/real_photos/<model>-<sha8>[-<tag>]-<split>.json``: per group the photos, those with a
face, the share called ``fake`` and ``review`` or ``fake``, each with a Wilson 95% interval. With
``--calibration-crops`` it instead cuts each photo's faces with the card's framing into ``DIR/real``
(``DIR/fake`` stays empty), for ``deepcheck calibrate``. With ``--calibration-files`` it writes the photos'
list (``path,label``; processed photos are kept beside it) for ``deepcheck calibrate --files``, which scores
each photo whole, as ``scan`` does. Skips politely when the photos are absent.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import cv2
import numpy as np
from scipy.stats import binomtest

from deepcheck import api
from deepcheck.training import augment
from deepcheck.training.corpus import EXTS, split_of

RAW = Path.home() / "deepcheck-data/raw"
AAF_NAME = re.compile(r"^(\d{5})A(\d{2})$")
AAF_FIRST_MALE = 7381  # All-Age-Faces numbers its 7,381 women first, then 5,941 men
AGE_BANDS = ((0, 12, "0-12"), (13, 17, "13-17"), (18, 29, "18-29"), (30, 49, "30-49"), (50, 120, "50+"))


# what happens to a photo before it is scanned: shared, resized, recompressed (RGB uint8 in and out);
# --process none (the default) scans the original files
PROCESSES: dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    "half": lambda img, rng: augment.down_up(img, 0.5),  # detail lost, size kept
    "double": lambda img, rng: cv2.resize(img, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC),  # upscaled
    "jpeg70": lambda img, rng: augment.jpeg(img, 70),
    "messaging": augment.messaging,  # long side <= 1,280 px, JPEG 70-90, sometimes twice
}


def _band(age: int) -> str:
    return next(name for lo, hi, name in AGE_BANDS if lo <= age <= hi)


def _aaf(folder: Path) -> list[dict]:
    out = []
    for path in sorted(folder.glob("*.jpg")):
        if m := AAF_NAME.match(path.stem):
            gender = "female" if int(m.group(1)) < AAF_FIRST_MALE else "male"
            out.append({"path": path, "person": f"aaf:{path.stem}", "age": _band(int(m.group(2))), "gender": gender})
    return out


def _mebeauty(folder: Path) -> list[dict]:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in EXTS)
    return [
        {"path": p, "person": f"mebeauty:{p.stem}", "gender": p.parent.parent.name, "ethnicity": p.parent.name}
        for p in files
    ]


def _fairface(folder: Path) -> list[dict]:
    truth = json.loads((folder / "ground_truth.json").read_text(encoding="utf-8"))
    return [
        {
            "path": folder / row["filename"],
            "person": f"fairface540:{Path(row['filename']).stem}",
            "age": row["age"],  # FairFace's own bands: 0-2, 3-9, 10-19, ... 70+
            "gender": row["gender"].lower(),
        }
        for row in truth
    ]


def _files(name: str, person_from_parent: bool = False) -> Callable[[Path], list[dict]]:
    def entries(folder: Path) -> list[dict]:
        files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in EXTS and not p.name.startswith("._"))
        who = (lambda p: p.parent.name) if person_from_parent else (lambda p: p.stem)
        return [{"path": p, "person": f"{name}:{who(p)}"} for p in files]

    return entries


# name -> (folder under RAW, lister); persons named as `python -m deepcheck.training.corpus` named them
SOURCES: dict[str, tuple[str, Callable[[Path], list[dict]]]] = {
    "aaf": ("aaf/All-Age-Faces Dataset/original images", _aaf),
    "mebeauty": ("mebeauty/original_images", _mebeauty),
    "fairface540": ("ff540/fairface", _fairface),
    "lfw": ("lfw/lfw", _files("lfw", person_from_parent=True)),
    "sriffs": ("sriffs/data/Original_Images", _files("sriffs")),
    "webmorph": ("webmorph/inst", _files("webmorph")),
}


def _share(k: int, n: int) -> dict:
    if n == 0:
        return {"k": 0, "n": 0, "share": None, "ci95": None}
    ci = binomtest(k, n).proportion_ci(method="wilson")
    return {"k": k, "n": n, "share": round(k / n, 4), "ci95": [round(ci.low, 4), round(ci.high, 4)]}


def _group(rows: list[dict]) -> dict:
    """Photos, faces found, and the share of photos with a face called fake / review or fake."""
    ok = [r for r in rows if r["status"] == "ok"]
    return {
        "photos": len(rows),
        "with_face": len(ok),
        "errors": sum(r["status"] == "error" for r in rows),
        "fake": _share(sum(r["verdict"] == "fake" for r in ok), len(ok)),
        "review_or_fake": _share(sum(r["verdict"] in ("fake", "review") for r in ok), len(ok)),
        "median_score": round(float(np.median([r["score"] for r in ok])), 4) if ok else None,
    }


def select(sources: list[str], split: str, exclude: set[str], per_source: int, seed: int) -> list[dict]:
    """The photos of each source's persons in ``split``, at most ``per_source`` of them (seeded)."""
    rng = np.random.default_rng(seed)
    chosen = []
    for name in sources:
        folder, lister = SOURCES[name]
        if not (RAW / folder).is_dir():
            continue
        rows = [r for r in lister(RAW / folder) if r["person"] not in exclude]
        if split == "not-calibration":
            rows = [r for r in rows if split_of(r["person"]) != "calibration"]
        else:
            rows = [r for r in rows if split_of(r["person"]) == split]
        if per_source and len(rows) > per_source:
            rows = [rows[i] for i in sorted(rng.permutation(len(rows))[:per_source])]
        chosen += [{**r, "source": name} for r in rows]
    return chosen


def _table(groups: dict[str, dict]) -> None:
    print(f"{'group':<30} {'photos':>6} {'face':>5} {'fake':>18} {'review or fake':>20}")
    for name, g in groups.items():
        f, r = g["fake"], g["review_or_fake"]
        if g["with_face"]:
            print(
                f"{name:<30} {g['photos']:>6} {g['with_face']:>5} {f['share']:>6.1%} "
                f"[{f['ci95'][0]:.1%}-{f['ci95'][1]:.1%}] {r['share']:>6.1%} [{r['ci95'][0]:.1%}-{r['ci95'][1]:.1%}]"
            )


def _processed(entries: list[dict], process: str, tmp: Path, seed: int) -> list[Path]:
    """The photos to scan: the originals, or each one processed into ``tmp`` as a lossless PNG."""
    if process == "none":
        return [e["path"] for e in entries]
    rng = np.random.default_rng(seed)
    out = []
    for i, e in enumerate(entries):
        img = cv2.imread(str(e["path"]), cv2.IMREAD_COLOR)
        path = tmp / f"{i:06d}.png"
        if img is not None:
            rgb = PROCESSES[process](cv2.cvtColor(img, cv2.COLOR_BGR2RGB), rng)
            cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        else:  # unreadable: scanned as it is, so the report says why
            path = e["path"]
        out.append(path)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="deepcheck-lite0")
    ap.add_argument("--split", choices=["audit", "calibration", "not-calibration"], default="audit")
    ap.add_argument("--sources", default=",".join(SOURCES))
    ap.add_argument("--per-source", type=int, default=1500, help="at most this many photos of each source (0: all)")
    ap.add_argument("--exclude", type=Path, default=None, help="persons a model trained on, one per line")
    ap.add_argument("--calibration-crops", type=Path, default=None, help="cut crops for calibrate instead")
    ap.add_argument("--calibration-files", type=Path, default=None, help="write the photos' CSV for calibrate")
    ap.add_argument("--process", choices=["none", *PROCESSES], default="none", help="process each photo first")
    ap.add_argument("--seed", type=int, default=20261205)
    ap.add_argument("--note", default="")
    ap.add_argument("--tag", default="", help="added to the result's name (cards that share weights)")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/real_photos"))
    a = ap.parse_args(argv)

    exclude = set(a.exclude.read_text().split()) if a.exclude else set()
    sources = [s for s in a.sources.split(",") if s]
    unknown = set(sources) - set(SOURCES)
    if unknown:
        ap.error(f"unknown sources {sorted(unknown)}; known: {', '.join(SOURCES)}")
    entries = select(sources, a.split, exclude, a.per_source, a.seed)
    if not entries:
        print(f"real_photos: no photos under {RAW} (kit/README.md, step 1); skipped", file=sys.stderr)
        return 0
    card = api.load_model(a.model).card

    if a.calibration_crops:
        from deepcheck.training.datasets import Sample
        from deepcheck.training.extract import extract_crops

        (a.calibration_crops / "fake").mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="real-photos-") as tmp:  # --process applies here too
            paths = _processed(entries, a.process, Path(tmp), a.seed)
            crops = extract_crops([Sample(p, 0) for p in paths], a.calibration_crops, card.framing, size=224)
        print(f"wrote {len(crops)} real crops of {len(entries)} photos ({a.process}) to {a.calibration_crops}/real")
        return 0

    if a.calibration_files:
        kept = a.calibration_files.with_suffix("")  # processed photos stay beside the list
        if a.process != "none":
            kept.mkdir(parents=True, exist_ok=True)
        paths = _processed(entries, a.process, kept, a.seed)
        with open(a.calibration_files, "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(["path", "label"])
            out.writerows([str(Path(p).resolve()), "real"] for p in paths)
        print(f"wrote {len(paths)} real photos ({a.process}) to {a.calibration_files}")
        return 0

    with tempfile.TemporaryDirectory(prefix="real-photos-") as tmp:
        scanned = _processed(entries, a.process, Path(tmp), a.seed)
        t0 = time.time()
        report = api.scan(scanned, model=a.model, workers=1, journal=False)
        seconds = time.time() - t0
    by_path = {f.path: f for f in report.files}
    rows = []
    for e, path in zip(entries, scanned):
        f = by_path[str(path)]
        rows.append({**e, "status": f.status, "verdict": f.verdict, "score": f.score})
    groups: dict[str, dict] = {"all": _group(rows)}
    for source in sources:
        mine = [r for r in rows if r["source"] == source]
        if not mine:
            continue
        groups[source] = _group(mine)
        for key in ("age", "gender", "ethnicity"):
            for value in sorted({r[key] for r in mine if key in r}):
                groups[f"{source} {key} {value}"] = _group([r for r in mine if r.get(key) == value])

    record = {
        "model": card.name,
        "sha256": card.sha256,
        "thresholds": {"fake": card.threshold, "review": card.review_threshold},
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "note": a.note,
        "card": str(a.model),
        "split": a.split,
        "process": a.process,
        "excluded_persons": len(exclude),
        "per_source": a.per_source,
        "seed": a.seed,
        "seconds": round(seconds, 1),
        "groups": groups,
        "flagged": [
            {"file": str(r["path"]), "source": r["source"], "score": r["score"]} for r in rows if r["verdict"] == "fake"
        ],
    }
    a.out.mkdir(parents=True, exist_ok=True)
    process = "" if a.process == "none" else f"-{a.process}"
    path = a.out / f"{card.name}-{card.sha256[:8]}{'-' + a.tag if a.tag else ''}-{a.split}{process}.json"
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    _table(groups)
    print(f"wrote {path} ({seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
