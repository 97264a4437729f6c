"""Dense face landmarks for self-blend masks, computed once and cached beside the data.

MediaPipe's face mesh (468 points; its model ships inside the ``mediapipe``
wheel) runs on each master crop of a corpus (deepcheck/training/corpus.py)
or on any folder of face crops. Only the points a blend mask needs are kept:
the face oval (36, forehead to chin, in path order) and the two brows (10),
``POINTS`` in all, in the crop's pixels.

MediaPipe 0.10.14 pins protobuf<5, which ONNX export cannot live with, so this
runs in its own small environment and is the only module that imports it:

    python3 -m venv ~/venv-lm && ~/venv-lm/bin/pip install mediapipe==0.10.14 "numpy<2"
    ~/venv-lm/bin/python deepcheck/training/landmarks.py FOLDER_OR_FACES_CSV OUT.npz

Landmarks are a training dependency only; ``scan`` never needs them.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377]
OVAL += [152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109]
BROWS = [46, 52, 53, 55, 63, 65, 66, 70, 105, 107, 276, 282, 283, 285, 293, 295, 296, 300, 334, 336]
KEEP = OVAL + BROWS
POINTS = len(KEEP)


def _files(source: Path) -> tuple[Path, list[str]]:
    if source.suffix.lower() == ".csv":
        with open(source, newline="", encoding="utf-8") as fh:
            return source.parent, [r["file"] for r in csv.DictReader(fh)]
    names = sorted(str(p.relative_to(source)) for p in source.rglob("*.jpg"))
    return source, names


def main(source: Path, out: Path) -> None:
    import cv2
    import mediapipe as mp

    root, names = _files(source)
    found: dict[str, np.ndarray] = {}
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, min_detection_confidence=0.3) as fm:
        for i, name in enumerate(names):
            bgr = cv2.imread(str(root / name))
            if bgr is None:
                continue
            h, w = bgr.shape[:2]
            res = fm.process(bgr[:, :, ::-1])
            if res.multi_face_landmarks:
                lm = res.multi_face_landmarks[0].landmark
                found[name] = np.array([[lm[k].x * w, lm[k].y * h] for k in KEEP], np.float16)
            if i % 2000 == 0:
                print(f"{i}/{len(names)}: {len(found)} with landmarks", flush=True)
    tmp = out.with_name(out.name + ".tmp.npz")
    np.savez_compressed(tmp, names=np.array(list(found)), points=np.stack(list(found.values())))
    tmp.replace(out)
    print(f"landmarks on {len(found)} of {len(names)} faces -> {out}")


def load(path: Path) -> dict[str, np.ndarray]:
    """``name -> (POINTS, 2) float32`` as written by :func:`main`."""
    data = np.load(path)
    return {str(n): p.astype(np.float32) for n, p in zip(data["names"], data["points"])}


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
