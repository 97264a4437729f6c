"""Provenance: Content Credentials, XMP, generator settings and container tags, read from test-made files.

Every input is made here: C2PA manifests are signed with certificate chains
made in the test (tests/c2pa_signing.py: a generator's, and a camera maker's
whose root is the one trusted anchor), PNG text, EXIF, XMP, GIF and WebP are
written with Pillow, the MP4 with PyAV. Checks go through read_provenance, the
real scan (real models) and the writers.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import xml.etree.ElementTree as ET

import cv2
import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from deepcheck.provenance import finding_codes, read_provenance
from tests.c2pa_signing import make_chain, sign
from tests.conftest import REPO, run_cli

XMP_AI = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
    'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Example Generator 2.0" '
    'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/'
    'compositeWithTrainedAlgorithmicMedia"/></rdf:RDF></x:xmpmeta>'
)
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&c;</x:xmpmeta>'
)
COMFY_PROMPT = {  # ComfyUI's API graph, as its SaveImage node writes it into the "prompt" text chunk
    "3": {"class_type": "KSampler", "inputs": {"seed": 42, "steps": 20, "model": ["4", 0]}},
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
    "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a photo of a cat", "clip": ["4", 1]}},
}
COMFY_WORKFLOW = {  # its UI graph ("workflow"): nodes with widget values
    "last_node_id": 2,
    "nodes": [
        {"id": 1, "type": "CLIPTextEncode", "widgets_values": ["a photo of a dog"]},
        {"id": 2, "type": "KSampler", "widgets_values": [7, "randomize", 20]},
    ],
}
PROMPT = "a portrait of an astronaut <script>alert(1)</script>, best quality, " + "very detailed " * 40
A1111 = f"{PROMPT}\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x512"


@pytest.fixture(scope="module")
def chain():
    """The generator's and editor's chain: never trusted."""
    return make_chain()


@pytest.fixture(scope="module")
def camera():
    """A camera maker's chain (a comma in its organisation, escaped in the names): trusted where a test says."""
    return make_chain("deepcheck test camera", "Camera Maker, Inc.")


def _encode(rgb: np.ndarray, ext: str) -> bytes:
    ok, buf = cv2.imencode(ext, rgb[:, :, ::-1])
    assert ok
    return buf.tobytes()


def _sky() -> np.ndarray:
    sky = np.zeros((120, 160, 3), np.uint8)
    sky[:] = np.linspace(40, 220, 160, dtype=np.uint8)[None, :, None]
    return sky


def _png_with_text(rgb: np.ndarray, **texts: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, text in texts.items():
        info.add_text(key, text, zip=key == "workflow")
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def _jpeg_with_xmp(rgb: np.ndarray, packet: str | bytes) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", xmp=packet.encode() if isinstance(packet, str) else packet)
    return buf.getvalue()


def _exif(**tags) -> bytes:
    """An EXIF block with Make, Model, Software (IFD0) and DateTimeOriginal (Exif IFD) as given."""
    exif = Image.Exif()
    for name, tag in (("make", 0x010F), ("model", 0x0110), ("software", 0x0131)):
        if name in tags:
            exif[tag] = tags[name]
    if "taken" in tags:
        exif.get_ifd(0x8769)[0x9003] = tags["taken"]
    return exif.tobytes()


def _save(rgb: np.ndarray, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, fmt, **options)
    return buf.getvalue()


def _png_graph(key: str, graph: dict, chunk: str) -> bytes:
    """A PNG with a ComfyUI graph in a compressed zTXt or iTXt chunk."""
    info = PngImagePlugin.PngInfo()
    if chunk == "zTXt":
        info.add_text(key, json.dumps(graph), zip=True)
    else:
        info.add_itxt(key, json.dumps(graph), zip=True)
    return _save(_sky(), "PNG", pnginfo=info)


def _tamper(data: bytes) -> bytes:
    """One byte of the image data changed, after signing (the entropy-coded scan, before EOI)."""
    changed = bytearray(data)
    changed[-40] ^= 0x01
    return bytes(changed)


@pytest.fixture(scope="module")
def files(tmp_path_factory, chain, camera, astronaut) -> dict:
    """Name -> path of every test input, written once."""
    root = tmp_path_factory.mktemp("provenance")
    made = {
        "ai.jpg": sign(chain, _encode(astronaut, ".jpg"), "image/jpeg", "trainedAlgorithmicMedia"),
        "capture.png": sign(camera, _encode(_sky(), ".png"), "image/png", "digitalCapture"),
        "c2pa-edited.jpg": sign(chain, _encode(_sky(), ".jpg"), "image/jpeg", "digitalCapture", then=("c2pa.edited",)),
        "photoshop.jpg": _save(_sky(), "JPEG", exif=_exif(software="Adobe Photoshop 25.0")),
        "a1111.png": _png_with_text(_sky(), parameters=A1111),
        "xmp.jpg": _jpeg_with_xmp(_sky(), XMP_AI),
        "bad-xmp.jpg": _jpeg_with_xmp(_sky(), "<x:xmpmeta><rdf:RDF><unclosed"),
        "laughs.jpg": _jpeg_with_xmp(_sky(), BILLION_LAUGHS),
        "plain.png": _encode(_sky(), ".png"),
        "face.jpg": _encode(astronaut, ".jpg"),
    }
    made["tampered.jpg"] = _tamper(made["ai.jpg"])
    broken = bytearray(made["ai.jpg"])
    broken[made["ai.jpg"].find(b"jumb") + 200] ^= 0xFF  # inside the manifest store's box structure
    made["broken-c2pa.jpg"] = bytes(broken)
    for name, data in made.items():
        (root / name).write_bytes(data)
    _write_mp4(root / "tagged.mp4")
    return {name: root / name for name in [*made, "tagged.mp4"]}


def _write_mp4(path) -> None:
    import av

    with av.open(str(path), "w") as out:
        out.metadata["comment"] = "made by the deepcheck provenance test"
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.metadata["handler_name"] = "DeepcheckTestHandler"
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 20 * i, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def _read(path, kind="image", container=None, trust=None) -> dict:
    container = container or {".jpg": "jpeg", ".png": "png", ".mp4": "mp4", ".gif": "gif", ".webp": "webp"}[path.suffix]
    with open(path, "rb") as fh:
        return read_provenance(fh, kind, container, trust=trust)


def _names(chain) -> tuple[str, str]:
    """The signer certificate's subject and issuer, as RFC 4514 strings (by the cryptography package)."""
    from cryptography import x509

    leaf = x509.load_pem_x509_certificates(chain.chain_pem)[0]
    return leaf.subject.rfc4514_string(), leaf.issuer.rfc4514_string()


def test_signed_ai_jpeg_declares_ai_and_untrusted_signer_is_not_verified(files, chain):
    prov = _read(files["ai.jpg"])
    assert finding_codes(prov) == ["declared-ai-generated"]
    c2pa = prov["c2pa"]
    assert c2pa["validation"] == "untrusted-signer" and c2pa["trust_list"] == "none"
    manifest = c2pa["manifests"][c2pa["active_manifest"]]
    assert manifest["claim_generator"].startswith("deepcheck-test-generator")
    assert manifest["signer"]["subject_common_name"] == "deepcheck test signer"
    assert manifest["signer"]["organization"] == "deepcheck tests"
    assert (manifest["signer"]["subject"], manifest["signer"]["issuer"]) == _names(chain)
    assert manifest["signer"]["issuer"] == "O=deepcheck tests,CN=deepcheck test root CA"
    assert manifest["signer"]["not_before"] < manifest["signer"]["not_after"]
    assert manifest["actions"][0]["action"] == "c2pa.created"
    assert manifest["actions"][0]["digital_source_type"].endswith("/trainedAlgorithmicMedia")
    assert "signer not verified" in prov["findings"][0]["sentence"]


def test_signed_capture_png_is_valid_capture_and_trusted_with_the_anchor(files, chain, camera):
    prov = _read(files["capture.png"])
    assert finding_codes(prov) == ["c2pa-valid-capture"]
    assert "not verified (not forged)" in prov["findings"][0]["sentence"]
    trusted = _read(files["capture.png"], trust=camera.ca_pem.decode())
    assert trusted["c2pa"]["validation"] == "valid" and trusted["c2pa"]["validation_state_sdk"] == "Trusted"
    assert "not verified" not in trusted["findings"][0]["sentence"]
    signer = trusted["c2pa"]["manifests"][trusted["c2pa"]["active_manifest"]]["signer"]
    assert (signer["subject"], signer["issuer"]) == _names(camera)
    assert signer["subject"] == r"O=Camera Maker\, Inc.,CN=deepcheck test camera"
    assert _read(files["capture.png"], trust=chain.ca_pem.decode())["c2pa"]["validation"] == "untrusted-signer"


def test_declared_edited_by_exif_software_and_by_a_signed_c2pa_edit(files):
    prov = _read(files["photoshop.jpg"])
    assert prov["exif"] == {"software": "Adobe Photoshop 25.0"}
    assert finding_codes(prov) == ["declared-edited"]
    assert (
        "EXIF Software names an editing application: 'Adobe Photoshop 25.0' (unsigned)"
        in prov["findings"][0]["sentence"]
    )
    signed = _read(files["c2pa-edited.jpg"])
    manifest = signed["c2pa"]["manifests"][signed["c2pa"]["active_manifest"]]
    assert [a["action"] for a in manifest["actions"]] == ["c2pa.created", "c2pa.edited"]
    assert signed["c2pa"]["validation"] == "untrusted-signer"
    assert finding_codes(signed) == ["declared-edited"]  # an edited capture is no longer a c2pa-valid-capture
    assert "C2PA action c2pa.edited (signed, signer not verified)" in signed["findings"][0]["sentence"]


def _at(doc, path: str):
    for part in path.split("."):
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


@pytest.mark.parametrize(
    "name, make, codes, fields, notes",
    [
        pytest.param(
            "comfy.png",
            lambda: _png_graph("prompt", COMFY_PROMPT, "zTXt"),
            ["declared-ai-generated"],
            {
                "text_chunks.0.chunk": "zTXt",
                "generators.0.tool": "ComfyUI",
                "generators.0.graph": "prompt",
                "generators.0.node_types": ["KSampler", "CheckpointLoaderSimple", "CLIPTextEncode"],
                "generators.0.prompt.text": "a photo of a cat",
                "generators.0.models": ["sd_xl_base_1.0.safetensors"],
            },
            [],
            id="comfyui-prompt-zTXt",
        ),
        pytest.param(
            "comfy.png",
            lambda: _png_graph("workflow", COMFY_WORKFLOW, "iTXt"),
            ["declared-ai-generated"],
            {
                "text_chunks.0.chunk": "iTXt",
                "generators.0.graph": "workflow",
                "generators.0.node_types": ["CLIPTextEncode", "KSampler"],
                "generators.0.prompt.text": "a photo of a dog",
            },
            [],
            id="comfyui-workflow-iTXt",
        ),
        pytest.param(
            "comment.gif",
            lambda: _save(_sky(), "GIF", comment=b"made with <b>a GIF tool</b>"),
            [],  # a comment is provenance metadata, but declares nothing
            {"comments": ["made with <b>a GIF tool</b>"]},
            [],
            id="gif-comment",
        ),
        pytest.param(
            "camera.webp",
            lambda: _save(_sky(), "WEBP", exif=_exif(make="Canon", model="EOS R5", taken="2024:05:01 10:11:12")),
            [],
            {"exif": {"make": "Canon", "model": "EOS R5", "datetime_original": "2024:05:01 10:11:12"}},
            [],  # all camera fields there: no note
            id="webp-exif",
        ),
        pytest.param(
            "camera.jpg",
            lambda: _save(_sky(), "JPEG", exif=_exif(make="Canon", model="EOS R5")),
            [],
            {"exif": {"make": "Canon", "model": "EOS R5"}},
            ["EXIF has no camera datetime_original (stripped, or not from a camera)"],
            id="jpeg-exif-without-capture-time",
        ),
        pytest.param(
            "software.webp",
            lambda: _save(_sky(), "WEBP", exif=_exif(software="darktable 4.6")),
            [],
            {"exif": {"software": "darktable 4.6"}},
            ["EXIF has no camera make, model, datetime_original (stripped, or not from a camera)"],
            id="webp-exif-without-camera-fields",
        ),
    ],
)
def test_format_readers(tmp_path, name, make, codes, fields, notes):
    path = tmp_path / name
    path.write_bytes(make())
    prov = _read(path)
    assert finding_codes(prov) == codes
    for where, value in fields.items():
        assert _at(prov, where) == value, where
    assert prov["notes"] == notes


def test_one_byte_changed_after_signing_is_c2pa_invalid(files):
    prov = _read(files["tampered.jpg"])
    assert "c2pa-invalid" in finding_codes(prov)
    assert prov["c2pa"]["validation"] == "invalid"
    assert any("mismatch" in code for code in prov["c2pa"]["failure_codes"])
    assert "declared-ai-generated" in finding_codes(prov)  # the declaration is still read


def test_malformed_c2pa_and_xmp_give_notes_not_crashes(files):
    broken = _read(files["broken-c2pa.jpg"])
    assert "c2pa-invalid" in finding_codes(broken)
    assert any("Content Credentials are present but could not be read" in n for n in broken["notes"])
    for name in ("bad-xmp.jpg", "laughs.jpg"):
        prov = _read(files[name])
        assert any("XMP could not be parsed" in n for n in prov["notes"]), prov["notes"]
        assert "error" in prov["xmp"]


def test_a1111_parameters_png(files):
    prov = _read(files["a1111.png"])
    assert finding_codes(prov) == ["declared-ai-generated"]
    gen = prov["generators"][0]
    assert gen["field"] == "parameters" and gen["prompt"]["text"] == PROMPT.strip()
    assert gen["negative_prompt"]["text"] == "blurry" and gen["settings"]["Sampler"] == "Euler a"


def test_xmp_digital_source_type_jpeg(files):
    prov = _read(files["xmp.jpg"])
    assert prov["xmp"]["creator_tool"] == "Example Generator 2.0"
    assert prov["xmp"]["digital_source_type"].endswith("/compositeWithTrainedAlgorithmicMedia")
    assert finding_codes(prov) == ["declared-ai-generated"]
    assert any("no EXIF" in n for n in prov["notes"])


def test_plain_png_has_no_provenance(files):
    assert finding_codes(_read(files["plain.png"])) == ["no-provenance"]


def test_mp4_container_tags(files):
    prov = _read(files["tagged.mp4"], kind="video")
    tags = prov["container"]["tags"]
    assert tags["encoder"].startswith("Lavf") and tags["comment"] == "made by the deepcheck provenance test"
    assert prov["container"]["streams"][0]["handler_name"] == "DeepcheckTestHandler"
    assert "no-provenance" not in finding_codes(prov)


def test_reading_never_changes_the_evidence(files):
    for path in files.values():
        before = (hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns)
        _read(path, kind="video" if path.suffix == ".mp4" else "image")
        assert (hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns) == before


def test_findings_never_change_the_face_score(analyzer, files):
    signed, plain = analyzer.analyze(files["ai.jpg"]), analyzer.analyze(files["face.jpg"])
    assert signed.status == plain.status == "ok"
    assert (signed.score, signed.verdict) == (plain.score, plain.verdict)
    assert finding_codes(signed.provenance) == ["declared-ai-generated"]


SCANNED = (
    "ai.jpg",
    "tampered.jpg",
    "a1111.png",
    "plain.png",
    "xmp.jpg",
    "capture.png",
    "tagged.mp4",
    "broken-c2pa.jpg",
)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory, files, camera):
    """One real `deepcheck scan` of a folder of provenance inputs, the camera maker's root trusted, saved as JSON."""
    folder = tmp_path_factory.mktemp("case")
    for name in SCANNED:
        (folder / name).write_bytes(files[name].read_bytes())
    anchors = tmp_path_factory.mktemp("trust") / "anchors.pem"
    anchors.write_bytes(camera.ca_pem)
    out = folder.parent / "case.json"
    proc = run_cli(
        "scan",
        str(folder),
        "-f",
        "json",
        "-o",
        str(out),
        "-q",
        "--fail-on",
        "fake,declared-ai-generated",
        "--c2pa-trust",
        str(anchors),
    )
    return proc, json.loads(out.read_text(encoding="utf-8")), out, folder


def test_scan_reports_findings_beside_the_verdict(scanned):
    proc, doc, _, _ = scanned
    by_name = {f["path"].rsplit("/", 1)[-1]: f for f in doc["files"]}
    assert by_name["a1111.png"]["status"] == "no_face"  # no face, still reported by its finding
    assert finding_codes(by_name["a1111.png"]["provenance"]) == ["declared-ai-generated"]
    assert "c2pa-invalid" in finding_codes(by_name["tampered.jpg"]["provenance"])
    assert sorted(by_name) == sorted(SCANNED)
    for record in doc["files"]:  # the flat list of codes beside the provenance object it is derived from
        assert record["findings"] == finding_codes(record["provenance"]), record["path"]
    assert by_name["xmp.jpg"]["findings"] == ["declared-ai-generated"]
    assert by_name["xmp.jpg"]["provenance"]["xmp"]["creator_tool"] == "Example Generator 2.0"
    capture = by_name["capture.png"]
    assert capture["findings"] == ["c2pa-valid-capture"]  # signed by the camera maker, whose root is trusted
    c2pa = capture["provenance"]["c2pa"]
    assert c2pa["validation"] == "valid" and c2pa["trust_list"] == "given (--c2pa-trust)"
    assert c2pa["manifests"][c2pa["active_manifest"]]["signer"]["subject_common_name"] == "deepcheck test camera"
    assert by_name["ai.jpg"]["provenance"]["c2pa"]["validation"] == "untrusted-signer"  # another root
    video = by_name["tagged.mp4"]
    assert video["media_type"] == "video" and video["findings"] == []
    assert video["provenance"]["container"]["tags"]["comment"] == "made by the deepcheck provenance test"
    assert video["provenance"]["container"]["streams"][0]["handler_name"] == "DeepcheckTestHandler"
    assert by_name["broken-c2pa.jpg"]["findings"] == ["c2pa-invalid"]
    assert doc["findings_summary"] == {
        "declared-ai-generated": 4,
        "c2pa-invalid": 2,
        "c2pa-valid-capture": 1,
        "no-provenance": 1,
    }


def test_fail_on_chooses_what_sets_exit_1(scanned):
    from deepcheck.cli.common import exit_code
    from deepcheck.reports.results import ScanReport

    proc, doc, _, _ = scanned
    assert proc.returncode == 1, proc.stderr  # the scan ran with --fail-on fake,declared-ai-generated
    report = ScanReport.from_dict(doc)
    fake = any(f.verdict == "fake" for f in report.files)
    assert exit_code(report, {"fake"}) == (1 if fake else 0)
    assert exit_code(report, {"c2pa-invalid"}) == 1
    assert exit_code(report, {"c2pa-valid-capture"}) == 1
    assert exit_code(report, {"declared-edited"}) == 0  # no such finding in this folder, and no error
    bad = run_cli("scan", "README.md", "-q", "--fail-on", "fake,forged")
    assert bad.returncode == 2 and "unknown --fail-on forged" in bad.stderr


def test_html_panel_sarif_junit_csv(scanned, tmp_path):
    _, _, saved, _ = scanned
    html = run_cli("report", str(saved), "-f", "html", "-q").stdout
    assert 'id="provenance-summary"' in html and "Content Credentials (C2PA)" in html
    assert "c2pa.created" in html and "trainedAlgorithmicMedia" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<details><summary>full prompt" in html  # the long prompt: preview, then the whole in a details block
    assert "not verified (not forged)" in html  # ai.jpg: its signer's root is not the trusted one
    assert "valid, signer on the trust list given with --c2pa-trust" in html  # capture.png
    assert "deepcheck test camera" in html and "made by the deepcheck provenance test" in html

    sarif = json.loads(run_cli("report", str(saved), "-f", "sarif", "-q").stdout)
    import jsonschema

    schema = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(sarif)
    rules = {
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].rsplit("/", 1)[-1])
        for r in sarif["runs"][0]["results"]
    }
    assert {
        ("deepcheck/declared-ai-generated", "a1111.png"),
        ("deepcheck/declared-ai-generated", "xmp.jpg"),
        ("deepcheck/c2pa-invalid", "tampered.jpg"),
        ("deepcheck/c2pa-invalid", "broken-c2pa.jpg"),
    } <= rules
    assert not {uri for _, uri in rules} & {"capture.png", "plain.png", "tagged.mp4"}

    junit = ET.fromstring(run_cli("report", str(saved), "-f", "junit", "-q").stdout)
    props = {
        c.get("name").rsplit("/", 1)[-1]: c.find("properties/property").get("value") for c in junit.iter("testcase")
    }
    assert props["a1111.png"] == "declared-ai-generated" and props["plain.png"] == "no-provenance"

    rows = list(csv.DictReader(io.StringIO(run_cli("report", str(saved), "-f", "csv", "-q").stdout)))
    assert {r["path"].rsplit("/", 1)[-1]: r["findings"] for r in rows}[
        "tampered.jpg"
    ] == "declared-ai-generated;c2pa-invalid"

    lines = [json.loads(line) for line in run_cli("report", str(saved), "-f", "jsonl", "-q").stdout.splitlines()]
    records = {x["path"].rsplit("/", 1)[-1]: x for x in lines if x["type"] == "file"}
    assert records["tampered.jpg"]["findings"] == ["declared-ai-generated", "c2pa-invalid"]
    assert records["capture.png"]["findings"] == ["c2pa-valid-capture"]
    assert records["plain.png"]["findings"] == ["no-provenance"] and records["tagged.mp4"]["findings"] == []


def test_inspect_prints_the_tree_without_models(files, camera, tmp_path):
    proc = run_cli("inspect", str(files["ai.jpg"]), env={"COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    assert "declared-ai-generated" in proc.stdout and "deepcheck test signer" in proc.stdout
    anchors = tmp_path / "anchors.pem"
    anchors.write_bytes(camera.ca_pem)
    doc = json.loads(run_cli("inspect", str(files["capture.png"]), "-f", "json", "--c2pa-trust", str(anchors)).stdout)
    assert doc["provenance"]["c2pa"]["validation"] == "valid"
    assert doc["sha256"] == hashlib.sha256(files["capture.png"].read_bytes()).hexdigest()
    assert run_cli("inspect", str(REPO / "README.md")).returncode == 3


def test_truncated_files_are_not_c2pa_invalid_unless_signed(files, tmp_path):
    """The C2PA reader fails on any damaged JPEG: only a file that carries a manifest is c2pa-invalid."""
    plain = tmp_path / "plain-cut.jpg"
    plain.write_bytes(files["face.jpg"].read_bytes()[:600])
    prov = _read(plain)
    assert "c2pa-invalid" not in finding_codes(prov) and "c2pa" not in prov
    assert any("could not be checked" in n for n in prov["notes"])
    data = files["ai.jpg"].read_bytes()
    signed = tmp_path / "signed-cut.jpg"
    signed.write_bytes(data[: data.find(b"jumb") + 100])
    assert "c2pa-invalid" in finding_codes(_read(signed))
