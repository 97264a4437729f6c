"""Known material and its copies: hash lists, duplicate groups and Telegram export links.

Everything here runs on the driver after the workers have hashed every file, and before any writer:
:func:`annotate` fills each record's ``hash_matches``, ``group`` and ``telegram`` and the report's
``groups`` from plain data. Nothing here decodes media.
"""

from __future__ import annotations

import os
from pathlib import Path

from deepcheck.known.groups import find_groups
from deepcheck.known.hashlist import HashList, HashListError, load_hash_list, load_hash_lists
from deepcheck.known.matching import match_lists
from deepcheck.media.perceptual import PDQ_MATCH_DISTANCE
from deepcheck.provenance.telegram import EXPORT_NAME, link_exports
from deepcheck.reports.results import HASH_LIST_MATCH, ScanReport

__all__ = ["HASH_LIST_MATCH", "HashList", "HashListError", "annotate", "load_hash_list", "load_hash_lists"]


def annotate(
    report: ScanReport,
    targets: list[Path],
    lists: list[HashList] | None = None,
    pdq_distance: int = PDQ_MATCH_DISTANCE,
) -> list[str]:
    """Hash-list matches, duplicate groups and Telegram links for a finished scan; returns warnings.

    ``targets`` are the scanned paths in report order (the Telegram ``result.json`` files are among them).
    """
    files = report.files
    for f in files:
        f.telegram = None  # records reused from a journal are linked afresh
    exports = [os.fspath(p) for p in targets if Path(p).name == EXPORT_NAME]
    found, warnings = link_exports([os.fspath(p) for p in targets[: len(files)]], exports) if exports else ({}, [])
    for i, fields in found.items():
        files[i].telegram = fields
    match_lists(files, lists or [], pdq_distance)
    report.groups = find_groups(files, pdq_distance)
    # how findings were derived, not how scores were made: beside the tool, not in the score settings
    report.tool["known_material"] = {"pdq_distance": pdq_distance, "hash_lists": [hl.describe() for hl in lists or []]}
    return warnings
