"""Safe model loading, through the real CLI: a tampered, unknown or booby-trapped model is a fatal error (exit 2)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from deepcheck.model.classifier import DEFAULT_MODEL, MODELS_DIR
from tests.conftest import run_cli


@pytest.fixture()
def model_copy(tmp_path) -> Path:
    """The shipped card and weights, copied so they can be tampered with."""
    card = json.loads((MODELS_DIR / f"{DEFAULT_MODEL}.json").read_text())
    folder = tmp_path / "model"
    folder.mkdir()
    shutil.copy(MODELS_DIR / card["weights_file"], folder / card["weights_file"])
    (folder / "card.json").write_text(json.dumps(card))
    return folder


def _scan_with(model: Path, media_dir: Path):
    return run_cli("scan", str(media_dir / "face.jpg"), "-f", "json", "--no-journal", "--model", str(model))


def test_tampered_weights_exit_2(model_copy, media_dir):
    card = json.loads((model_copy / "card.json").read_text())
    weights = model_copy / card["weights_file"]
    data = bytearray(weights.read_bytes())
    data[len(data) // 3] ^= 0x01  # one flipped bit
    weights.write_bytes(bytes(data))
    proc = _scan_with(model_copy / "card.json", media_dir)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "does not match its card" in proc.stderr and "refusing to load a tampered or unknown file" in proc.stderr


def test_unknown_weights_without_card_exit_2(model_copy, media_dir, tmp_path):
    stray = tmp_path / "downloaded.pt"
    shutil.copy(next(model_copy.glob("*.pt")), stray)
    proc = _scan_with(stray, media_dir)
    assert proc.returncode == 2 and "refusing unknown weights" in proc.stderr


def test_card_without_hash_exit_2(model_copy, media_dir):
    card = json.loads((model_copy / "card.json").read_text())
    card["sha256"] = ""
    (model_copy / "card.json").write_text(json.dumps(card))
    proc = _scan_with(model_copy / "card.json", media_dir)
    assert proc.returncode == 2 and "does not match its card" in proc.stderr


class _Payload:
    """Unpickling this would create a marker file: proof that code ran."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        import pathlib

        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


def test_pickle_with_code_is_never_run_even_with_a_matching_card(model_copy, media_dir, tmp_path):
    """A card can be forged to match any file; weights_only=True still refuses to run pickled code."""
    import torch

    marker = tmp_path / "pwned"
    evil = model_copy / "evil.pt"
    torch.save({"weights": _Payload(str(marker))}, evil)
    card = json.loads((model_copy / "card.json").read_text())
    card.update(weights_file="evil.pt", sha256=hashlib.sha256(evil.read_bytes()).hexdigest())
    (model_copy / "evil.json").write_text(json.dumps(card))
    proc = _scan_with(model_copy / "evil.json", media_dir)
    assert proc.returncode == 2 and "could not load weights" in proc.stderr
    assert not marker.exists()


def test_missing_or_broken_card_exit_2(tmp_path, media_dir):
    proc = _scan_with(tmp_path / "nope.json", media_dir)
    assert proc.returncode == 2 and "not found" in proc.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    proc = _scan_with(broken, media_dir)
    assert proc.returncode == 2 and "not valid" in proc.stderr
