"""Scan options, checked once for every door: the Python API, ``Scanner`` and the CLI.

:func:`plan_scan` turns keyword options into a :class:`ScanPlan` (the settings that change scores, and
how the scan runs) or raises :class:`UsageError` with the CLI's message, so the same bad value reads the
same wherever it came from.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from deepcheck.scanning.settings import ScanSettings

PathLike = Union[str, "os.PathLike[str]"]

DEFAULT_MODEL = "deepcheck-lite0"  # the same as deepcheck.model.classifier.DEFAULT_MODEL, without importing it
ENGINES = ("local", "ray")
# How a scan runs; none of these changes a score, so they are not ScanSettings (not in the report).
RUN_OPTIONS = ("journal", "address", "ray_actors", "ray_cpus_per_actor", "hash_lists", "pdq_distance")


class UsageError(ValueError):
    """A bad option, with the CLI's message. Public code sees a ValueError; the CLI exits 2."""


@dataclass
class ScanPlan:
    """A checked scan request: the settings that change scores, and how the scan runs."""

    settings: ScanSettings
    engine: str = "local"
    workers: int | None = None  # analysis worker processes (None: one per core)
    journal: bool | PathLike = True  # True: the default folder; False: no journal; a folder: that one
    address: str | None = None
    ray_actors: int | None = None
    ray_cpus_per_actor: float = 1.0
    # --hash-list files (paths; loaded and checked by plan_scan into deepcheck.known.HashList objects)
    hash_lists: list[Any] = dataclasses.field(default_factory=list)
    pdq_distance: int = 31  # PDQ Hamming distance for hash-list matches and duplicate groups (Meta's default)


def plan_scan(
    *,
    frames: int = 32,
    threshold: float | None = None,
    model: PathLike = DEFAULT_MODEL,
    crops: bool = False,
    workers: int | None = None,
    engine: str = "local",
    **settings: Any,
) -> ScanPlan:
    """Check every scan option once, for the API and the CLI alike.

    Raises TypeError for an unknown option name and ValueError (the CLI's message) for a bad value.
    """
    from deepcheck.scanning.settings import ScanSettings

    run = {name: settings.pop(name) for name in RUN_OPTIONS if name in settings}
    if run.get("journal", True) is None:  # None, as on the command line without --journal: the default folder
        run["journal"] = True
    known = {f.name for f in dataclasses.fields(ScanSettings)}
    unknown = sorted(set(settings) - known)
    if unknown:
        choices = sorted((known | set(RUN_OPTIONS)) - {"frames", "threshold", "model", "crops"})
        raise TypeError(f"unknown scan option(s) {', '.join(unknown)}; known: {', '.join(choices)}")
    plan = ScanPlan(
        settings=ScanSettings(frames=frames, threshold=threshold, model=str(model), crops=crops, **settings),
        engine=engine,
        workers=workers,
        **run,
    )
    _check(plan)
    return plan


def _check(plan: ScanPlan) -> None:
    from deepcheck.media.sampling import SAMPLING_MODES
    from deepcheck.model.classifier import RUNTIMES

    s = plan.settings
    if s.threshold is not None and not 0.0 <= s.threshold <= 1.0:
        raise UsageError("--threshold must be between 0 and 1")
    if s.review_threshold is not None and not 0.0 <= s.review_threshold <= 1.0:
        raise UsageError("--review-threshold must be between 0 and 1")
    if s.threshold is not None and s.review_threshold is not None and s.review_threshold > s.threshold:
        raise UsageError("--review-threshold must not be above --threshold (the review band lies under it)")
    if s.frames < 1 or s.detect_every < 1 or s.min_face < 1:
        raise UsageError("--frames, --detect-every and --min-face must be at least 1")
    if s.max_pixels < 1 or s.max_seconds < 0 or s.max_memory_mb < 0 or (plan.workers is not None and plan.workers < 1):
        raise UsageError("--max-pixels and --workers must be at least 1, --max-seconds and --max-memory at least 0")
    if s.sampling not in SAMPLING_MODES:
        raise UsageError(f"unknown --sampling {s.sampling!r}; choose {', '.join(SAMPLING_MODES)}")
    if s.runtime not in RUNTIMES:
        raise UsageError(f"unknown --runtime {s.runtime!r}; choose {' or '.join(RUNTIMES)}")
    if plan.engine not in ENGINES:
        raise UsageError(f"unknown --engine {plan.engine!r}; choose local or ray")
    if plan.engine == "local" and (plan.address is not None or plan.ray_actors is not None):
        raise UsageError("--address and --ray-actors only apply with --engine ray")
    if plan.engine == "ray" and plan.workers is not None:
        raise UsageError("--workers applies to --engine local; use --ray-actors with --engine ray")
    if (plan.ray_actors is not None and plan.ray_actors < 1) or plan.ray_cpus_per_actor <= 0:
        raise UsageError("--ray-actors must be at least 1 and --ray-cpus-per-actor above 0")
    s.c2pa_trust = checked_trust(s.c2pa_trust)
    if not 0 <= plan.pdq_distance <= 128:
        raise UsageError("--pdq-distance must be between 0 and 128 (Meta's default is 31)")
    from deepcheck.known import HashListError, load_hash_lists

    try:
        plan.hash_lists = load_hash_lists(plan.hash_lists)
    except HashListError as exc:
        raise UsageError(f"--hash-list {exc}") from exc


def checked_trust(path: PathLike | None) -> str | None:
    """The ``--c2pa-trust`` file as an absolute path, once it is known to hold PEM certificates (else UsageError)."""
    if path is None:
        return None
    from deepcheck.provenance import read_trust

    try:
        read_trust(os.fspath(path))
    except (OSError, ValueError) as exc:
        raise UsageError(f"--c2pa-trust: {getattr(exc, 'strerror', None) or exc} ({os.fspath(path)})") from exc
    return str(Path(path).absolute())
