"""The HTML report: one self-contained, offline file an investigator can hand on.

Everything is inline (CSS, a little JavaScript, images as ``data:`` URIs), a
strict Content-Security-Policy allows nothing else, and every string that
comes from the evidence or the scan document is HTML-escaped. The page reads
fully without JavaScript; the script only adds sorting and filtering.

The page reads findings first: the verdict summary, the files flagged fake and
the files that need review (each by score), then the files that could not be
analysed, then the remaining files, then the
provenance counts (right after the findings when a file declares something),
the sortable index and every file in detail, and the model, run and settings in
an appendix. It lays out a :class:`ReportView`
(deepcheck/reports/view.py) and computes nothing; the one drawing it does (the
score timeline, from ``FileResult.frame_scores``) is presentation.

This module holds the page itself (head, header, section order, footer) and
the entry points; the scan-wide sections are in
deepcheck/reports/writers/html_summary.py, each file's article in
deepcheck/reports/writers/html_file.py, the provenance parts in
deepcheck/reports/writers/html_provenance.py, and the shared escaping and building
blocks in deepcheck/reports/writers/html_markup.py.
"""

from __future__ import annotations

import base64

from deepcheck.reports.results import ScanReport
from deepcheck.reports.view import CATEGORIES, ReportView, build, category, plural
from deepcheck.reports.writers.html_assets import CSP, CSS, SCRIPT
from deepcheck.reports.writers.html_file import FILE_PANELS, GRADCAM_CAVEAT, file_section
from deepcheck.reports.writers.html_known import chats_section, groups_section
from deepcheck.reports.writers.html_markup import e
from deepcheck.reports.writers.html_provenance import provenance_summary
from deepcheck.reports.writers.html_summary import (
    appendix_section,
    failed_section,
    findings_section,
    index_section,
    remaining_section,
)
from deepcheck.reports.writers.timeline import points_of, timeline_svg

__all__ = ["CATEGORIES", "category", "to_html", "render_html", "FILE_PANELS", "GRADCAM_CAVEAT"]


def _timelines(view: ReportView) -> dict[int, str]:
    """Each video's timeline <img>, drawn once and shown both in its finding and in its details."""
    out = {}
    for v in view.files:
        points = points_of(v.result.frame_scores)
        if v.result.media_type == "video" and points:
            svg = timeline_svg(points, view.threshold, view.review_threshold)
            uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
            out[v.index] = f'<div class="timeline"><img src="{uri}" alt="per-frame score timeline"></div>'
    return out


def render_html(view: ReportView) -> str:
    """The laid-out page for a built view."""
    report = view.report
    tool = report.tool
    timelines = _timelines(view)
    sections = "".join(file_section(v, timelines) for v in view.files)
    where = f' Paths are relative to <span class="mono">{e(view.root)}</span>.' if view.root else ""
    provenance = provenance_summary(view)
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
        + findings_section(view, timelines)
        + groups_section(view)
        + chats_section(view)
        + (provenance if early else "")
        + failed_section(view)
        + remaining_section(view)
        + ("" if early else provenance)
        + index_section(view)
        + '<section id="details"><h2>Per-file details</h2>'
        + sections
        + "</section>"
        + appendix_section(view)
        + "<footer>Self-contained report: no external resources are loaded. "
        "Sorting and filtering need JavaScript; everything else reads without it.</footer>"
        f"<script>{SCRIPT}</script></body></html>\n"
    )


def to_html(report: ScanReport, sort: str = "scan") -> str:
    """The whole report as one HTML document (UTF-8 text); ``sort`` orders the index (scan or risk)."""
    return render_html(build(report, sort=sort))
