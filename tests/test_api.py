"""The Python API (README.md, "Python API"): the CLI's scan as functions and objects, on real inputs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import deepcheck
from deepcheck.reports.writers.machine import CSV_COLUMNS
from tests.conftest import REPO, run_cli

PUBLIC = ["FileResult", "ModelError", "ScanReport", "Scanner", "inspect", "load_model", "scan"]
UNTIMED = ("started", "finished")  # the only fields of a report that differ between two runs


def _mixed(media_dir: Path, tmp_path: Path) -> Path:
    """A photo with a face, a test-made video, a no-face image and a corrupt file."""
    folder = tmp_path / "evidence"
    folder.mkdir()
    for name in ("face.jpg", "clip.mp4", "noface.png", "corrupt.jpg"):
        shutil.copy(media_dir / name, folder / name)
    return folder


def _untimed(doc: dict) -> dict:
    doc = {k: v for k, v in doc.items() if k not in UNTIMED}
    doc["files"] = [{k: v for k, v in f.items() if k != "seconds"} for f in doc["files"]]
    return doc


def _python_api_example() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_public_names_are_exactly_those_documented():
    assert deepcheck.__all__ == PUBLIC
    section = (REPO / "README.md").read_text(encoding="utf-8").split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `deepcheck\.(\w+)", section, re.M))  # the rows of its table
    assert documented == set(PUBLIC)
    for name in PUBLIC:
        assert getattr(deepcheck, name).__doc__, name
    assert sorted(dir(deepcheck)) == sorted([*PUBLIC, "__version__"])
    with pytest.raises(AttributeError):
        deepcheck.pipeline_internals  # noqa: B018
    assert (REPO / "deepcheck" / "py.typed").is_file()


def test_import_is_cheap():
    """`import deepcheck` (and reaching the public names) loads neither torch nor OpenCV."""
    code = (
        "import sys, deepcheck; [getattr(deepcheck, n) for n in deepcheck.__all__]; "
        "print(sorted(m for m in ('torch', 'cv2', 'deepcheck.scanning.pipeline') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_api_and_cli_give_the_same_report(media_dir, tmp_path):
    folder = _mixed(media_dir, tmp_path)
    proc = run_cli("scan", str(folder), "-f", "json", "--frames", "4", "--no-journal", "-q")
    cli_doc = json.loads(proc.stdout)
    seen = []
    report = deepcheck.scan(folder, frames=4, journal=False, progress=lambda done, total, r: seen.append((done, total)))
    api_doc = json.loads(report.to_json())
    assert _untimed(api_doc) == _untimed(cli_doc)
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    status = {Path(f.path).name: f.status for f in report.files}
    assert status == {"face.jpg": "ok", "clip.mp4": "ok", "noface.png": "no_face", "corrupt.jpg": "error"}
    assert report.tool["engine"]["name"] == "local" == cli_doc["tool"]["engine"]["name"]  # supervised workers
    assert proc.returncode == (1 if report.summary()["fake"] else 3)  # the CLI's exit code reads the same report

    df = report.to_dataframe()
    assert list(df.columns) == CSV_COLUMNS
    rows = {Path(row["path"]).name: row for row in df.to_dict("records")}
    files = {Path(f["path"]).name: f for f in api_doc["files"]}
    assert rows["face.jpg"]["score"] == files["face.jpg"]["score"] and rows["face.jpg"]["verdict"]
    assert rows["corrupt.jpg"]["status"] == "error" and rows["corrupt.jpg"]["error"] == files["corrupt.jpg"]["error"]
    clip = next(f for f in report.files if f.path.endswith("clip.mp4"))
    faces = clip.to_dataframe()
    assert len(faces) == len(clip.faces) > 0 and list(faces["score"]) == [f.score for f in clip.faces]
    assert json.loads(clip.to_json()) == clip.to_dict()

    html = report.write(tmp_path / "report.html")
    assert html.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    report.write(tmp_path / "report.csv", format="csv")
    assert (tmp_path / "report.csv").read_text(encoding="utf-8").startswith("path,media_type,status")
    assert report.write(tmp_path / "report.pdf", format="pdf").read_bytes().startswith(b"%PDF")
    with pytest.raises(ValueError, match="unknown format 'docx'"):
        report.write(tmp_path / "report.docx", format="docx")


def test_scanner_loads_the_models_once(media_dir, monkeypatch):
    import deepcheck.model.classifier
    import deepcheck.scanning.pipeline

    loads, detectors = [], []
    real_load, real_detector = deepcheck.model.classifier.load_model, deepcheck.scanning.pipeline.FaceDetector

    def counting_load(*args, **kwargs):
        loads.append(args)
        return real_load(*args, **kwargs)

    class CountingDetector(real_detector):
        def __init__(self, *args, **kwargs):
            detectors.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(deepcheck.model.classifier, "load_model", counting_load)
    monkeypatch.setattr(deepcheck.scanning.pipeline, "FaceDetector", CountingDetector)
    scanner = deepcheck.Scanner(frames=4, journal=False, isolate=False)  # in this process, where loads are counted
    names = ["face.jpg", "noface.png", "corrupt.jpg", "clip.mp4", "face.jpg"]
    singles = [scanner.scan_file(media_dir / name) for name in names]
    report = scanner.scan([media_dir / name for name in names[:4]])
    assert len(loads) == 1 and len(detectors) == 1  # five files and a scan of four: one model load
    assert [r.status for r in singles] == ["ok", "no_face", "error", "ok", "ok"]
    assert singles[0].score == singles[4].score == report.files[0].score
    assert [r.to_dict() | {"seconds": 0} for r in singles[:4]] == [r.to_dict() | {"seconds": 0} for r in report.files]
    assert report.model["sha256"] == scanner.model.card.sha256 and report.settings == scanner.settings
    assert report.model["threshold"] == scanner.threshold == scanner.model.card.threshold


def test_scanner_is_isolated_by_default(media_dir, tmp_path, monkeypatch):
    """One supervised worker holds the models; a file that crashes it gets the CLI's record, and the
    next file gets a fresh worker. The records equal those of an in-process Scanner."""
    folder = tmp_path / "evidence"
    folder.mkdir()
    for name, source in {"a_face.jpg": "face.jpg", "b_crash.jpg": "face.jpg", "c_clip.mp4": "clip.mp4"}.items():
        shutil.copy(media_dir / source, folder / name)
    fault = {"DEEPCHECK_TEST_FAULT": "decoding:b_crash:SEGV"}
    monkeypatch.setenv(*fault.popitem())  # inherited by the worker; honoured only under pytest
    with deepcheck.Scanner(frames=4, journal=False) as scanner:
        assert scanner.isolated
        pid = scanner._pool.workers[0].process.pid
        face = scanner.scan_file(folder / "a_face.jpg")
        assert face.status == "ok" and scanner._pool.workers[0].process.pid == pid  # models loaded once, kept
        crash = scanner.scan_file(folder / "b_crash.jpg")
        assert scanner._pool.workers[0].process.pid != pid  # a fresh worker took over
        clip = scanner.scan_file(folder / "c_clip.mp4")
        report = scanner.scan(folder)
        assert scanner.threshold == scanner.model.card.threshold == report.model["threshold"]
    cli = run_cli("scan", str(folder), "-f", "json", "--frames", "4", "--no-journal", "-q",
                  env={"DEEPCHECK_TEST_FAULT": "decoding:b_crash:SEGV"})  # fmt: skip
    cli_crash = next(f for f in json.loads(cli.stdout)["files"] if f["path"].endswith("b_crash.jpg"))
    mine = crash.to_dict()
    assert crash.status == "error"
    # a duplicate group is a scan's, not a file's: b_crash.jpg is a copy of a_face.jpg (same bytes), so in a
    # scan of the folder the two share a group, while one file scanned alone has none
    scan_level = ("path", "group")
    assert {k: mine[k] for k in cli_crash if k not in scan_level} == {
        k: v for k, v in cli_crash.items() if k not in scan_level
    }
    cli_face = next(f for f in json.loads(cli.stdout)["files"] if f["path"].endswith("a_face.jpg"))
    assert crash.group is None and cli_crash["group"] is not None and cli_crash["group"] == cli_face["group"]
    assert report.files[1].group is not None and report.files[1].group == report.files[0].group
    assert crash.error == "analysis crashed (SIGSEGV) while decoding; the file may be damaged or hostile"
    assert [f.status for f in report.files] == ["ok", "error", "ok"]
    assert report.tool["engine"] == {"name": "local", "worker_deaths": 2, "retried": 1}  # tried twice, as the CLI
    monkeypatch.delenv("DEEPCHECK_TEST_FAULT")
    with deepcheck.Scanner(frames=4, journal=False, isolate=False) as trusted:
        assert not trusted.isolated
        same = [trusted.scan_file(folder / name) for name in ("a_face.jpg", "c_clip.mp4")]
    assert [r.to_dict() | {"seconds": 0} for r in same] == [r.to_dict() | {"seconds": 0} for r in (face, clip)]
    with pytest.raises(ValueError, match="closed"):
        scanner.scan_file(folder / "a_face.jpg")


def test_bad_options_raise_value_error_with_the_cli_message(media_dir):
    face = media_dir / "face.jpg"
    cases = [
        ({"threshold": 1.5}, "--threshold must be between 0 and 1"),
        ({"frames": 0}, "--frames, --detect-every and --min-face must be at least 1"),
        ({"max_memory_mb": -1}, "--max-seconds and --max-memory at least 0"),
        ({"runtime": "tensorrt"}, "unknown --runtime 'tensorrt'"),
        ({"engine": "spark"}, "unknown --engine 'spark'"),
        ({"address": "head:6379"}, "--address and --ray-actors only apply with --engine ray"),
        ({"workers": 0}, "workers"),
    ]
    for options, message in cases:
        with pytest.raises(ValueError, match=re.escape(message)):
            deepcheck.scan(face, **options)
    with pytest.raises(ValueError, match="no input"):
        deepcheck.scan([])
    with pytest.raises(TypeError, match="unknown scan option"):
        deepcheck.scan(face, frame=4)
    with pytest.raises(ValueError, match="engine='ray'"):
        deepcheck.Scanner(engine="ray")
    with pytest.raises(ValueError, match="no workers"):
        deepcheck.Scanner(workers=2)
    not_pem = media_dir / "noface.png"
    with pytest.raises(ValueError, match="--c2pa-trust: .*holds no PEM certificate"):
        deepcheck.scan(face, c2pa_trust=not_pem)
    proc = run_cli("scan", str(face), "--c2pa-trust", str(not_pem))
    assert proc.returncode == 2 and "--c2pa-trust: " in proc.stderr and "holds no PEM certificate" in proc.stderr
    proc = run_cli("scan", str(face), "--threshold", "1.5")
    assert proc.returncode == 2 and "--threshold must be between 0 and 1" in proc.stderr


def test_a_tampered_model_raises_model_error(media_dir, tmp_path):
    from deepcheck.model.classifier import DEFAULT_MODEL, MODELS_DIR

    card = json.loads((MODELS_DIR / f"{DEFAULT_MODEL}.json").read_text())
    data = bytearray((MODELS_DIR / card["weights_file"]).read_bytes())
    data[len(data) // 3] ^= 0x01  # one flipped bit
    (tmp_path / card["weights_file"]).write_bytes(bytes(data))
    (tmp_path / "card.json").write_text(json.dumps(card))
    with pytest.raises(deepcheck.ModelError, match="does not match its card"):
        deepcheck.load_model(tmp_path / "card.json")
    with pytest.raises(deepcheck.ModelError, match="does not match its card"):
        deepcheck.scan(media_dir / "face.jpg", model=tmp_path / "card.json")
    model = deepcheck.load_model()
    assert model.card.name == DEFAULT_MODEL and model.card.sha256 == card["sha256"]


def test_missing_pandas_is_explained(media_dir, monkeypatch):
    report = deepcheck.ScanReport(tool={}, model={}, settings={}, started="")
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if pandas were not installed
    with pytest.raises(ImportError, match="pip install pandas"):
        report.to_dataframe()


def test_readme_python_example_runs(tmp_path, monkeypatch):
    """The README's example, run as written, from a folder holding a copy of examples/."""
    pytest.importorskip("pandas")
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    exec(compile(_python_api_example(), "README.md (Python API)", "exec"), {})
    assert (tmp_path / "report.html").read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")


def test_ray_that_cannot_start_raises_runtime_error(media_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    with pytest.raises(RuntimeError, match="Ray is not installed"):
        deepcheck.scan(media_dir / "face.jpg", engine="ray")


def test_inspect_gives_the_cli_document_and_never_raises_for_a_file(media_dir, tmp_path):
    face = media_dir / "face.jpg"
    doc = deepcheck.inspect(face)
    assert doc == json.loads(run_cli("inspect", str(face), "-f", "json").stdout)
    assert doc["media_type"] == "image" and "no-provenance" in [f["code"] for f in doc["provenance"]["findings"]]
    assert "error" in deepcheck.inspect(REPO / "README.md")  # not media: a document that says so
    assert "error" in deepcheck.inspect(tmp_path / "missing.jpg")
    with pytest.raises(ValueError, match="--c2pa-trust"):
        deepcheck.inspect(face, c2pa_trust=tmp_path / "missing.pem")
