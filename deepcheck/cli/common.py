"""What every deepcheck command shares: exit codes, fatal errors, the stderr console and report output."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

EXIT_CLEAN, EXIT_FLAGGED, EXIT_FATAL, EXIT_INCOMPLETE = 0, 1, 2, 3

# The report options that `scan` and `report` share, spelt once.
FormatOption = Annotated[
    str,
    typer.Option(
        "--format", "-f", help="table | json | jsonl | csv | html | pdf | junit | sarif | hashes | hashes-json."
    ),
]
OutputOption = Annotated[
    Optional[Path], typer.Option("--output", "-o", help="Write the report to FILE instead of stdout.")
]
PageSizeOption = Annotated[str, typer.Option(help="PDF page size: a4 or letter (--format pdf).")]
SortOption = Annotated[
    str,
    typer.Option(
        "--sort",
        help="scan (as listed) or risk: the worklist (fake, review, not analysed, real, no face, skipped; each by "
        "score) for the terminal table, csv rows and the HTML index.",
    ),
]
TopOption = Annotated[
    Optional[int],
    typer.Option(
        "--top", help="Show only the N highest-risk files in the terminal table (-o still writes every file).", min=1
    ),
]
FAIL_ON_HELP = (
    "Comma-separated: what sets exit code 1: fake, review (a file to review or flagged fake; JUnit then counts "
    "review files as failures), hash-list-match (a --hash-list entry matched) and/or provenance finding codes."
)


def fail(message: str) -> None:
    typer.echo(f"deepcheck: error: {message}", err=True)
    raise typer.Exit(EXIT_FATAL)


def stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def emit(
    report,
    fmt: str,
    output: Optional[Path],
    err,
    quiet: bool,
    verbose: bool,
    page_size: str = "a4",
    sort: str = "scan",
    top: Optional[int] = None,
    fail_on: frozenset[str] | set[str] = frozenset({"fake"}),
) -> list:
    """Data to --output or stdout; the human table to the terminal (stderr when stdout carries data).

    ``sort`` and ``top`` shape the terminal table (and ``sort`` the csv and HTML index); the written report
    always holds every file. Returns what was written as (path or None for stdout, format, text), for the
    manifest.
    """
    from deepcheck.media.fileio import atomic_write_bytes, atomic_write_text
    from deepcheck.reports.writers import FORMATS, render
    from deepcheck.reports.writers.table import render_table

    if fmt == "table":
        if not quiet:
            from rich.console import Console

            render_table(report, Console() if output is None else err, verbose=verbose, sort=sort, top=top)
        if output is not None:
            atomic_write_text(output, FORMATS["json"](report))
            return [(output, "json", None)]
        return []
    text = render(report, fmt, page_size, sort=sort, fail_on=fail_on)
    if output is not None:
        atomic_write_bytes(output, text if isinstance(text, bytes) else text.encode("utf-8"))
        if not quiet:
            render_table(report, err, verbose=verbose, sort=sort, top=top)
            err.print(f"report written to {output}", markup=False, soft_wrap=True)
        return [(output, fmt, None)]
    if isinstance(text, bytes):  # PDF
        sys.stdout.flush()
        sys.stdout.buffer.write(text)
    else:
        sys.stdout.write(text)
    sys.stdout.flush()
    return [(None, fmt, text)]


def parse_fail_on(text: str) -> set[str]:
    """The --fail-on list: ``fake``, ``review``, ``hash-list-match`` and/or provenance finding codes."""
    from deepcheck.provenance import CODES

    choices = ("fake", "review", "hash-list-match", *CODES)
    chosen = {x.strip() for x in text.split(",") if x.strip()}
    unknown = chosen - set(choices)
    if unknown:
        fail(f"unknown --fail-on {', '.join(sorted(unknown))}; choose from {', '.join(choices)}")
    return chosen


def check_sort(sort: str) -> None:
    """The --sort value, checked where the writers check it; a usage error (exit 2) when unknown."""
    from deepcheck.reports import triage

    try:
        triage.check_sort(sort, "--sort")
    except ValueError as exc:
        fail(str(exc))


def exit_code(report, fail_on: set[str] | frozenset[str] = frozenset({"fake"})) -> int:
    """1 if a file's verdict or finding is in --fail-on; else 3 if any file could not be analysed; else 0.

    ``review`` is a grade, not a band of its own here: it fails on a file to review or flagged fake, so
    that asking for the stricter gate never lets the worse verdict through. Findings are a file's
    ``findings``: ``hash-list-match`` (a --hash-list entry matched) and its provenance finding codes.
    """
    summary = report.summary()
    if "fake" in fail_on and summary["fake"]:
        return EXIT_FLAGGED
    if "review" in fail_on and (summary["review"] or summary["fake"]):
        return EXIT_FLAGGED
    if any(fail_on.intersection(f.findings) for f in report.files):
        return EXIT_FLAGGED
    if summary["error"]:
        return EXIT_INCOMPLETE
    return EXIT_CLEAN
