"""Shared test inputs, all made by the tests from package-shipped images.

The face is NASA's astronaut portrait (public domain) from scikit-image.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
# Ray 2.60 advertises the machine's interface address even for a local Ray; with this set before Ray is
# imported it keeps all traffic on 127.0.0.1, in this process and in the deepcheck processes tests start.
# tests/test_ray.py checks the address Ray reports.
RAY_LOOPBACK_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
os.environ[RAY_LOOPBACK_ENV] = "0"
ASTRONAUT_FACE_BOX = (181, 62, 268, 172)  # MTCNN's box on the 512×512 photo


@pytest.fixture(scope="session", autouse=True)
def private_journal(tmp_path_factory) -> Path:
    """CLI runs in tests journal into a temp folder, never into the user's ~/.cache."""
    folder = tmp_path_factory.mktemp("journal")
    old = os.environ.get("DEEPCHECK_JOURNAL")
    os.environ["DEEPCHECK_JOURNAL"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("DEEPCHECK_JOURNAL", None)
    else:
        os.environ["DEEPCHECK_JOURNAL"] = old


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    import skimage.data

    return skimage.data.astronaut()  # RGB uint8, 512×512


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory, astronaut) -> Path:
    """A folder of real test inputs, written once per session."""
    root = tmp_path_factory.mktemp("media")
    cv2.imwrite(str(root / "face.jpg"), astronaut[:, :, ::-1])
    sky = np.zeros((300, 400, 3), np.uint8)
    sky[:] = np.linspace(40, 220, 400, dtype=np.uint8)[None, :, None]
    cv2.imwrite(str(root / "noface.png"), sky)
    data = (root / "face.jpg").read_bytes()
    (root / "corrupt.jpg").write_bytes(data[:600])
    (root / "notes.jpg").write_text("this is a text file with a .jpg name\n")
    (root / "readme.txt").write_text("not media\n")
    write_face_video(root / "clip.mp4", astronaut, frames=45)
    return root


def write_face_video(path: Path, face: np.ndarray, frames: int = 45, size=(640, 480), fps: float = 15.0) -> Path:
    """An mp4v clip with the astronaut photo sliding across a grey background."""
    w, h = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    assert writer.isOpened()
    small = cv2.resize(face[:, :, ::-1], (320, 320), interpolation=cv2.INTER_AREA)
    for i in range(frames):
        canvas = np.full((h, w, 3), 90, np.uint8)
        x = int((w - 320) * i / max(1, frames - 1))
        canvas[80:400, x : x + 320] = small
        writer.write(canvas)
    writer.release()
    return path


def deepcheck_cmd() -> list[str]:
    """The installed console script when present, else `python cli.py` (same app)."""
    script = Path(sys.executable).parent / "deepcheck"
    if script.exists():
        return [str(script)]
    found = shutil.which("deepcheck")
    return [found] if found else [sys.executable, str(REPO / "cli.py")]


def run_cli(
    *args: str, stdin: str | None = None, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
    return subprocess.run(
        [*deepcheck_cmd(), *args], capture_output=True, text=True, input=stdin, cwd=cwd, env=env, timeout=600
    )


@pytest.fixture(scope="session")
def analyzer():
    """The real pipeline: shipped model + real MTCNN, loaded once."""
    from deepcheck.scanning.pipeline import Analyzer, ScanSettings

    return Analyzer.create(ScanSettings(frames=8))


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@contextmanager
def unprivileged():
    """Drop to 'nobody' when running as root, where permission bits do not apply; skip if impossible."""
    if os.geteuid() != 0:
        yield
        return
    try:
        os.setegid(65534)
        os.seteuid(65534)
    except OSError as exc:
        pytest.skip(f"running as root without the right to drop privileges ({exc}): permission bits do not apply")
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture()
def shared_dir():
    """A temp folder any user can enter (pytest's own are private to their owner)."""
    folder = Path(tempfile.mkdtemp(prefix="deepcheck-perm-"))
    folder.chmod(0o755)
    yield folder
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    shutil.rmtree(folder)


# -- one mixed case folder scanned twice, shared by the report tests (tests/test_reports.py, tests/test_exhibit.py):
# face photo, test-made video, no-face image, corrupt file, a face photo with a hostile name and hostile EXIF.
LOW_THRESHOLD = 0.02
# A file name cannot hold "/", so the name tries its script through an attribute;
# the EXIF Software tag (which can hold "/") carries the <script> element itself.
HOSTILE_NAME = "<img src=x onerror=\"document.title='PWNED'\">.jpg"
HOSTILE_EXIF = "<script>alert(1)</script><script>document.title='PWNED';document.body.dataset.pwned=1</script>"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def evidence(media_dir, tmp_path_factory) -> Path:
    from PIL import Image

    folder = tmp_path_factory.mktemp("reports") / "evidence"
    folder.mkdir()
    for name in ("face.jpg", "noface.png", "corrupt.jpg", "clip.mp4"):
        shutil.copy(media_dir / name, folder / name)
    with Image.open(media_dir / "face.jpg") as im:
        exif = Image.Exif()
        exif[0x0131] = HOSTILE_EXIF  # Software
        exif[0x0132] = "2024:01:02 03:04:05"  # DateTime
        im.save(folder / HOSTILE_NAME, exif=exif, quality=92)
    return folder


@pytest.fixture(scope="session")
def html_scan(evidence):
    """`scan --format html --manifest` straight from the evidence, with --verbose.

    The low threshold flags every file with a face, so the findings section has flagged files to show.
    """
    out = evidence.parent / "out"
    report, manifest = out / "report.html", out / "manifest.json"
    proc = run_cli(
        "scan", str(evidence), "--frames", "4", "-f", "html", "-o", str(report), "--manifest", str(manifest), "-v",
        "--threshold", str(LOW_THRESHOLD),
    )  # fmt: skip
    assert proc.returncode in (1, 3), proc.stderr  # the corrupt file alone makes it at least 3
    return proc, report, manifest


@pytest.fixture(scope="session")
def json_scan(evidence):
    """`scan --format json --explain --quiet`: the saved scan that `report` re-renders."""
    out = evidence.parent / "out-json"
    saved = out / "scan.json"
    proc = run_cli("scan", str(evidence), "--frames", "4", "-f", "json", "--explain", "-o", str(saved), "-q")
    assert proc.returncode in (1, 3), proc.stderr
    assert proc.stdout == ""  # --quiet with --output: nothing on stdout
    return saved, json.loads(saved.read_text(encoding="utf-8"))
