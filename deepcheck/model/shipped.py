"""Where the shipped models live: in the checkout's top-level ``models/``, or inside an installed wheel.

The repository keeps the model files in ``models/`` (next to their cards, where people look for
them). A wheel or sdist carries the same files as ``deepcheck/_models`` (pyproject.toml maps
that package folder onto ``models/``), because a non-editable install has no checkout beside it.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # deepcheck/


def models_dir() -> Path:
    """The installed copy when there is one (a wheel), else the checkout's ``models/`` (an editable install)."""
    installed = _PACKAGE / "_models"
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / "models"
