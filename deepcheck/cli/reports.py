"""The ``report`` and ``verify`` commands (registered on the app in deepcheck/cli.py).

``report`` re-renders a saved scan in another format without re-analysing
anything. ``verify`` re-hashes the evidence and reports a manifest recorded.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from deepcheck.cli.common import FAIL_ON_HELP, FormatOption, OutputOption, PageSizeOption, SortOption, TopOption


def load_scan(path: Path):
    """A ScanReport from a saved ``--format json`` document or ``--format jsonl`` stream."""
    from deepcheck.reports.results import ScanReport

    text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        lines = [json.loads(line) for line in text.splitlines() if line.strip()]
        if not lines or not isinstance(lines[0], dict) or lines[0].get("type") != "scan":
            raise ValueError("not a deepcheck JSON scan or JSON Lines stream") from None
        data = {k: v for k, v in lines[0].items() if k != "type"}
        data["files"] = [{k: v for k, v in x.items() if k != "type"} for x in lines[1:] if x.get("type") == "file"]
    if not isinstance(data, dict) or not str(data.get("schema", "")).startswith("deepcheck.scan/"):
        raise ValueError("not a deepcheck scan document (no 'schema': 'deepcheck.scan/…')")
    return ScanReport.from_dict(data)


def report(
    scan_file: Annotated[
        Path, typer.Argument(help="A saved scan: `scan --format json` or `--format jsonl` output (- for stdin).")
    ],
    fmt: FormatOption = "table",
    output: OutputOption = None,
    page_size: PageSizeOption = "a4",
    manifest: Annotated[
        Optional[Path],
        typer.Option("--manifest", help="Add the written report's SHA-256 to this existing scan manifest."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No table, no messages: only the output.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Per-face rows and full messages under the table.")
    ] = False,
    sort: SortOption = "scan",
    top: TopOption = None,
    fail_on: Annotated[str, typer.Option(help=FAIL_ON_HELP + " Here it only shapes JUnit's failures.")] = "fake",
) -> None:
    """Re-render a saved scan in another format, without re-analysing (exit 0, or 2 on a usage error).

    Verdicts are read as the scan wrote them: a scan saved before the review band re-renders as fake/real.
    """
    from deepcheck.cli.common import check_sort, emit, fail, parse_fail_on, stderr_console
    from deepcheck.reports.writers import FORMATS, PAGE_SIZES, PICTURE_FORMATS

    failing = parse_fail_on(fail_on)
    check_sort(sort)
    if fmt != "table" and fmt not in FORMATS:
        fail(f"unknown --format {fmt!r}; choose from table, {', '.join(FORMATS)}")
    if page_size not in PAGE_SIZES:
        fail(f"unknown --page-size {page_size!r}; choose {' or '.join(PAGE_SIZES)}")
    if manifest is not None and output is None:
        fail("--manifest needs --output: only a report written to a file can be re-checked")
    try:
        scan = load_scan(scan_file)
    except OSError as exc:
        fail(f"cannot read {scan_file}: {exc.strerror or exc}")
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        fail(f"{scan_file}: {exc}")
    err = stderr_console()
    pictures = any(face.thumbnail for f in scan.files for face in f.faces)
    if fmt in PICTURE_FORMATS and not quiet and scan.files and not pictures:
        err.print(f"note: this scan holds no face images (saved without --explain); the {fmt} lists scores only")
    try:
        written = emit(
            scan,
            fmt,
            output,
            err,
            quiet=quiet,
            verbose=verbose,
            page_size=page_size,
            sort=sort,
            top=top,
            fail_on=failing,
        )
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    if manifest is not None:
        from deepcheck.reports.custody import ManifestError, add_report, report_entry

        path, written_fmt, _ = written[0]
        try:
            add_report(manifest, report_entry(path, written_fmt))
        except (ManifestError, OSError) as exc:
            fail(str(exc))
        if not quiet:
            err.print(f"report recorded in {manifest}")


def verify(
    manifest: Annotated[Path, typer.Argument(help="A manifest written by `scan --manifest`.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="text | json.")] = "text",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only what changed or is missing.")] = False,
) -> None:
    """Re-hash the evidence and reports in a manifest: exit 0 all match, 1 changed/missing, 2 usage error."""
    from deepcheck.cli.common import EXIT_CLEAN, EXIT_FLAGGED, fail
    from deepcheck.media.fileio import sha256_file
    from deepcheck.reports.custody import FAILED_STATES, ManifestError, read_manifest
    from deepcheck.reports.custody import verify as run_verify

    if fmt not in ("text", "json"):
        fail(f"unknown --format {fmt!r}; choose text or json")
    try:
        data = read_manifest(manifest)
    except ManifestError as exc:
        fail(str(exc))
    checks = run_verify(data)
    failed = [c for c in checks if c.state in FAILED_STATES]
    counts: dict[str, int] = {}
    for c in checks:
        counts[c.state] = counts.get(c.state, 0) + 1
    if fmt == "json":
        doc = {
            "manifest": str(manifest),
            "manifest_sha256": sha256_file(manifest),
            "ok": not failed,
            "counts": counts,
            "checks": [c.to_dict() for c in checks],
        }
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        for c in checks:
            if quiet and c.state not in FAILED_STATES:
                continue
            line = f"{c.state.upper():<12} {c.kind:<7} {c.path}"
            typer.echo(line + (f"  ({c.detail})" if c.detail else ""))
        if not quiet:
            summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
            typer.echo(f"{len(checks)} files checked: {summary}")
            typer.echo(f"manifest {manifest} sha256 {sha256_file(manifest)}")
    raise typer.Exit(EXIT_FLAGGED if failed else EXIT_CLEAN)
