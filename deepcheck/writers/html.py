"""The HTML report: one self-contained, offline file an investigator can hand on.

Everything is inline (CSS, a little JavaScript, images as ``data:`` URIs), a
strict Content-Security-Policy allows nothing else, and every string that
comes from the evidence or the scan document is HTML-escaped. The page reads
fully without JavaScript; the script only adds sorting and filtering.

This writer formats finished results. The one drawing it does (the per-frame
score timeline, from ``FileResult.frame_scores``) is presentation.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re
from datetime import datetime, timezone
from typing import Any

from deepcheck.results import STATUS_ERROR, STATUS_NO_FACE, STATUS_OK, STATUS_SKIPPED, FileResult, ScanReport

CATEGORIES = [
    ("fake", "flagged fake"),
    ("real", "not flagged"),
    (STATUS_NO_FACE, "no face found"),
    (STATUS_ERROR, "could not analyse"),
    (STATUS_SKIPPED, "skipped"),
]
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
@media print{#controls{display:none}.file{break-inside:avoid}}
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


def _fmt_score(score: float | None) -> str:
    return "—" if score is None else f"{score:.3f}"


def _fmt_time(epoch: float | None) -> str:
    if epoch is None:
        return "—"
    try:
        return datetime.fromtimestamp(float(epoch), timezone.utc).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError, TypeError):
        return e(epoch)


def category(f: FileResult) -> str:
    """One of CATEGORIES' keys: the verdict when there is one, else the status."""
    if f.status == STATUS_OK and f.verdict in ("fake", "real"):
        return f.verdict
    return f.status if f.status in (STATUS_NO_FACE, STATUS_ERROR, STATUS_SKIPPED) else STATUS_ERROR


def _badge(cat: str) -> str:
    label = dict(CATEGORIES).get(cat, cat)
    return f'<span class="badge b-{e(cat)}">{e(label)}</span>'


def _kv_table(rows: list[tuple[str, Any]], raw: set[str] = frozenset()) -> str:
    """Key/value rows; values are escaped unless their key is in ``raw`` (already-built HTML)."""
    body = "".join(
        f"<tr><th>{e(k)}</th><td>{v if k in raw else ('—' if v is None else e(v))}</td></tr>" for k, v in rows
    )
    return f'<table class="kv">{body}</table>'


def _flatten(data: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested dicts → ("a.b", value) rows; long lists are summarised."""
    if isinstance(data, dict):
        rows: list[tuple[str, Any]] = []
        for k, v in data.items():
            rows += _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return rows
    if isinstance(data, list) and len(data) > 8:
        return [(prefix, f"[{len(data)} values]")]
    return [(prefix, data)]


def _image_uri(uri: Any) -> str | None:
    """Only well-formed inline JPEG/PNG data URIs reach an <img src> (a saved scan can be edited)."""
    return uri if isinstance(uri, str) and _IMAGE_URI.fullmatch(uri) else None


def _summary(report: ScanReport) -> str:
    s = report.summary()
    m = report.model
    counts = [
        ("files", s["files"]),
        ("flagged fake", s["fake"]),
        ("not flagged", s["real"]),
        ("no face found", s[STATUS_NO_FACE]),
        ("could not analyse (error)", s[STATUS_ERROR]),
        ("skipped (not media)", s[STATUS_SKIPPED]),
    ]
    count_rows = "".join(f'<tr><th>{e(k)}</th><td class="num">{e(v)}</td></tr>' for k, v in counts)
    model_rows = [
        ("name", m.get("name")),
        ("architecture", m.get("architecture")),
        ("weights SHA-256", f'<span class="mono">{e(m.get("sha256"))}</span>'),
        ("verdict threshold", m.get("threshold")),
        ("model card threshold", m.get("card_threshold")),
        ("calibration temperature", m.get("temperature")),
    ]
    model_rows += [(f"metric: {k}", v) for k, v in _flatten(m.get("metrics") or {})]
    limitations = m.get("limitations") or []
    if limitations:
        items = "".join(f"<li>{e(x)}</li>" for x in limitations)
        model_rows.append(("limitations (model card)", f"<ul>{items}</ul>"))
    tool = report.tool
    run_rows = [
        ("tool", f"{tool.get('name', 'deepcheck')} {tool.get('version', '')}"),
        ("python", tool.get("python")),
        ("platform", tool.get("platform")),
        ("started (UTC)", report.started),
        ("finished (UTC)", report.finished),
    ]
    settings_rows = [(k, v) for k, v in _flatten(report.settings or {})]
    return (
        '<section id="summary"><h2>Summary</h2>'
        f'<table class="kv" id="counts">{count_rows}</table>'
        '<p class="note">Scores are the model\'s estimated probability that a face was manipulated. '
        f"A file is flagged fake when its score is at or above the threshold ({e(m.get('threshold'))}). "
        "A detector can be wrong in both directions; read each verdict with the model's metrics and "
        "limitations below, and confirm findings by other means.</p>"
        "<h3>Model</h3>"
        + _kv_table(model_rows, raw={"weights SHA-256", "limitations (model card)"})
        + "<h3>Run</h3>"
        + _kv_table(run_rows)
        + "<h3>Settings</h3>"
        + _kv_table(settings_rows)
        + "</section>"
    )


def _index(report: ScanReport) -> str:
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
    for i, f in enumerate(report.files):
        rows.append(
            f"<tr {_data_attrs(i, f)}>"
            f'<td class="num">{i + 1}</td><td class="mono"><a href="#file-{i}">{e(f.path)}</a></td>'
            f'<td>{e(f.media_type or "—")}</td><td class="num">{len(f.faces)}</td>'
            f'<td class="num">{_fmt_score(f.score)}</td><td>{_badge(category(f))}</td></tr>'
        )
    return (
        '<section id="files"><h2>Files</h2>'
        + controls
        + '<table id="file-index"><thead><tr><th>#</th><th>path</th><th>type</th><th>faces</th>'
        "<th>score</th><th>verdict / status</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></section>"
    )


def _data_attrs(i: int, f: FileResult, css_class: str = "") -> str:
    cat = category(f)
    rank = [k for k, _ in CATEGORIES].index(cat) if cat in dict(CATEGORIES) else len(CATEGORIES)
    score = "" if f.score is None else f"{f.score:.6f}"
    return (
        f'data-order="{i}" data-category="{e(cat)}" data-rank="{rank}" '
        f'data-score="{score}" data-name="{e(f.path)}" class="{css_class}cat-{e(cat)}"'
    )


def _faces(f: FileResult) -> str:
    if not f.faces:
        return ""
    figures = []
    for face in f.faces:
        uri = _image_uri(face.thumbnail)
        if uri:
            where = f"frame {face.frame_index}" + (f" · {face.time_s:.2f}s" if face.time_s is not None else "")
            figures.append(
                f'<figure><img src="{e(uri)}" alt="face crop, score {_fmt_score(face.score)}">'
                f"<figcaption>score <b>{_fmt_score(face.score)}</b><br>{e(where)} · person {e(face.person)}"
                "</figcaption></figure>"
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
        f'<td class="num">{e(face.person)}</td><td class="mono">{e([round(v) for v in face.box])}</td>'
        f'<td class="num">{face.detection_prob:.3f}</td><td class="num">{_fmt_score(face.score)}</td></tr>'
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
            f'<td class="num">{_fmt_score(p.score)}</td><td class="num">{_fmt_score(p.max_score)}</td></tr>'
            for p in f.persons
        )
        out += (
            "<table><thead><tr><th>person</th><th>frames</th><th>mean score</th><th>max score</th></tr></thead>"
            f"<tbody>{prow}</tbody></table>"
        )
    return out


def _heatmaps(f: FileResult) -> str:
    figures = []
    for face in sorted(f.faces, key=lambda x: -x.score):
        uri = _image_uri(face.heatmap)
        if uri:
            where = f"frame {face.frame_index}" + (f" · {face.time_s:.2f}s" if face.time_s is not None else "")
            figures.append(
                f'<figure><img src="{e(uri)}" alt="Grad-CAM overlay, score {_fmt_score(face.score)}">'
                f"<figcaption>score <b>{_fmt_score(face.score)}</b> · {e(where)}</figcaption></figure>"
            )
    if not figures:
        return ""
    return (
        "<h4>Explanation aid (Grad-CAM)</h4>"
        '<p class="aid"><strong>An explanation aid, not proof.</strong> Warm colours mark the regions whose '
        "features most raised this crop's “manipulated” score (Grad-CAM on the classifier's last convolutional "
        "layer), relative to the rest of the same crop. It shows where the model looked, not that a region was "
        "manipulated, and it can highlight regions for reasons unrelated to manipulation.</p>"
        '<div class="faces heat">' + "".join(figures) + "</div>"
    )


def _timeline(f: FileResult, threshold: Any) -> str:
    points = [p for p in f.frame_scores if isinstance(p, dict) and isinstance(p.get("score"), (int, float))]
    if f.media_type != "video" or not points:
        return ""
    svg = _timeline_svg(points, threshold if isinstance(threshold, (int, float)) else None)
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (
        '<h4>Score timeline</h4><div class="timeline">'
        f'<img src="{uri}" alt="per-frame score timeline with the threshold line"></div>'
        f"<p>Highest face score in each sampled frame that had a face ({len(points)} of "
        f"{e(f.frames_analyzed)} sampled frames); the dashed line is the threshold.</p>"
    )


def _timeline_svg(points: list[dict], threshold: float | None) -> str:
    """Per-frame scores as SVG (deterministic: fixed ids, no date), drawn without pyplot's global state."""
    import matplotlib
    from matplotlib.figure import Figure

    use_time = all(isinstance(p.get("time_s"), (int, float)) for p in points)
    xs = [p["time_s"] if use_time else p.get("frame_index", i) for i, p in enumerate(points)]
    ys = [float(p["score"]) for p in points]
    with matplotlib.rc_context({"svg.hashsalt": "deepcheck", "svg.fonttype": "path"}):
        fig = Figure(figsize=(7.5, 2.6), dpi=100)
        ax = fig.add_subplot()
        ax.plot(xs, ys, marker="o", markersize=3.5, linewidth=1.2, color="#1f4e79", label="frame score")
        if threshold is not None:
            ax.axhline(threshold, color="#c0392b", linestyle="--", linewidth=1.2, label=f"threshold {threshold:g}")
        ax.set_ylim(0, 1)
        ax.set_xlabel("time (s)" if use_time else "frame")
        ax.set_ylabel("score")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize=8, frameon=False)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def _file_section(i: int, f: FileResult, threshold: Any) -> str:
    details = [
        ("path", f'<span class="mono">{e(f.path)}</span>'),
        ("SHA-256", f'<span class="mono">{e(f.sha256 or "—")}</span>'),
        ("size (bytes)", e(f.size_bytes if f.size_bytes is not None else "—")),
        ("modified (UTC)", _fmt_time(f.mtime)),
        ("type", e(f.media_type or "—")),
        ("status", e(f.status)),
        ("verdict", _badge(category(f))),
        ("score", _fmt_score(f.score)),
    ]
    if f.error:
        details.append(("error / reason", f"<strong>{e(f.error)}</strong>"))
    if f.frames_analyzed is not None:
        details.append(("frames analysed", e(f.frames_analyzed)))
    details.append(("faces found", e(len(f.faces))))
    if f.seconds is not None:
        details.append(("analysis time (s)", e(f.seconds)))
    out = f'<article {_data_attrs(i, f, "file ")} id="file-{i}"><h3>{i + 1}. {e(f.path)}</h3>'
    out += _kv_table(details, raw={k for k, _ in details})
    if f.media:
        out += "<h4>Media</h4>" + _kv_table(_flatten(f.media))
    out += _faces(f) + _timeline(f, threshold) + _heatmaps(f)
    from deepcheck.writers.html_provenance import provenance_panel  # here: that module imports this one

    return out + provenance_panel(f) + "</article>"


def _provenance_summary(report: ScanReport) -> str:
    from deepcheck.writers.html_provenance import provenance_summary

    return provenance_summary(report)


def to_html(report: ScanReport) -> str:
    """The whole report as one HTML document (UTF-8 text)."""
    threshold = report.model.get("threshold")
    sections = "".join(_file_section(i, f, threshold) for i, f in enumerate(report.files))
    tool = report.tool
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{e(CSP)}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>deepcheck report · {e(report.started)}</title>"
        f"<style>{CSS}</style></head><body>"
        "<header><h1>deepcheck report</h1>"
        f"<p>{e(len(report.files))} files scanned by {e(tool.get('name', 'deepcheck'))} {e(tool.get('version'))} "
        f"with model {e(report.model.get('name'))}, from {e(report.started)} to {e(report.finished)} (UTC).</p>"
        "</header>"
        + _summary(report)
        + _provenance_summary(report)
        + _index(report)
        + '<section id="details"><h2>Per-file details</h2>'
        + sections
        + "</section>"
        "<footer>Self-contained report: no external resources are loaded. "
        "Sorting and filtering need JavaScript; everything else reads without it.</footer>"
        f"<script>{SCRIPT}</script></body></html>\n"
    )
