"""Model cards: the JSON that travels beside every weights file.

A card carries everything needed to use the weights correctly (input size,
normalisation, crop framing, calibration, threshold) so no preprocessing
constant lives anywhere else in the code, like timm's pretrained configs.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Framing:
    """How a face crop is cut from an MTCNN box.

    The crop is a square of side ``size_rel_height`` × box height, centred
    ``shift_y_rel_height`` × box height below the box centre. The defaults
    match the DFDC training crops (measured on two clips, see the data README).
    """

    size_rel_height: float = 0.85
    shift_y_rel_height: float = 0.13


@dataclass
class ModelCard:
    """Everything known about one set of classifier weights."""

    name: str
    architecture: str
    input_size: int
    mean: list[float]
    std: list[float]
    weights_file: str
    sha256: str
    onnx_file: str = ""  # the same network as ONNX, made and checked by `deepcheck export`; the scan runs it
    onnx_sha256: str = ""
    onnx_check: dict[str, Any] = field(default_factory=dict)  # how far ONNX was from PyTorch at export
    framing: Framing = field(default_factory=Framing)
    threshold: float = 0.5  # the fake threshold: a score at or above it is "fake"
    temperature: float = 1.0
    threshold_rule: str = "default 0.5 (uncalibrated)"
    # From here up to `threshold` a file is "review". None (cards from before verdict bands): the review band is
    # empty, so verdicts stay fake/real as the card was measured; `scan --review-threshold` can still open one.
    review_threshold: float | None = None
    review_threshold_rule: str = ""
    pixel_scale: str = "0-255 RGB; x = (pixel - mean) / std"
    flip_average: bool = False  # score = mean logit of the crop and its mirror image (chosen on validation data)
    training: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    limitations: list[str] = field(default_factory=list)
    created: str = ""
    tool_version: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelCard:
        data = dict(data)
        framing = Framing(**data.pop("framing", {}))
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(framing=framing, **{k: v for k, v in data.items() if k in known})

    @classmethod
    def read(cls, path: Path) -> ModelCard:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def write(self, path: Path) -> None:
        from deepcheck.media.fileio import atomic_write_text

        atomic_write_text(Path(path), json.dumps(self.to_dict(), indent=2) + "\n")
