"""The HTML report: one self-contained, offline file an investigator can hand on.

Everything is inline (CSS, a little JavaScript, images as ``data:`` URIs), a
strict Content-Security-Policy allows nothing else, and every string that
comes from the evidence or the scan document is HTML-escaped. The page reads
fully without JavaScript; the script only adds sorting and filtering.

The page reads findings first: the verdict summary and the flagged files, then
the files that could not be analysed, then the remaining files, then the
provenance counts (right after the findings when a file declares something),
the sortable index and every file in detail, and the model, run and settings in
an appendix. It lays out a :class:`ReportView`
(deepcheck/report_view.py) and computes nothing; the one drawing it does (the
score timeline, from ``FileResult.frame_scores``) is presentation.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from deepcheck.report_view import CATEGORIES, CAVEAT, FileView, ReportView, build, category, plural, score_text
from deepcheck.results import ScanReport
from deepcheck.writers.html_assets import CSP, CSS, SCRIPT
from deepcheck.writers.timeline import points_of, timeline_svg

__all__ = ["CATEGORIES", "category", "to_html", "render_html", "FILE_PANELS"]
_IMAGE_URI = re.compile(r"data:image/(?:jpeg|png);base64,[A-Za-z0-9+/]+={0,2}")


def e(value: Any) -> str:
    """Escape anything for HTML text or a quoted attribute; odd bytes in names become visible escapes."""
    text = "" if value is None else str(value)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return html.escape(text, quote=True)


def _fmt_time(epoch: float | None) -> str:
    if epoch is None:
        return "—"
    try:
        return datetime.fromtimestamp(float(epoch), timezone.utc).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError, TypeError):
        return e(epoch)


def _badge(cat: str) -> str:
    label = dict(CATEGORIES).get(cat, cat)
    return f'<span class="badge b-{e(cat)}">{e(label)}</span>'


def _kv_table(rows: list[tuple[str, Any]], raw: set[str] = frozenset()) -> str:
    """Key/value rows; values are escaped unless their key is in ``raw`` (already-built HTML)."""
    body = "".join(
        f"<tr><th>{e(k)}</th><td>{v if k in raw else ('—' if v is None else e(v))}</td></tr>" for k, v in rows
    )
    return f'<table class="kv">{body}</table>'


def _image_uri(uri: Any) -> str | None:
    """Only well-formed inline JPEG/PNG data URIs reach an <img src> (a saved scan can be edited)."""
    return uri if isinstance(uri, str) and _IMAGE_URI.fullmatch(uri) else None


def _where(frame_index: Any, time_s: Any) -> str:
    return f"frame {frame_index}" + (f" · {time_s:.2f}s" if isinstance(time_s, (int, float)) else "")


# -- findings: what the reader sees first ------------------------------------------------------------------------


def _counts(view: ReportView) -> str:
    items = [f"<li><b>{e(len(view.files))}</b>{'file' if len(view.files) == 1 else 'files'}</li>"]
    items += [
        f'<li class="{"hit" if k == "fake" and n else ""}"><b>{e(n)}</b>{e(label)}</li>'
        for k, label, n in view.counts
        if n or k == "fake"
    ]
    return f'<ul id="counts">{"".join(items)}</ul>'


def _finding(v: FileView, timelines: dict[int, str]) -> str:
    """A flagged file at a glance: strongest face, context, score, frames over the threshold, timeline."""
    cells = []
    face = v.strongest
    thumb = _image_uri(face.thumbnail) if face else None
    if thumb:
        cells.append(
            f'<figure class="face"><img src="{e(thumb)}" alt="strongest face crop, score {score_text(face.score)}">'
            f"<figcaption>strongest face<br>{e(_where(face.frame_index, face.time_s))}</figcaption></figure>"
        )
    context = next((c for c in v.context_frames if _image_uri(c.get("image"))), None)
    if context:
        cells.append(
            f'<figure class="context"><img src="{e(context["image"])}" alt="context frame with every face boxed">'
            f"<figcaption>{e(_where(context.get('frame_index'), context.get('time_s')))}: every face boxed, "
            "labelled P&lt;person&gt; score</figcaption></figure>"
        )
    over = v.over_text
    text = (
        f'<div><h3><a href="#file-{v.index}">{e(v.shown_path)}</a></h3>'
        f'<p>{_badge(v.category)} score <b>{e(v.score)}</b></p><p class="explain">{e(v.explanation)}</p>'
        + (f"<p>{e(over)}</p>" if over else "")
        + timelines.get(v.index, "")
        + "</div>"
    )
    while len(cells) < 2:
        cells.append("<div></div>")
    return f'<article class="finding" data-category="fake">{"".join(cells)}{text}</article>'


def _findings(view: ReportView, timelines: dict[int, str]) -> str:
    flagged = view.flagged
    threshold = "—" if view.threshold is None else f"{view.threshold:.3f}"
    out = (
        '<section id="findings"><h2>Findings</h2>'
        + _counts(view)
        + f'<p class="note">A file is flagged fake when its score reaches the threshold ({e(threshold)}). '
        + e(CAVEAT)
        + " The model and its measured limits are in the appendix.</p>"
    )
    if flagged:
        out += f"<h3>Flagged fake ({len(flagged)})</h3>" + "".join(_finding(v, timelines) for v in flagged)
    else:
        out += "<p><strong>No file was flagged fake.</strong> Not flagged does not mean verified genuine.</p>"
    return out + "</section>"


def _failed(view: ReportView) -> str:
    failed = view.failed
    if not failed:
        return ""
    rows = "".join(
        f'<tr><td class="mono"><a href="#file-{v.index}">{e(v.shown_path)}</a></td><td>{e(v.message)}</td></tr>'
        for v in failed
    )
    return (
        f'<section id="failed"><h2>Could not be analysed ({len(failed)})</h2>'
        "<p>These files have no verdict: nothing is known about them from this scan.</p>"
        f"<table><thead><tr><th>path</th><th>reason</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _remaining(view: ReportView) -> str:
    """The files neither flagged nor failed, one line each: what the scan says about the rest of the case."""
    rest = view.remaining
    if not rest:
        return ""
    rows = "".join(
        f'<tr><td class="mono"><a href="#file-{v.index}">{e(v.shown_path)}</a></td><td>{_badge(v.category)}</td>'
        f'<td class="num">{e(v.score)}</td><td class="explain">{e(v.explanation)}</td></tr>'
        for v in rest
    )
    return (
        f'<section id="remaining"><h2>Remaining files ({len(rest)})</h2>'
        "<p>Not flagged, or without a verdict (no face, skipped). Not flagged does not mean verified genuine.</p>"
        "<table><thead><tr><th>path</th><th>verdict / status</th><th>score</th><th>why</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


# -- every file ------------------------------------------------------------------------------------------------------


def _index(view: ReportView) -> str:
    boxes = "".join(
        f'<label><input type="checkbox" value="{e(k)}" checked> {e(label)}</label>' for k, label in CATEGORIES
    )
    controls = (
        '<div id="controls" hidden><strong>Show:</strong> '
        + boxes
        + '<label>Sort by <select id="sort"><option value="">scan order</option>'
        '<option value="score">score (highest first)</option><option value="name">path</option>'
        '<option value="category">verdict / status</option></select></label></div>'
    )
    rows = []
    for v in view.files:
        f = v.result
        rows.append(
            f"<tr {_data_attrs(v)}>"
            f'<td class="num">{v.index + 1}</td><td class="mono"><a href="#file-{v.index}">{e(v.shown_path)}</a></td>'
            f'<td>{e(f.media_type or "—")}</td><td class="num">{len(f.faces)}</td>'
            f'<td class="num">{e(v.score)}</td><td>{_badge(v.category)}</td></tr>'
        )
    where = f' Paths are relative to <span class="mono">{e(view.root)}</span>.' if view.root else ""
    return (
        f'<section id="files"><h2>Index of all files</h2><p>Flagged first, then those not analysed, then the rest; '
        f"each links to its details.{where}</p>"
        + controls
        + '<table id="file-index"><thead><tr><th>#</th><th>path</th><th>type</th><th>faces</th>'
        "<th>score</th><th>verdict / status</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></section>"
    )


def _data_attrs(v: FileView, css_class: str = "") -> str:
    f = v.result
    rank = [k for k, _ in CATEGORIES].index(v.category) if v.category in dict(CATEGORIES) else len(CATEGORIES)
    score = "" if f.score is None else f"{f.score:.6f}"
    return (
        f'data-order="{v.index}" data-category="{e(v.category)}" data-rank="{rank}" '
        f'data-score="{score}" data-name="{e(f.path)}" class="{css_class}cat-{e(v.category)}"'
    )


def _details_panel(v: FileView, timelines: dict[int, str]) -> str:
    f = v.result
    details = [
        ("path", f'<span class="mono">{e(f.path)}</span>'),
        ("SHA-256", f'<span class="mono">{e(f.sha256 or "—")}</span>'),
        ("size (bytes)", e(f.size_bytes if f.size_bytes is not None else "—")),
        ("modified (UTC)", _fmt_time(f.mtime)),
        ("type", e(f.media_type or "—")),
        ("status", e(f.status)),
        ("verdict", _badge(v.category)),
        ("score", e(v.score)),
        ("why", f'<span class="explain">{e(v.explanation)}</span>'),
    ]
    if f.error:
        details.append(("error / reason", f"<strong>{e(f.error)}</strong>"))
    if f.frames_analyzed is not None:
        details.append(("frames analysed", e(f.frames_analyzed)))
    over = v.over_text
    if over:
        details.append(("over the threshold", e(over)))
    details.append(("faces found", e(len(f.faces))))
    if v.seconds is not None:
        details.append(("analysis time (s)", e(v.seconds)))
    out = _kv_table(details, raw={k for k, _ in details})
    if f.media:
        from deepcheck.report_view import flatten

        out += "<h4>Media</h4>" + _kv_table(flatten(f.media))
    return out


def _contexts_panel(v: FileView, timelines: dict[int, str]) -> str:
    figures = []
    for c in v.context_frames:
        uri = _image_uri(c.get("image"))
        if uri:
            persons = ", ".join(str(p) for p in c.get("persons") or [])
            figures.append(
                f'<figure><img src="{e(uri)}" alt="context frame with every face boxed">'
                f"<figcaption>{e(_where(c.get('frame_index'), c.get('time_s')))} · highest score of person "
                f"{e(persons)}</figcaption></figure>"
            )
    if not figures:
        return ""
    return (
        "<h4>Where the faces are</h4><p>The source frame at reduced size; every detected face is boxed and "
        "labelled P&lt;person&gt; and its score (red: at or over the threshold).</p>"
        '<div class="contexts">' + "".join(figures) + "</div>"
    )


def _faces_panel(v: FileView, timelines: dict[int, str]) -> str:
    f = v.result
    if not f.faces:
        return ""
    figures = []
    for face in f.faces:
        uri = _image_uri(face.thumbnail)
        if uri:
            figures.append(
                f'<figure><img src="{e(uri)}" alt="face crop, score {score_text(face.score)}">'
                f"<figcaption>score <b>{score_text(face.score)}</b><br>{e(_where(face.frame_index, face.time_s))}"
                f" · person {e(face.person)}</figcaption></figure>"
            )
    out = "<h4>Faces</h4>"
    if figures:
        out += '<div class="faces">' + "".join(figures) + "</div>"
    else:
        out += (
            '<p class="note">Face images are not in this scan\'s data (it was saved without <code>--explain</code>'
            "). The faces and their scores are listed below; run <code>deepcheck scan --format html</code> on "
            "the evidence to see them.</p>"
        )
    rows = "".join(
        f'<tr><td class="num">{e(face.frame_index)}</td>'
        f'<td class="num">{"—" if face.time_s is None else f"{face.time_s:.2f}"}</td>'
        f'<td class="num">{e(face.person)}</td><td class="mono">{e([round(x) for x in face.box])}</td>'
        f'<td class="num">{face.detection_prob:.3f}</td><td class="num">{score_text(face.score)}</td></tr>'
        for face in f.faces
    )
    out += (
        "<details><summary>Face table</summary><table><thead><tr><th>frame</th><th>time (s)</th><th>person</th>"
        "<th>box [x1, y1, x2, y2]</th><th>detection prob.</th><th>score</th></tr></thead><tbody>"
        + rows
        + "</tbody></table></details>"
    )
    if f.persons:
        prow = "".join(
            f'<tr><td class="num">{e(p.person)}</td><td class="num">{e(p.frames)}</td>'
            f'<td class="num">{score_text(p.score)}</td><td class="num">{score_text(p.max_score)}</td></tr>'
            for p in f.persons
        )
        out += (
            "<table><thead><tr><th>person</th><th>frames</th><th>mean score</th><th>max score</th></tr></thead>"
            f"<tbody>{prow}</tbody></table>"
        )
    return out


def _timeline_panel(v: FileView, timelines: dict[int, str]) -> str:
    img = timelines.get(v.index)
    if not img:
        return ""
    return (
        f"<h4>Score timeline</h4>{img}<p>Highest face score in each sampled frame that had a face "
        f"({len(points_of(v.result.frame_scores))} of {e(v.result.frames_analyzed)} sampled frames); the dashed "
        "line is the threshold.</p>"
    )


GRADCAM_CAVEAT = (
    "An explanation aid, not proof. Warm colours mark the regions whose features most raised this crop's "
    "“manipulated” score (Grad-CAM on the classifier's last convolutional layer), relative to the rest of the same "
    "crop. It shows where the model looked, not that a region was manipulated, and it can highlight regions for "
    "reasons unrelated to manipulation."
)


def _heatmaps_panel(v: FileView, timelines: dict[int, str]) -> str:
    figures = []
    for face in sorted(v.result.faces, key=lambda x: -x.score):
        uri = _image_uri(face.heatmap)
        if uri:
            figures.append(
                f'<figure><img src="{e(uri)}" alt="Grad-CAM overlay, score {score_text(face.score)}">'
                f"<figcaption>score <b>{score_text(face.score)}</b> · "
                f"{e(_where(face.frame_index, face.time_s))}</figcaption></figure>"
            )
    if not figures:
        return ""
    caveat = GRADCAM_CAVEAT.replace("An explanation aid, not proof.", "<strong>An explanation aid, not proof.</strong>")
    return (
        f'<h4>Explanation aid (Grad-CAM)</h4><p class="aid">{caveat}</p>'
        '<div class="faces heat">' + "".join(figures) + "</div>"
    )


Panel = Callable[[FileView, dict], str]
# The per-file article is these panels in order; each is self-contained HTML, so one more can be slotted in.
FILE_PANELS: list[Panel] = [_details_panel, _contexts_panel, _faces_panel, _timeline_panel, _heatmaps_panel]


def _file_section(v: FileView, timelines: dict[int, str]) -> str:
    out = f'<article {_data_attrs(v, "file ")} id="file-{v.index}"><h3>{v.index + 1}. {e(v.shown_path)}</h3>'
    return out + "".join(panel(v, timelines) for panel in FILE_PANELS) + "</article>"


# -- appendix ------------------------------------------------------------------------------------------------------


def _appendix(view: ReportView) -> str:
    model_rows = [
        (k, f'<span class="mono">{e(v)}</span>' if k == "weights SHA-256" else e(v)) for k, v in view.model_rows
    ]
    out = (
        '<section id="appendix"><h2>Appendix: model, run and settings</h2>'
        "<p>Numbers are rounded for reading; the JSON report holds the full values.</p>"
        "<h3>Model</h3>" + _kv_table(model_rows, raw={k for k, _ in model_rows})
    )
    if view.limitations:
        out += "<h4>Limitations (model card)</h4><ul>" + "".join(f"<li>{e(x)}</li>" for x in view.limitations) + "</ul>"
    if view.metric_rows:
        out += "<h4>Measured metrics (model card)</h4>" + _kv_table(view.metric_rows)
    out += "<h3>Run</h3>" + _kv_table(view.run_rows)
    out += "<h3>Settings</h3>" + _kv_table(view.settings_rows)
    return out + "</section>"


def _provenance_panel(v: FileView, timelines: dict[int, str]) -> str:
    from deepcheck.writers.html_provenance import provenance_panel  # here: that module imports this one

    return provenance_panel(v.result)


def _provenance_summary(view: ReportView) -> str:
    from deepcheck.writers.html_provenance import provenance_summary

    return provenance_summary(view)


FILE_PANELS.append(_provenance_panel)


def _timelines(view: ReportView) -> dict[int, str]:
    """Each video's timeline <img>, drawn once and shown both in its finding and in its details."""
    out = {}
    for v in view.files:
        points = points_of(v.result.frame_scores)
        if v.result.media_type == "video" and points:
            svg = timeline_svg(points, view.threshold)
            uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
            out[v.index] = f'<div class="timeline"><img src="{uri}" alt="per-frame score timeline"></div>'
    return out


def render_html(view: ReportView) -> str:
    """The laid-out page for a built view."""
    report = view.report
    tool = report.tool
    timelines = _timelines(view)
    sections = "".join(_file_section(v, timelines) for v in view.files)
    where = f' Paths are relative to <span class="mono">{e(view.root)}</span>.' if view.root else ""
    provenance = _provenance_summary(view)
    early = view.notable_provenance  # a declared AI generator or a broken signature is a finding too
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{e(CSP)}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>deepcheck report · {e(report.started)}</title>"
        f"<style>{CSS}</style></head><body>"
        "<header><h1>deepcheck report</h1>"
        f"<p>{e(plural(len(report.files), 'file'))} scanned by "
        f"{e(tool.get('name', 'deepcheck'))} {e(tool.get('version'))} "
        f"with model {e(report.model.get('name'))}, from {e(report.started)} to {e(report.finished)} (UTC).{where}</p>"
        "</header>"
        + _findings(view, timelines)
        + (provenance if early else "")
        + _failed(view)
        + _remaining(view)
        + ("" if early else provenance)
        + _index(view)
        + '<section id="details"><h2>Per-file details</h2>'
        + sections
        + "</section>"
        + _appendix(view)
        + "<footer>Self-contained report: no external resources are loaded. "
        "Sorting and filtering need JavaScript; everything else reads without it.</footer>"
        f"<script>{SCRIPT}</script></body></html>\n"
    )


def to_html(report: ScanReport) -> str:
    """The whole report as one HTML document (UTF-8 text)."""
    return render_html(build(report))
