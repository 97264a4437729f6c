"""The worklist: which files to look at first, for every writer that orders files by risk.

An investigator with thousands of files reads from the top. Risk order puts known material first: files
that match a ``--hash-list`` entry (deepcheck/known/), whatever their verdict. Then the verdict bands worst
first, then the files nothing is known about: ``fake``, ``review``, files that could not be analysed,
``real``, files without a face, skipped files; within a group the highest score first, then scan order. It
is decided here, once, so the CSV, the HTML index and the terminal table agree (``--sort risk``, ``--top``).
"""

from __future__ import annotations

from deepcheck.reports.results import (
    STATUS_ERROR,
    STATUS_NO_FACE,
    STATUS_OK,
    STATUS_SKIPPED,
    VERDICT_FAKE,
    VERDICT_REAL,
    VERDICT_REVIEW,
    VERDICTS,
    FileResult,
)

# Groups worst first. A file that could not be analysed ranks above "real": nothing clears it.
RISK_ORDER = (VERDICT_FAKE, VERDICT_REVIEW, STATUS_ERROR, VERDICT_REAL, STATUS_NO_FACE, STATUS_SKIPPED)
SORTS = ("scan", "risk")  # --sort: scan order (as the files were listed) or the worklist


def check_sort(sort: str, name: str = "sort") -> str:
    """``sort`` when it is one of SORTS, else ValueError: the one check the CLI, the API and the writers share."""
    if sort not in SORTS:
        raise ValueError(f"unknown {name} {sort!r}; choose {' or '.join(SORTS)}")
    return sort


def category(f: FileResult) -> str:
    """A key of RISK_ORDER: the verdict when there is one, else the status (an unknown status reads as error)."""
    if f.status == STATUS_OK and f.verdict in VERDICTS:
        return f.verdict
    return f.status if f.status in (STATUS_NO_FACE, STATUS_ERROR, STATUS_SKIPPED) else STATUS_ERROR


def risk_key(f: FileResult, index: int) -> tuple[bool, int, float, int]:
    """Sort key: hash-list matches first, then the group's place in RISK_ORDER, the score (highest first), and
    the scan position."""
    score = f.score if isinstance(f.score, (int, float)) else float("-inf")
    return not f.hash_matches, RISK_ORDER.index(category(f)), -score, index


def risk_positions(files: list[FileResult]) -> list[int]:
    """The indices of ``files`` in risk order."""
    return sorted(range(len(files)), key=lambda i: risk_key(files[i], i))


def ordered(files: list[FileResult], sort: str = "scan") -> list[FileResult]:
    """``files`` as ``--sort`` asks: ``scan`` keeps them as they are, ``risk`` gives the worklist."""
    check_sort(sort)
    return [files[i] for i in risk_positions(files)] if sort == "risk" else list(files)
