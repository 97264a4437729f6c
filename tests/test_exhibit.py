"""What an investigator sees first: the HTML's first screen, context frames, the PDF exhibit, the terminal table.

Real scans of the shared mixed case folder (conftest.py: ``html_scan`` with a
low threshold so files are flagged, ``json_scan`` with --explain) feed them.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import CHROMIUM_FLAGS, HOSTILE_NAME, run_cli

FIRST_SCREEN = (1280, 800)
# The test's own measuring script, put into a copy of the report (the report's CSP would rightly refuse it).
MEASURE = """<script>
window.addEventListener("load", function () {
  function box(sel) { var el = document.querySelector(sel); if (!el) { return null; }
    var r = el.getBoundingClientRect(); return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; }
  var out = {height: window.innerHeight, width: window.innerWidth, findings: box("#findings"),
    counts: box("#counts"), finding: box("article.finding"), finding_title: box("article.finding h3"),
    finding_img: box("article.finding img"), appendix: box("#appendix"), details: box("#details")};
  var pre = document.createElement("pre"); pre.id = "layout"; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def _decode(uri: str) -> np.ndarray:
    data = base64.b64decode(uri.split(",", 1)[1])
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)[:, :, ::-1]


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Debian's chromium is not installed (apt-get install chromium)"
)
def test_first_screen_shows_the_findings_in_chromium(html_scan, tmp_path):
    from PIL import Image

    _, report, _ = html_scan
    text = report.read_text(encoding="utf-8")
    probe = tmp_path / "probe.html"
    probe.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text).replace(
        "</body>", MEASURE + "</body>"), encoding="utf-8")  # fmt: skip
    size = f"--window-size={FIRST_SCREEN[0]},{FIRST_SCREEN[1]}"
    common = [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", size]
    dom = subprocess.run(
        ["chromium", *common, "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=180
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    layout = json.loads(re.search(r'<pre id="layout">(.*?)</pre>', dom.stdout, re.S).group(1).replace("&quot;", '"'))
    height = layout["height"]
    assert abs(layout["width"] - FIRST_SCREEN[0]) <= 20 and height >= 600
    # the verdict summary and the first flagged file (title, picture) are on the first screen ...
    assert 0 <= layout["findings"]["top"] < layout["counts"]["bottom"] < height
    assert layout["finding_title"]["bottom"] < height and layout["finding_img"]["top"] < height
    # ... and the model's metadata is not: it is in the appendix, after every file
    assert layout["appendix"]["top"] > layout["details"]["bottom"] - 1 > height

    shot = tmp_path / "first-screen.png"
    snap = subprocess.run(
        ["chromium", *common, f"--screenshot={shot}", report.resolve().as_uri()],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert snap.returncode == 0 and shot.is_file(), snap.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB"), dtype=np.int16)
    assert pixels.shape[1] == FIRST_SCREEN[0]
    reddish = (pixels[..., 0] > 150) & (pixels[..., 1] < 90) & (pixels[..., 2] < 90)
    assert reddish.sum() > 200  # the red "flagged fake" badges and bars are drawn on the first screen


def test_context_frames_box_every_face_at_each_persons_best_frame(json_scan):
    from deepcheck.model import explain

    _, doc = json_scan
    with_faces = [f for f in doc["files"] if f["faces"]]
    assert len(with_faces) == 3
    for f in with_faces:
        frames = f["context_frames"]
        persons = {p["person"] for p in f["persons"]}
        assert {p for c in frames for p in c["persons"]} == persons  # every person has its frame
        for c in frames:
            for person in c["persons"]:
                mine = [x for x in f["faces"] if x["person"] == person]
                assert c["frame_index"] == max(mine, key=lambda x: x["score"])["frame_index"]
            img = _decode(c["image"])
            assert max(img.shape[:2]) <= explain.CONTEXT_SIZE
            assert img.shape[1] / img.shape[0] == pytest.approx(f["media"]["width"] / f["media"]["height"], rel=0.02)
    # plain data a writer only shows: without --explain the data formats leave them out
    plain = json.loads(run_cli("scan", str(Path(with_faces[0]["path"])), "-f", "json", "-q").stdout)
    assert "context_frames" not in plain["files"][0]


def test_context_frame_draws_boxes_in_band_colours(astronaut):
    from deepcheck.media.formats import Frame
    from deepcheck.model import explain
    from deepcheck.model.scoring import Bands
    from deepcheck.reports.results import FaceResult

    faces = [
        FaceResult(frame_index=0, box=[181, 62, 268, 172], detection_prob=1.0, score=0.9, person=0),
        FaceResult(frame_index=0, box=[20, 300, 120, 420], detection_prob=1.0, score=0.1, person=1),
        FaceResult(frame_index=0, box=[380, 300, 480, 420], detection_prob=1.0, score=0.4, person=2),
    ]
    [frame] = explain.context_frames([Frame(index=0, time_s=None, rgb=astronaut)], faces, Bands(fake=0.5, review=0.3))
    assert frame["persons"] == [0, 1, 2] and frame["frame_index"] == 0
    img = _decode(frame["image"]).astype(int)
    scale = img.shape[0] / astronaut.shape[0]
    colours = explain.BAND_COLOURS
    left_edge = img[int(120 * scale) : int(160 * scale), int(181 * scale)]  # the person-0 box's left side
    assert (np.abs(left_edge - colours["fake"]) < 60).all(axis=1).mean() > 0.8  # red: at or over the fake threshold
    left_edge = img[int(350 * scale) : int(400 * scale), int(20 * scale)]
    assert (np.abs(left_edge - colours["real"]) < 60).all(axis=1).mean() > 0.8  # green: under both
    left_edge = img[int(350 * scale) : int(400 * scale), int(380 * scale)]
    assert (np.abs(left_edge - colours["review"]) < 60).all(axis=1).mean() > 0.8  # orange: the review band


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm, pdftotext) is not installed")
def test_pdf_exhibit_pages_text_and_hostile_name(json_scan, tmp_path):
    from PIL import Image

    saved, doc = json_scan
    names = [Path(f["path"]).name for f in doc["files"]]
    for size, points in (("a4", (595, 842)), ("letter", (612, 792))):
        pdf = tmp_path / f"exhibit-{size}.pdf"
        proc = run_cli("report", str(saved), "-f", "pdf", "--page-size", size, "-o", str(pdf), "-q")
        assert proc.returncode == 0, proc.stderr
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-")
        for action in (b"/JavaScript", b"/JS", b"/URI", b"/Launch", b"/AA", b"/SubmitForm", b"/GoToR"):
            assert action not in data  # nothing in the exhibit can run or call out, whatever the names hold
        assert re.findall(rb"/OpenAction\s*(.)", data) == [b"["]  # only "open at page 1", never an action
        subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / size)], check=True, timeout=120)
        pages = sorted(tmp_path.glob(f"{size}-*.png"))
        assert len(pages) >= 3  # findings, details, appendix
        for page in pages:
            with Image.open(page) as im:
                assert abs(im.width / im.height - points[0] / points[1]) < 0.01
                assert np.asarray(im.convert("L")).std() > 5  # something is drawn on every page
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        flat = text.replace("\n", "")
        for name in names:
            assert name in flat, name  # every file, the hostile name too, as plain text
        pages_text = text.split("\f")[: len(pages)]
        scan_sha = hashlib.sha256(saved.read_bytes()).hexdigest()  # the header ties the exhibit to its scan data
        for i, page_text in enumerate(pages_text, 1):
            assert f"page {i} of {len(pages)}" in page_text and scan_sha in page_text
            assert "Explanation aid, not proof" in page_text
        assert "Findings" in text and "Appendix: model, run and settings" in text
        assert "Provenance findings" in text and "no-provenance" in text  # the provenance section, as in the HTML
    # the hostile name is text only: not an annotation, a link or a form field in the document
    assert b"/Annot" not in data and b"/AcroForm" not in data
    assert HOSTILE_NAME in flat


def test_pdf_to_stdout_and_refused_page_size(json_scan):
    import subprocess as sp

    from tests.conftest import deepcheck_cmd

    saved, _ = json_scan
    proc = sp.run([*deepcheck_cmd(), "report", str(saved), "-f", "pdf"], capture_output=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.startswith(b"%PDF-") and proc.stdout.rstrip().endswith(b"%%EOF")
    bad = run_cli("report", str(saved), "-f", "pdf", "--page-size", "a5")
    assert bad.returncode == 2 and "--page-size" in bad.stderr


def _table(report, width: int, verbose: bool = False) -> list[str]:
    from rich.console import Console

    from deepcheck.reports.writers.table import render_table

    console = Console(file=io.StringIO(), width=width, record=True, color_system=None)
    render_table(report, console, verbose=verbose)
    return console.export_text().splitlines()


@pytest.mark.parametrize("width", [80, 200])
def test_table_fits_80_and_200_columns(json_scan, width):
    from deepcheck.reports.results import ScanReport

    _, doc = json_scan
    report = ScanReport.from_dict(doc)
    root = str(Path(report.files[0].path).parent)
    deep = f"{root}/case 2024-117/seized phone/DCIM/100ANDRO/abqwwspghj-with-a-long-descriptive-name.mp4"
    report.files[0].path = deep
    broken = next(f for f in report.files if f.status == "error")
    broken.error += "\nsecond line: " + "the decoder said more " * 8
    lines = _table(report, width)
    assert all(len(line) <= width for line in lines), "\n".join(lines)
    assert any(line.strip() == f"paths relative to {root}" for line in lines)  # the common root, named once
    rows = [line for line in lines if line.startswith("│")]
    assert len(rows) == len(report.files)  # one line per file: no path or message wraps
    body = "\n".join(rows)
    assert root not in body  # paths are relative to it
    assert "long-descriptive-name.mp4" in body or "name.mp4" in body  # shortened in the middle: the end stays
    assert ("case 2024-117" in body) == (width == 200)  # shortened only when it does not fit
    assert ("second line" in body) == (width == 200) and "…" in body
    verbose = "\n".join(_table(report, width, verbose=True))
    assert "the decoder said more the decoder said more" in " ".join(verbose.split())  # full text under --verbose


def test_single_file_gets_a_plain_explanation(json_scan):
    from deepcheck.reports.results import ScanReport

    _, doc = json_scan
    report = ScanReport.from_dict(doc)
    video = next(f for f in report.files if f.media_type == "video")
    threshold = report.model["threshold"]
    report.files = [video]
    text = " ".join(" ".join(_table(report, 80)).split())
    review = report.model["review_threshold"]
    person = max(video.persons, key=lambda p: p.score).person
    # the scan ran at the card's thresholds: the sentence counts against the one that decided the verdict
    line = threshold if video.verdict == "fake" else review
    over = sum(1 for x in video.faces if x.person == person and x.score >= line)
    head = {
        "fake": f"fake: score {video.score:.3f} ≥ fake threshold {threshold:.3f}",
        "review": f"review: score {video.score:.3f} ≥ review threshold {review:.3f}, under the fake threshold "
        f"{threshold:.3f}",
        "real": f"real: score {video.score:.3f} < review threshold {review:.3f}",
    }[video.verdict]
    which = "fake" if video.verdict == "fake" else "review"
    if len(video.persons) == 1:
        expected = f"{head}; person {person} over {which} threshold in {over} of {video.frames_analyzed} sampled frames"
    else:  # several people: each named with their own band, the worst first
        order = {"fake": 0, "review": 1, "real": 2}
        ranked = sorted(video.persons, key=lambda p: (order[p.verdict], -p.score, p.person))
        named = [f"person {p.person}: {p.verdict} ({p.score:.2f}) in {p.frames} of {video.frames_analyzed} frames"
                 for p in ranked[:4]]  # fmt: skip
        expected = "; ".join([head, *named])
    assert expected in text
    broken = next(f for f in ScanReport.from_dict(doc).files if f.status == "error")
    report.files = [broken]
    assert "could not analyse: " in " ".join(_table(report, 80))


def test_readable_numbers_and_report_order():
    from deepcheck.reports.results import FileResult, ScanReport
    from deepcheck.reports.view import build, readable

    assert readable(0.04987531172069826) == 0.04988 and readable(12) == 12 and readable("x") == "x"
    report = ScanReport(tool={}, model={"threshold": 0.5, "metrics": {"auc": 0.8953912345}}, settings={}, started="s")
    report.files = [
        FileResult(path="/c/a.jpg", status="ok", score=0.1, verdict="real"),
        FileResult(path="/c/sub/b.jpg", status="error", error="bad"),
        FileResult(path="/c/sub/c.mp4", status="ok", score=0.9, verdict="fake"),
    ]
    view = build(report)
    assert [v.shown_path for v in view.files] == ["sub/c.mp4", "sub/b.jpg", "a.jpg"] and view.root == "/c"
    assert view.metric_rows == [("auc", 0.8954)]
