"""Labelled data for training and evaluation.

Two layouts: a folder with ``real/`` and ``fake/`` subfolders (searched
recursively), or a CSV with ``path,label`` rows (label real/fake or 0/1, paths
relative to the CSV, an optional ``method`` column).

The manipulation method of a fake is the name of its subfolder under
``fake/`` (``fake/FaceSwap/x.mp4`` → ``FaceSwap``), so that evaluation can
say which kinds of fakes a model catches, not only how many.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from deepcheck.media.formats import IMAGE_EXTS, VIDEO_EXTS

LABELS = {"real": 0, "0": 0, "fake": 1, "1": 1}


@dataclass(frozen=True)
class Sample:
    path: Path
    label: int  # 1 = manipulated
    method: str = ""  # manipulation method of a fake ("" when unknown or real)


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
                method = str(row.get("method") or "").strip() if label else ""
                samples.append(Sample(path if path.is_absolute() else source.parent / path, label, method))
        return samples
    samples = []
    for name, label in (("real", 0), ("fake", 1)):
        folder = source / name
        if not folder.is_dir():
            raise ValueError(f"{source} has no {name}/ folder (expected {source}/real and {source}/fake)")
        files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in exts)
        samples.extend(Sample(p, label, _method(folder, p) if label else "") for p in files)
    return samples


def _method(folder: Path, path: Path) -> str:
    """The first subfolder under ``fake/``, or "" for files directly in it."""
    parts = path.relative_to(folder).parts
    return parts[0] if len(parts) > 1 else ""
