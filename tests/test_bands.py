"""Three verdicts (fake, review, real) in every report, the worklist, --fail-on review, and older saved scans.

The inputs are real: the astronaut photo and a blurred and a grey copy of it, which the shipped model
scores differently, through real MTCNN and the shipped model. No score is written into a test: a first
scan measures them, and the thresholds are then placed between the measured scores, so that the
highest-scoring photo lands in ``fake``, the middle one in ``review`` and the lowest in ``real``.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import REPO, run_cli

SARIF_SCHEMA = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"
OLD_SCAN = REPO / "tests" / "data" / "scan-before-bands.json"
PHOTOS = ("blurred.jpg", "face.jpg", "grey.jpg")


def _name(f: dict) -> str:
    return Path(f["path"]).name


def _between(high: float, low: float) -> float:
    """A threshold strictly between two measured scores (4 decimals, as the card writes them)."""
    assert high - low > 0.002, f"scores {high} and {low} too close to put a threshold between them"
    return round((high + low) / 2, 4)


@pytest.fixture(scope="module")
def case(media_dir, astronaut, tmp_path_factory) -> Path:
    """Three face photos, a photo without a face and a truncated one: every category of the worklist."""
    folder = tmp_path_factory.mktemp("bands") / "case"
    folder.mkdir()
    bgr = np.ascontiguousarray(astronaut[:, :, ::-1])
    cv2.imwrite(str(folder / "blurred.jpg"), cv2.GaussianBlur(bgr, (0, 0), 2.0))
    shutil.copy(media_dir / "face.jpg", folder / "face.jpg")
    grey = cv2.cvtColor(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    cv2.imwrite(str(folder / "grey.jpg"), grey)
    shutil.copy(media_dir / "noface.png", folder / "noface.png")
    shutil.copy(media_dir / "corrupt.jpg", folder / "corrupt.jpg")
    return folder


@pytest.fixture(scope="module")
def measured(case) -> dict:
    """The photos' scores at the card's thresholds, and thresholds that put one photo in each band."""
    proc = run_cli("scan", str(case), "-f", "json", "-q", "--no-journal")
    assert proc.returncode in (1, 3), proc.stderr
    doc = json.loads(proc.stdout)
    scores = {_name(f): f["score"] for f in doc["files"] if _name(f) in PHOTOS}
    high, middle, low = sorted(scores, key=scores.get, reverse=True)
    return {
        "scores": scores,
        "expected": {high: "fake", middle: "review", low: "real"},
        "threshold": _between(scores[high], scores[middle]),
        "review_threshold": _between(scores[middle], scores[low]),
        "card": doc["model"],
    }


@pytest.fixture(scope="module")
def banded(case, measured, tmp_path_factory):
    """`scan --explain -f json` with the thresholds placed around the measured scores: the saved scan."""
    saved = tmp_path_factory.mktemp("banded") / "scan.json"
    proc = run_cli(
        "scan", str(case), "-f", "json", "--explain", "-o", str(saved), "-q", "--no-journal",
        "--threshold", str(measured["threshold"]), "--review-threshold", str(measured["review_threshold"]),
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr  # a fake is flagged (the default --fail-on)
    return saved, json.loads(saved.read_text(encoding="utf-8"))


def test_scan_gives_three_verdicts_with_counts(banded, measured):
    _, doc = banded
    by_name = {_name(f): f for f in doc["files"]}
    for name, verdict in measured["expected"].items():
        f = by_name[name]
        assert f["verdict"] == verdict, (name, f["score"], measured)
        assert f["score"] == pytest.approx(measured["scores"][name], abs=1e-4)  # the same scores, other bands
        assert [p["verdict"] for p in f["persons"]] == [verdict]
    assert by_name["noface.png"]["verdict"] is None and by_name["corrupt.jpg"]["verdict"] is None
    summary = doc["summary"]
    assert (summary["fake"], summary["review"], summary["real"]) == (1, 1, 1)
    assert (summary["no_face"], summary["error"], summary["files"]) == (1, 1, 5)
    model = doc["model"]
    assert (model["threshold"], model["review_threshold"]) == (measured["threshold"], measured["review_threshold"])
    card = measured["card"]  # the first scan ran at the card's own thresholds
    assert card["review_threshold"] == card["card_review_threshold"] < card["threshold"] == card["card_threshold"]
    assert "FPR <= 1%" in card["threshold_rule"] and "FPR <= 10%" in card["review_threshold_rule"]


def test_csv_and_jsonl_carry_verdicts_and_the_worklist(banded, measured):
    saved, doc = banded
    plain = list(csv.DictReader(io.StringIO(run_cli("report", str(saved), "-f", "csv").stdout)))
    assert [r["path"] for r in plain] == [f["path"] for f in doc["files"]]  # scan order by default
    assert {Path(r["path"]).name: r["verdict"] for r in plain if r["verdict"]} == measured["expected"]
    risk = list(csv.DictReader(io.StringIO(run_cli("report", str(saved), "-f", "csv", "--sort", "risk").stdout)))
    order = [r["verdict"] or r["status"] for r in risk]
    assert order == ["fake", "review", "error", "real", "no_face"]  # the worklist
    lines = [json.loads(x) for x in run_cli("report", str(saved), "-f", "jsonl").stdout.splitlines()]
    assert lines[0]["summary"]["review"] == 1 and lines[0]["model"]["review_threshold"] == measured["review_threshold"]
    assert sorted(x["verdict"] or "-" for x in lines[1:]) == ["-", "-", "fake", "real", "review"]
    refused = run_cli("report", str(saved), "-f", "csv", "--sort", "size")
    assert refused.returncode == 2 and "unknown --sort" in refused.stderr


def test_table_summary_line_and_top(banded, measured):
    saved, _ = banded
    proc = run_cli("report", str(saved), "--top", "2", env={"COLUMNS": "160"})
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.startswith("│")]
    assert len(rows) == 2  # only the two highest-risk files
    names = {v: k for k, v in measured["expected"].items()}
    assert names["fake"] in rows[0] and "fake" in rows[0]
    assert names["review"] in rows[1] and "review" in rows[1]
    text = " ".join(proc.stdout.split())
    assert "5 files: 1 fake, 1 to review, 1 real, 1 without faces, 1 errors, 0 skipped" in text
    assert f"fake ≥ {measured['threshold']:.3f} · review ≥ {measured['review_threshold']:.3f}" in text
    assert "the 2 highest-risk of 5 files (--top 2)" in text
    every = run_cli("report", str(saved), "--sort", "risk", env={"COLUMNS": "160"})
    rows = [line for line in every.stdout.splitlines() if line.startswith("│")]
    assert len(rows) == 5 and "corrupt.jpg" in rows[2]  # not analysed, after fake and review, before real


def _tag_order(text: str, *needles: str) -> list[int]:
    return [text.index(n) for n in needles]


def test_html_puts_fakes_then_review_first_and_sorts_the_index(banded, measured, tmp_path):
    saved, doc = banded
    out = tmp_path / "risk.html"
    assert run_cli("report", str(saved), "-f", "html", "--sort", "risk", "-o", str(out), "-q").returncode == 0
    text = out.read_text(encoding="utf-8")
    names = {v: k for k, v in measured["expected"].items()}
    positions = _tag_order(
        text, 'id="flagged"', names["fake"], 'id="review"', names["review"], 'id="failed"', 'id="remaining"'
    )
    assert positions == sorted(positions)  # flagged fake, then needs review, then the rest
    assert text.count('class="finding"') == 1 and text.count('class="finding review"') == 1
    t, r = measured["threshold"], measured["review_threshold"]
    assert f"≥ review threshold {r:.3f}, under the fake threshold {t:.3f}" in text
    index = text[text.index('id="file-index"') : text.index("</table>", text.index('id="file-index"'))]
    categories = [c for c in index.split('data-category="')[1:]]
    assert [c.split('"')[0] for c in categories] == ["fake", "review", "error", "real", "no_face"]
    assert '<option value="risk" selected>' in text
    scan_order = run_cli("report", str(saved), "-f", "html").stdout
    index = scan_order[scan_order.index('id="file-index"') :]
    orders = [int(c.split('"')[0]) for c in index.split('data-order="')[1:]]
    assert orders[: len(doc["files"])] == list(range(len(doc["files"])))  # the index in scan order by default


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
def test_pdf_lists_flagged_then_review(banded, tmp_path):
    saved, _ = banded
    pdf = tmp_path / "r.pdf"
    assert run_cli("report", str(saved), "-f", "pdf", "-o", str(pdf), "-q").returncode == 0
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    positions = _tag_order(flat, "Flagged fake (1)", "Needs review (1)", "Could not be analysed (1)", "Remaining files")
    assert positions == sorted(positions)
    assert "review: score" in flat and "needs review" in flat


def test_junit_counts_review_as_failure_only_with_fail_on(banded, measured):
    saved, _ = banded
    names = {v: k for k, v in measured["expected"].items()}

    def cases(*extra: str):
        proc = run_cli("report", str(saved), "-f", "junit", *extra)
        assert proc.returncode == 0, proc.stderr
        root = ET.fromstring(proc.stdout)
        return root, {c.get("name").rsplit("/", 1)[-1]: c for c in root.iter("testcase")}

    root, by_name = cases()
    assert root.get("failures") == "1"
    assert by_name[names["fake"]].find("failure") is not None
    assert by_name[names["review"]].find("failure") is None
    assert "needs review" in by_name[names["review"]].find("system-out").text
    root, by_name = cases("--fail-on", "fake,review")
    assert root.get("failures") == "2"
    failure = by_name[names["review"]].find("failure")
    assert failure is not None and failure.get("type") == "deepfake-review"
    assert by_name[names["real"]].find("failure") is None


def test_sarif_levels_follow_the_bands(banded, measured):
    import jsonschema

    saved, _ = banded
    sarif = json.loads(run_cli("report", str(saved), "-f", "sarif").stdout)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))).validate(sarif)
    run = sarif["runs"][0]
    found = {}
    for r in run["results"]:
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        found[uri.rsplit("/", 1)[-1]] = (r["ruleId"], r["level"], run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"])
    names = {v: k for k, v in measured["expected"].items()}
    assert found[names["fake"]][:2] == ("deepcheck/manipulated-face", "error")
    assert found[names["review"]][:2] == ("deepcheck/needs-review", "warning")
    assert found["corrupt.jpg"][:2] == ("deepcheck/analysis-error", "warning")
    assert names["real"] not in found and all(rule == index_rule for rule, _, index_rule in found.values())
    assert run["properties"]["summary"]["review"] == 1


def test_fail_on_review(case, measured, tmp_path):
    folder = tmp_path / "two"
    folder.mkdir()
    names = {v: k for k, v in measured["expected"].items()}
    for verdict in ("review", "real"):
        shutil.copy(case / names[verdict], folder / names[verdict])
    bands = ["--threshold", "1", "--review-threshold", str(measured["review_threshold"]), "-q", "-f", "json"]
    default = run_cli("scan", str(folder), *bands)
    assert default.returncode == 0, default.stderr  # a file to review does not fail the default (fake)
    assert json.loads(default.stdout)["summary"]["review"] == 1
    assert run_cli("scan", str(folder), *bands, "--fail-on", "review").returncode == 1
    assert run_cli("scan", str(folder), *bands, "--fail-on", "review", "--exit-zero").returncode == 0
    wrong = run_cli("scan", str(folder), "--fail-on", "reveiw")
    assert wrong.returncode == 2 and "choose from fake, review" in wrong.stderr
    above = run_cli("scan", str(folder), "--threshold", "0.5", "--review-threshold", "0.6")
    assert above.returncode == 2 and "--review-threshold must not be above --threshold" in above.stderr


def test_fail_on_review_also_fails_on_fake(banded):
    from deepcheck.cli.common import EXIT_CLEAN, EXIT_FLAGGED, exit_code
    from deepcheck.reports.results import ScanReport

    _, doc = banded
    report = ScanReport.from_dict(doc)
    report.files = [f for f in report.files if f.verdict == "fake"]
    assert exit_code(report, {"review"}) == EXIT_FLAGGED  # the stricter gate never lets a fake through
    report.files = [f for f in ScanReport.from_dict(doc).files if f.verdict in ("review", "real")]
    assert exit_code(report, {"fake"}) == EXIT_CLEAN and exit_code(report, {"review"}) == EXIT_FLAGGED


def test_python_api_bands(case, measured):
    import deepcheck

    names = {v: k for k, v in measured["expected"].items()}
    scanner = deepcheck.Scanner(threshold=measured["threshold"], review_threshold=measured["review_threshold"])
    assert (scanner.threshold, scanner.review_threshold) == (measured["threshold"], measured["review_threshold"])
    for verdict, name in names.items():
        assert scanner.scan_file(case / name).verdict == verdict
    report = scanner.scan(case / names["review"])
    assert report.summary()["review"] == 1 and report.model["review_threshold"] == measured["review_threshold"]
    with pytest.raises(ValueError, match="--review-threshold must be between 0 and 1"):
        deepcheck.scan(case, review_threshold=1.5)


def test_several_people_are_named_with_their_bands(astronaut, tmp_path):
    """A video of two people: the sentence says which one needs review and which is real."""
    from deepcheck.reports.results import ScanReport
    from deepcheck.reports.view import build

    bgr = np.ascontiguousarray(astronaut[:, :, ::-1])
    left = cv2.resize(cv2.GaussianBlur(bgr, (0, 0), 2.0), (360, 360), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    right = cv2.resize(grey, (360, 360), interpolation=cv2.INTER_AREA)
    clip = tmp_path / "two people.mp4"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (800, 420))
    for i in range(20):
        canvas = np.full((420, 800, 3), 90, np.uint8)
        canvas[20 + i % 5 : 380 + i % 5, 20:380] = left
        canvas[30 - i % 5 : 390 - i % 5, 420:780] = right
        writer.write(canvas)
    writer.release()
    first = json.loads(run_cli("scan", str(clip), "--frames", "4", "-f", "json", "-q", "--no-journal").stdout)
    persons = sorted(first["files"][0]["persons"], key=lambda p: -p["score"])
    assert len(persons) == 2
    review = _between(persons[0]["score"], persons[1]["score"])
    proc = run_cli(
        "scan", str(clip), "--frames", "4", "-f", "json", "-q", "--no-journal",
        "--threshold", "1", "--review-threshold", str(review),
    )  # fmt: skip
    doc = json.loads(proc.stdout)
    video = doc["files"][0]
    assert video["verdict"] == "review"
    assert {p["person"]: p["verdict"] for p in video["persons"]} == {persons[0]["person"]: "review",
                                                                      persons[1]["person"]: "real"}  # fmt: skip
    why = build(ScanReport.from_dict(doc)).files[0].explanation
    high, low = persons
    assert f"person {high['person']}: review ({high['score']:.2f}) in {high['frames']} of 4 frames" in why
    assert f"person {low['person']}: real ({low['score']:.2f}) in {low['frames']} of 4 frames" in why
    assert why.index(f"person {high['person']}:") < why.index(f"person {low['person']}:")  # the worst first


def test_a_scan_saved_before_bands_still_renders(tmp_path):
    """tests/data/scan-before-bands.json was written by deepcheck before verdict bands (see tests/data/README.md)."""
    from deepcheck.reports.results import ScanReport
    from deepcheck.reports.view import build

    old = json.loads(OLD_SCAN.read_text(encoding="utf-8"))
    assert "review" not in old["summary"] and "review_threshold" not in old["model"]
    written = {_name(f): f["verdict"] for f in old["files"]}
    assert sorted(written.values()) == ["fake", "real"]
    doc = json.loads(run_cli("report", str(OLD_SCAN), "-f", "json").stdout)
    assert {_name(f): f["verdict"] for f in doc["files"]} == written  # verdicts read as they were written
    assert doc["summary"]["review"] == 0 and doc["summary"]["fake"] == 1
    rows = list(csv.DictReader(io.StringIO(run_cli("report", str(OLD_SCAN), "-f", "csv", "--sort", "risk").stdout)))
    assert [r["verdict"] for r in rows] == ["fake", "real"]
    html = run_cli("report", str(OLD_SCAN), "-f", "html").stdout
    assert 'id="flagged"' in html and 'id="review"' not in html and "Needs review" not in html
    view = build(ScanReport.from_dict(old))
    assert view.review_threshold is None
    threshold = old["model"]["threshold"]
    assert view.files[0].explanation.startswith(
        f"fake: score {view.files[0].result.score:.3f} ≥ threshold {threshold:.3f}"
    )
    junit = ET.fromstring(run_cli("report", str(OLD_SCAN), "-f", "junit", "--fail-on", "review").stdout)
    assert junit.get("failures") == "1"
    sarif = json.loads(run_cli("report", str(OLD_SCAN), "-f", "sarif").stdout)
    assert [r["level"] for r in sarif["runs"][0]["results"]] == ["error"]
    table = run_cli("report", str(OLD_SCAN))
    assert table.returncode == 0 and "1 fake, 0 to review, 1 real" in " ".join(table.stdout.split())
    pdf = tmp_path / "old.pdf"
    assert run_cli("report", str(OLD_SCAN), "-f", "pdf", "-o", str(pdf), "-q").returncode == 0
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_a_card_without_a_review_threshold_has_an_empty_band():
    """Cards written before bands: two verdicts, as measured; --review-threshold can still open a band."""
    from deepcheck.model.card import ModelCard
    from deepcheck.model.classifier import DEFAULT_MODEL, MODELS_DIR
    from deepcheck.model.scoring import bands_for

    data = json.loads((MODELS_DIR / f"{DEFAULT_MODEL}.json").read_text(encoding="utf-8"))
    data.pop("review_threshold")
    data.pop("review_threshold_rule")
    card = ModelCard.from_dict(data)
    bands = bands_for(card)
    assert bands.review == bands.fake == card.threshold and not bands.has_review
    assert {bands.verdict(s) for s in np.linspace(0, 1, 101)} == {"fake", "real"}
    opened = bands_for(card, review_threshold=card.threshold / 2)
    assert opened.verdict(card.threshold * 0.75) == "review" and opened.verdict(card.threshold) == "fake"
    lowered = bands_for(ModelCard.read(MODELS_DIR / f"{DEFAULT_MODEL}.json"), threshold=0.01)
    assert lowered.review == lowered.fake == 0.01  # a fake threshold under the review one empties the band
