"""ONNX Runtime sessions over verified files: how the scan runs its networks without PyTorch.

Every ONNX file the scan loads (the classifier, MTCNN's three networks) is
read once, its SHA-256 checked against its card, and the session is built
from those same bytes, so a file swapped after the check is never run. The
files are made, and checked against PyTorch, by ``deepcheck export``
(deepcheck/training/export.py); nothing is exported or compared at start-up.
"""

from __future__ import annotations

import os
import sys

import numpy as np


class OnnxUnavailable(Exception):
    """ONNX Runtime cannot run this model here; the caller falls back to PyTorch."""


_threads: int | None = None


def set_inference_threads(threads: int) -> None:
    """Threads for every session opened after this in the process (workers get their share of the CPUs)."""
    global _threads
    _threads = max(1, int(threads))


def inference_threads() -> int:
    """Threads per session: what set_inference_threads chose, else torch's setting if loaded, else the CPUs."""
    if _threads is not None:
        return _threads
    torch = sys.modules.get("torch")
    if torch is not None:
        return max(1, torch.get_num_threads())
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def open_session(data: bytes, threads: int | None = None):
    """A CPU session over ONNX bytes; OnnxUnavailable where onnxruntime is missing or refuses the model."""
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise OnnxUnavailable(f"onnxruntime is not installed ({exc})") from exc
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or inference_threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    # idle threads sleep instead of spinning: on a shared 2-core machine spinning measured 1.5x slower
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # no arena: MTCNN's pyramid feeds many input shapes and the arena keeps the largest of each
    # (peak RSS on two 1080p clips 1.79 GB with it, 1.12 GB without; same scores, no slower)
    options.enable_cpu_mem_arena = False
    try:
        return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # a runtime too old for the file's opset, a corrupt graph
        raise OnnxUnavailable(f"ONNX Runtime cannot load the model: {type(exc).__name__}: {exc}") from exc


class OnnxRunner:
    """The classifier's session: NCHW float32 in, one logit per row out."""

    def __init__(self, data: bytes, threads: int | None = None):
        self.session = open_session(data, threads)

    def run(self, batch: np.ndarray) -> np.ndarray:
        out = self.session.run(None, {"x": np.ascontiguousarray(batch, dtype=np.float32)})[0]
        return np.asarray(out, dtype=np.float32).reshape(-1)
