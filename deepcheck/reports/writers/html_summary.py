"""The HTML report's scan-wide sections: findings, unanalysed and remaining files, the index, the appendix.

These say what the scan found across the whole case, in the order the page
reads; each file's own article is in deepcheck/reports/writers/html_file.py, and the
page that strings the sections together is deepcheck/reports/writers/html.py.
"""

from __future__ import annotations

from deepcheck.reports.view import CATEGORIES, CAVEAT, FileView, ReportView, band_rule, rest_note, score_text
from deepcheck.reports.writers.html_known import matched_block
from deepcheck.reports.writers.html_markup import badge, data_attrs, e, frame_at, image_uri, kv_table

# -- findings: what the reader sees first ------------------------------------------------------------------------


_HIT = {"fake": "hit", "review": "hit-review"}  # counts that are findings, drawn in their band's colour


def _counts(view: ReportView) -> str:
    items = [f"<li><b>{e(len(view.files))}</b>{'file' if len(view.files) == 1 else 'files'}</li>"]
    items += [
        f'<li class="{_HIT.get(k, "") if n else ""}" data-count="{e(k)}"><b>{e(n)}</b>{e(label)}</li>'
        for k, label, n in view.counts
        if n or k == "fake" or (k == "review" and view.review_threshold is not None)
    ]
    return f'<ul id="counts">{"".join(items)}</ul>'


def _finding(v: FileView, timelines: dict[int, str]) -> str:
    """A flagged or review file at a glance: strongest face, context, score, frames over the thresholds, timeline."""
    cells = []
    face = v.strongest
    thumb = image_uri(face.thumbnail) if face else None
    if thumb:
        cells.append(
            f'<figure class="face"><img src="{e(thumb)}" alt="strongest face crop, score {score_text(face.score)}">'
            f"<figcaption>strongest face<br>{e(frame_at(face.frame_index, face.time_s))}</figcaption></figure>"
        )
    context = next((c for c in v.context_frames if image_uri(c.get("image"))), None)
    if context:
        cells.append(
            f'<figure class="context"><img src="{e(context["image"])}" alt="context frame with every face boxed">'
            f"<figcaption>{e(frame_at(context.get('frame_index'), context.get('time_s')))}: every face boxed, "
            "labelled P&lt;person&gt; score</figcaption></figure>"
        )
    over = v.over_text
    text = (
        f'<div><h3><a href="#file-{v.index}">{e(v.shown_path)}</a></h3>'
        f'<p>{badge(v.category)} score <b>{e(v.score)}</b></p><p class="explain">{e(v.explanation)}</p>'
        + (f"<p>{e(over)}</p>" if over else "")
        + timelines.get(v.index, "")
        + "</div>"
    )
    while len(cells) < 2:
        cells.append("<div></div>")
    css = "finding" if v.category == "fake" else f"finding {e(v.category)}"
    return f'<article class="{css}" data-category="{e(v.category)}">{"".join(cells)}{text}</article>'


def findings_section(view: ReportView, timelines: dict[int, str]) -> str:
    """Flagged fake, then needs review, each by score: the first screen is the worklist's top."""
    flagged, review = view.flagged, view.review
    out = (
        '<section id="findings"><h2>Findings</h2>'
        + _counts(view)
        + f'<p class="note">{e(band_rule(view))}'
        + e(CAVEAT)
        + " The model and its measured limits are in the appendix.</p>"
    ) + matched_block(view)
    if flagged:
        out += f'<h3 id="flagged">Flagged fake ({len(flagged)})</h3>' + "".join(_finding(v, timelines) for v in flagged)
    else:
        out += "<p><strong>No file was flagged fake.</strong> Not flagged does not mean verified genuine.</p>"
    if review:
        out += f'<h3 id="review">Needs review ({len(review)})</h3>' + "".join(_finding(v, timelines) for v in review)
    elif view.review_threshold is not None:
        out += "<p><strong>No file needs review.</strong></p>"
    return out + "</section>"


def failed_section(view: ReportView) -> str:
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


def remaining_section(view: ReportView) -> str:
    """The files neither flagged, to review nor failed, one line each: what the scan says about the rest of the case."""
    rest = view.remaining
    if not rest:
        return ""
    rows = "".join(
        f'<tr><td class="mono"><a href="#file-{v.index}">{e(v.shown_path)}</a></td><td>{badge(v.category)}</td>'
        f'<td class="num">{e(v.score)}</td><td class="explain">{e(v.explanation)}</td></tr>'
        for v in rest
    )
    return (
        f'<section id="remaining"><h2>Remaining files ({len(rest)})</h2>'
        f"<p>{e(rest_note(view))}</p>"
        "<table><thead><tr><th>path</th><th>verdict / status</th><th>score</th><th>why</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


# -- every file ------------------------------------------------------------------------------------------------------


# The page script's orders (deepcheck/reports/writers/html_assets.py); "" is scan order.
_SORT_CHOICES = [
    ("", "scan order"),
    ("risk", "risk (worklist)"),
    ("score", "score (highest first)"),
    ("name", "path"),
    ("category", "verdict / status"),
]


def index_section(view: ReportView) -> str:
    chosen = "risk" if view.sort == "risk" else ""
    boxes = "".join(
        f'<label><input type="checkbox" value="{e(k)}" checked> {e(label)}</label>' for k, label in CATEGORIES
    )
    controls = (
        '<div id="controls" hidden><strong>Show:</strong> '
        + boxes
        + '<label>Sort by <select id="sort">'
        + "".join(
            f'<option value="{value}"{" selected" if value == chosen else ""}>{label}</option>'
            for value, label in _SORT_CHOICES
        )
        + "</select></label></div>"
    )
    rows = []
    for v in view.indexed:
        f = v.result
        rows.append(
            f"<tr {data_attrs(v)}>"
            f'<td class="num">{v.index + 1}</td><td class="mono"><a href="#file-{v.index}">{e(v.shown_path)}</a></td>'
            f'<td>{e(f.media_type or "—")}</td><td class="num">{len(f.faces)}</td>'
            f'<td class="num">{e(v.score)}</td><td>{badge(v.category)}</td></tr>'
        )
    where = f' Paths are relative to <span class="mono">{e(view.root)}</span>.' if view.root else ""
    order = (
        "In risk order: flagged fake, needs review, not analysed, not flagged, no face, skipped; each by score"
        if view.sort == "risk"
        else "In scan order"
    )
    return (
        f'<section id="files"><h2>Index of all files</h2><p>{order}; each links to its details.{where}</p>'
        + controls
        + '<table id="file-index"><thead><tr><th>#</th><th>path</th><th>type</th><th>faces</th>'
        "<th>score</th><th>verdict / status</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></section>"
    )


# -- appendix ------------------------------------------------------------------------------------------------------


def appendix_section(view: ReportView) -> str:
    model_rows = [
        (k, f'<span class="mono">{e(v)}</span>' if k == "weights SHA-256" else e(v)) for k, v in view.model_rows
    ]
    out = (
        '<section id="appendix"><h2>Appendix: model, run and settings</h2>'
        "<p>Numbers are rounded for reading; the JSON report holds the full values.</p>"
        "<h3>Model</h3>" + kv_table(model_rows, raw={k for k, _ in model_rows})
    )
    if view.limitations:
        out += "<h4>Limitations (model card)</h4><ul>" + "".join(f"<li>{e(x)}</li>" for x in view.limitations) + "</ul>"
    if view.metric_rows:
        out += "<h4>Measured metrics (model card)</h4>" + kv_table(view.metric_rows)
    out += "<h3>Run</h3>" + kv_table(view.run_rows)
    out += "<h3>Settings</h3>" + kv_table(view.settings_rows)
    return out + "</section>"
