"""The shipped model and the one door that loads it."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from deepcheck.media.fileio import sha256_file
from deepcheck.model.card import ModelCard
from deepcheck.model.classifier import DEFAULT_MODEL, MODELS_DIR, ModelError, calibrate, load_model


def test_shipped_card_is_complete_and_hash_matches():
    card = ModelCard.read(MODELS_DIR / f"{DEFAULT_MODEL}.json")
    assert card.architecture.startswith("efficientnet-lite")
    assert card.input_size > 0 and len(card.mean) == 3 and len(card.std) == 3
    assert 0 < card.framing.size_rel_height < 2
    assert 0 < card.threshold < 1 and card.temperature > 0
    assert card.training["command"].startswith(("deepcheck train", "python -m deepcheck.training.kit train"))
    assert 0.5 < card.metrics["val_crop_auc"] <= 1.0
    assert sha256_file(MODELS_DIR / card.weights_file) == card.sha256


def test_tampered_weights_are_refused(tmp_path):
    card = ModelCard.read(MODELS_DIR / f"{DEFAULT_MODEL}.json")
    shutil.copy(MODELS_DIR / card.weights_file, tmp_path / card.weights_file)
    shutil.copy(MODELS_DIR / f"{DEFAULT_MODEL}.json", tmp_path / "m.json")
    weights = tmp_path / card.weights_file
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match its card"):
        load_model(tmp_path / "m.json")


def test_weights_without_card_are_refused(tmp_path):
    stray = tmp_path / "stray.pt"
    stray.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="no model card"):
        load_model(stray)
    with pytest.raises(ModelError, match="not found"):
        load_model("no-such-model")


def test_card_with_bad_json_is_refused(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "x"}))
    with pytest.raises(ModelError):
        load_model(bad)


def test_model_scores_face_crops_as_probabilities(astronaut):
    model = load_model()
    crops = [astronaut[62:172, 181:268], astronaut[100:300, 100:300]]
    probs = model.predict(crops)
    assert probs.shape == (2,) and np.all((probs >= 0) & (probs <= 1))
    # batching does not change scores
    single = np.concatenate([model.predict([c]) for c in crops])
    assert np.allclose(probs, single, atol=1e-4)


def test_calibration_is_monotonic():
    logits = np.linspace(-6, 6, 101)
    for t in (0.5, 1.0, 2.5):
        p = calibrate(logits, t)
        assert np.all(np.diff(p) > 0)
    assert calibrate(np.array([0.0]), 3.0)[0] == pytest.approx(0.5)


def test_person_rules_aggregate_face_scores():
    from deepcheck.model.scoring import PERSON_RULES, persons_of
    from deepcheck.reports.results import FaceResult

    scores = [0.1, 0.2, 0.3, 0.9, 0.95, 0.1, 0.2, 0.8]
    faces = [FaceResult(frame_index=i, box=[0, 0, 10, 10], detection_prob=1.0, score=s) for i, s in enumerate(scores)]
    got = {rule: persons_of(faces, rule)[0].score for rule in PERSON_RULES}
    assert got["mean"] == pytest.approx(np.mean(scores))
    assert got["median"] == pytest.approx(np.median(scores))
    assert got["top-half-mean"] == pytest.approx(np.mean([0.95, 0.9, 0.8, 0.3]))
    assert got["top-quarter-mean"] == pytest.approx(np.mean([0.95, 0.9]))
    assert got["max"] == pytest.approx(0.95)
    assert persons_of(faces)[0].score == got["mean"]  # the default rule


def test_flip_average_on_the_card_scores_the_crop_and_its_mirror(tmp_path, astronaut):
    """The card, not the code, says whether the mirror image is scored too; the logit is the mean of both."""
    plain = load_model(DEFAULT_MODEL, runtime="onnx")
    face = np.ascontiguousarray(astronaut[30:230, 140:340])
    mirror = np.ascontiguousarray(face[:, ::-1])
    one, other = plain._network_logits([face, mirror], 64)  # the network alone, whatever the card says
    assert abs(one - other) > 1e-4  # the network is not mirror-symmetric, so averaging changes something
    card = ModelCard.read(plain.card_path)
    card.flip_average = not card.flip_average
    for name in (card.weights_file, card.onnx_file):
        shutil.copy(plain.card_path.parent / name, tmp_path / name)
    card.write(tmp_path / "m.json")
    flipped = load_model(tmp_path / "m.json", runtime="onnx")
    expected = (one + other) / 2 if card.flip_average else one
    baseline = one if card.flip_average else (one + other) / 2
    assert flipped.runtime == "onnx"
    assert flipped.logits([face])[0] == pytest.approx(expected, abs=1e-5)
    assert plain.logits([face])[0] == pytest.approx(baseline, abs=1e-5)
