"""The HTML report: one self-contained, offline file an investigator can hand on.

Everything is inline (CSS, a little JavaScript, images as ``data:`` URIs), a
strict Content-Security-Policy allows nothing else, and every string that
comes from the evidence or the scan document is HTML-escaped. The page reads
fully without JavaScript; the script only adds sorting and filtering.

The page reads findings first: the verdict summary and the flagged files, then
the files that could not be analysed, then every file in detail, and the model,
run and settings in an appendix. It lays out a :class:`ReportView`
(deepcheck/report_view.py) and computes nothing; the one drawing it does (the
score timeline, from ``FileResult.frame_scores``) is presentation.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from deepcheck.report_view import CATEGORIES, CAVEAT, FileView, ReportView, build, category, plural, score_text
from deepcheck.results import ScanReport
from deepcheck.writers.timeline import points_of, timeline_svg

__all__ = ["CATEGORIES", "category", "to_html", "render_html", "FILE_PANELS"]
_IMAGE_URI = re.compile(r"data:image/(?:jpeg|png);base64,[A-Za-z0-9+/]+={0,2}")

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;padding:1em 1.5em;
color:#1b1b1b;background:#fff}
h1{font-size:1.6em;margin:.2em 0}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
h3{font-size:1.1em;margin:0 0 .5em;word-break:break-all}h4{margin:1em 0 .4em}
table{border-collapse:collapse;margin:.3em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;
vertical-align:top}th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.kv th{width:14em;font-weight:600}.mono,code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.92em;
word-break:break-all}
.file{border:1px solid #ccc;border-left:6px solid #999;border-radius:4px;padding:.8em 1em;margin:1em 0}
.cat-fake{border-left-color:#c0392b}.cat-real{border-left-color:#2e8b57}.cat-no_face{border-left-color:#d4a017}
.cat-error{border-left-color:#8e44ad}.cat-skipped{border-left-color:#aaa}
.badge{display:inline-block;padding:0 .5em;border-radius:3px;font-weight:600;font-size:.9em;color:#fff;background:#777}
.b-fake{background:#c0392b}.b-real{background:#2e8b57}.b-no_face{background:#b8860b}.b-error{background:#8e44ad}
.b-skipped{background:#888}
.faces{display:flex;flex-wrap:wrap;gap:.6em}.faces figure{margin:0;text-align:center;font-size:.85em}
.faces img{display:block;border:1px solid #bbb;width:112px;height:112px}
.heat img{width:224px;height:224px}.timeline img{max-width:100%;border:1px solid #ddd}
.note{background:#fff8e1;border:1px solid #f0d98c;padding:.5em .8em;border-radius:4px}
.aid{background:#eef4fb;border:1px solid #b6cde8;padding:.5em .8em;border-radius:4px}
#controls{margin:.6em 0;padding:.5em .8em;background:#f6f6f6;border-radius:4px}#controls label{margin-right:1em}
footer{margin-top:2em;color:#666;font-size:.85em}
header p{margin:.2em 0;color:#444}#findings h2{margin-top:.6em}
#counts{display:flex;flex-wrap:wrap;gap:.4em;list-style:none;padding:0;margin:.4em 0}
#counts li{border:1px solid #ccc;border-radius:4px;padding:.15em .6em;background:#fafafa}
#counts li b{font-size:1.15em;margin-right:.3em}#counts li.hit{border-color:#c0392b;background:#fdecea}
.finding{display:grid;grid-template-columns:112px 300px 1fr;gap:.8em;align-items:start;border:1px solid #e3b4ae;
border-left:6px solid #c0392b;border-radius:4px;padding:.6em .8em;margin:.6em 0}
.finding h3{margin:0 0 .2em}.finding p{margin:.2em 0}.finding .timeline img{max-width:460px;width:100%}
.finding figure{margin:0;font-size:.8em;text-align:center}.finding .face img{width:112px;height:112px}
.context img{display:block;max-width:300px;max-height:200px;width:auto;height:auto;border:1px solid #bbb}
.contexts{display:flex;flex-wrap:wrap;gap:.6em}.contexts figure{margin:0;font-size:.85em}
.contexts img{width:360px;max-width:100%;height:auto;border:1px solid #bbb}
.explain{font-weight:600}
@media print{#controls{display:none}.file,.finding{break-inside:avoid}}
""".strip()

SCRIPT = """
(function(){
  "use strict";
  var root=document.documentElement; root.setAttribute("data-js","on");
  var controls=document.getElementById("controls"); if(!controls){return;}
  controls.hidden=false;
  var rows=Array.prototype.slice.call(document.querySelectorAll("#file-index tbody tr"));
  var cards=Array.prototype.slice.call(document.querySelectorAll("#details article.file"));
  var boxes=Array.prototype.slice.call(controls.querySelectorAll("input[type=checkbox]"));
  var order=document.getElementById("sort");
  function key(el,how){
    if(how==="score"){var s=parseFloat(el.getAttribute("data-score"));return isNaN(s)?1:-s;}
    if(how==="name"){return el.getAttribute("data-name")||"";}
    if(how==="category"){return el.getAttribute("data-rank")||"";}
    return parseInt(el.getAttribute("data-order"),10);
  }
  function arrange(list){
    var how=order.value;
    var sorted=list.slice().sort(function(a,b){var x=key(a,how),y=key(b,how);
      if(x<y){return -1;} if(x>y){return 1;} return key(a,"")-key(b,"");});
    sorted.forEach(function(el){el.parentNode.appendChild(el);});
  }
  function apply(){
    var shown={}; boxes.forEach(function(b){shown[b.value]=b.checked;});
    rows.concat(cards).forEach(function(el){el.hidden=!shown[el.getAttribute("data-category")];});
    arrange(rows); arrange(cards);
  }
  boxes.forEach(function(b){b.addEventListener("change",apply);});
  order.addEventListener("change",apply);
})();
""".strip()


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


CSP = (
    "default-src 'none'; img-src data:; "
    f"style-src {_csp_hash(CSS)}; script-src {_csp_hash(SCRIPT)}; "
    "base-uri 'none'; form-action 'none'"
)


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
        f'<section id="files"><h2>All files</h2><p>Flagged first, then those not analysed, then the rest.{where}</p>'
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
    if f.seconds is not None:
        details.append(("analysis time (s)", e(f.seconds)))
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
        + _failed(view)
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
