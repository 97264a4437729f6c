"""Cut training crops from labelled photos and videos with the scan's own code.

Training framing must equal inference framing, so crops are cut by the same
detector settings and ``cut_crop`` framing that ``scan`` uses.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2

from deepcheck.faces.detect import FaceDetector, cut_crop
from deepcheck.media.formats import sniff
from deepcheck.media.images import load_image
from deepcheck.media.sampling import read_samples
from deepcheck.media.video import VideoReader
from deepcheck.model.card import Framing
from deepcheck.training.datasets import Sample


def extract_crops(
    samples: list[Sample],
    out_dir: Path,
    framing: Framing,
    frames: int = 8,
    size: int = 224,
    detector: FaceDetector | None = None,
    log: Callable[[str], None] = print,
) -> list[Sample]:
    """Write face crops of every sample into ``out_dir/{real,fake}/`` and return them as samples."""
    detector = detector or FaceDetector()
    crops: list[Sample] = []
    for n, sample in enumerate(samples):
        kind = sniff(sample.path)
        try:
            if kind is None:
                raise ValueError("not an image or video")
            if kind[0] == "image":
                rgb, _ = load_image(sample.path)
                pictures = [rgb]
            else:
                with VideoReader(sample.path) as reader:
                    info = reader.info(kind[1])
                    pictures = [f.rgb for f in read_samples(reader, frames, info.frame_count, info.fps).frames]
        except Exception as exc:  # one bad training file must not stop extraction
            log(f"skipping {sample.path}: {exc}")
            continue
        folder = out_dir / ("fake" if sample.label else "real")
        folder.mkdir(parents=True, exist_ok=True)
        for i, (picture, dets) in enumerate(zip(pictures, detector.detect(pictures))):
            for j, det in enumerate(dets):
                crop = cv2.resize(cut_crop(picture, det.box, framing), (size, size), interpolation=cv2.INTER_AREA)
                path = folder / f"{n:06d}_{i:03d}_{j}.jpg"
                cv2.imwrite(str(path), crop[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
                crops.append(Sample(path, sample.label, sample.method))
    return crops
