"""The deepcheck command line (Typer). Heavy imports happen inside commands."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from deepcheck import __version__

app = typer.Typer(
    name="deepcheck",
    help="Detect manipulated faces (deepfakes) in photos and videos.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_CLEAN, EXIT_FLAGGED, EXIT_FATAL, EXIT_INCOMPLETE = 0, 1, 2, 3


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
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table | json | jsonl | csv | html | pdf | junit | sarif.")
    ] = "table",
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", help="Write the report to FILE instead of stdout.")
    ] = None,
    page_size: Annotated[str, typer.Option(help="PDF page size: a4 or letter (--format pdf).")] = "a4",
    threshold: Annotated[
        Optional[float], typer.Option(help="Verdict threshold on the calibrated score (default: the model card's).")
    ] = None,
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
        bool, typer.Option("--exit-zero", help="Exit 0 even when fakes are flagged or files fail.")
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
    ray_cpus_per_actor: Annotated[float, typer.Option(help="CPUs (torch threads) per Ray worker.")] = 1.0,
    c2pa_trust: Annotated[
        Optional[Path],
        typer.Option(help="PEM file of trusted C2PA signer anchors (default: none, signers unverified)."),
    ] = None,
    fail_on: Annotated[
        str,
        typer.Option(help="Comma-separated: what sets exit code 1 (fake and/or provenance finding codes)."),
    ] = "fake",
) -> None:
    """Scan photos and videos for manipulated faces."""
    from deepcheck import api
    from deepcheck.classifier import ModelError
    from deepcheck.engines.ray_engine import EngineError
    from deepcheck.workers import WorkerError
    from deepcheck.writers import FORMATS, PAGE_SIZES, PICTURE_FORMATS

    if fmt != "table" and fmt not in FORMATS:
        _fail(f"unknown --format {fmt!r}; choose from table, {', '.join(FORMATS)}")
    if page_size not in PAGE_SIZES:
        _fail(f"unknown --page-size {page_size!r}; choose {' or '.join(PAGE_SIZES)}")
    failing = parse_fail_on(fail_on)
    try:
        plan = api.plan_scan(
            frames=frames,
            threshold=threshold,
            model=model,
            crops=crops,
            workers=workers,
            engine=engine,
            min_face_prob=min_face_prob,
            detect_size=detect_size,
            min_face=min_face,
            detect_every=detect_every,
            device=device,
            runtime=runtime,
            max_pixels=max_pixels,
            max_seconds=max_seconds,
            max_memory_mb=max_memory,
            explain=explain or fmt in PICTURE_FORMATS,
            c2pa_trust=_check_trust(c2pa_trust),
            journal=False if no_journal else (journal_dir or True),
            address=address,
            ray_actors=ray_actors,
            ray_cpus_per_actor=ray_cpus_per_actor,
        )
    except api.UsageError as exc:
        _fail(str(exc))
    roots = list(paths or [])
    if files_from:
        try:
            roots += _read_files_from(files_from)
        except OSError as exc:
            _fail(f"cannot read --files-from {files_from}: {exc}")
    if not roots:
        _fail("no input: give files or folders, or --files-from")
    if manifest is not None and output is not None and manifest.resolve() == output.resolve():
        _fail("--manifest and --output must be different files")
    err = _stderr_console()
    _warn_if_inside_evidence(output, roots, err)
    hashed = {}  # the manifest's input hashes, taken once the models are ready and before any analysis

    def hash_inputs(targets: list[Path]) -> None:
        hashed["inputs"] = _hash_for_manifest(targets, manifest, err, quiet)

    try:
        report = api.execute(roots, plan, progress=not quiet, log=_notes_to(err, quiet), before_analysis=hash_inputs)
    except (api.UsageError, ModelError, EngineError, WorkerError) as exc:
        _fail(str(exc))
    written = _emit(report, fmt, output, err, quiet=quiet, verbose=verbose, page_size=page_size)
    if manifest is not None:
        _write_manifest(manifest, report, hashed.get("inputs"), written, err, quiet)
    raise typer.Exit(0 if exit_zero else exit_code(report, failing))


def _warn_if_inside_evidence(output: Optional[Path], roots: list[Path], err) -> None:
    """The report is the one thing deepcheck writes; say so when the user points it into the evidence."""
    from deepcheck.journal import inside

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
    from deepcheck.custody import build_manifest, report_entry, write_manifest

    reports = [report_entry(p, f, text) for p, f, text in written]
    try:
        write_manifest(path, build_manifest(report, inputs, reports))
    except OSError as exc:
        _fail(f"cannot write manifest {path}: {exc.strerror or exc}")
    if not quiet:
        err.print(f"manifest written to {path}")


def _hash_for_manifest(targets, manifest: Optional[Path], err, quiet: bool):
    """Hash every input before any analysis touches it (None without --manifest)."""
    if manifest is None:
        return None
    from deepcheck.custody import hash_inputs

    if not quiet:
        err.print(f"hashing {len(targets)} inputs for the manifest", style="dim")
    return hash_inputs(targets)


def _emit(report, fmt: str, output: Optional[Path], err, quiet: bool, verbose: bool, page_size: str = "a4") -> list:
    """Data to --output or stdout; the human table to the terminal (stderr when stdout carries data).

    Returns what was written as (path or None for stdout, format, text), for the manifest.
    """
    from deepcheck.fileio import atomic_write_bytes, atomic_write_text
    from deepcheck.writers import FORMATS, render
    from deepcheck.writers.table import render_table

    if fmt == "table":
        if not quiet:
            from rich.console import Console

            render_table(report, Console() if output is None else err, verbose=verbose)
        if output is not None:
            atomic_write_text(output, FORMATS["json"](report))
            return [(output, "json", None)]
        return []
    text = render(report, fmt, page_size)
    if output is not None:
        atomic_write_bytes(output, text if isinstance(text, bytes) else text.encode("utf-8"))
        if not quiet:
            render_table(report, err, verbose=verbose)
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
    """The --fail-on list: ``fake`` and/or provenance finding codes."""
    from deepcheck.provenance import CODES

    chosen = {x.strip() for x in text.split(",") if x.strip()}
    unknown = chosen - {"fake", *CODES}
    if unknown:
        _fail(f"unknown --fail-on {', '.join(sorted(unknown))}; choose from fake, {', '.join(CODES)}")
    return chosen


def _check_trust(path: Optional[Path]) -> Optional[str]:
    """The --c2pa-trust file as an absolute path, after checking that it holds PEM certificates."""
    if path is None:
        return None
    from deepcheck.provenance import read_trust

    try:
        read_trust(str(path))
    except (OSError, ValueError) as exc:
        _fail(f"--c2pa-trust: {exc}")
    return str(path.absolute())


def exit_code(report, fail_on: set[str] | frozenset[str] = frozenset({"fake"})) -> int:
    """1 if a file is flagged fake or has a --fail-on finding; else 3 if any file could not be analysed; else 0."""
    from deepcheck.provenance import finding_codes

    summary = report.summary()
    if "fake" in fail_on and summary["fake"]:
        return EXIT_FLAGGED
    if any(fail_on.intersection(finding_codes(f.provenance)) for f in report.files):
        return EXIT_FLAGGED
    if summary["error"]:
        return EXIT_INCOMPLETE
    return EXIT_CLEAN


def _fail(message: str) -> None:
    typer.echo(f"deepcheck: error: {message}", err=True)
    raise typer.Exit(EXIT_FATAL)


@app.command()
def train(
    data: Annotated[Path, typer.Argument(help="Training data: folder with real/ and fake/, or a CSV of path,label.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for weights, card and checkpoints.")],
    val: Annotated[Optional[Path], typer.Option(help="Validation data, same layout; gives val AUC per epoch.")] = None,
    crops: Annotated[
        bool, typer.Option("--crops", help="Images are already face crops (else faces are cut as scan does).")
    ] = False,
    name: Annotated[str, typer.Option(help="Model name (file stem of weights and card).")] = "deepcheck-lite0",
    arch: Annotated[str, typer.Option(help="Backbone: efficientnet-lite0|lite1|lite2.")] = "efficientnet-lite0",
    input_size: Annotated[Optional[int], typer.Option(help="Input size in px (default: the backbone's).")] = None,
    epochs: Annotated[int, typer.Option(help="Training epochs.")] = 6,
    batch_size: Annotated[int, typer.Option(help="Batch size.")] = 32,
    lr: Annotated[float, typer.Option(help="Peak learning rate (AdamW, warmup + cosine).")] = 4e-4,
    seed: Annotated[int, typer.Option(help="Random seed (data order, augmentation, init).")] = 1234,
    threads: Annotated[int, typer.Option(help="CPU threads for torch.")] = 2,
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
    sbi: Annotated[float, typer.Option(help="Share of real crops turned into self-blended fakes (0 = off).")] = 0.0,
    sbi_landmarks: Annotated[
        str,
        typer.Option(
            help="SBI mask landmarks: mtcnn (detected on each real crop, cached; slow on CPU) or typical "
            "(fixed positions for tight, aligned crops)."
        ),
    ] = "mtcnn",
    init_from: Annotated[Optional[str], typer.Option(help="Start from a shipped model (name or card path).")] = None,
    no_augment: Annotated[bool, typer.Option("--no-augment", help="Disable augmentation.")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Continue from OUT/checkpoint.pt.")] = False,
    notes: Annotated[str, typer.Option(help="Free text recorded in the model card (e.g. how the run went).")] = "",
) -> None:
    """Fine-tune an ImageNet EfficientNet-Lite on labelled faces; writes weights + model card."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from deepcheck.datasets import list_labelled
    from deepcheck.train import TrainConfig
    from deepcheck.train import train as run_train

    if sbi_landmarks not in ("mtcnn", "typical"):
        _fail(f"unknown --sbi-landmarks {sbi_landmarks!r}; choose mtcnn or typical")
    try:
        train_samples = list_labelled(data)
        val_samples = list_labelled(val) if val else None
    except (ValueError, OSError) as exc:
        _fail(str(exc))
    if not crops:  # faces are cut by the scan's own detector and framing
        from deepcheck.card import Framing
        from deepcheck.extract import extract_crops

        err = _stderr_console()
        train_samples = extract_crops(train_samples, out / "crops" / "train", Framing(), log=err.print)
        if val_samples:
            val_samples = extract_crops(val_samples, out / "crops" / "val", Framing(), log=err.print)
        if not train_samples:
            _fail("no faces found in the training data")
    cfg = TrainConfig(
        out_dir=out,
        name=name,
        architecture=arch,
        input_size=input_size,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        threads=threads,
        device=device,
        augment=not no_augment,
        sbi=sbi,
        sbi_landmarks=sbi_landmarks,
        init_from=init_from,
        resume=resume,
        notes=notes,
        command=_reproducible_command(sys.argv[1:]),
        data_note=f"train: {data} ({len(train_samples)} crops); val: {val} ({len(val_samples or [])} crops)",
    )
    with Progress(
        TextColumn("training"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} steps"),
        TimeRemainingColumn(),
        transient=True,
        console=_stderr_console(),
    ) as bar:
        task = bar.add_task("train", total=None)
        card = run_train(
            cfg,
            train_samples,
            val_samples,
            log=lambda m: bar.console.print(m),
            progress=lambda s, n: bar.update(task, completed=s, total=n),
        )
    typer.echo(f"wrote {card}", err=True)


@app.command()
def evaluate(
    data: Annotated[Path, typer.Argument(help="Labelled data: folder with real/ and fake/, or a CSV of path,label.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for metrics.json, roc.png, reliability.png.")],
    model: Annotated[str, typer.Option(help="Model name in models/, or a card/weights path.")] = "deepcheck-lite0",
    crops: Annotated[bool, typer.Option("--crops", help="Images are face crops: skip face detection.")] = False,
    frames: Annotated[int, typer.Option(help="Frames sampled from each video.")] = 32,
    threshold: Annotated[Optional[float], typer.Option(help="Threshold (default: the model card's).")] = None,
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
) -> None:
    """Measure a model on labelled data: AUC, EER, TPR/FPR, log-loss, ROC and reliability plots."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from deepcheck.classifier import ModelError
    from deepcheck.datasets import list_labelled
    from deepcheck.evaluate import evaluate as run_evaluate
    from deepcheck.pipeline import Analyzer, ScanSettings

    try:
        samples = list_labelled(data)
        analyzer = Analyzer.create(
            ScanSettings(frames=frames, threshold=threshold, crops=crops, device=device, model=model)
        )
    except (ValueError, OSError, ModelError) as exc:
        _fail(str(exc))
    with Progress(
        TextColumn("evaluating"), BarColumn(), MofNCompleteColumn(), console=_stderr_console(), transient=True
    ) as bar:
        task = bar.add_task("", total=len(samples))
        report = run_evaluate(analyzer, samples, out, on_file=lambda i, n: bar.update(task, completed=i))
    for level in ("file_level", "frame_level"):
        if level in report:
            m = report[level]
            typer.echo(
                f"{level}: n={m['n']} AUC={m.get('auc', float('nan')):.4f} EER={m.get('eer', float('nan')):.4f} "
                f"acc={m.get('accuracy_at_threshold', float('nan')):.4f} "
                f"TPR={m.get('tpr_at_threshold', float('nan')):.4f} FPR={m.get('fpr_at_threshold', float('nan')):.4f} "
                f"TPR@1%FPR={m.get('tpr_at_fpr_1pct', float('nan')):.4f} "
                f"TPR@5%FPR={m.get('tpr_at_fpr_5pct', float('nan')):.4f} "
                f"log-loss={m.get('log_loss', float('nan')):.4f}"
            )
    for method, m in report.get("by_method", {}).items():
        typer.echo(
            f"  {method}: n_fake={m['n_fake']} AUC={m.get('auc', float('nan')):.4f} "
            f"TPR={m.get('tpr_at_threshold', float('nan')):.4f}"
        )
    typer.echo(f"statuses: {report['statuses']}; wrote {out / 'metrics.json'}")


@app.command()
def calibrate(
    data: Annotated[
        list[Path],
        typer.Argument(help="Labelled face crops (real/ and fake/, or CSV) held out from training; one or more sets."),
    ],
    model: Annotated[
        str, typer.Option(help="Model name in models/, or a card path. Its card is updated.")
    ] = "deepcheck-lite0",
    target_fpr: Annotated[
        float, typer.Option(help="Highest false-positive rate on real faces for the threshold.")
    ] = 0.05,
) -> None:
    """Fit temperature scaling and pick the threshold for a target FPR; writes them into the model card.

    With several sets, the threshold keeps the FPR at or under the target on each set.
    """
    from deepcheck import calibration
    from deepcheck.card import ModelCard
    from deepcheck.classifier import ModelError, load_model, resolve_card_path
    from deepcheck.datasets import list_labelled

    try:
        sets = [list_labelled(d) for d in data]
        card_path = resolve_card_path(model)
        classifier = load_model(model)
    except (ValueError, OSError, ModelError) as exc:
        _fail(str(exc))
    result = calibration.fit(classifier, sets, target_fpr)
    card = ModelCard.read(card_path)
    card.temperature = round(result.temperature, 4)
    card.threshold = result.threshold
    names = ", ".join(f"{d} ({sum(s.label == 0 for s in samples)} reals)" for d, samples in zip(data, sets))
    card.threshold_rule = (
        f"lowest threshold with FPR <= {target_fpr:.0%} on the real crops of each of: {names}; "
        "temperature fitted on the same crops, pooled"
    )
    card.metrics["calibration"] = {
        "data": [str(d) for d in data],
        "command": "deepcheck " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        **result.metrics,
    }
    card.write(card_path)
    typer.echo(
        f"temperature {card.temperature}, threshold {card.threshold} "
        f"(FPR {result.metrics['fpr_at_threshold']:.4f}, TPR {result.metrics['tpr_at_threshold']:.4f}) "
        f"→ {card_path}"
    )


@app.command()
def export(
    model: Annotated[
        str, typer.Option(help="Model name in models/, or a card path. Its card gets the ONNX file's SHA-256.")
    ] = "deepcheck-lite0",
    mtcnn: Annotated[
        bool, typer.Option("--mtcnn", help="Also export MTCNN's three networks (from facenet-pytorch) to models/.")
    ] = False,
) -> None:
    """Write the ONNX files the scan runs (checked against PyTorch here, hashed into their cards)."""
    from deepcheck.classifier import MODELS_DIR, ModelError
    from deepcheck.export import ExportError, export_classifier, export_mtcnn

    try:
        if mtcnn:
            export_mtcnn(MODELS_DIR, log=typer.echo)
        export_classifier(model, log=typer.echo)
    except (ExportError, ModelError, OSError) as exc:
        _fail(str(exc))


def _reproducible_command(argv: list[str]) -> str:
    """The command line that reproduces a run: without --resume and --notes, which don't change the weights."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--notes":
            skip = True
        elif arg != "--resume" and not arg.startswith("--notes="):
            kept.append(shlex.quote(arg))
    return "deepcheck " + " ".join(kept)


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


# `report` and `verify` live in their own module (deepcheck/cli_reports.py).
from deepcheck.cli_inspect import inspect  # noqa: E402
from deepcheck.cli_reports import report, verify  # noqa: E402

app.command()(report)
app.command()(verify)
app.command()(inspect)


def run() -> None:
    app()
