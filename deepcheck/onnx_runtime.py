"""The classifier on ONNX Runtime: the same verified weights, 4–5× faster on this CPU.

The network is exported in memory from the PyTorch model that
``classifier.load_model`` has just verified and loaded, so there is no
second weights file to trust. Before use, both runtimes score one probe
batch; if their logits differ by more than ``MAX_LOGIT_DIFF`` (an exporter
or runtime bug), the ONNX session is refused and PyTorch is used. PyTorch
stays the reference: training, Grad-CAM and ``--runtime torch`` use it.
"""

from __future__ import annotations

import io
import warnings

import numpy as np

MAX_LOGIT_DIFF = 1e-3  # measured: 7e-7 on the shipped model


class OnnxUnavailable(Exception):
    """ONNX Runtime cannot run this model here; the caller falls back to PyTorch."""


class OnnxRunner:
    """An ONNX Runtime session over NCHW float32 input, returning one logit per row."""

    def __init__(self, net, input_size: int, threads: int):
        try:
            import onnxruntime as ort
            import torch
        except ImportError as exc:
            raise OnnxUnavailable(f"onnxruntime is not installed ({exc})") from exc
        probe = torch.from_numpy(np.random.default_rng(0).normal(size=(4, 3, input_size, input_size)).astype("f4"))
        buf = io.BytesIO()
        try:
            with warnings.catch_warnings(), torch.inference_mode():
                warnings.simplefilter("ignore")
                torch.onnx.export(
                    net,
                    probe[:1],
                    buf,
                    dynamo=False,
                    input_names=["x"],
                    output_names=["logit"],
                    dynamic_axes={"x": {0: "n"}, "logit": {0: "n"}},
                    opset_version=17,
                )
            options = ort.SessionOptions()
            options.intra_op_num_threads = max(1, threads)
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self.session = ort.InferenceSession(buf.getvalue(), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # exporter or runtime missing a piece: PyTorch still works
            raise OnnxUnavailable(f"ONNX export failed: {type(exc).__name__}: {exc}") from exc
        with torch.inference_mode():
            expected = net(probe.contiguous(memory_format=torch.channels_last)).float().reshape(-1).numpy()
        got = self.run(probe.numpy())
        diff = float(np.max(np.abs(expected - got)))
        if not diff <= MAX_LOGIT_DIFF:
            raise OnnxUnavailable(f"ONNX logits differ from PyTorch by {diff:.2g} (limit {MAX_LOGIT_DIFF:g})")

    def run(self, batch: np.ndarray) -> np.ndarray:
        out = self.session.run(None, {"x": np.ascontiguousarray(batch, dtype=np.float32)})[0]
        return np.asarray(out, dtype=np.float32).reshape(-1)
