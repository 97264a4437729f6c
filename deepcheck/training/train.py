"""Training: fine-tune an ImageNet EfficientNet-Lite on labelled face crops.

Resumable: a checkpoint is written every ``checkpoint_every`` steps and at
each epoch end; ``resume=True`` continues from it with the same data order
(the order of epoch e is a permutation seeded by seed + e). Each epoch also
writes a usable weights file and its card, so an interrupted run still leaves
a model behind.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from deepcheck._version import __version__
from deepcheck.media.fileio import atomic_write_text, sha256_file
from deepcheck.media.images import read_crop_rgb
from deepcheck.model.card import Framing, ModelCard
from deepcheck.training.augment import evidence_augment
from deepcheck.training.datasets import Sample

# ImageNet preprocessing of the TF EfficientNet-Lite weights: (x - 127) / 128.
LITE_MEAN = [127.0, 127.0, 127.0]
LITE_STD = [128.0, 128.0, 128.0]
INPUT_SIZES = {"efficientnet-lite0": 224, "efficientnet-lite1": 240, "efficientnet-lite2": 260}


@dataclass
class TrainConfig:
    out_dir: Path
    name: str = "deepcheck-lite0"
    architecture: str = "efficientnet-lite0"
    input_size: int | None = None
    epochs: int = 6
    batch_size: int = 32
    lr: float = 4e-4
    weight_decay: float = 1e-2
    warmup_steps: int = 200
    seed: int = 1234
    threads: int = 2
    device: str = "cpu"
    workers: int = 1  # data-loading processes; the loader, not the network, limits a GPU run
    augment: bool = True
    sbi: float = 0.0  # extra self-blended fakes, as a share of the number of reals
    sbi_landmarks: str = "mtcnn"  # mtcnn: detected per crop (cached); typical: fixed positions for tight crops
    checkpoint_every: int = 200
    resume: bool = False
    init_from: str | None = None
    command: str = ""
    data_note: str = ""
    notes: str = ""
    framing: Framing = field(default_factory=Framing)


class CropDataset:
    """Face crops with labels, augmentation and, optionally, self-blended fakes.

    With ``sbi > 0`` the dataset grows by ``sbi × (number of reals)`` extra
    items; each is a self-blended fake made on the fly from a real crop, so
    real labelled fakes and SBI fakes mix in every epoch.
    """

    def __init__(
        self,
        samples: list[Sample],
        size: int,
        augment: bool,
        sbi: float = 0.0,
        seed: int = 0,
        landmarks: dict[str, np.ndarray] | None = None,
    ):
        self.samples = samples
        self.size = size
        self.augment = augment
        self.seed = seed
        self.epoch = 0
        self.reals = [i for i, s in enumerate(samples) if s.label == 0]
        self.n_sbi = int(round(sbi * len(self.reals)))
        self.landmarks = landmarks or {}

    def __len__(self) -> int:
        return len(self.samples) + self.n_sbi

    def __getitem__(self, index: int):
        import cv2
        import torch

        rng = np.random.default_rng((self.seed, self.epoch, index))
        sbi = index >= len(self.samples)
        if sbi:
            index = self.reals[int(rng.integers(len(self.reals)))]
        sample = self.samples[index]
        img = read_crop_rgb(sample.path)
        scale = self.size / img.shape[0]
        if img.shape[0] != self.size or img.shape[1] != self.size:
            img = cv2.resize(img, (self.size, self.size), interpolation=cv2.INTER_AREA)
        label = sample.label
        if sbi:
            from deepcheck.training.sbi import self_blend

            points = self.landmarks.get(str(sample.path))
            img, _ = self_blend(img, rng, None if points is None else points * scale)
            label = 1
        if self.augment:
            img = evidence_augment(img, rng)
        x = (img.astype(np.float32) - np.float32(127.0)) / np.float32(128.0)
        return torch.from_numpy(x.transpose(2, 0, 1).copy()), torch.tensor(float(label))


def crop_landmarks(samples: list[Sample], cache: Path, log: Callable[[str], None] = print) -> dict[str, np.ndarray]:
    """MTCNN five-point landmarks for each real crop (cached), for SBI masks.

    Crops are padded before detection because MTCNN misses faces that fill
    the whole image. Crops without a detection fall back to typical positions.
    """
    import cv2

    if cache.is_file():
        data = np.load(cache)
        return {k: data[k] for k in data.files}
    from deepcheck.faces.detect import FaceDetector

    # faces fill a crop: a large minimum face size skips most of the MTCNN pyramid
    detector = FaceDetector(min_prob=0.5, detect_size=10_000, min_face=64)
    found: dict[str, np.ndarray] = {}
    reals = [s for s in samples if s.label == 0]
    for start in range(0, len(reals), 32):
        batch = reals[start : start + 32]
        imgs, pads = [], []
        for s in batch:
            img = read_crop_rgb(s.path)
            pad = img.shape[0] // 4
            imgs.append(cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0)))
            pads.append(pad)
        for s, pad, dets in zip(batch, pads, detector.detect(imgs)):
            if dets and dets[0].landmarks is not None:
                found[str(s.path)] = (dets[0].landmarks - pad).astype(np.float32)
    log(f"landmarks found on {len(found)}/{len(reals)} real crops")
    tmp = cache.with_suffix(".tmp.npz")
    np.savez(tmp, **found)
    os.replace(tmp, cache)
    return found


def _worker_init(_worker_id: int) -> None:
    """One thread per loader worker: the main process owns the cores."""
    import cv2
    import torch

    cv2.setNumThreads(1)
    torch.set_num_threads(1)


class _EpochSampler:
    """Seeded permutation per epoch that can start mid-epoch (for resume)."""

    def __init__(self, n: int, seed: int, epoch: int, start: int):
        self.order = np.random.default_rng((seed, epoch)).permutation(n)[start:]

    def __iter__(self):
        return iter(self.order.tolist())

    def __len__(self) -> int:
        return len(self.order)


def _lr_at(step: int, total: int, cfg: TrainConfig) -> float:
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, total - cfg.warmup_steps)
    return cfg.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def predict_logits(net, samples: list[Sample], size: int, batch_size: int = 64) -> np.ndarray:
    """Logits for crops without augmentation (the validation path)."""
    import torch

    ds = CropDataset(samples, size, augment=False)
    loader = torch.utils.data.DataLoader(
        ds, batch_size=batch_size, shuffle=False, num_workers=1, worker_init_fn=_worker_init
    )
    net.eval()
    device = next(net.parameters()).device
    out = []
    with torch.inference_mode():
        for x, _ in loader:
            x = x.to(device).contiguous(memory_format=torch.channels_last)
            out.append(net(x).reshape(-1).float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def train(
    cfg: TrainConfig,
    train_samples: list[Sample],
    val_samples: list[Sample] | None,
    log: Callable[[str], None] = print,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Run (or resume) training; returns the path of the written card."""
    import torch
    from sklearn.metrics import roc_auc_score

    from deepcheck.model.classifier import build_network

    os.environ.setdefault("MALLOC_MMAP_MAX_", "0")
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    size = cfg.input_size or INPUT_SIZES[cfg.architecture]
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / "checkpoint.pt"

    net = build_network(cfg.architecture, imagenet=cfg.init_from is None)
    if cfg.init_from:
        from deepcheck.model.classifier import load_model

        net.load_state_dict(load_model(cfg.init_from).net.state_dict())
    net = net.to(cfg.device).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    landmarks = None
    if cfg.sbi > 0 and cfg.sbi_landmarks == "mtcnn":
        landmarks = crop_landmarks(train_samples, out / "landmarks.npz", log)
    ds = CropDataset(train_samples, size, augment=cfg.augment, sbi=cfg.sbi, seed=cfg.seed, landmarks=landmarks)
    steps_per_epoch = math.ceil(len(ds) / cfg.batch_size)
    total_steps = steps_per_epoch * cfg.epochs
    step, history = 0, []
    if cfg.resume and ckpt_path.is_file():
        state = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        step, history = int(state["step"]), json.loads(state["history"])
        log(f"resumed at step {step} (epoch {step // steps_per_epoch + 1})")

    def save_checkpoint() -> None:
        tmp = ckpt_path.with_suffix(".tmp")
        torch.save(
            {"model": net.state_dict(), "optimizer": opt.state_dict(), "step": step, "history": json.dumps(history)},
            tmp,
        )
        os.replace(tmp, ckpt_path)

    card_path = out / f"{cfg.name}.json"
    while step < total_steps:
        epoch = step // steps_per_epoch
        start = (step % steps_per_epoch) * cfg.batch_size
        ds.epoch = epoch
        sampler = _EpochSampler(len(ds), cfg.seed, epoch, start)
        loader = torch.utils.data.DataLoader(
            ds,
            batch_size=cfg.batch_size,
            sampler=sampler,
            num_workers=max(1, cfg.workers),
            drop_last=False,
            worker_init_fn=_worker_init,
            pin_memory=cfg.device.startswith("cuda"),
        )
        net.train()
        t0, losses = time.time(), []
        for x, y in loader:
            for group in opt.param_groups:
                group["lr"] = _lr_at(step, total_steps, cfg)
            x = x.to(cfg.device, non_blocking=True).contiguous(memory_format=torch.channels_last)
            loss = loss_fn(net(x).reshape(-1), y.to(cfg.device, non_blocking=True))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
            step += 1
            if progress:
                progress(step, total_steps)
            if step % cfg.checkpoint_every == 0:
                save_checkpoint()
        entry = {
            "epoch": epoch + 1,
            "step": step,
            "train_loss": float(np.mean(losses)) if losses else None,
            "seconds": round(time.time() - t0, 1),
        }
        if val_samples:
            logits = predict_logits(net, val_samples, size)
            labels = np.array([s.label for s in val_samples])
            entry["val_auc"] = float(roc_auc_score(labels, logits))
        history.append(entry)
        log(json.dumps(entry))
        save_checkpoint()
        card_path = write_weights_and_card(net, cfg, size, history, out)
    return card_path


def write_weights_and_card(net, cfg: TrainConfig, size: int, history: list[dict], out: Path) -> Path:
    """Weights and their card are always written together, hash included."""
    import torch

    weights = out / f"{cfg.name}.pt"
    tmp = weights.with_suffix(".pt.tmp")
    torch.save({k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}, tmp)
    os.replace(tmp, weights)
    last = history[-1] if history else {}
    card = ModelCard(
        name=cfg.name,
        architecture=cfg.architecture,
        input_size=size,
        mean=LITE_MEAN,
        std=LITE_STD,
        weights_file=weights.name,
        sha256=sha256_file(weights),
        framing=cfg.framing,
        training={
            "command": cfg.command,
            "data": cfg.data_note,
            "notes": cfg.notes,
            "config": {
                k: (str(v) if isinstance(v, Path) else v)
                for k, v in asdict(cfg).items()
                if k not in {"command", "data_note", "notes", "framing", "resume"}
            },
            "history": history,
        },
        metrics={"val_crop_auc": last.get("val_auc")} if last.get("val_auc") is not None else {},
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        tool_version=__version__,
    )
    card_path = out / f"{cfg.name}.json"
    card.write(card_path)
    atomic_write_text(out / "history.json", json.dumps(history, indent=2))
    return card_path
