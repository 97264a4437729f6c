"""deepcheck: find manipulated faces in photos and videos.

The public Python API is the names in ``__all__`` (README.md, "Python API")::

    import deepcheck

    report = deepcheck.scan("evidence/")        # what `deepcheck scan evidence/` runs
    report.to_dataframe()                       # one row per file (needs pandas)

Every other module and name is internal and may change. The names are loaded on first use, so
``import deepcheck`` stays cheap: torch and OpenCV load with the first scan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from deepcheck._version import __version__ as __version__

__all__ = ["FileResult", "ModelError", "ScanReport", "Scanner", "inspect", "load_model", "scan"]

_HOMES = {
    "scan": "deepcheck.api",
    "Scanner": "deepcheck.api",
    "load_model": "deepcheck.api",
    "inspect": "deepcheck.inspection",
    "ScanReport": "deepcheck.reports.results",
    "FileResult": "deepcheck.reports.results",
    "ModelError": "deepcheck.model.classifier",
}

if TYPE_CHECKING:
    from deepcheck.api import Scanner, load_model, scan
    from deepcheck.inspection import inspect
    from deepcheck.model.classifier import ModelError
    from deepcheck.reports.results import FileResult, ScanReport


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is used (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'deepcheck' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])
