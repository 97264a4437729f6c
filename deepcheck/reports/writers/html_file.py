"""The HTML report's per-file article: one file's panels (details, pictures, faces, timeline, heat maps, provenance).

The article is the list :data:`FILE_PANELS` drawn in order, so the panels sit
together here, apart from the scan-wide sections (deepcheck/reports/writers/html_summary.py);
the PDF borrows :data:`GRADCAM_CAVEAT` from here so both say the same.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from deepcheck.reports.view import FileView, score_text
from deepcheck.reports.writers.html_known import known_panel
from deepcheck.reports.writers.html_markup import badge, data_attrs, e, frame_at, image_uri, kv_table
from deepcheck.reports.writers.html_provenance import provenance_panel
from deepcheck.reports.writers.timeline import points_of

GRADCAM_CAVEAT = (
    "An explanation aid, not proof. Warm colours mark the regions whose features most raised this crop's "
    "“manipulated” score (Grad-CAM on the classifier's last convolutional layer), relative to the rest of the same "
    "crop. It shows where the model looked, not that a region was manipulated, and it can highlight regions for "
    "reasons unrelated to manipulation."
)


def _fmt_time(epoch: float | None) -> str:
    if epoch is None:
        return "—"
    try:
        return datetime.fromtimestamp(float(epoch), timezone.utc).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError, TypeError):
        return e(epoch)


def _details_panel(v: FileView, timelines: dict[int, str]) -> str:
    f = v.result
    details = [
        ("path", f'<span class="mono">{e(f.path)}</span>'),
        ("SHA-256", f'<span class="mono">{e(f.sha256 or "—")}</span>'),
        ("size (bytes)", e(f.size_bytes if f.size_bytes is not None else "—")),
        ("modified (UTC)", _fmt_time(f.mtime)),
        ("type", e(f.media_type or "—")),
        ("status", e(f.status)),
        ("verdict", badge(v.category)),
        ("score", e(v.score)),
        ("why", f'<span class="explain">{e(v.explanation)}</span>'),
    ]
    if f.error:
        details.append(("error / reason", f"<strong>{e(f.error)}</strong>"))
    if f.frames_analyzed is not None:
        details.append(("frames analysed", e(f.frames_analyzed)))
    over = v.over_text
    if over:
        details.append(("over the thresholds", e(over)))
    details.append(("faces found", e(len(f.faces))))
    if v.seconds is not None:
        details.append(("analysis time (s)", e(v.seconds)))
    out = kv_table(details, raw={k for k, _ in details})
    if f.media:
        from deepcheck.reports.view import flatten

        out += "<h4>Media</h4>" + kv_table(flatten(f.media))
    return out


def _contexts_panel(v: FileView, timelines: dict[int, str]) -> str:
    figures = []
    for c in v.context_frames:
        uri = image_uri(c.get("image"))
        if uri:
            persons = ", ".join(str(p) for p in c.get("persons") or [])
            figures.append(
                f'<figure><img src="{e(uri)}" alt="context frame with every face boxed">'
                f"<figcaption>{e(frame_at(c.get('frame_index'), c.get('time_s')))} · highest score of person "
                f"{e(persons)}</figcaption></figure>"
            )
    if not figures:
        return ""
    return (
        "<h4>Where the faces are</h4><p>The source frame at reduced size; every detected face is boxed and "
        "labelled P&lt;person&gt; and its score (red: at or over the fake threshold; orange: in the review band; "
        "green: under both).</p>"
        '<div class="contexts">' + "".join(figures) + "</div>"
    )


def _faces_panel(v: FileView, timelines: dict[int, str]) -> str:
    f = v.result
    if not f.faces:
        return ""
    figures = []
    for face in f.faces:
        uri = image_uri(face.thumbnail)
        if uri:
            figures.append(
                f'<figure><img src="{e(uri)}" alt="face crop, score {score_text(face.score)}">'
                f"<figcaption>score <b>{score_text(face.score)}</b><br>{e(frame_at(face.frame_index, face.time_s))}"
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
        "line is the fake threshold, the dotted one (when there is one) the review threshold.</p>"
    )


def _heatmaps_panel(v: FileView, timelines: dict[int, str]) -> str:
    figures = []
    for face in sorted(v.result.faces, key=lambda x: -x.score):
        uri = image_uri(face.heatmap)
        if uri:
            figures.append(
                f'<figure><img src="{e(uri)}" alt="Grad-CAM overlay, score {score_text(face.score)}">'
                f"<figcaption>score <b>{score_text(face.score)}</b> · "
                f"{e(frame_at(face.frame_index, face.time_s))}</figcaption></figure>"
            )
    if not figures:
        return ""
    caveat = GRADCAM_CAVEAT.replace("An explanation aid, not proof.", "<strong>An explanation aid, not proof.</strong>")
    return (
        f'<h4>Explanation aid (Grad-CAM)</h4><p class="aid">{caveat}</p>'
        '<div class="faces heat">' + "".join(figures) + "</div>"
    )


def _provenance_panel(v: FileView, timelines: dict[int, str]) -> str:
    return provenance_panel(v.result)


Panel = Callable[[FileView, dict], str]
# The per-file article is these panels in order; each is self-contained HTML, so one more can be slotted in.
FILE_PANELS: list[Panel] = [
    _details_panel,
    _contexts_panel,
    _faces_panel,
    _timeline_panel,
    _heatmaps_panel,
    _provenance_panel,
    known_panel,
]


def file_section(v: FileView, timelines: dict[int, str]) -> str:
    out = f'<article {data_attrs(v, "file ")} id="file-{v.index}"><h3>{v.index + 1}. {e(v.shown_path)}</h3>'
    return out + "".join(panel(v, timelines) for panel in FILE_PANELS) + "</article>"
