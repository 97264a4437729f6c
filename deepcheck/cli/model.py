"""The commands that make and measure the model: train, evaluate, calibrate, export."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from deepcheck.cli.common import fail, stderr_console


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
    workers: Annotated[
        int, typer.Option(help="Data-loading processes (decode, self-blend, augment); raise it on a GPU.")
    ] = 1,
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

    from deepcheck.model.classifier import ModelError, require_train_extra
    from deepcheck.training.datasets import list_labelled
    from deepcheck.training.train import TrainConfig
    from deepcheck.training.train import train as run_train

    if sbi_landmarks not in ("mtcnn", "typical"):
        fail(f"unknown --sbi-landmarks {sbi_landmarks!r}; choose mtcnn or typical")
    try:
        require_train_extra("deepcheck train")
        train_samples = list_labelled(data)
        val_samples = list_labelled(val) if val else None
    except (ValueError, OSError, ModelError) as exc:
        fail(str(exc))
    if not crops:  # faces are cut by the scan's own detector and framing
        from deepcheck.model.card import Framing
        from deepcheck.training.extract import extract_crops

        err = stderr_console()
        train_samples = extract_crops(train_samples, out / "crops" / "train", Framing(), log=err.print)
        if val_samples:
            val_samples = extract_crops(val_samples, out / "crops" / "val", Framing(), log=err.print)
        if not train_samples:
            fail("no faces found in the training data")
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
        workers=workers,
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
        console=stderr_console(),
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

    from deepcheck.model.classifier import ModelError
    from deepcheck.scanning.pipeline import Analyzer, ScanSettings
    from deepcheck.training.datasets import list_labelled
    from deepcheck.training.evaluate import evaluate as run_evaluate

    try:
        samples = list_labelled(data)
        analyzer = Analyzer.create(
            ScanSettings(frames=frames, threshold=threshold, crops=crops, device=device, model=model)
        )
    except (ValueError, OSError, ModelError) as exc:
        fail(str(exc))
    with Progress(
        TextColumn("evaluating"), BarColumn(), MofNCompleteColumn(), console=stderr_console(), transient=True
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


def calibrate(
    data: Annotated[
        Optional[list[Path]],
        typer.Argument(
            help="Labelled face crops (real/ and fake/, or CSV) held out from training; one or more sets. "
            "A set of reals only (empty fake/) bounds the thresholds and leaves the temperature alone."
        ),
    ] = None,
    files: Annotated[
        Optional[list[Path]],
        typer.Option(
            "--files",
            help="Labelled photos or videos (real/ and fake/, or CSV), each scored as scan scores a file: "
            "faces found and cut from the whole picture, one score per file. Bounds the thresholds; repeatable.",
        ),
    ] = None,
    model: Annotated[
        str, typer.Option(help="Model name in models/, or a card path. Its card is updated.")
    ] = "deepcheck-lite0",
    target_fpr: Annotated[
        float, typer.Option(help="Highest false-positive rate on real faces for the fake threshold.")
    ] = 0.01,
    review_fpr: Annotated[
        float,
        typer.Option(
            help="Highest false-positive rate on real faces for the review threshold (above --target-fpr; "
            "0: no review band)."
        ),
    ] = 0.10,
) -> None:
    """Fit temperature scaling and pick the fake and review thresholds for target FPRs; writes them into the card.

    With several sets, each threshold keeps the FPR at or under its target on each set: on each set of
    crops, face by face, and on each --files set, file by file as scan gives verdicts. The temperature is
    fitted on the crop sets with both labels (without one, the card's is kept). The card also gets the share
    of fakes and reals in each verdict band, per set.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from deepcheck.model.card import ModelCard
    from deepcheck.model.classifier import ModelError, load_model, resolve_card_path
    from deepcheck.model.runtime import tune_for_inference
    from deepcheck.scanning.pipeline import Analyzer, ScanSettings
    from deepcheck.training import calibration
    from deepcheck.training.datasets import list_labelled

    tune_for_inference()  # glibc's allocator otherwise spends most of the time in page faults (MEASURED.md)
    data, files = data or [], files or []
    if not data and not files:
        fail("give at least one set: face crops as arguments, or --files")
    if not 0 < target_fpr < 1 or not (review_fpr == 0 or target_fpr < review_fpr < 1):
        fail("--target-fpr must be between 0 and 1, and --review-fpr 0 or between --target-fpr and 1")
    try:
        crop_sets = [list_labelled(d) for d in data]
        file_sets = [list_labelled(d) for d in files]
        card_path = resolve_card_path(model)
        card = ModelCard.read(card_path)
        classifier = load_model(model) if data else None  # crops: PyTorch; files: the scan's own runtime
        analyzer = Analyzer.create(ScanSettings(model=str(card_path))) if files else None
    except (ValueError, OSError, ModelError) as exc:
        fail(str(exc))
    scored = [calibration.score_crops(classifier, samples) for samples in crop_sets]
    if analyzer is not None:
        with Progress(
            TextColumn("scanning {task.description}"), BarColumn(), MofNCompleteColumn(),
            console=stderr_console(), transient=True,
        ) as bar:  # fmt: skip
            for d, samples in zip(files, file_sets):
                task = bar.add_task(str(d), total=len(samples))
                on_file = lambda i, n, task=task: bar.update(task, completed=i)  # noqa: E731
                scored.append(calibration.score_files(analyzer, samples, on_file=on_file))
    try:
        result = calibration.fit_scored(scored, card.temperature, target_fpr, review_fpr or None)
    except ValueError as exc:
        fail(str(exc))
    card.temperature = round(result.temperature, 4)
    card.threshold = result.threshold
    on = _set_names(data + files, scored)
    card.threshold_rule = f"fake: lowest threshold with FPR <= {target_fpr:.0%} on {on}; " + (
        "temperature fitted on the crop sets with both labels, pooled"
        if result.temperature_fitted
        else "temperature kept (no crop set with both labels)"
    )
    card.review_threshold = result.review_threshold
    card.review_threshold_rule = (
        ""
        if result.review_threshold is None
        else f"review: lowest threshold with FPR <= {review_fpr:.0%} on {on}; "
        "a score from it up to the fake threshold is 'review'"
    )
    card.metrics["calibration"] = {
        "data": [str(d) for d in data],
        **({"files": [str(d) for d in files], "scan_settings": analyzer.settings.to_dict()} if analyzer else {}),
        "command": "deepcheck " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
        **result.metrics,
    }
    card.write(card_path)
    bands = result.metrics.get("bands")
    review = "" if not bands else (
        f"; review threshold {card.review_threshold} (review or fake: FPR {_rate(bands['review_or_fake']['fpr'])}, "
        f"TPR {_rate(bands['review_or_fake']['tpr'])})"
    )  # fmt: skip
    m = result.metrics
    typer.echo(
        f"temperature {card.temperature}, fake threshold {card.threshold} "
        f"(FPR {_rate(m.get('fpr_at_threshold'))}, TPR {_rate(m.get('tpr_at_threshold'))}){review} → {card_path}"
    )


def _rate(value: float | None) -> str:
    """A rate for the summary line; '-' where the sets hold no face of that label."""
    return "-" if value is None else f"{value:.4f}"


def _set_names(paths: list[Path], scored: list) -> str:
    """Where the thresholds were held, for the card's rule: each set, with its count of reals."""
    parts = []
    for kind, what in (("crops", "the real crops"), ("files", "the real files, scored as scan scores them,")):
        names = ", ".join(
            f"{d} ({int((s.labels == 0).sum())} reals{' with a face' if kind == 'files' else ''})"
            for d, s in zip(paths, scored)
            if s.kind == kind
        )
        if names:
            parts.append(f"{what} of each of: {names}")
    return "; and ".join(parts)


def export(
    model: Annotated[
        str, typer.Option(help="Model name in models/, or a card path. Its card gets the ONNX file's SHA-256.")
    ] = "deepcheck-lite0",
    mtcnn: Annotated[
        bool, typer.Option("--mtcnn", help="Also export MTCNN's three networks (from facenet-pytorch) to models/.")
    ] = False,
) -> None:
    """Write the ONNX files the scan runs (checked against PyTorch here, hashed into their cards)."""
    from deepcheck.model.classifier import MODELS_DIR, TRAIN_MODULES, ModelError, require_train_extra
    from deepcheck.training.export import ExportError, export_classifier, export_mtcnn

    try:
        extra = {"onnx": "onnx", **({"facenet_pytorch": "facenet-pytorch"} if mtcnn else {})}
        require_train_extra("deepcheck export", {**TRAIN_MODULES, **extra})
        if mtcnn:
            export_mtcnn(MODELS_DIR, log=typer.echo)
        export_classifier(model, log=typer.echo)
    except (ExportError, ModelError, OSError) as exc:
        fail(str(exc))


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
