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
    fmt: Annotated[str, typer.Option("--format", "-f", help="table | json | jsonl | csv.")] = "table",
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", help="Write the report to FILE instead of stdout.")
    ] = None,
    threshold: Annotated[
        Optional[float], typer.Option(help="Verdict threshold on the calibrated score (default: the model card's).")
    ] = None,
    frames: Annotated[int, typer.Option(help="Frames sampled evenly from each video.")] = 32,
    model: Annotated[str, typer.Option(help="Model name in models/, or a card/weights path.")] = "deepcheck-lite0",
    crops: Annotated[bool, typer.Option("--crops", help="Inputs are face crops: skip face detection.")] = False,
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
    min_face_prob: Annotated[float, typer.Option(help="Minimum MTCNN face probability.")] = 0.9,
    detect_size: Annotated[int, typer.Option(help="Long side (px) of the copy faces are detected on.")] = 960,
    max_pixels: Annotated[int, typer.Option(help="Refuse images/frames with more pixels than this.")] = 100_000_000,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No table, no progress: only the machine output.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Per-face rows in the table.")] = False,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit 0 even when fakes are flagged or files fail.")
    ] = False,
    engine: Annotated[str, typer.Option(help="local (this process) or ray (a Ray cluster: docs/ray.md).")] = "local",
    address: Annotated[
        Optional[str], typer.Option(help="Ray head HOST:PORT (--engine ray; default: RAY_ADDRESS or a local Ray).")
    ] = None,
    ray_actors: Annotated[
        Optional[int], typer.Option(help="Ray workers (default: one per --ray-cpus-per-actor CPUs in the cluster).")
    ] = None,
    ray_cpus_per_actor: Annotated[float, typer.Option(help="CPUs (torch threads) per Ray worker.")] = 1.0,
) -> None:
    """Scan photos and videos for manipulated faces."""
    from deepcheck.classifier import ModelError
    from deepcheck.media import iter_inputs
    from deepcheck.pipeline import Analyzer, ScanSettings
    from deepcheck.writers import FORMATS

    if fmt != "table" and fmt not in FORMATS:
        _fail(f"unknown --format {fmt!r}; choose from table, {', '.join(FORMATS)}")
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        _fail("--threshold must be between 0 and 1")
    if frames < 1:
        _fail("--frames must be at least 1")
    if engine not in ("local", "ray"):
        _fail(f"unknown --engine {engine!r}; choose local or ray")
    if engine == "local" and (address is not None or ray_actors is not None):
        _fail("--address and --ray-actors only apply with --engine ray")
    if (ray_actors is not None and ray_actors < 1) or ray_cpus_per_actor <= 0:
        _fail("--ray-actors must be at least 1 and --ray-cpus-per-actor above 0")
    roots = list(paths or [])
    if files_from:
        try:
            roots += _read_files_from(files_from)
        except OSError as exc:
            _fail(f"cannot read --files-from {files_from}: {exc}")
    if not roots:
        _fail("no input: give files or folders, or --files-from")
    targets = list(iter_inputs(roots))
    settings = ScanSettings(
        frames=frames,
        threshold=threshold,
        min_face_prob=min_face_prob,
        detect_size=detect_size,
        crops=crops,
        device=device,
        max_pixels=max_pixels,
        model=model,
    )
    err = _stderr_console()
    if engine == "ray":
        from deepcheck.engines.ray_engine import RayOptions

        options = RayOptions(address=address, actors=ray_actors, cpus_per_actor=ray_cpus_per_actor)
        report = _run_on_ray(targets, roots, settings, options, err, show=not quiet)
    else:
        try:
            analyzer = Analyzer.create(settings)
        except ModelError as exc:
            _fail(str(exc))
        report = _run_with_progress(targets, analyzer, err, show=not quiet)
        report.tool["engine"] = {"name": "local"}
    _emit(report, fmt, output, err, quiet=quiet, verbose=verbose)
    raise typer.Exit(0 if exit_zero else exit_code(report))


def _run_with_progress(targets, analyzer, err, show: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from deepcheck.pipeline import run_scan

    if not show:
        return run_scan(targets, analyzer)
    with Progress(
        TextColumn("scanning"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.description}"),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=len(targets))
        return run_scan(
            targets,
            analyzer,
            on_file=lambda i, r: bar.update(task, completed=i + 1, description=Path(r.path).name[:40]),
        )


def _run_on_ray(targets, roots, settings, options, err, show: bool):
    """The Ray engine with the same progress bar; its failures to start are fatal (exit 2)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from deepcheck.classifier import ModelError
    from deepcheck.engines.ray_engine import EngineError, open_journal, require_ray, run_scan_ray

    journal = None
    try:
        require_ray()
        journal = open_journal(settings, roots)
        if not show:
            options.log_to_driver = False
            return run_scan_ray(targets, settings, options, journal)
        with Progress(
            TextColumn("scanning on ray"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.description}"),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task("", total=len(targets))
            return run_scan_ray(
                targets,
                settings,
                options,
                journal,
                on_file=lambda i, r: bar.update(task, advance=1, description=Path(r.path).name[:40]),
            )
    except (EngineError, ModelError) as exc:
        _fail(str(exc))
    finally:
        if journal is not None:
            journal.close()


def _emit(report, fmt: str, output: Optional[Path], err, quiet: bool, verbose: bool) -> None:
    """Data to --output or stdout; the human table to the terminal (stderr when stdout carries data)."""
    from deepcheck.fileio import atomic_write_text
    from deepcheck.writers import FORMATS
    from deepcheck.writers.table import render_table

    if fmt == "table":
        if not quiet:
            from rich.console import Console

            render_table(report, Console() if output is None else err, verbose=verbose)
        if output is not None:
            atomic_write_text(output, FORMATS["json"](report))
        return
    text = FORMATS[fmt](report)
    if output is not None:
        atomic_write_text(output, text)
        if not quiet:
            render_table(report, err, verbose=verbose)
            err.print(f"report written to {output}")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def exit_code(report) -> int:
    """1 if any file is flagged fake; else 3 if any file could not be analysed; else 0."""
    summary = report.summary()
    if summary["fake"]:
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
    crops: Annotated[bool, typer.Option("--crops", help="Images are already face crops (skip detection).")] = False,
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
    init_from: Annotated[Optional[str], typer.Option(help="Start from a shipped model (name or card path).")] = None,
    no_augment: Annotated[bool, typer.Option("--no-augment", help="Disable augmentation.")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Continue from OUT/checkpoint.pt.")] = False,
) -> None:
    """Fine-tune an ImageNet EfficientNet-Lite on labelled faces; writes weights + model card."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from deepcheck.datasets import list_labelled
    from deepcheck.train import TrainConfig
    from deepcheck.train import train as run_train

    if not crops:
        typer.echo("error: only --crops training is supported so far; extract faces first", err=True)
        raise typer.Exit(EXIT_FATAL)
    train_samples = list_labelled(data)
    val_samples = list_labelled(val) if val else None
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
        init_from=init_from,
        resume=resume,
        command="deepcheck " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
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


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def run() -> None:
    app()
