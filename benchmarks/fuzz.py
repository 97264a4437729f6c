"""The long fuzz run: thousands of mutated files of every accepted format, in batches through `deepcheck scan`.

    PYTHONPATH=$PWD nice -n 5 python benchmarks/fuzz.py --inputs 5000            # ~1 h on 2 busy cores
    PYTHONPATH=$PWD python benchmarks/fuzz.py --inputs 500 --seed 7 --keep /tmp/crashers

Seeds are small valid files (a 96×96 face from skimage's astronaut) in every container and codec
deepcheck reads: JPEG, PNG, WebP, GIF, BMP, TIFF; MP4 with H.264 (PyAV) and with MPEG-4 part 2 (mp4v),
MJPG and XVID AVI, MKV, WebM (VP8/VP9 via PyAV) and MOV. Each input is a seed with 1-8 random byte
flips, inserts, overwrites (often in the header) or a truncation. Every batch is one real
`deepcheck scan FOLDER -f jsonl` process, and the run counts:

  * scan crashes: the scan process did not exit 0, 1 or 3, or a file has no record (must be 0);
  * worker crashes contained: records saying a worker crashed, was killed or hit a limit;
  * seconds per input (wall, including each batch's model loading).

Unlike the CI fuzz tests (tests/test_fuzz.py, fixed examples), every --seed draws new inputs.
With --keep, inputs that crashed a worker or the scan are copied there for a regression corpus.
Results go to benchmarks/results/fuzz.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONTAINED = ("analysis crashed", "the analysis worker", "analysis stopped")


def make_seeds(folder: Path) -> dict[str, bytes]:
    """name → bytes of one small valid file per format/container."""
    import cv2
    import numpy as np
    import skimage.data
    from PIL import Image

    face = cv2.resize(skimage.data.astronaut()[40:200, 150:310], (96, 96), interpolation=cv2.INTER_AREA)
    frames = []
    for i in range(6):
        canvas = np.full((96, 128, 3), 90, np.uint8)
        canvas[:, 4 * i : 4 * i + 96] = face
        frames.append(canvas)
    image = Image.fromarray(face)
    seeds: dict[str, bytes] = {}

    def pil(name: str, fmt: str, **kw) -> None:
        path = folder / name
        image.save(path, fmt, **kw)
        seeds[name] = path.read_bytes()

    pil("seed.jpg", "JPEG", quality=85)
    pil("seed.png", "PNG")
    pil("seed.webp", "WEBP")
    pil("seed.gif", "GIF", save_all=True, append_images=[image.rotate(90)])
    pil("seed.bmp", "BMP")
    pil("seed.tif", "TIFF", compression="tiff_lzw")
    for name, fourcc in (("seed_mp4v.mp4", "mp4v"), ("seed_mjpg.avi", "MJPG"), ("seed_xvid.avi", "XVID")):
        path = folder / name
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 15.0, (128, 96))
        for f in frames:
            writer.write(f[:, :, ::-1])
        writer.release()
        if path.exists() and path.stat().st_size:
            seeds[name] = path.read_bytes()
    import av

    for name, codec in (
        ("seed_h264.mp4", "libx264"),
        ("seed_h264.mkv", "libx264"),
        ("seed_h264.mov", "libx264"),
        ("seed_vp9.webm", "libvpx-vp9"),
        ("seed_vp8.webm", "libvpx"),
    ):
        path = folder / name
        try:
            with av.open(str(path), "w") as container:
                stream = container.add_stream(codec, rate=15)
                stream.width, stream.height, stream.pix_fmt = 128, 96, "yuv420p"
                for f in frames:
                    for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                        container.mux(packet)
                for packet in stream.encode():
                    container.mux(packet)
            seeds[name] = path.read_bytes()
        except Exception as exc:  # a codec this PyAV build lacks: fuzz the rest
            print(f"no {name}: {exc}", file=sys.stderr)
    return seeds


def mutate(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if not out:
            break
        kind = rng.choice(("flip", "flip", "insert", "overwrite", "header", "truncate"))
        at = rng.randrange(len(out))
        if kind == "flip":
            out[at] = rng.randrange(256)
        elif kind == "insert":
            out[at:at] = rng.randbytes(rng.randint(1, 64))
        elif kind == "overwrite":
            blob = rng.randbytes(rng.randint(1, 32))
            out[at : at + len(blob)] = blob
        elif kind == "header":
            blob = rng.randbytes(rng.randint(1, 16))
            at = rng.randrange(min(64, len(out)))
            out[at : at + len(blob)] = blob
        else:
            del out[at:]
    return bytes(out)


def run_batch(folder: Path, workers: int, frames: int, max_seconds: float) -> tuple[int, list[dict], str]:
    cmd = [sys.executable, "-m", "deepcheck", "scan", str(folder), "-f", "jsonl", "--no-journal", "-q"]
    cmd += ["--frames", str(frames), "--workers", str(workers), "--max-seconds", str(max_seconds)]
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
    records = []
    for line in proc.stdout.splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if doc.get("type") == "file" or "status" in doc:
            records.append(doc)
    return proc.returncode, records, proc.stderr[-2000:]


def summary(tried, args, batches, scan_crashes, contained, crash_kinds, statuses, per_format, t0) -> dict:
    elapsed = time.perf_counter() - t0
    return {
        "inputs": tried,
        "seed": args.seed,
        "batches": batches,
        "scan_crashes": scan_crashes,
        "worker_crashes_contained": contained,
        "contained_by_kind": dict(crash_kinds),
        "statuses": dict(statuses),
        "inputs_per_seed": dict(per_format),
        "seconds": round(elapsed, 1),
        "seconds_per_input": round(elapsed / max(1, tried), 4),
        "workers": args.workers,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--inputs", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--frames", type=int, default=4)
    ap.add_argument("--max-seconds", type=float, default=30.0)
    ap.add_argument("--keep", type=Path, help="copy inputs that crashed a worker or the scan here")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "fuzz.json")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    tried, scan_crashes, contained = 0, 0, 0
    statuses: Counter = Counter()
    per_format: Counter = Counter()
    crash_kinds: Counter = Counter()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="deepcheck-fuzz-") as tmp:
        seeds = make_seeds(Path(tmp))
        names = sorted(seeds)
        print(f"{len(seeds)} seeds: {', '.join(names)}", file=sys.stderr)
        batch_no = 0
        while tried < args.inputs:
            folder = Path(tmp) / f"batch{batch_no:04d}"
            folder.mkdir()
            written = []
            for i in range(min(args.batch, args.inputs - tried)):
                name = names[(tried + i) % len(names)]
                path = folder / f"{i:05d}_{name}"
                path.write_bytes(mutate(seeds[name], rng))
                written.append(path)
                per_format[name] += 1
            code, records, stderr = run_batch(folder, args.workers, args.frames, args.max_seconds)
            tried += len(written)
            if code not in (0, 1, 3) or len(records) != len(written):
                scan_crashes += 1
                print(f"SCAN CRASH in batch {batch_no}: exit {code}, {len(records)} records\n{stderr}", file=sys.stderr)
                if args.keep:
                    shutil.copytree(folder, args.keep / f"scan_crash_{args.seed}_{batch_no}", dirs_exist_ok=True)
            for r in records:
                statuses[r["status"]] += 1
                error = r.get("error") or ""
                if error.startswith(CONTAINED):
                    contained += 1
                    crash_kinds[error.split(";")[0]] += 1
                    if args.keep:
                        args.keep.mkdir(parents=True, exist_ok=True)
                        src = Path(r["path"])
                        shutil.copy(src, args.keep / f"{args.seed}_{batch_no}_{src.name}")
            shutil.rmtree(folder)
            batch_no += 1
            result = summary(tried, args, batch_no, scan_crashes, contained, crash_kinds, statuses, per_format, t0)
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(result, indent=2) + "\n")  # after every batch: a long run can be stopped
            print(
                f"batch {batch_no}: {tried} inputs, {scan_crashes} scan crashes, {contained} worker crashes "
                f"contained, {result['seconds_per_input']:.3f} s/input",
                file=sys.stderr,
            )
    print(json.dumps(result, indent=2))
    sys.exit(1 if scan_crashes else 0)


if __name__ == "__main__":
    main()
