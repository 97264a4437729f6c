"""Issue 12, part 2: decoding at the floor, long clips, memory (``speed.py --videos-only``)."""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

from timing import scan_process


def decode_floor(paths: list[Path], frames: int) -> float:
    """Seconds per clip to read the stream once and keep the sampled frames: nothing can be faster."""
    from deepcheck.media.sampling import read_samples
    from deepcheck.media.video import VideoReader

    per = []
    for p in paths:
        t = time.perf_counter()
        with VideoReader(p) as reader:
            info = reader.info("mp4")
            read_samples(reader, frames, info.frame_count, info.fps)
        per.append(time.perf_counter() - t)
    return statistics.median(per)


def video_speeds(args) -> None:
    """Issue 12, part 2: decoding at the floor, long clips, memory. Cold `deepcheck scan` processes throughout.

    - decode only (in this process): seconds per clip to sample 32 frames, per sampling mode;
    - the margin of a clip in a folder scan: (scan of N clips − scan of 1 clip) / (N − 1), per mode;
    - the 1- and 10-minute 1080p clips: wall and the largest process's peak RSS.
    """
    from workload import make_workload

    from deepcheck.media.sampling import read_samples
    from deepcheck.media.video import VideoReader

    real = sorted(args.videos.glob("*.mp4")) if args.videos.is_dir() else []
    work = make_workload(args.cache, args.clips, 0, args.long_minutes)
    sets = {"made 1080p": work["1080p"]}
    if real:
        sets = {"real DFDC sample clips": real, **sets}
    else:
        print(f"no sample videos at {args.videos}: made clips only", file=sys.stderr)
    res: dict = {"frames": args.frames, "repeats": args.repeats, "decode_seconds_per_clip": {}, "margin": {}}
    for name, paths in sets.items():
        res["decode_seconds_per_clip"][name] = {}
        for mode in ("every", "reference"):
            runs = []
            for _ in range(args.repeats):
                t = time.perf_counter()
                for p in paths:
                    with VideoReader(p) as reader:
                        info = reader.info("mp4")
                        read_samples(reader, args.frames, info.frame_count, info.fps, sampling=mode)
                runs.append((time.perf_counter() - t) / len(paths))
            res["decode_seconds_per_clip"][name][mode] = round(statistics.median(runs), 3)
            print(f"decode {name} {mode}: {statistics.median(runs):.3f} s/clip", file=sys.stderr)
        res["margin"][name] = {}
        common = ["-q", "-f", "json", "-o", os.devnull, "--no-journal", "--exit-zero", "--frames", str(args.frames)]
        for mode in ("every", "auto"):
            one, many, peaks = [], [], []
            for _ in range(args.repeats):
                w1, _ = scan_process([str(paths[0]), *common, "--sampling", mode])
                wn, peak = scan_process([*map(str, paths), *common, "--sampling", mode])
                one.append(w1)
                many.append(wn)
                peaks.append(peak)
            margin = (statistics.median(many) - statistics.median(one)) / (len(paths) - 1)
            res["margin"][name][mode] = {
                "seconds_per_clip": round(margin, 3),
                "scan_1_clip_s": round(statistics.median(one), 2),
                f"scan_{len(paths)}_clips_s": round(statistics.median(many), 2),
                "peak_rss_mb_largest_process": round(max(peaks)),
            }
            print(f"margin {name} {mode}: {res['margin'][name][mode]}", file=sys.stderr)
    res["long"] = {}
    for p in work["long"]:
        with VideoReader(p) as reader:
            info = reader.info("mp4")
        wall, peak = scan_process([str(p), "-q", "-f", "json", "-o", os.devnull, "--no-journal", "--exit-zero"])
        res["long"][p.name] = {
            "duration_s": info.duration_s,
            "size_mb": round(p.stat().st_size / 1e6, 1),
            "scan_wall_s": round(wall, 2),
            "peak_rss_mb_largest_process": round(peak),
        }
        print(f"{p.name}: {res['long'][p.name]}", file=sys.stderr)
    out = args.out.with_name("videos.json") if args.out.name == "speed.json" else args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))
