"""Reports an investigator can hand on: HTML (also in a real browser), JUnit, SARIF, re-rendering.

Two real CLI scans of one mixed folder (the ``evidence``, ``html_scan`` and
``json_scan`` fixtures in conftest.py) feed most tests.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ASTRONAUT_FACE_BOX, CHROMIUM_FLAGS, HOSTILE_EXIF, HOSTILE_NAME, REPO, run_cli

SARIF_SCHEMA = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"


class _Page(HTMLParser):
    """Collects what a browser would build: elements with their attributes, and the visible text."""

    def __init__(self):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def test_html_report_sections_faces_timeline_heatmaps(html_scan, evidence):
    proc, report, _ = html_scan
    text = report.read_text(encoding="utf-8")
    page = _parse(text)
    ids = [a.get("id") for _, a in page.elements if a.get("id")]
    assert {"findings", "counts", "failed", "remaining", "files", "file-index", "details", "appendix"} <= set(ids)
    # findings, not analysed, the rest, then the provenance counts (only "no-provenance" here), the model's last
    sections = ("findings", "failed", "remaining", "provenance-summary", "files", "details", "appendix")
    order = [ids.index(x) for x in sections]
    assert order == sorted(order)
    articles = [a for t, a in page.elements if t == "article" and a.get("id", "").startswith("file-")]
    assert len(articles) == 5
    categories = [a["data-category"] for a in articles]
    assert categories.count("error") == 1 and categories.count("no_face") == 1
    assert categories.count("fake") == 3  # face, hostile-named face, video: all over the test's low threshold
    assert categories[:3] == ["fake"] * 3 and categories[3] == "error"  # flagged, then not analysed, then the rest
    findings = [a for t, a in page.elements if t == "article" and "finding" in a.get("class", "")]
    assert len(findings) == 3
    visible = " ".join(page.text)
    import hashlib

    for name in ("face.jpg", "clip.mp4", "noface.png", "corrupt.jpg", HOSTILE_NAME):
        digest = hashlib.sha256((evidence / name).read_bytes()).hexdigest()
        assert digest in visible, name
    assert "Truncated File Read" in visible or "cannot decode" in visible  # the corrupt file's error shows
    assert "deepcheck-lite0" in visible and "fake threshold" in visible and "val_crop_auc" in visible
    # the test clip's sliding face is tracked as several people: the video's sentence names each with its band
    assert re.search(r"person \d+: fake \(0\.\d\d\) in \d of 4 frames; person \d+: ", visible)
    assert "of 4 sampled frames at or over the threshold" in visible
    appendix = text[text.index('id="appendix"') :]
    # numbers rounded to 4 significant digits for reading (full values stay in the JSON)
    assert not re.search(r"\d\.0*[1-9]\d{4,}", appendix)
    times = re.findall(r"<th>analysis time \(s\)</th><td>([^<]*)</td>", text)
    assert times and all(len(re.sub(r"\D|^0\.0*", "", t)) <= 4 for t in times)  # 4 significant digits at most
    assert "2024:01:02 03:04:05" in visible  # EXIF creation tag in the media details
    # face thumbnails (1 + 1 + 4 faces at 4 frames), one timeline, Grad-CAM heatmaps labelled as an aid
    imgs = [a["src"] for t, a in page.elements if t == "img"]
    assert all(src.startswith("data:image/") for src in imgs)
    assert sum(a.get("alt", "").startswith("face crop") for t, a in page.elements if t == "img") >= 3
    # the video's timeline shows in its finding and in its details
    assert sum(a.get("alt", "").startswith("per-frame score timeline") for t, a in page.elements if t == "img") == 2
    assert sum(a.get("alt", "").startswith("context frame") for t, a in page.elements if t == "img") >= 6
    assert sum(a.get("alt", "").startswith("Grad-CAM") for t, a in page.elements if t == "img") >= 3
    assert "An explanation aid, not proof." in visible
    # --verbose still shows the table with per-face rows on stderr
    assert "frame" in proc.stderr and "report written to" in proc.stderr


def test_html_escapes_evidence_strings(html_scan):
    _, report, _ = html_scan
    text = report.read_text(encoding="utf-8")
    page = _parse(text)
    assert [t for t, _ in page.elements].count("script") == 1  # only the report's own script
    assert not any(k.startswith("on") for _, a in page.elements for k in a)  # no event handler attributes
    assert not any(t == "img" and a.get("src") == "x" for t, a in page.elements)
    visible = "".join(page.text)
    assert HOSTILE_NAME in visible and HOSTILE_EXIF in visible  # shown as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", text)  # nothing external
    assert 'http-equiv="Content-Security-Policy"' in text and "default-src &#x27;none&#x27;" in text


def test_html_escapes_a_script_named_file_in_process():
    from deepcheck.reports.results import FileResult, ScanReport
    from deepcheck.reports.writers.html import to_html

    name = "<script>alert(1)</script>.jpg"
    report = ScanReport(tool={"version": "t"}, model={"name": "m", "threshold": 0.5}, settings={}, started="s")
    report.files = [FileResult(path=name, status="error", error=f"cannot decode {name}", media={"exif": name})]
    text = to_html(report)
    page = _parse(text)
    assert [t for t, _ in page.elements].count("script") == 1
    assert "".join(page.text).count(name) >= 4  # header, index, details, error, metadata


def _chromium(*args: str, tmp: Path) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    return subprocess.run(
        ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian's chromium is not installed (`apt-get install chromium`)"
)
def test_html_in_headless_chromium(html_scan, tmp_path):
    from PIL import Image

    _, report, _ = html_scan
    url = report.resolve().as_uri()
    dom = _chromium("--dump-dom", url, tmp=tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = _parse(dom.stdout)
    html_el = next(a for t, a in page.elements if t == "html")
    assert html_el.get("data-js") == "on"  # the report's own (CSP-hashed) script ran
    controls = next(a for _, a in page.elements if a.get("id") == "controls")
    assert "hidden" not in controls  # ...and showed the sort/filter controls
    title = re.search(r"<title>(.*?)</title>", dom.stdout, re.S).group(1)
    assert title.startswith("deepcheck report") and "PWNED" not in title  # no evidence script set the title
    assert not any("data-pwned" in a for _, a in page.elements)
    assert not any(k.startswith("on") for _, a in page.elements for k in a)
    assert HOSTILE_NAME in "".join(page.text)
    assert len([a for t, a in page.elements if t == "article" and a.get("id", "").startswith("file-")]) == 5

    shot = tmp_path / "report.png"
    snap = _chromium(f"--screenshot={shot}", "--window-size=1200,1600", url, tmp=tmp_path)
    assert snap.returncode == 0 and shot.is_file(), snap.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB"), dtype=np.float32)
    assert pixels.shape[:2] == (1600, 1200)
    assert pixels.std() > 10  # the page rendered something, not a blank screen


def test_report_rerenders_saved_scan_with_faces(json_scan, tmp_path):
    saved, doc = json_scan
    assert any(face.get("thumbnail") for f in doc["files"] for face in f["faces"])  # --explain keeps them
    out = tmp_path / "again.html"
    proc = run_cli("report", str(saved), "-f", "html", "-o", str(out), "-q")
    assert proc.returncode == 0, proc.stderr
    page = _parse(out.read_text(encoding="utf-8"))
    articles = [a for t, a in page.elements if t == "article" and a.get("id", "").startswith("file-")]
    assert len(articles) == len(doc["files"]) == 5
    assert any(a.get("alt", "").startswith("Grad-CAM") for t, a in page.elements if t == "img")
    # the same scan as JSON Lines re-renders too, and `report` to stdout carries only the document
    jsonl = tmp_path / "scan.jsonl"
    jsonl.write_text(run_cli("report", str(saved), "-f", "jsonl").stdout, encoding="utf-8")
    again = json.loads(run_cli("report", str(jsonl), "-f", "json").stdout)
    assert [f["sha256"] for f in again["files"]] == [f["sha256"] for f in doc["files"]]
    bad = tmp_path / "not-a-scan.json"
    bad.write_text('{"hello": 1}')
    refused = run_cli("report", str(bad), "-f", "html")
    assert refused.returncode == 2 and "not a deepcheck scan" in refused.stderr
    assert run_cli("report", str(saved), "-f", "nope").returncode == 2


def test_html_without_face_images_says_so(json_scan):
    from deepcheck.reports.results import ScanReport
    from deepcheck.reports.writers.html import to_html
    from deepcheck.reports.writers.machine import to_json

    _, doc = json_scan
    report = ScanReport.from_dict(doc)
    report.settings["explain"] = False
    plain = json.loads(to_json(report))
    assert not any("thumbnail" in face or "heatmap" in face for f in plain["files"] for face in f["faces"])
    text = to_html(ScanReport.from_dict(plain))
    assert "Face images are not in this scan" in text and "data:image/jpeg" not in text
    assert "per-frame score timeline" in text  # the timeline comes from the scores, so it stays


def test_junit_parses_with_right_counts(json_scan):
    saved, doc = json_scan
    proc = run_cli("report", str(saved), "-f", "junit")
    assert proc.returncode == 0, proc.stderr
    root = ET.fromstring(proc.stdout)
    fakes = sum(f["verdict"] == "fake" for f in doc["files"])
    suite = root.find("testsuite")
    for el in (root, suite):
        assert el.get("tests") == "5" and el.get("errors") == "1" and el.get("skipped") == "0"
        assert el.get("failures") == str(fakes)
    cases = {c.get("name").rsplit("/", 1)[-1]: c for c in suite.findall("testcase")}
    assert len(cases) == 5 and HOSTILE_NAME in cases
    assert cases["corrupt.jpg"].find("error") is not None
    assert len(suite.findall("testcase/failure")) == fakes
    for f in doc["files"]:
        case = cases[f["path"].rsplit("/", 1)[-1]]
        assert (case.find("failure") is not None) == (f["verdict"] == "fake")


def test_junit_survives_control_characters_and_skips():
    from deepcheck.reports.results import FileResult, ScanReport
    from deepcheck.reports.writers.junit import to_junit

    report = ScanReport(tool={}, model={"threshold": 0.5}, settings={}, started="s")
    report.files = [
        FileResult(path="bell\x07 and \udcff.jpg", status="error", error="bad\x00byte"),
        FileResult(path="notes.txt", status="skipped", error="not an image or video (by content)"),
    ]
    root = ET.fromstring(to_junit(report))
    assert root.get("errors") == "1" and root.get("skipped") == "1"
    assert root.find("testsuite/testcase").get("name") == "bell\\x07 and \\xdcff.jpg"


def test_sarif_validates_against_the_schema(json_scan):
    import jsonschema

    saved, doc = json_scan
    proc = run_cli("report", str(saved), "-f", "sarif")
    assert proc.returncode == 0, proc.stderr
    sarif = json.loads(proc.stdout)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    jsonschema.Draft4Validator(schema).validate(sarif)
    results = sarif["runs"][0]["results"]
    fakes = [f for f in doc["files"] if f["verdict"] == "fake"]
    errors = [f for f in doc["files"] if f["status"] == "error"]
    assert len(results) == len(fakes) + len(errors)
    assert sorted(r["level"] for r in results) == sorted(["error"] * len(fakes) + ["warning"] * len(errors))
    for r in results:
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.startswith("file:///") and "<" not in uri
        if r["level"] == "error":
            assert "threshold" in r["message"]["text"] and "deepcheck-lite0" in r["message"]["text"]


def test_sarif_relative_and_odd_paths_validate():
    import jsonschema

    from deepcheck.reports.results import FileResult, ScanReport
    from deepcheck.reports.writers.sarif import artifact_uri, to_sarif

    report = ScanReport(tool={"version": "t"}, model={"name": "m", "threshold": 0.5}, settings={}, started="s")
    report.files = [
        FileResult(path="cases/a b#1.jpg", status="ok", score=0.9, verdict="fake", sha256="0" * 64),
        FileResult(path="odd\udcff.mp4", status="error", error="cannot open video"),
    ]
    sarif = json.loads(to_sarif(report))
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(sarif)
    assert artifact_uri("cases/a b#1.jpg") == "cases/a%20b%231.jpg"
    assert artifact_uri("odd\udcff.mp4") == "odd%FF.mp4"


def test_manifest_from_scan_verifies(html_scan, evidence):
    import hashlib

    _, report, manifest = html_scan
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    assert doc["schema"] == "deepcheck.manifest/1" and doc["model"]["sha256"] and doc["tool"]["version"]
    assert doc["settings"]["frames"] == 4 and doc["started"] and doc["finished"]
    by_name = {Path(e["path"]).name: e for e in doc["inputs"]}
    assert set(by_name) == {"face.jpg", "noface.png", "corrupt.jpg", "clip.mp4", HOSTILE_NAME}
    for name, entry in by_name.items():
        data = (evidence / name).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["size_bytes"] == len(data)
    [written] = doc["reports"]
    assert written["format"] == "html" and written["sha256"] == hashlib.sha256(report.read_bytes()).hexdigest()
    proc = run_cli("verify", str(manifest))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "6 files checked: 6 match" in proc.stdout


def test_verify_detects_changed_and_missing_files(media_dir, tmp_path):
    from deepcheck.reports import custody
    from deepcheck.reports.results import FileResult, ScanReport

    folder = tmp_path / "case"
    folder.mkdir()
    for name in ("face.jpg", "noface.png", "clip.mp4"):
        shutil.copy(media_dir / name, folder / name)
    targets = sorted(folder.iterdir())
    inputs = custody.hash_inputs(targets)
    report_file = tmp_path / "report.csv"
    report_file.write_text("path\n", encoding="utf-8")
    scan = ScanReport(tool={"version": "t"}, model={"name": "m"}, settings={}, started="s", finished="f")
    scan.files = [FileResult(path=str(p), sha256=e["sha256"]) for p, e in zip(targets, inputs)]
    manifest = tmp_path / "manifest.json"
    custody.write_manifest(manifest, custody.build_manifest(scan, inputs, [custody.report_entry(report_file, "csv")]))
    assert run_cli("verify", str(manifest)).returncode == 0

    face = folder / "face.jpg"
    data = bytearray(face.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one byte
    face.write_bytes(bytes(data))
    (folder / "clip.mp4").unlink()
    proc = run_cli("verify", str(manifest))
    assert proc.returncode == 1
    states = {
        line.split()[-1 if "(" not in line else 2].rsplit("/", 1)[-1]: line.split()[0]
        for line in proc.stdout.splitlines()
        if line.split()[0].isupper()
    }
    assert states == {"face.jpg": "CHANGED", "clip.mp4": "MISSING", "noface.png": "MATCH", "report.csv": "MATCH"}
    as_json = json.loads(run_cli("verify", str(manifest), "-f", "json").stdout)
    assert as_json["ok"] is False and as_json["counts"] == {"changed": 1, "missing": 1, "match": 2}

    report_file.write_text("path\nedited\n", encoding="utf-8")
    quiet = run_cli("verify", str(manifest), "-q")
    assert quiet.returncode == 1 and "MATCH" not in quiet.stdout and "report.csv" in quiet.stdout

    not_manifest = tmp_path / "x.json"
    not_manifest.write_text("[1, 2]")
    assert run_cli("verify", str(not_manifest)).returncode == 2
    assert run_cli("verify", str(tmp_path / "absent.json")).returncode == 2


def test_gradcam_is_cam_on_the_classifier_and_attach_limits(analyzer, astronaut):
    import base64

    import cv2
    import torch

    from deepcheck.model import explain
    from deepcheck.reports.results import FaceResult

    x1, y1, x2, y2 = ASTRONAUT_FACE_BOX
    crops = [astronaut[y1:y2, x1:x2], astronaut, astronaut[::-1], astronaut[:256, :256], astronaut[100:400, 50:300]]
    classifier = analyzer.classifier
    maps = explain.gradcam_maps(classifier, crops[:2])
    # With global average pooling and one linear layer, Grad-CAM equals CAM / (h*w): an independent check.
    with torch.no_grad():
        features = classifier.net.extract_features(classifier.preprocess(crops[:2])).float()
    weights = classifier.net._fc.weight[0].detach().float()
    cam = torch.relu((weights[None, :, None, None] * features).sum(1)).numpy() / (maps.shape[1] * maps.shape[2])
    assert maps.shape == cam.shape and maps.shape[1] >= 5
    assert np.allclose(maps, cam, rtol=1e-3, atol=1e-6)
    assert not any(p.requires_grad and p.grad is not None for p in classifier.net.parameters())

    faces = [
        FaceResult(frame_index=i, box=[0, 0, 1, 1], detection_prob=1.0, score=s)
        for i, s in enumerate([0.1, 0.9, 0.5, 0.7, 0.3])
    ]
    explain.attach(classifier, crops, faces)
    assert all(f.thumbnail and f.thumbnail.startswith("data:image/jpeg;base64,") for f in faces)
    assert [f.heatmap is not None for f in faces] == [False, True, True, True, False]  # the top 3 scores
    for uri, size in ((faces[1].thumbnail, explain.THUMB_SIZE), (faces[1].heatmap, explain.HEATMAP_SIZE)):
        img = cv2.imdecode(np.frombuffer(base64.b64decode(uri.split(",", 1)[1]), np.uint8), cv2.IMREAD_COLOR)
        assert img.shape == (size, size, 3)
