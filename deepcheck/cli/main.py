"""The deepcheck command line (Typer). Heavy imports happen inside commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from deepcheck._version import __version__
from deepcheck.cli.common import (
    FAIL_ON_HELP,
    FormatOption,
    OutputOption,
    PageSizeOption,
    SortOption,
    TopOption,
    check_sort,
    emit,
    exit_code,
    fail,
    parse_fail_on,
    stderr_console,
)

app = typer.Typer(
    name="deepcheck",
    help="Detect manipulated faces (deepfakes) in photos and videos.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"deepcheck {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """Detect manipulated faces (deepfakes) in photos and videos."""


def _read_files_from(source: str) -> list[Path]:
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    return [Path(line) for line in text.splitlines() if line.strip()]


@app.command()
def scan(
    paths: Annotated[
        Optional[list[Path]], typer.Argument(help="Files and folders (folders are searched recursively).")
    ] = None,
    files_from: Annotated[
        Optional[str], typer.Option("--files-from", help="Read paths, one per line, from FILE (- for stdin).")
    ] = None,
    fmt: FormatOption = "table",
    output: OutputOption = None,
    page_size: PageSizeOption = "a4",
    threshold: Annotated[
        Optional[float],
        typer.Option(
            help="Fake threshold on the calibrated score: at or above it a file is fake (default: the card's)."
        ),
    ] = None,
    review_threshold: Annotated[
        Optional[float],
        typer.Option(
            help="Review threshold: from it up to the fake threshold a file needs review (default: the model card's; "
            "a card without one has no review band)."
        ),
    ] = None,
    sort: SortOption = "scan",
    top: TopOption = None,
    frames: Annotated[int, typer.Option(help="Frames sampled evenly from each video.")] = 32,
    model: Annotated[str, typer.Option(help="Model name in models/, or a card/weights path.")] = "deepcheck-lite0",
    crops: Annotated[bool, typer.Option("--crops", help="Inputs are face crops: skip face detection.")] = False,
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
    runtime: Annotated[
        str, typer.Option(help="Classifier runtime: onnx (ONNX Runtime, no torch) or torch (PyTorch, the reference).")
    ] = "onnx",
    min_face_prob: Annotated[float, typer.Option(help="Minimum MTCNN face probability.")] = 0.9,
    detect_size: Annotated[int, typer.Option(help="Long side (px) of the copy faces are detected on.")] = 640,
    min_face: Annotated[
        int, typer.Option(help="Smallest face (box side, px of the original) searched for; smaller is slower.")
    ] = 40,
    detect_every: Annotated[
        int,
        typer.Option(
            help="Search whole video frames for faces on every N-th sampled frame, near known faces between (1: all)."
        ),
    ] = 4,
    sampling: Annotated[
        str,
        typer.Option(
            help="Video frames: auto (reference frames; key frames over 2 min), reference, keyframes, or every "
            "(decode all, exact points)."
        ),
    ] = "auto",
    workers: Annotated[
        Optional[int], typer.Option(help="Analysis worker processes (default: one per CPU core).")
    ] = None,
    max_pixels: Annotated[int, typer.Option(help="Refuse images/frames with more pixels than this.")] = 100_000_000,
    max_seconds: Annotated[
        float,
        typer.Option("--max-seconds", "--max-decode-seconds", help="Time limit per file, in seconds (0: no limit)."),
    ] = 300.0,
    max_memory: Annotated[
        int, typer.Option(help="Memory limit per analysis worker, in MB, models included (0: no limit).")
    ] = 4096,
    journal_dir: Annotated[
        Optional[Path],
        typer.Option(
            "--journal",
            help="Journal folder for resuming interrupted scans (default: $DEEPCHECK_JOURNAL or "
            "~/.cache/deepcheck/journal). Never inside the scanned folders.",
        ),
    ] = None,
    no_journal: Annotated[
        bool, typer.Option("--no-journal", help="Analyse every file afresh and keep no journal.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No table, no progress: only the machine output.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Per-face rows and full messages under the table.")
    ] = False,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit 0 even when files are flagged (--fail-on) or fail.")
    ] = False,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain", help="Face pictures, Grad-CAM, context frames (always on for html/pdf; kept in json/jsonl)."
        ),
    ] = False,
    manifest: Annotated[
        Optional[Path],
        typer.Option("--manifest", help="Write a chain-of-custody manifest (hashes of inputs and reports) to FILE."),
    ] = None,
    engine: Annotated[
        str, typer.Option(help="local (worker processes here) or ray (a Ray cluster: see the README).")
    ] = "local",
    address: Annotated[
        Optional[str], typer.Option(help="Ray head HOST:PORT (--engine ray; default: RAY_ADDRESS or a local Ray).")
    ] = None,
    ray_actors: Annotated[
        Optional[int], typer.Option(help="Ray workers (default: one per --ray-cpus-per-actor CPUs in the cluster).")
    ] = None,
    ray_cpus_per_actor: Annotated[float, typer.Option(help="CPUs (inference threads) per Ray worker.")] = 1.0,
    c2pa_trust: Annotated[
        Optional[Path],
        typer.Option(help="PEM file of trusted C2PA signer anchors (default: none, signers unverified)."),
    ] = None,
    fail_on: Annotated[str, typer.Option(help=FAIL_ON_HELP)] = "fake",
    hash_list: Annotated[
        Optional[list[Path]],
        typer.Option(
            "--hash-list",
            help="Known-material list (CSV hash_type,hash[,label,list,case] or a hash export); repeatable.",
        ),
    ] = None,
    pdq_distance: Annotated[
        int, typer.Option(help="PDQ Hamming distance for hash-list matches and duplicate groups.")
    ] = 31,
) -> None:
    """Scan photos and videos for manipulated faces."""
    from deepcheck.api.plan import UsageError, plan_scan
    from deepcheck.api.run import execute
    from deepcheck.model.classifier import ModelError
    from deepcheck.reports.writers import FORMATS, PAGE_SIZES, PICTURE_FORMATS
    from deepcheck.scanning.engines.ray_engine import EngineError
    from deepcheck.scanning.workers import WorkerError

    if fmt != "table" and fmt not in FORMATS:
        fail(f"unknown --format {fmt!r}; choose from table, {', '.join(FORMATS)}")
    if page_size not in PAGE_SIZES:
        fail(f"unknown --page-size {page_size!r}; choose {' or '.join(PAGE_SIZES)}")
    failing = parse_fail_on(fail_on)
    check_sort(sort)
    try:
        plan = plan_scan(
            frames=frames,
            threshold=threshold,
            review_threshold=review_threshold,
            model=model,
            crops=crops,
            workers=workers,
            engine=engine,
            min_face_prob=min_face_prob,
            detect_size=detect_size,
            min_face=min_face,
            detect_every=detect_every,
            sampling=sampling,
            device=device,
            runtime=runtime,
            max_pixels=max_pixels,
            max_seconds=max_seconds,
            max_memory_mb=max_memory,
            explain=explain or fmt in PICTURE_FORMATS,
            c2pa_trust=c2pa_trust,
            journal=False if no_journal else (journal_dir or True),
            address=address,
            ray_actors=ray_actors,
            ray_cpus_per_actor=ray_cpus_per_actor,
            hash_lists=hash_list or [],
            pdq_distance=pdq_distance,
        )
    except UsageError as exc:
        fail(str(exc))
    roots = list(paths or [])
    if files_from:
        try:
            roots += _read_files_from(files_from)
        except OSError as exc:
            fail(f"cannot read --files-from {files_from}: {exc}")
    if not roots:
        fail("no input: give files or folders, or --files-from")
    if manifest is not None and output is not None and manifest.resolve() == output.resolve():
        fail("--manifest and --output must be different files")
    err = stderr_console()
    _warn_if_inside_evidence(output, roots, err)
    hashed = {}  # the manifest's input hashes, taken once the models are ready and before any analysis

    def hash_inputs(targets: list[Path]) -> None:
        hashed["inputs"] = _hash_for_manifest(targets, manifest, err, quiet)

    try:
        report = execute(roots, plan, progress=not quiet, log=_notes_to(err, quiet), before_analysis=hash_inputs)
    except (UsageError, ModelError, EngineError, WorkerError) as exc:
        fail(str(exc))
    written = emit(
        report, fmt, output, err, quiet=quiet, verbose=verbose, page_size=page_size, sort=sort, top=top, fail_on=failing
    )
    if manifest is not None:
        _write_manifest(manifest, report, hashed.get("inputs"), written, err, quiet)
    raise typer.Exit(0 if exit_zero else exit_code(report, failing))


def _warn_if_inside_evidence(output: Optional[Path], roots: list[Path], err) -> None:
    """The report is the one thing deepcheck writes; say so when the user points it into the evidence."""
    from deepcheck.scanning.journal import inside

    if output is not None and inside(output.absolute().parent, roots) is not None:
        err.print(
            f"warning: the report {output} is written inside a scanned folder: that folder changes",
            markup=False,
            soft_wrap=True,
        )


def _notes_to(err, quiet: bool):
    """The scan's notes on stderr: warnings always, the rest unless --quiet."""

    def note(level: str, message: str) -> None:
        if level == "warning":
            err.print(f"warning: {message}", markup=False, soft_wrap=True)
        elif not quiet:
            err.print(message, markup=False, soft_wrap=True)

    return note


def _write_manifest(path: Path, report, inputs, written, err, quiet: bool) -> None:
    from deepcheck.reports.custody import build_manifest, report_entry, write_manifest

    reports = [report_entry(p, f, text) for p, f, text in written]
    try:
        write_manifest(path, build_manifest(report, inputs, reports))
    except OSError as exc:
        fail(f"cannot write manifest {path}: {exc.strerror or exc}")
    if not quiet:
        err.print(f"manifest written to {path}")


def _hash_for_manifest(targets, manifest: Optional[Path], err, quiet: bool):
    """Hash every input before any analysis touches it (None without --manifest)."""
    if manifest is None:
        return None
    from deepcheck.reports.custody import hash_inputs

    if not quiet:
        err.print(f"hashing {len(targets)} inputs for the manifest", style="dim")
    return hash_inputs(targets)


# The other commands live in their own modules; none of them imports this one.
from deepcheck.cli.inspect import inspect  # noqa: E402
from deepcheck.cli.model import calibrate, evaluate, export, train  # noqa: E402
from deepcheck.cli.reports import report, verify  # noqa: E402

for _command in (train, evaluate, calibrate, export, report, verify, inspect):
    app.command()(_command)


def run() -> None:
    app()
