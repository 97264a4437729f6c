"""Labelled data for training and evaluation.

Two layouts: a folder with ``real/`` and ``fake/`` subfolders (searched
recursively), or a CSV with ``path,label`` rows (label real/fake or 0/1, paths
relative to the CSV).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from deepcheck.media import IMAGE_EXTS, VIDEO_EXTS

LABELS = {"real": 0, "0": 0, "fake": 1, "1": 1}


@dataclass(frozen=True)
class Sample:
    path: Path
    label: int  # 1 = manipulated


def list_labelled(source: Path) -> list[Sample]:
    """Every labelled media file under ``source``, sorted for reproducibility."""
    source = Path(source)
    exts = IMAGE_EXTS | VIDEO_EXTS
    if source.is_file() and source.suffix.lower() == ".csv":
        samples = []
        with open(source, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                label = LABELS.get(str(row.get("label", "")).strip().lower())
                if label is None:
                    raise ValueError(f"{source}: bad label {row.get('label')!r} for {row.get('path')!r}")
                path = Path(row["path"])
                samples.append(Sample(path if path.is_absolute() else source.parent / path, label))
        return samples
    samples = []
    for name, label in (("real", 0), ("fake", 1)):
        folder = source / name
        if not folder.is_dir():
            raise ValueError(f"{source} has no {name}/ folder (expected {source}/real and {source}/fake)")
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in exts)
        samples.extend(Sample(p, label) for p in files)
    return samples
