"""How fast is deepcheck on this CPU? Folder scans against a DFDC-winner-style reference, in one run.

    PYTHONPATH=$PWD python benchmarks/speed.py                 # full run, ~15 min on 2 cores
    PYTHONPATH=$PWD python benchmarks/speed.py --quick         # 2 clips, 20 photos, no long clip
    PYTHONPATH=$PWD python benchmarks/speed.py --photos-only   # cold photo scan + photos per second, ~1 min

Workload (benchmarks/workload.py, cached in --cache): 10 s 30 fps H.264 clips at 1080p and 720p with a
moving face, ~1 MP photos with one face, and 1- and 10-minute 1080p clips for memory.

    PYTHONPATH=$PWD python benchmarks/speed.py --workers-only   # in-process vs 1 and 2 worker processes
    PYTHONPATH=$PWD python benchmarks/speed.py --backbones CARD [CARD ...] --long-minutes 0 --photos 2
                                                                # other classifiers' cost in a folder scan

Measured (medians over --repeats, after model loading, since this machine is noisy):
  * the supervised worker processes against the in-process path, 1 and 2 workers (compare_workers);
  * a cold `deepcheck scan examples/astronaut.jpg -f json -o out.json` process: wall, peak RSS, and
    whether torch or facenet_pytorch were imported (they must not be on the scan path);
  * deepcheck: seconds per clip and photos per second in a folder scan (pipeline.run_scan, the code
    `deepcheck scan` runs), for the shipped settings and for each speed change turned off in turn;
  * the split between decode, detect, classify and write (a sequential, instrumented pass);
  * the decode floor: sequential grab of every frame, retrieve of the 32 sampled ones;
  * peak RSS of `deepcheck scan` (a child process) on the 1- and 10-minute clips;
  * the reference: MTCNN at full resolution on every sampled frame, then EfficientNet-B7 at 380 px on
    one face at a time (torchvision's B7 with random weights: a timing reference, not a detector).
Results go to benchmarks/results/speed.json and print as a table.

Its parts: timing.py (medians, folder scans, cold child processes), speed_compare.py (workers, backbones),
speed_reference.py (the reference pipeline), speed_video.py (decoding, long clips).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
from speed_compare import backbone_cost, compare_workers  # noqa: E402
from speed_reference import reference_speedup, reference_times  # noqa: E402
from speed_video import decode_floor, video_speeds  # noqa: E402
from timing import cli_peak_rss_mb, folder_scan, median_time  # noqa: E402


def stage_split(analyzer, paths: list[Path]) -> dict[str, float]:
    """Mean seconds per file in each stage, from one sequential pass with timers around each stage."""
    from deepcheck.faces import tracking
    from deepcheck.reports.writers import FORMATS

    spent = {"decode": 0.0, "detect": 0.0, "classify": 0.0, "write": 0.0}
    detect, predict = tracking.detect_tracked, analyzer.classifier.predict

    def timed(name, fn):
        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[name] += time.perf_counter() - t

        return wrapper

    import deepcheck.scanning.pipeline as pipeline

    pipeline.detect_tracked = timed("detect", detect)
    analyzer.classifier.predict = timed("classify", predict)
    try:
        from deepcheck.scanning.pipeline import new_report

        report = new_report(analyzer)
        for p in paths:
            t = time.perf_counter()
            prepared = analyzer.prepare(p)
            spent["decode"] += time.perf_counter() - t
            report.files.append(analyzer.finish(prepared))
        t = time.perf_counter()
        FORMATS["json"](report)
        spent["write"] += time.perf_counter() - t
    finally:
        pipeline.detect_tracked = detect
        analyzer.classifier.predict = predict
    return {k: round(v / len(paths), 4) for k, v in spent.items()}


def peak_rss_mb(path: Path, frames: int) -> tuple[float, float, list[str]]:
    """Peak RSS (MB) and wall seconds of `deepcheck scan FILE` as a child process."""
    return cli_peak_rss_mb([str(path), "-q", "-f", "json", "--no-journal", "--exit-zero", "--frames", str(frames)])


def cold_photo_scan(repeats: int) -> dict:
    """The issue-12 target: a whole `deepcheck scan examples/astronaut.jpg -f json -o out.json` process, cold."""
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(max(1, repeats)):
            args = [str(REPO / "examples" / "astronaut.jpg"), "-f", "json", "-o", str(Path(tmp) / "out.json")]
            runs.append(cli_peak_rss_mb([*args, "--no-journal"]))
    return {
        "wall_s": round(statistics.median(r[1] for r in runs), 2),
        "wall_runs": [round(r[1], 2) for r in runs],
        "peak_rss_mb": round(max(r[0] for r in runs)),
        "heavy_modules_loaded": sorted({m for r in runs for m in r[2]}),
    }


def photo_rates(work: dict, repeats: int, frames: int) -> dict:
    """Photos per second in a folder scan, shipped settings and the old pyramid (--min-face 20), models loaded."""
    from deepcheck.scanning.pipeline import Analyzer, ScanSettings

    rates = {}
    for name, settings in {
        "shipped (--min-face 40)": ScanSettings(frames=frames),
        "--min-face 20 (the pyramid before issue 12)": ScanSettings(frames=frames, min_face=20),
    }.items():
        analyzer = Analyzer.create(settings)
        folder_scan(analyzer, work["photos"][:2])
        med, _ = median_time(lambda a=analyzer: folder_scan(a, work["photos"]), repeats)
        rates[name] = round(len(work["photos"]) / med, 2)
        print(f"photos, {name}: {rates[name]} /s", file=sys.stderr)
    return rates


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "deepcheck-bench")
    ap.add_argument("--clips", type=int, default=5)
    ap.add_argument("--photos", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--frames", type=int, default=32)
    ap.add_argument("--long-minutes", type=float, default=10.0, help="0 skips the memory test")
    ap.add_argument("--reference-clips", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="2 clips, 20 photos, 1 repeat, no long clip")
    ap.add_argument("--workers-only", action="store_true", help="only the worker-model comparison (--out workers.json)")
    ap.add_argument("--photos-only", action="store_true", help="only the cold photo scan and photos per second")
    ap.add_argument(
        "--videos-only",
        action="store_true",
        help="only video decoding: sampling modes on the real sample clips and the made clips (--out videos.json)",
    )
    ap.add_argument(
        "--reference-only",
        action="store_true",
        help="only the speed-up against the DFDC-winner-style reference, same run, same made 1080p clips",
    )
    ap.add_argument(
        "--hashing-only",
        action="store_true",
        help="only what MD5, PDQ and vPDQ add to a folder scan of photos and of clips (--out hashing.json)",
    )
    ap.add_argument(
        "--backbones",
        type=Path,
        nargs="+",
        default=None,
        help="only the folder-scan cost of these model cards against the shipped one (--out backbones.json)",
    )
    ap.add_argument("--videos", type=Path, default=REPO.parent / "shared" / "data" / "sample-videos")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "speed.json")
    args = ap.parse_args()
    if args.videos_only:
        video_speeds(args)
        return
    if args.reference_only:
        reference_speedup(args)
        return
    if args.quick:
        args.clips, args.photos, args.repeats, args.long_minutes, args.reference_clips = 2, 20, 1, 0.0, 1

    from workload import make_workload

    cold = cold_photo_scan(args.repeats)  # first: nothing of this process is loaded or warm yet
    print(f"cold scan of examples/astronaut.jpg: {cold}", file=sys.stderr)
    t0 = time.perf_counter()
    if args.photos_only:
        work = make_workload(args.cache, 0, args.photos, 0.0)
        from deepcheck.model.runtime import tune_for_inference

        tune_for_inference()
        print(json.dumps({"cold_photo_scan": cold, "photos_per_second": photo_rates(work, args.repeats, 32)}))
        return
    work = make_workload(args.cache, args.clips, args.photos, args.long_minutes)
    print(f"workload ready in {time.perf_counter() - t0:.0f} s: {args.cache}", file=sys.stderr)

    from deepcheck.model.runtime import tune_for_inference

    tuned = tune_for_inference()
    import torch

    from deepcheck.scanning.pipeline import Analyzer, ScanSettings

    threads = torch.get_num_threads()
    shipped = Analyzer.create(ScanSettings(frames=args.frames))
    folder_scan(shipped, work["1080p"][:1] + work["photos"][:2])  # warm-up: first calls allocate and JIT

    if args.hashing_only:
        from hash_cost import hashing_cost, hashing_steps

        folders = {"10 s 1080p clip": work["1080p"], "photo": work["photos"]}
        res = {"scan": hashing_cost(shipped, folders, args.repeats), "steps": hashing_steps(folders)}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(res, indent=2))
        return
    if args.backbones:
        res = {"workload": {k: len(v) for k, v in work.items()}, "repeats": args.repeats, "frames": args.frames}
        res["models"] = backbone_cost(shipped, args.backbones, work, args.repeats, args.frames)
        out = args.out.with_name("backbones.json") if args.out.name == "speed.json" else args.out
        out.write_text(json.dumps(res, indent=2) + "\n")
        print(json.dumps(res["models"], indent=2))
        return
    if args.workers_only:
        res = {"workload": {k: len(v) for k, v in work.items()}, "repeats": args.repeats}
        res["workers"] = compare_workers(shipped, work, args.repeats)
        out = args.out.with_name("workers.json") if args.out.name == "speed.json" else args.out
        out.write_text(json.dumps(res, indent=2) + "\n")
        return

    results: dict = {
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "torch_threads": threads,
            "python": platform.python_version(),
            "torch": torch.__version__,
            "malloc_tuned": tuned,
        },
        "workload": {k: len(v) for k, v in work.items()},
        "settings": {"frames": args.frames, "repeats": args.repeats},
    }

    def per_clip(analyzer, paths, prefetch=False):
        med, runs = median_time(lambda: folder_scan(analyzer, paths, prefetch), args.repeats)
        return round(med / len(paths), 4), [round(r / len(paths), 4) for r in runs]

    variants = {
        "shipped (640 px, track every 4)": (shipped, False),
        "with --prefetch": (shipped, True),
    }
    every1 = Analyzer(
        ScanSettings(frames=args.frames, detect_every=1), shipped.classifier, shipped.detector
    )  # same loaded models, full search on every sampled frame
    variants["no tracking (full search, every frame)"] = (every1, False)
    slow = Analyzer.create(ScanSettings(frames=args.frames, detect_every=1, detect_size=960, runtime="torch"))
    variants["first version (960 px, every frame, PyTorch)"] = (slow, False)
    clips: dict = {}
    for res in ("1080p", "720p"):
        clips[res] = {}
        for name, (analyzer, prefetch) in variants.items():
            if res == "720p" and not name.startswith("shipped"):
                continue
            clips[res][name] = per_clip(analyzer, work[res], prefetch)
            print(f"{res} {name}: {clips[res][name][0]:.3f} s/clip", file=sys.stderr)
        clips[res]["decode floor"] = round(decode_floor(work[res], args.frames), 4)
    results["seconds_per_clip"] = clips

    results["cold_photo_scan"] = cold
    results["photos_per_second_by_setting"] = photo_rates(work, args.repeats, args.frames)
    results["photos_per_second"] = results["photos_per_second_by_setting"]["shipped (--min-face 40)"]
    results["stage_seconds_per_file"] = {
        "1080p clip": stage_split(shipped, work["1080p"]),
        "photo": stage_split(shipped, work["photos"]),
    }

    ref_times = reference_times(work["1080p"][: args.reference_clips], args.frames)
    results["reference_seconds_per_clip"] = round(statistics.median(ref_times), 3)
    results["reference_runs"] = [round(x, 3) for x in ref_times]
    ours = clips["1080p"]["shipped (640 px, track every 4)"][0]
    results["speedup_vs_reference"] = round(results["reference_seconds_per_clip"] / ours, 1)
    results["times_decode_floor"] = round(ours / clips["1080p"]["decode floor"], 2)

    results["workers"] = compare_workers(shipped, work, args.repeats)

    if work["long"]:
        results["peak_rss_mb"] = {}
        for p in work["long"]:
            rss, wall, _ = peak_rss_mb(p, args.frames)
            results["peak_rss_mb"][p.name] = {"peak_rss_mb": round(rss), "wall_s": round(wall, 1)}
            print(f"{p.name}: peak RSS {rss:.0f} MB, {wall:.1f} s", file=sys.stderr)
    results["self_rusage_maxrss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not args.quick:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)


def print_table(r: dict) -> None:
    print(f"\nmachine: {r['machine']}")
    print("\n| 10 s clip, 32 frames | seconds per clip (median) |\n|---|---|")
    for res, rows in r["seconds_per_clip"].items():
        for name, v in rows.items():
            print(f"| {res} {name} | {v[0] if isinstance(v, (list, tuple)) else v:.3f} |")
    print(f"| 1080p reference (MTCNN full-res + B7 @380, per face) | {r['reference_seconds_per_clip']:.3f} |")
    print(
        f"\nspeed-up vs reference: {r['speedup_vs_reference']}x; 1080p time / decode floor: {r['times_decode_floor']}x"
    )
    print(f"photos per second: {r['photos_per_second_by_setting']}")
    print(f"cold `deepcheck scan examples/astronaut.jpg -f json -o out.json`: {r['cold_photo_scan']}")
    print("\n| stage (s per file) | decode | detect | classify | write |\n|---|---|---|---|---|")
    for kind, s in r["stage_seconds_per_file"].items():
        print(f"| {kind} | {s['decode']:.3f} | {s['detect']:.3f} | {s['classify']:.3f} | {s['write']:.4f} |")
    for name, v in r.get("peak_rss_mb", {}).items():
        print(f"peak RSS {name}: {v['peak_rss_mb']} MB ({v['wall_s']} s)")


if __name__ == "__main__":
    main()
