"""The torch-free scan path against its PyTorch references, on real pictures.

MTCNN on ONNX Runtime (deepcheck/faces/mtcnn.py) must give facenet-pytorch 2.5.3's
boxes, probabilities and landmarks; the shipped classifier's ONNX file must
give the PyTorch network's logits; the files must be the ones their cards
name; and a default scan must not import torch at all.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest

from deepcheck.faces.detect import load_mtcnn
from deepcheck.faces.mtcnn import Mtcnn
from deepcheck.media.fileio import VerificationError
from deepcheck.media.sampling import read_samples
from deepcheck.media.video import VideoReader
from deepcheck.model.classifier import MODELS_DIR, ModelError, load_model
from tests.conftest import REPO, write_face_video

BOX_PX = 1.0
PROB = 1e-3
LOGIT = 1e-3


@pytest.fixture(scope="module")
def reference():
    from facenet_pytorch import MTCNN

    return MTCNN(keep_all=True, post_process=False)


def _reference(mtcnn, imgs: np.ndarray, min_size: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """facenet-pytorch's (boxes with probability, landmarks) per image, most probable first."""
    mtcnn.min_face_size = min_size
    boxes, probs, points = mtcnn.detect(imgs, landmarks=True)
    out = []
    for b, p, q in zip(boxes, probs, points):
        if b is None:
            out.append((np.zeros((0, 5), np.float32), np.zeros((0, 5, 2), np.float32)))
            continue
        full = np.concatenate([np.asarray(b, np.float32), np.asarray(p, np.float32)[:, None]], axis=1)
        order = np.argsort(-full[:, 4], kind="stable")
        out.append((full[order], np.asarray(q, np.float32)[order]))
    return out


def _assert_same(ours, ref) -> int:
    faces = 0
    for (ob, ol), (rb, rl) in zip(ours, ref):
        order = np.argsort(-ob[:, 4], kind="stable")
        ob, ol = ob[order], ol[order]
        assert len(ob) == len(rb), (ob, rb)
        assert np.abs(ob[:, :4] - rb[:, :4]).max(initial=0) <= BOX_PX
        assert np.abs(ob[:, 4] - rb[:, 4]).max(initial=0) <= PROB
        assert np.abs(ol - rl).max(initial=0) <= BOX_PX
        faces += len(ob)
    return faces


@pytest.mark.parametrize("scale", [1.0, 0.3, 0.6, 1.6])
@pytest.mark.parametrize("min_size", [20, 40])
def test_mtcnn_matches_facenet_pytorch_across_face_sizes(reference, astronaut, scale, min_size):
    img = astronaut if scale == 1.0 else cv2.resize(astronaut, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ours = load_mtcnn().detect(img[None], min_size)
    faces = _assert_same(ours, _reference(reference, img[None], min_size))
    assert faces == 1  # the astronaut, at every size


def test_mtcnn_matches_facenet_pytorch_on_video_frames_in_one_batch(reference, astronaut, tmp_path):
    path = write_face_video(tmp_path / "clip.mp4", astronaut, frames=30)
    with VideoReader(path) as reader:
        frames = [f.rgb for f in read_samples(reader, 5, None, 15.0).frames]
    frames.append(np.full_like(frames[0], 90))  # a frame without a face in the same batch
    batch = np.stack(frames)
    ours = load_mtcnn().detect(batch, 20)
    assert _assert_same(ours, _reference(reference, batch, 20)) == 5
    assert len(ours[-1][0]) == 0


def test_mtcnn_finds_no_face_where_facenet_pytorch_finds_none(reference):
    sky = np.zeros((300, 400, 3), np.uint8)
    sky[:] = np.linspace(40, 220, 400, dtype=np.uint8)[None, :, None]
    noise = np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    for img in (sky, noise):
        ours = load_mtcnn().detect(img[None], 20)
        _assert_same(ours, _reference(reference, img[None], 20))
        assert len(ours[0][0]) == 0


def test_onnx_classifier_logits_equal_pytorch(astronaut):
    crops = [astronaut[60:200, 160:300], astronaut[40:260, 130:330], cv2.flip(astronaut[60:200, 160:300], 1)]
    fast, reference = load_model(runtime="onnx"), load_model(runtime="torch")
    assert fast.runtime == "onnx" and fast.runtime_note is None
    assert np.abs(fast.logits(crops) - reference.logits(crops)).max() <= LOGIT


def _copy_model(tmp_path):
    for name in ("deepcheck-lite0.json", "deepcheck-lite0.pt", "deepcheck-lite0.onnx"):
        shutil.copy(MODELS_DIR / name, tmp_path / name)
    return tmp_path / "deepcheck-lite0.json"


def test_a_changed_onnx_file_is_refused(tmp_path):
    card = _copy_model(tmp_path)
    onnx = tmp_path / "deepcheck-lite0.onnx"
    data = bytearray(onnx.read_bytes())
    data[-100] ^= 1
    onnx.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match its card"):
        load_model(card, runtime="onnx")


def test_onnx_exported_from_other_weights_is_not_used(tmp_path):
    card_path = _copy_model(tmp_path)
    card = json.loads(card_path.read_text())
    card["onnx_check"]["from_weights_sha256"] = "0" * 64
    card_path.write_text(json.dumps(card))
    classifier = load_model(card_path, runtime="onnx")
    assert classifier.runtime == "torch" and "deepcheck export" in classifier.runtime_note


def test_a_changed_mtcnn_file_is_refused(tmp_path):
    for path in MODELS_DIR.glob("mtcnn*"):
        shutil.copy(path, tmp_path / path.name)
    rnet = tmp_path / "mtcnn-rnet.onnx"
    data = bytearray(rnet.read_bytes())
    data[-50] ^= 1
    rnet.write_bytes(bytes(data))
    with pytest.raises(VerificationError, match="does not match its card"):
        Mtcnn(tmp_path)


def test_scan_does_not_import_torch(media_dir, tmp_path):
    """The default scan (ONNX runtime, no Grad-CAM) runs without torch or facenet-pytorch in the process."""
    code = (
        "import sys; from deepcheck.cli import run\n"
        "sys.argv = ['deepcheck', 'scan', sys.argv[1], '-q', '-f', 'json', '-o', sys.argv[2], '--no-journal']\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('torch', 'facenet_pytorch', 'torchvision') if m in sys.modules))"
    )
    out = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-c", code, str(media_dir / "face.jpg"), str(out)], capture_output=True, text=True, cwd=REPO
    )
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    assert report["model"]["runtime"] == "onnx"
    assert report["files"][0]["status"] == "ok" and len(report["files"][0]["faces"]) == 1


def test_analysis_workers_do_not_import_torch(media_dir):
    """What every worker runs (worker_process.load_analyzer, analyze_file), on a photo and a clip, without torch."""
    code = (
        "import sys; from deepcheck.scanning.pipeline import ScanSettings\n"
        "from deepcheck.scanning.worker_process import analyze_file, load_analyzer\n"
        "analyzer = load_analyzer(ScanSettings(frames=4).to_dict(), 1)\n"
        "records = [analyze_file(analyzer, p, p) for p in sys.argv[1:]]\n"
        "print([r.status for r in records], sorted(m for m in ('torch', 'facenet_pytorch') if m in sys.modules))"
    )
    files = [str(media_dir / "face.jpg"), str(media_dir / "clip.mp4")]
    proc = subprocess.run([sys.executable, "-c", code, *files], capture_output=True, text=True, cwd=REPO)
    assert proc.stdout.strip() == "['ok', 'ok'] []", proc.stdout + proc.stderr[-2000:]
