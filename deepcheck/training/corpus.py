"""A corpus of real faces with context, for self-blending and as negatives from many cameras.

Each source image's largest confident MTCNN face is cut as a *master crop*: a
square of ``MASTER.size_rel_height`` × the box height, centred on the box, at
``MASTER_PX`` pixels. Any tighter framing (today's 0.85× box, the box, 1.3×)
is a sub-square of it (:func:`subframe`), so the framing stays a choice made
at training time rather than at collection time. The five MTCNN points are
kept in master-crop pixels beside each crop.

    python -m deepcheck.training.corpus SOURCE_NAME IMAGE_DIR OUT_DIR [--limit N]

writes ``OUT_DIR/SOURCE_NAME/*.jpg`` and appends rows to ``OUT_DIR/faces.csv``.
The data itself never enters the repository.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from deepcheck.model.card import Framing

MASTER = Framing(size_rel_height=1.6, shift_y_rel_height=0.0)
MASTER_PX = 256
MIN_BOX = 64  # px of box height in the source image: smaller faces carry too little detail to blend
MIN_PROB = 0.95
MAX_OUTSIDE = 0.12  # share of the 1.3x square allowed outside the source image (it is padded by reflection)
FIELDS = ["source", "file", "person", "box_h", "inside_13", "points"]
EXTS = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


@dataclass
class CorpusFace:
    source: str
    file: str  # relative to the corpus folder
    person: str  # identity where the source gives one, else the source file
    box_h: float  # MTCNN box height in source pixels
    inside_13: float  # share of the 1.3x square inside the source image
    points: np.ndarray  # 5x2 MTCNN points, master-crop pixels


def _sub_square(n: int, framing: Framing, outer: Framing) -> tuple[float, float, float]:
    """Side and top-left corner of ``framing``'s square inside an ``outer``-framed crop of side n."""
    side = n * framing.size_rel_height / outer.size_rel_height
    cy = n / 2 + n * (framing.shift_y_rel_height - outer.shift_y_rel_height) / outer.size_rel_height
    return side, n / 2 - side / 2, cy - side / 2


def subframe(master: np.ndarray, framing: Framing, out_px: int, outer: Framing = MASTER) -> np.ndarray:
    """The ``framing`` square cut out of a crop framed as ``outer`` (a master crop), resized to ``out_px``."""
    side, x1, y1 = _sub_square(master.shape[0], framing, outer)
    s = out_px / side
    m = np.array([[s, 0, -x1 * s], [0, s, -y1 * s]], np.float32)
    interp = cv2.INTER_AREA if side > out_px else cv2.INTER_LINEAR
    return cv2.warpAffine(master, m, (out_px, out_px), flags=interp, borderMode=cv2.BORDER_REFLECT_101)


def subframe_points(points: np.ndarray, n: int, framing: Framing, out_px: int, outer: Framing = MASTER) -> np.ndarray:
    """Points of an ``outer``-framed crop of side n, mapped into its :func:`subframe`."""
    side, x1, y1 = _sub_square(n, framing, outer)
    return (np.asarray(points, np.float32) - np.array([x1, y1], np.float32)) * (out_px / side)


def _master_crop(img: np.ndarray, box, points) -> tuple[np.ndarray, np.ndarray, float]:
    x1, y1, x2, y2 = box
    h = y2 - y1
    side = MASTER.size_rel_height * h
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2 + MASTER.shift_y_rel_height * h
    ox, oy = cx - side / 2, cy - side / 2
    s = MASTER_PX / side
    m = np.array([[s, 0, -ox * s], [0, s, -oy * s]], np.float32)
    crop = cv2.warpAffine(img, m, (MASTER_PX, MASTER_PX), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT_101)
    pts = (np.asarray(points, np.float32) - [ox, oy]) * s
    # share of the 1.3x square that lies inside the image
    half = 1.3 * h / 2
    ih, iw = img.shape[:2]
    ix = max(0.0, min(iw, cx + half) - max(0.0, cx - half))
    iy = max(0.0, min(ih, cy + half) - max(0.0, cy - half))
    return crop, pts, float(ix * iy / (4 * half * half))


def build(source: str, images: Path, out: Path, limit: int | None = None, person_of=None) -> int:
    """Cut master crops for every image under ``images``; returns the number of faces written."""
    from deepcheck.faces.detect import FaceDetector

    detector = FaceDetector(min_prob=MIN_PROB, detect_size=1024, min_face=MIN_BOX)
    files = sorted(p for p in Path(images).rglob("*") if p.suffix.lower() in EXTS)
    if limit:
        rng = np.random.default_rng(20261204)
        files = sorted(rng.choice(files, size=min(limit, len(files)), replace=False).tolist())
    dest = out / source
    dest.mkdir(parents=True, exist_ok=True)
    index = out / "faces.csv"
    new = not index.is_file()
    seen: set[str] = set()
    written = 0
    with open(index, "a", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, FIELDS)
        if new:
            writer.writeheader()
        for path in files:
            data = np.fromfile(str(path), np.uint8)
            digest = hashlib.sha256(data.tobytes()).hexdigest()
            if digest in seen:  # byte-identical copies count once
                continue
            seen.add(digest)
            bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
            if bgr is None:
                continue
            rgb = np.ascontiguousarray(bgr[:, :, ::-1])
            dets = [d for d in detector.detect([rgb])[0] if d.landmarks is not None and d.box[3] - d.box[1] >= MIN_BOX]
            if not dets:
                continue
            det = max(dets, key=lambda d: (d.box[2] - d.box[0]) * (d.box[3] - d.box[1]))
            crop, pts, inside = _master_crop(rgb, det.box, det.landmarks)
            if inside < 1 - MAX_OUTSIDE:
                continue
            name = f"{source}/{digest[:16]}.jpg"
            cv2.imwrite(str(out / name), crop[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
            person = person_of(path) if person_of else f"{source}:{path.stem}"
            writer.writerow(
                {
                    "source": source,
                    "file": name,
                    "person": person,
                    "box_h": round(det.box[3] - det.box[1], 1),
                    "inside_13": round(inside, 3),
                    "points": " ".join(f"{v:.1f}" for v in pts.reshape(-1)),
                }
            )
            written += 1
    return written


CALIBRATION_SHARE = 0.1  # persons whose real photos set the thresholds (deepcheck calibrate)
HOLDOUT_SHARE = 0.2  # persons kept out of bundles: the calibration share and an audit share of the same size


def held_out(person: str, share: float) -> bool:
    """Whether ``person`` falls in the first ``share`` of persons, by a stable hash of the id.

    The same id always falls on the same side, on any machine, so real photos of people no model
    trained on remain for calibration and for measuring false alarms (benchmarks/real_photos.py).
    """
    return share > 0 and int(hashlib.sha256(person.encode()).hexdigest()[:8], 16) < share * 2**32


def split_of(person: str) -> str:
    """``calibration``, ``audit`` or ``train``: the nested hash shares above."""
    if held_out(person, CALIBRATION_SHARE):
        return "calibration"
    return "audit" if held_out(person, HOLDOUT_SHARE) else "train"


def read_index(out: Path) -> list[CorpusFace]:
    with open(Path(out) / "faces.csv", newline="", encoding="utf-8") as fh:
        return [
            CorpusFace(
                r["source"],
                r["file"],
                r["person"],
                float(r["box_h"]),
                float(r["inside_13"]),
                np.array([float(v) for v in r["points"].split()], np.float32).reshape(5, 2),
            )
            for r in csv.DictReader(fh)
        ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source")
    ap.add_argument("images", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--limit", type=int, default=None, help="a seeded sample of at most N images")
    ap.add_argument("--person-from-parent", action="store_true", help="the parent folder names the person")
    a = ap.parse_args()
    person_of = (lambda p: f"{a.source}:{p.parent.name}") if a.person_from_parent else None
    n = build(a.source, a.images, a.out, a.limit, person_of)
    print(f"{a.source}: {n} faces")


if __name__ == "__main__":
    main()
