"""Known material end to end: hashes in records, --hash-list matches, duplicate groups, exports, Telegram.

Real inputs only: H.264 clips made with PyAV from scikit-image pictures, re-encoded and resized copies,
JPEG copies, and a Telegram Desktop export in its documented layout. The model is never mocked: the
"flagged" clip is flagged by a hash-list finding.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np
import pytest

from deepcheck.known import annotate, load_hash_list
from deepcheck.known.matching import match_lists
from deepcheck.media.perceptual import pdq
from deepcheck.provenance.telegram import read_export
from deepcheck.reports.results import FileResult, ScanReport
from tests.conftest import run_cli
from tests.known_media import panning_clip, reencoded, sliding_face_clip, telegram_export


@pytest.fixture(scope="module")
def known_case(tmp_path_factory, astronaut):
    """A folder with a clip, two re-encoded/resized copies, an unrelated clip, photo copies, and a list."""
    import skimage.data

    root = tmp_path_factory.mktemp("known")
    folder = root / "evidence"
    folder.mkdir()
    sliding_face_clip(folder / "a_original.mp4", astronaut)
    reencoded(folder / "a_original.mp4", folder / "b_reencoded.mp4", crf=32)
    reencoded(folder / "a_original.mp4", folder / "c_resized.mp4", size=(320, 240), crf=28)
    panning_clip(folder / "d_unrelated.mp4", skimage.data.coffee())
    small = cv2.resize(astronaut, (300, 300), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(folder / "e_resized.jpg"), small[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 70])
    cv2.imwrite(str(folder / "f_exact.png"), skimage.data.chelsea()[:, :, ::-1])
    cv2.imwrite(str(folder / "g_other.jpg"), skimage.data.coffee()[:, :, ::-1])
    md5 = {name: hashlib.md5((folder / name).read_bytes()).hexdigest() for name in ("a_original.mp4", "f_exact.png")}
    listed = root / "hotline.csv"
    listed.write_text(
        "hash_type,hash,label,list,case\n"
        f"pdq,{pdq(astronaut)[0]},victim photo,StopNCII,NCII-7\n"  # of the original, which is not in the folder
        f"md5,{md5['f_exact.png']},known image,Hotline,H-1\n"
        f"md5,{md5['a_original.mp4']},known clip,Hotline,H-2\n",
        encoding="utf-8",
    )
    out = root / "scan.json"
    args = ["scan", str(folder), "-f", "json", "-o", str(out), "--hash-list", str(listed), "--no-journal", "-q"]
    done = run_cli(*args, "--fail-on", "hash-list-match")
    return {"root": root, "folder": folder, "out": out, "run": done, "doc": json.loads(out.read_text())}


def _by_name(doc: dict) -> dict[str, dict]:
    return {Path(f["path"]).name: f for f in doc["files"]}


def test_every_record_has_its_hashes(known_case):
    assert known_case["run"].returncode == 1, known_case["run"].stderr  # --fail-on hash-list-match
    files = _by_name(known_case["doc"])
    for name, f in files.items():
        data = (known_case["folder"] / name).read_bytes()
        assert f["hashes"]["md5"] == hashlib.md5(data).hexdigest()
        assert f["hashes"]["sha256"] == f["sha256"] == hashlib.sha256(data).hexdigest()
        if f["media_type"] == "image":
            assert len(f["hashes"]["pdq"]) == 64 and 0 <= f["hashes"]["pdq_quality"] <= 100
        else:
            frames = f["hashes"]["vpdq"]
            assert [float(x.split(",")[2]) for x in frames] == [0.0, 1.0, 2.0, 3.0]  # one a second, exact


def test_hash_list_matches_resized_jpeg_by_pdq_and_exact_copy_by_md5(known_case):
    files = _by_name(known_case["doc"])
    resized = files["e_resized.jpg"]
    assert resized["findings"][0] == "hash-list-match"
    (match,) = resized["hash_matches"]
    assert match["hash_type"] == "pdq" and match["list"] == "StopNCII" and match["case"] == "NCII-7"
    assert match["label"] == "victim photo" and 0 <= match["distance"] <= 31
    (exact,) = files["f_exact.png"]["hash_matches"]
    assert exact == {"list": "Hotline", "label": "known image", "case": "H-1", "hash_type": "md5", "distance": 0}
    assert files["g_other.jpg"]["hash_matches"] == [] and "hash-list-match" not in files["g_other.jpg"]["findings"]
    assert known_case["doc"]["findings_summary"]["hash-list-match"] == 3


def test_copies_of_a_flagged_clip_form_one_group_with_its_finding(known_case):
    doc = known_case["doc"]
    files = _by_name(doc)
    clips = {"a_original.mp4", "b_reencoded.mp4", "c_resized.mp4"}
    video_groups = [g for g in doc["groups"] if {Path(m).name for m in g["members"]} & clips]
    assert len(video_groups) == 1
    group = video_groups[0]
    assert {Path(m).name for m in group["members"]} == clips
    assert {w["hash_type"] for w in group["why"]} == {"vpdq"}
    assert [Path(x["path"]).name for x in group["flagged"]] == ["a_original.mp4"]
    assert files["d_unrelated.mp4"]["group"] is None
    assert {files[name]["group"] for name in clips} == {group["id"]}
    html = run_cli("report", str(known_case["out"]), "-f", "html")
    assert html.returncode == 0, html.stderr
    assert "on a hash list, and 2 more copies" in html.stdout
    assert html.stdout.index("hash-list-matches") < html.stdout.index("Copies: duplicate groups")
    pdf = run_cli("report", str(known_case["out"]), "-f", "pdf", "-o", str(known_case["root"] / "r.pdf"), "-q")
    assert pdf.returncode == 0 and (known_case["root"] / "r.pdf").read_bytes().startswith(b"%PDF")
    table = run_cli("report", str(known_case["out"]))
    assert "ON A HASH LIST" in table.stdout and "2 more copies" in table.stdout


def test_hash_export_reads_back_as_a_hash_list(known_case):
    root = known_case["root"]
    done = run_cli("report", str(known_case["out"]), "-f", "hashes", "-o", str(root / "hashes.csv"), "-q")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO((root / "hashes.csv").read_text(encoding="utf-8"))))
    assert list(rows[0])[:5] == ["hash_type", "hash", "label", "list", "case"]
    kinds = {(Path(r["path"]).name, r["hash_type"]) for r in rows}
    assert ("e_resized.jpg", "pdq") in kinds and ("a_original.mp4", "vpdq") in kinds
    assert ("a_original.mp4", "md5") in kinds and ("g_other.jpg", "sha256") in kinds
    assert next(r for r in rows if r["path"].endswith("f_exact.png"))["findings"].startswith("hash-list-match")
    done = run_cli("report", str(known_case["out"]), "-f", "hashes-json", "-o", str(root / "hashes.json"), "-q")
    assert done.returncode == 0, done.stderr
    report = ScanReport.from_dict(known_case["doc"])
    for exported in (root / "hashes.csv", root / "hashes.json"):
        listed = load_hash_list(exported)
        assert len(listed.entries) == len(rows)
        assert match_lists(report.files, [listed]) == len(report.files)  # every file matches its own export
        clip = next(f for f in report.files if f.path.endswith("c_resized.mp4"))
        kinds = {m["hash_type"]: m for m in clip.hash_matches}
        assert kinds["vpdq"]["match_percent"] == 100.0 and kinds["md5"]["distance"] == 0


def test_a_broken_list_stops_the_scan_before_analysis(known_case, tmp_path):
    bad = tmp_path / "broken.csv"
    bad.write_text("hash_type,hash\nmd5,0123\n", encoding="utf-8")
    done = run_cli("scan", str(known_case["folder"]), "--hash-list", str(bad), "--no-journal", "-q")
    assert done.returncode == 2
    assert f"{bad}, line 2" in done.stderr and "32 hex digits" in done.stderr
    assert done.stdout == ""


def test_a_scan_saved_before_hashes_still_renders(tmp_path):
    old = {
        "schema": "deepcheck.scan/1",
        "tool": {"name": "deepcheck", "version": "0.1.0"},
        "model": {"name": "deepcheck-lite0", "threshold": 0.9},
        "settings": {},
        "started": "2026-01-01T00:00:00Z",
        "finished": "2026-01-01T00:00:01Z",
        "files": [{"path": "a.jpg", "media_type": "image", "status": "ok", "score": 0.2, "verdict": "real"}],
    }
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    for fmt in ("html", "hashes", "json", "table"):
        done = run_cli("report", str(path), "-f", fmt)
        assert done.returncode == 0, (fmt, done.stderr)
    assert json.loads(run_cli("report", str(path), "-f", "json").stdout)["groups"] == []


def test_telegram_export_links_each_file_to_its_message(tmp_path, astronaut):
    import skimage.data

    import deepcheck

    export = tmp_path / "ChatExport_2025-02-01"
    telegram_export(export, astronaut, skimage.data.coffee())
    report = deepcheck.scan(export, workers=1, journal=False)
    files = {Path(f.path).name: f for f in report.files}
    photo = files["photo_1@01-02-2025_10-00-00.jpg"].telegram
    assert photo == {
        "chat": "Leaks 24/7",
        "chat_id": 1234567890,
        "message_id": 2,
        "date": "2025-02-01T10:00:00",
        "from": "Leaks 24/7",
        "from_id": "channel1234567890",
    }
    forwarded = files["photo_2@01-02-2025_10-05-00.jpg"].telegram
    assert forwarded["forwarded_from"] == "Another Channel" and forwarded["from"] == "Mallory"
    clip = files["clip_1.mp4"].telegram
    assert (clip["message_id"], clip["from_id"], clip["date"]) == (4, "user42", "2025-02-01T10:07:00")
    assert files["result.json"].telegram is None and len(report.files) == 4  # the missing photo has no record
    html = report.to_dict()
    assert html["files"][0]["telegram"] is not None or html["files"][1]["telegram"] is not None
    from deepcheck.reports.writers.html import to_html

    page = to_html(report)
    assert "Findings by chat and sender" in page and "Mallory" in page


def test_full_account_export_and_a_malformed_one(tmp_path, astronaut):
    export = tmp_path / "DataExport"
    chat = telegram_export(export, astronaut, astronaut, full_account=True)
    links = read_export(export / "result.json")
    assert len(links) == 4 and {v["chat"] for v in links.values()} == {chat["name"]}  # photo_9 is named, absent
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "result.json").write_text('{"name": "x", "messages": [', encoding="utf-8")
    (broken / "photo.jpg").write_bytes(b"")
    report = ScanReport(tool={}, model={}, settings={}, started="", files=[FileResult(path=str(broken / "photo.jpg"))])
    report.files.append(FileResult(path=str(broken / "result.json")))
    warnings = annotate(report, [broken / "photo.jpg", broken / "result.json"])
    assert len(warnings) == 1 and "not valid JSON" in warnings[0]
    assert all(f.telegram is None for f in report.files)


def test_groups_need_no_decoding_and_join_exact_and_near_stills(astronaut):
    """Grouping works from records alone: same SHA-256, PDQ within 31, and nothing for a flat picture."""
    base = astronaut
    near = cv2.convertScaleAbs(cv2.GaussianBlur(astronaut, (5, 5), 0), alpha=0.9, beta=12)
    flat = np.full((64, 64, 3), 7, np.uint8)

    def record(name: str, rgb: np.ndarray, sha: str) -> FileResult:
        value, quality = pdq(rgb)
        return FileResult(path=name, sha256=sha, hashes={"sha256": sha, "pdq": value, "pdq_quality": quality})

    files = [
        record("a", base, "1"),
        record("b", near, "2"),
        record("c", flat, "3"),
        record("d", flat, "4"),
        FileResult(path="e", sha256="1"),
    ]
    report = ScanReport(tool={}, model={}, settings={}, started="", files=files)
    annotate(report, [Path(f.path) for f in files])
    assert [g["members"] for g in report.groups] == [["a", "b", "e"]]
    assert {w["hash_type"] for w in report.groups[0]["why"]} == {"pdq", "sha256"}
    assert [f.group for f in files] == ["g1", "g1", None, None, "g1"]  # flat pictures (quality < 50) never group


def _bands_and_matches() -> ScanReport:
    """A saved scan with all three bands, an error, a hash-list match on a `real` file and a c2pa-invalid finding."""
    match = {"list": "Hotline", "label": "known image", "case": "H-1", "hash_type": "md5", "distance": 0}
    invalid = {"code": "c2pa-invalid", "severity": "high", "sentence": "Content Credentials do not validate."}
    chat = {"chat": "Leaks 24/7", "chat_id": 1, "message_id": 2, "date": "2025-02-01T10:00:00", "from": "Mallory"}
    files = [
        FileResult(path="case/real.jpg", media_type="image", score=0.10, verdict="real", sha256="1" * 64),
        FileResult(
            path="case/review.jpg", media_type="image", score=0.80, verdict="review", sha256="2" * 64, telegram=chat
        ),
        FileResult(path="case/broken.jpg", status="error", error="truncated", sha256="3" * 64),
        FileResult(
            path="case/fake.jpg",
            media_type="image",
            score=0.99,
            verdict="fake",
            sha256="4" * 64,
            provenance={"findings": [invalid]},
            telegram=chat,
        ),  # fmt: skip
        FileResult(
            path="case/listed.jpg",
            media_type="image",
            score=0.05,
            verdict="real",
            sha256="5" * 64,
            hash_matches=[match],
        ),  # fmt: skip
    ]
    model = {"name": "deepcheck-lite0", "threshold": 0.95, "review_threshold": 0.7}
    return ScanReport(tool={"version": "0"}, model=model, settings={}, started="2026-01-01T00:00:00Z", files=files)


def test_hash_list_matches_come_before_the_bands_in_every_report():
    """Issue 21 beside issue 20: on a hash list first, then flagged fake, then needs review, in every writer."""
    import jsonschema
    from rich.console import Console

    from deepcheck.cli.common import EXIT_CLEAN, EXIT_FLAGGED, exit_code
    from deepcheck.reports.triage import ordered
    from deepcheck.reports.view import build
    from deepcheck.reports.writers import render
    from deepcheck.reports.writers.sarif import _FINDING_RULES, RULES
    from deepcheck.reports.writers.table import render_table
    from tests.conftest import REPO

    report = _bands_and_matches()
    names = [Path(f.path).stem for f in ordered(report.files, "risk")]
    assert names == ["listed", "fake", "review", "broken", "real"]
    view = build(report)
    assert [Path(v.result.path).stem for v in view.files] == names and [v.risk for v in view.files] == [0, 1, 2, 3, 4]
    assert [v.category for v in view.matched] == ["real"] and view.matched[0].findings[0][0] == "hash-list-match"
    (chat,) = view.chats
    assert (chat.sender, len(chat.files), chat.flagged, chat.review) == ("Mallory", 2, 1, 1)

    html = render(report, "html")
    first = (html.index('id="hash-list-matches"'), html.index('id="flagged"'), html.index('id="review"'))
    assert list(first) == sorted(first) and "<th>needs review</th>" in html[html.index('id="chats"') :]
    assert render(report, "pdf").startswith(b"%PDF")
    console = Console(record=True, width=160)
    render_table(report, console, sort="risk", top=2)
    text = console.export_text()
    assert text.index("ON A HASH LIST: listed.jpg") < text.index("listed.jpg ")
    assert "fake.jpg" in text and "review.jpg" not in text  # --top 2: the match and the fake

    sarif = json.loads(render(report, "sarif"))
    schema = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(sarif)
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len({r["id"] for r in rules}) == len(rules) == len(RULES)
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])
    assert {code: rule for code, (rule, _) in _FINDING_RULES.items()} == {
        "declared-ai-generated": "deepcheck/declared-ai-generated",
        "c2pa-invalid": "deepcheck/c2pa-invalid",
    }
    by_file: dict[str, list] = {}
    for r in run["results"]:
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        by_file.setdefault(Path(uri).stem, []).append((r["ruleId"], r["level"]))
    assert by_file == {
        "listed": [("deepcheck/hash-list-match", "error")],
        "fake": [("deepcheck/manipulated-face", "error"), ("deepcheck/c2pa-invalid", "error")],
        "review": [("deepcheck/needs-review", "warning")],
        "broken": [("deepcheck/analysis-error", "warning")],
    }

    for fail_on, failures in ((("fake",), "2"), (("fake", "review"), "3"), (("hash-list-match",), "2")):
        root = ET.fromstring(render(report, "junit", fail_on=fail_on))
        assert root.get("failures") == failures, fail_on
        cases = {Path(c.get("name")).stem: c for c in root.iter("testcase")}
        assert [x.get("type") for x in cases["listed"].findall("failure")] == ["hash-list-match"]
        assert sum(1 for c in cases.values() if c.find("failure") is not None) == int(failures)

    assert exit_code(report, {"hash-list-match"}) == EXIT_FLAGGED
    assert exit_code(report, {"c2pa-invalid"}) == EXIT_FLAGGED
    assert exit_code(report, {"review"}) == EXIT_FLAGGED
    report.files = [f for f in report.files if f.verdict == "real"]  # the listed file and a plain real one
    assert exit_code(report, {"fake", "review"}) == EXIT_CLEAN
    assert exit_code(report, {"hash-list-match"}) == EXIT_FLAGGED
    report.files = [f for f in report.files if not f.hash_matches]
    assert exit_code(report, {"fake", "review", "hash-list-match", "c2pa-invalid"}) == EXIT_CLEAN


def test_fail_on_accepts_review_hash_list_match_and_provenance_codes(tmp_path):
    from deepcheck.cli.common import parse_fail_on

    assert parse_fail_on("fake, review,hash-list-match,c2pa-invalid") == {
        "fake",
        "review",
        "hash-list-match",
        "c2pa-invalid",
    }
    wrong = run_cli("scan", str(tmp_path), "--fail-on", "hash-list")
    assert wrong.returncode == 2 and "choose from fake, review, hash-list-match, " in wrong.stderr
