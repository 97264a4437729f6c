"""The per-frame score timeline, drawn for the HTML (SVG) and PDF (PNG) reports.

Drawing is presentation: the points are ``FileResult.frame_scores`` as the
pipeline left them. Deterministic output (fixed SVG ids, no date) and no
pyplot global state, so reports are reproducible and thread-safe.
"""

from __future__ import annotations

import io


def points_of(frame_scores: list) -> list[dict]:
    """The well-formed points of a (possibly hand-edited) saved scan."""
    return [p for p in frame_scores if isinstance(p, dict) and isinstance(p.get("score"), (int, float))]


def _figure(points: list[dict], threshold: float | None, review: float | None = None):
    from matplotlib.figure import Figure

    use_time = all(isinstance(p.get("time_s"), (int, float)) for p in points)
    xs = [p["time_s"] if use_time else p.get("frame_index", i) for i, p in enumerate(points)]
    ys = [float(p["score"]) for p in points]
    fig = Figure(figsize=(7.5, 2.6), dpi=100)
    ax = fig.add_subplot()
    ax.plot(xs, ys, marker="o", markersize=3.5, linewidth=1.2, color="#1f4e79", label="frame score")
    if threshold is not None:
        label = "threshold" if review is None else "fake threshold"
        ax.axhline(threshold, color="#c0392b", linestyle="--", linewidth=1.2, label=f"{label} {threshold:.3g}")
    if review is not None:
        ax.axhline(review, color="#d35400", linestyle=":", linewidth=1.2, label=f"review threshold {review:.3g}")
    ax.set_ylim(0, 1)
    ax.set_xlabel("time (s)" if use_time else "frame")
    ax.set_ylabel("score")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def timeline_svg(points: list[dict], threshold: float | None, review: float | None = None) -> str:
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "deepcheck", "svg.fonttype": "path"}):
        buf = io.StringIO()
        _figure(points, threshold, review).savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def timeline_png(points: list[dict], threshold: float | None, review: float | None = None, dpi: int = 150) -> bytes:
    buf = io.BytesIO()
    _figure(points, threshold, review).savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()
