"""Making the ONNX files the scan runs on: the classifier and MTCNN's three networks.

This is the only place (with training, Grad-CAM and ``evaluate --runtime torch``)
where the scan's networks meet PyTorch. Each export is checked against the
PyTorch network it came from before it is written, and its SHA-256 goes into a
card beside it; loading checks that hash (deepcheck/model/onnx_runtime.py), so the
scan itself never needs torch to trust what it runs.

    deepcheck export                      # the classifier (after training or calibrating)
    deepcheck export --mtcnn              # also MTCNN's P-, R- and O-Net (from facenet-pytorch's weights)
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from deepcheck.media.fileio import atomic_write_text, sha256_bytes
from deepcheck.model.card import ModelCard

MAX_LOGIT_DIFF = 1e-3  # ONNX against PyTorch, checked at export; measured: ~1e-6 on the shipped model
MTCNN_CARD = "mtcnn.json"
OPSET = 17


class ExportError(Exception):
    """The ONNX file disagrees with its PyTorch network, or could not be made."""


def _to_onnx(net, example, input_names, output_names, dynamic_axes) -> bytes:
    import torch

    buf = io.BytesIO()
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            net,
            example,
            buf,
            dynamo=False,
            input_names=input_names,
            output_names=output_names,
            dynamic_axes=dynamic_axes,
            opset_version=OPSET,
        )
    return buf.getvalue()


def _largest_difference(net, data: bytes, probes: list[np.ndarray]) -> float:
    """Largest absolute difference between PyTorch and ONNX Runtime outputs over the probe inputs."""
    import torch

    from deepcheck.model.onnx_runtime import open_session

    session = open_session(data)
    worst = 0.0
    for probe in probes:
        with torch.inference_mode():
            expected = net(torch.from_numpy(probe))
        expected = expected if isinstance(expected, tuple) else (expected,)
        got = session.run(None, {session.get_inputs()[0].name: probe})
        for e, g in zip(expected, got):
            worst = max(worst, float(np.max(np.abs(e.float().numpy().reshape(g.shape) - g))))
    return worst


def export_classifier(name_or_path: str | Path, log: Callable[[str], None] = print) -> Path:
    """Write ``<weights stem>.onnx`` beside the verified weights and record its file and SHA-256 on the card.

    Refuses (ExportError) when ONNX Runtime's logits differ from PyTorch's by more than MAX_LOGIT_DIFF on
    a probe batch, so an exporter or runtime bug can never reach a scan.
    """
    import torch

    from deepcheck.model.classifier import load_model, resolve_card_path

    card_path = resolve_card_path(name_or_path)
    classifier = load_model(card_path, runtime="torch")
    net, size = classifier.net, classifier.card.input_size
    rng = np.random.default_rng(0)
    probes = [rng.normal(size=(n, 3, size, size)).astype(np.float32) for n in (1, 4)]
    # smooth, image-like inputs in the normalised pixel range too, not only noise
    cell = -(-size // 8)  # ceil: sizes that are not a multiple of 8 (Lite2's 260) are cropped back
    blocks = rng.integers(0, 256, size=(2, 3, 8, 8)).repeat(cell, 2).repeat(cell, 3)[:, :, :size, :size]
    probes.append(((blocks - 127.0) / 128.0).astype(np.float32))
    data = _to_onnx(net, torch.from_numpy(probes[0]), ["x"], ["logit"], {"x": {0: "n"}, "logit": {0: "n"}})
    diff = _largest_difference(net, data, probes)
    if not diff <= MAX_LOGIT_DIFF:
        raise ExportError(f"ONNX logits differ from PyTorch by {diff:.2g} (limit {MAX_LOGIT_DIFF:g}); not written")
    onnx_path = card_path.parent / (Path(classifier.card.weights_file).stem + ".onnx")
    onnx_path.write_bytes(data)
    card = ModelCard.read(card_path)
    card.onnx_file = onnx_path.name
    card.onnx_sha256 = sha256_bytes(data)
    card.onnx_check = {
        "max_logit_diff": float(f"{diff:.3g}"),
        "limit": MAX_LOGIT_DIFF,
        "opset": OPSET,
        "from_weights_sha256": card.sha256,
    }
    card.write(card_path)
    log(f"wrote {onnx_path} (largest logit difference to PyTorch {diff:.2g}) and its SHA-256 into {card_path}")
    return onnx_path


def export_mtcnn(models_dir: Path, log: Callable[[str], None] = print) -> Path:
    """P-Net (any batch and size), R-Net and O-Net (any batch) from facenet-pytorch 2.5.3's weights, with a card."""
    import facenet_pytorch
    import torch
    from facenet_pytorch.models.mtcnn import ONet, PNet, RNet

    rng = np.random.default_rng(0)
    nets = {
        # name: network, probe input shapes, dynamic axes (inputs and outputs alike), output names
        "pnet": (PNet(), [(1, 3, 37, 53), (2, 3, 120, 90)], {0: "n", 2: "h", 3: "w"}, ["reg", "prob"]),
        "rnet": (RNet(), [(1, 3, 24, 24), (7, 3, 24, 24)], {0: "n"}, ["reg", "prob"]),
        "onet": (ONet(), [(1, 3, 48, 48), (5, 3, 48, 48)], {0: "n"}, ["reg", "landmarks", "prob"]),
    }
    files = {}
    for name, (net, shapes, axes, outputs) in nets.items():
        net.eval()
        probes = [rng.uniform(-1, 1, size=s).astype(np.float32) for s in shapes]
        out_axes = {k: "o" + v for k, v in axes.items()}  # P-Net's maps are smaller than its input
        dyn = {"x": axes, **{o: out_axes for o in outputs}}
        data = _to_onnx(net, torch.from_numpy(probes[0]), ["x"], outputs, dyn)
        diff = _largest_difference(net, data, probes)
        if not diff <= 1e-4:
            raise ExportError(f"MTCNN {name}: ONNX differs from PyTorch by {diff:.2g}; not written")
        path = models_dir / f"mtcnn-{name}.onnx"
        path.write_bytes(data)
        files[name] = {"file": path.name, "sha256": sha256_bytes(data), "max_output_diff": float(f"{diff:.3g}")}
        log(f"wrote {path} (largest output difference to PyTorch {diff:.2g})")
    card = {
        "name": "mtcnn",
        "source": f"facenet-pytorch {getattr(facenet_pytorch, '__version__', '2.5.3')} weights (pnet.pt, rnet.pt, "
        "onet.pt), exported by `deepcheck export --mtcnn`",
        "license": "facenet-pytorch: MIT; MTCNN: Zhang et al. 2016",
        "opset": OPSET,
        "files": files,
    }
    card_path = models_dir / MTCNN_CARD
    atomic_write_text(card_path, json.dumps(card, indent=2) + "\n")
    return card_path
