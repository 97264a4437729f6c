"""Regenerate the README's screenshots: the HTML report's first screen and the PDF's first page.

    python docs/screenshots.py   # writes docs/report-first-screen.png and docs/report-pdf-page1.png

It builds a demonstration case from the README's example photo (the photo, a
blurred copy and a grey copy of it), runs it through the real CLI (`deepcheck
scan -f html` and `-f pdf`), screenshots the HTML at 1280×800 in headless
Chromium (Debian's `chromium`) and renders page 1 of the PDF with poppler's
`pdftoppm`. The PNGs are reduced and palette-compressed to stay small.

The three pictures are real photos that the model's own thresholds do not flag,
and a screenshot of "no file was flagged" shows none of the findings layout. So
a first scan measures their scores, and the report scans run with a
demonstration ``--threshold`` and ``--review-threshold`` placed between them,
so that one file shows in each band: fake, review, real. The reports print the
thresholds they used, and a band above each picture says they were moved, so no
one reads the flags as findings about the photos.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
FIRST_SCREEN = (1280, 800)
CHROMIUM = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--hide-scrollbars"]  # fmt: skip


def _deepcheck(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "deepcheck", *args], cwd=REPO, capture_output=True, text=True)
    if proc.returncode not in (0, 1, 3):  # 1 and 3 are verdicts, not failures
        sys.exit(f"deepcheck {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc.stdout


def _case(folder: Path) -> None:
    """The example photo and two edited copies, which the model scores apart (all real photos)."""
    import cv2

    photo = cv2.imread(str(REPO / "examples" / "astronaut.jpg"))
    folder.mkdir()
    shutil.copy(REPO / "examples" / "astronaut.jpg", folder / "astronaut.jpg")
    cv2.imwrite(str(folder / "astronaut-blurred.jpg"), cv2.GaussianBlur(photo, (0, 0), 2.0))
    grey = cv2.cvtColor(cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    cv2.imwrite(str(folder / "astronaut-grey.jpg"), grey)


def _demo_thresholds(folder: Path) -> tuple[str, str, str]:
    """Thresholds between the measured scores (highest: fake, middle: review, lowest: real), and the note."""
    doc = json.loads(_deepcheck("scan", str(folder), "-f", "json", "-q", "--no-journal"))
    if any(f["verdict"] != "real" for f in doc["files"]):
        sys.exit("the demonstration photos are no longer all 'real' at the card's thresholds: rewrite the note")
    high, middle, low = sorted((f["score"] for f in doc["files"]), reverse=True)
    fake, review = f"{(high + middle) / 2:.3f}", f"{(middle + low) / 2:.3f}"
    note = (
        f"Demonstration: one real photo and two edited copies, scanned with --threshold {fake} and "
        f"--review-threshold {review}, moved between their scores so that each band shows. At the model's own "
        f"thresholds ({doc['model']['threshold']} and {doc['model']['review_threshold']}) all three are real."
    )
    return fake, review, note


def _noted(im, text: str):
    """``im`` under a band that carries ``text``: the note is outside the report's own pixels, never on them."""
    import textwrap

    import matplotlib
    from PIL import Image, ImageDraw, ImageFont

    size = max(11, im.width // 60)
    font = ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans-Bold.ttf"), size)
    lines = textwrap.wrap(text, width=int(im.width / (size * 0.62)))
    band = len(lines) * round(size * 1.35) + size
    out = Image.new("RGB", (im.width, im.height + band), (255, 243, 205))
    draw = ImageDraw.Draw(out)
    for i, line in enumerate(lines):
        draw.text((size // 2, size // 2 + i * round(size * 1.35)), line, fill=(120, 70, 0), font=font)
    out.paste(im, (0, band))
    return out


def _save_small(src: Path, dest: Path, width: int, note: str) -> None:
    """Reduced to ``width`` px, noted, and quantised to 128 colours: a fraction of the size, still legible."""
    from PIL import Image

    with Image.open(src) as im:
        im = im.convert("RGB")
        im = im.resize((width, round(im.height * width / im.width)), Image.Resampling.LANCZOS)
        im = _noted(im, note)
        im.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(dest, optimize=True)
    print(f"wrote {dest.relative_to(REPO)} ({dest.stat().st_size // 1024} KiB)")


def main() -> None:
    for tool in ("chromium", "pdftoppm"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is needed (Debian: apt-get install chromium poppler-utils)")
    with tempfile.TemporaryDirectory(prefix="deepcheck-shots-") as tmp:
        tmp = Path(tmp)
        case = tmp / "case"
        _case(case)
        fake, review, note = _demo_thresholds(case)
        html, pdf = tmp / "report.html", tmp / "report.pdf"
        demo = ["--threshold", fake, "--review-threshold", review, "--sort", "risk", "-q", "--no-journal"]
        _deepcheck("scan", str(case), "-f", "html", "-o", str(html), *demo)
        _deepcheck("scan", str(case), "-f", "pdf", "-o", str(pdf), *demo)
        shot = tmp / "screen.png"
        subprocess.run(
            ["chromium", *CHROMIUM, f"--user-data-dir={tmp / 'profile'}", f"--window-size={FIRST_SCREEN[0]},"
             f"{FIRST_SCREEN[1]}", f"--screenshot={shot}", html.as_uri()],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
        _save_small(shot, DOCS / "report-first-screen.png", 960, note)
        subprocess.run(["pdftoppm", "-r", "80", "-f", "1", "-l", "1", "-png", str(pdf), str(tmp / "page")], check=True)
        _save_small(next(tmp.glob("page*.png")), DOCS / "report-pdf-page1.png", 560, note)


if __name__ == "__main__":
    main()
