"""The DFDC-winner-style reference pipeline that speed.py compares deepcheck against (``--reference-only``)."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from timing import folder_scan, median_time


class Reference:
    """DFDC-winner style: full-resolution MTCNN per frame, EfficientNet-B7 @380 px per face, no batching."""

    def __init__(self):
        import torch
        import torchvision
        from facenet_pytorch import MTCNN

        torch.manual_seed(0)
        self.mtcnn = MTCNN(keep_all=True, device="cpu", post_process=False)
        self.net = torchvision.models.efficientnet_b7(weights=None, num_classes=1).eval()

    def clip(self, path: Path, frames: int) -> tuple[int, float]:
        import cv2
        import numpy as np
        import torch

        from deepcheck.media.sampling import read_samples
        from deepcheck.media.video import VideoReader

        with VideoReader(path) as reader:
            info = reader.info("mp4")
            samples = read_samples(reader, frames, info.frame_count, info.fps).frames
        faces, top = 0, 0.0
        with torch.inference_mode():
            for frame in samples:
                boxes, _ = self.mtcnn.detect(frame.rgb)
                for box in [] if boxes is None else boxes:
                    x1, y1, x2, y2 = (int(max(0, v)) for v in box)
                    crop = cv2.resize(frame.rgb[y1:y2, x1:x2], (380, 380))
                    x = torch.from_numpy(crop.astype(np.float32) / 255).permute(2, 0, 1)[None]
                    top = max(top, float(torch.sigmoid(self.net(x)).item()))
                    faces += 1
        return faces, top


def reference_times(paths: list[Path], frames: int) -> list[float]:
    """Seconds per clip of the reference pipeline, after a warm-up on the first clip."""
    ref = Reference()
    ref.clip(paths[0], 2)
    times = []
    for p in paths:
        t = time.perf_counter()
        ref.clip(p, frames)
        times.append(time.perf_counter() - t)
    return times


def reference_speedup(args) -> None:
    """Shipped settings against the reference pipeline on the same made 1080p clips, in this process, models loaded."""
    from workload import make_workload

    from deepcheck.model.runtime import tune_for_inference
    from deepcheck.scanning.pipeline import Analyzer, ScanSettings

    tune_for_inference()
    work = make_workload(args.cache, args.clips, 0, 0.0)
    shipped = Analyzer.create(ScanSettings(frames=args.frames))
    folder_scan(shipped, work["1080p"][:1])  # warm-up
    ours, runs = median_time(lambda: folder_scan(shipped, work["1080p"]), args.repeats)
    ours /= len(work["1080p"])
    ref_runs = reference_times(work["1080p"][: args.reference_clips], args.frames)
    res = {
        "clips": len(work["1080p"]),
        "frames": args.frames,
        "shipped_seconds_per_clip": round(ours, 3),
        "shipped_runs": [round(r / len(work["1080p"]), 3) for r in runs],
        "reference_seconds_per_clip": round(statistics.median(ref_runs), 3),
        "reference_runs": [round(x, 3) for x in ref_runs],
    }
    res["speedup_vs_reference"] = round(res["reference_seconds_per_clip"] / ours, 1)
    out = args.out.with_name("reference.json") if args.out.name == "speed.json" else args.out
    out.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))
