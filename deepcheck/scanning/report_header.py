"""What every report says about what made it: tool, model, settings and time.

Each engine starts its report here, so the provenance of a scan reads the same
whichever engine ran it. Nothing here loads a model: the card says it all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deepcheck.reports.results import ScanReport

if TYPE_CHECKING:
    from deepcheck.model.card import ModelCard
    from deepcheck.scanning.settings import ScanSettings


def utc_now() -> str:
    """Now, in UTC, to the millisecond (ISO 8601), as every report's times are written."""
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def report_header(settings: ScanSettings, card: ModelCard, runtime: str, runtime_note: str | None = None) -> ScanReport:
    """The report's provenance from the model card and the runtime that scored (no models loaded here)."""
    import platform
    import sys

    from deepcheck._version import __version__
    from deepcheck.model.scoring import bands_for

    bands = bands_for(card, settings.threshold, settings.review_threshold)
    return ScanReport(
        tool={
            "name": "deepcheck",
            "version": __version__,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
        },
        model={
            "name": card.name,
            "architecture": card.architecture,
            "sha256": card.sha256,
            "threshold": bands.fake,  # the fake threshold this scan used
            "review_threshold": bands.review,  # where "review" started (equal to threshold: no review band)
            "card_threshold": card.threshold,
            "card_review_threshold": card.review_threshold,
            "threshold_rule": card.threshold_rule,
            "review_threshold_rule": card.review_threshold_rule,
            "temperature": card.temperature,
            "input_size": card.input_size,
            "flip_average": card.flip_average,
            "runtime": runtime,
            **({"runtime_note": runtime_note} if runtime_note else {}),
            "metrics": card.metrics,
            "limitations": card.limitations,
        },
        settings=settings.to_dict(),
        started=utc_now(),
    )
