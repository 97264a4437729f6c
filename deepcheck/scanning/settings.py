"""What a scan is asked to do: every setting that changes a score, recorded in every report.

Kept apart from the pipeline so that the driver side (the API, the journal, the report header, the
engines) can name the settings without importing the decoders and models that analyse a file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from deepcheck.media.formats import DEFAULT_MAX_PIXELS, DEFAULT_MAX_SECONDS

DEFAULT_MAX_MEMORY_MB = 4096


@dataclass
class ScanSettings:
    """Everything that changes scores; recorded in every report."""

    frames: int = 32
    threshold: float | None = None  # the fake threshold; None: the model card's
    review_threshold: float | None = None  # where "review" starts; None: the model card's (none: no review band)
    min_face_prob: float = 0.9
    detect_size: int = 640
    min_face: int = 40  # px in the original picture: the smallest face searched for
    detect_every: int = 4  # full face search on every N-th sampled video frame, local re-detection between
    sampling: str = "auto"  # video frames: auto, reference, keyframes or every (deepcheck/media/sampling.py)
    crops: bool = False
    device: str = "cpu"
    runtime: str = "onnx"  # classifier runtime: onnx (the card's ONNX file, checked at export) or torch
    max_pixels: int = DEFAULT_MAX_PIXELS
    model: str = "deepcheck-lite0"
    max_seconds: float = DEFAULT_MAX_SECONDS  # per file: decoding stops at it, a worker still busy is ended
    max_memory_mb: int = DEFAULT_MAX_MEMORY_MB  # per analysis worker (resident memory); 0: no limit
    explain: bool = False  # thumbnails, Grad-CAM, context frames for HTML/PDF (deepcheck/model/explain.py)
    c2pa_trust: str | None = None  # PEM file of trusted C2PA signer anchors (--c2pa-trust); none by default

    def to_dict(self) -> dict:
        return asdict(self)
