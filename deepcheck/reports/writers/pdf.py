"""The PDF exhibit: the HTML report's content, laid out for A4 or Letter (fpdf2, pure Python).

Same reading order as the HTML (deepcheck/reports/writers/html.py): findings
(flagged fake, then needs review, each by score), files that could not be
analysed, the remaining files, provenance findings, an index, every file in
detail, then the model, run and settings in an appendix. Every page carries a
header with the scan id, "page X of Y", the SHA-256 of the scan's JSON report
(the file ``-f json`` writes for it, which ``deepcheck report`` re-renders; the
PDF's own hash cannot be printed inside it: ``--manifest`` records it) and the
"aid, not proof" caveat.

Evidence strings (names, EXIF, messages) are only ever drawn as text: fpdf2
does not interpret markup unless asked, no links or actions are written, and
control characters are shown as visible escapes. The fonts are the DejaVu
TrueType files that matplotlib ships, so Unicode names print without any
system font. The document is rendered twice: the first pass counts the pages.

This module holds what the exhibit says (its sections) and the entry points;
the page setup, the header and the drawing primitives are in
deepcheck/reports/writers/pdf_layout.py.
"""

from __future__ import annotations

import base64
import io
import re

from deepcheck.reports.results import ScanReport
from deepcheck.reports.view import (
    CAVEAT,
    FileView,
    ReportView,
    band_rule,
    build,
    flatten,
    plural,
    rest_note,
    score_text,
)
from deepcheck.reports.writers import pdf_known
from deepcheck.reports.writers.html_file import GRADCAM_CAVEAT
from deepcheck.reports.writers.html_provenance import MEANING
from deepcheck.reports.writers.pdf_layout import GREY, ORANGE, PAGE_SIZES, RED, Layout, iso_time
from deepcheck.reports.writers.timeline import points_of, timeline_png

__all__ = ["PAGE_SIZES", "render_pdf", "to_pdf"]
_IMAGE_URI = re.compile(r"data:image/(?:jpeg|png);base64,([A-Za-z0-9+/]+={0,2})")


def _image(uri) -> io.BytesIO | None:
    """Only well-formed inline JPEG/PNG data URIs become images (a saved scan can be edited)."""
    m = _IMAGE_URI.fullmatch(uri) if isinstance(uri, str) else None
    return io.BytesIO(base64.b64decode(m.group(1))) if m else None


class _Exhibit(Layout):
    """One rendering pass of the whole exhibit, section by section."""

    def render(self) -> bytes:
        view, pdf = self.view, self.pdf
        report = view.report
        pdf.add_page()
        self.text("deepcheck report", size=18, bold=True, h=9)
        where = f" Paths are relative to {view.root}." if view.root else ""
        self.text(
            f"{plural(len(report.files), 'file')} scanned by {report.tool.get('name', 'deepcheck')} "
            f"{report.tool.get('version', '')} with model {report.model.get('name')}, from {report.started} to "
            f"{report.finished} (UTC).{where}",
            colour=GREY,
        )
        self.findings()
        pdf_known.groups(self)
        pdf_known.chats(self)
        early = view.notable_provenance  # as in the HTML: a declared generator or broken signature is a finding
        if early:
            self.provenance()
        self.failed()
        self.remaining()
        if not early:
            self.provenance()
        self.index()
        self.heading("Per-file details")
        for v in view.files:
            self.file(v)
        self.appendix()
        return bytes(pdf.output())

    def findings(self) -> None:
        view = self.view
        self.heading("Findings")
        counts = " · ".join([plural(len(view.files), "file")] + [f"{n} {label}" for k, label, n in view.counts if n])
        self.text(counts, size=11, bold=True, h=6)
        self.text(f"{band_rule(view)}{CAVEAT}", size=8.5)
        self.pdf.ln(2)
        pdf_known.matched(self)  # known material first, whatever its verdict
        if view.flagged:
            self.band(f"Flagged fake ({len(view.flagged)})", view.flagged, RED)
        else:
            self.text("No file was flagged fake. Not flagged does not mean verified genuine.", bold=True)
        if view.review:
            self.band(f"Needs review ({len(view.review)})", view.review, ORANGE)
        elif view.review_threshold is not None:
            self.text("No file needs review.", bold=True)

    def band(self, title: str, files: list[FileView], colour: tuple[int, int, int]) -> None:
        """One verdict band's files, by score: name, sentence, strongest face, context and timeline."""
        self.heading(title, size=12)
        for v in files:
            if self.pdf.will_page_break(75):
                self.pdf.add_page()
            self.text(v.shown_path, size=10.5, bold=True, colour=colour)
            self.summary(v)
            self.pictures(self._face_and_context(v) + self._timeline(v), height=42)

    def summary(self, v: FileView) -> None:
        self.text(f"{v.label} · score {v.score}", size=9.5)
        self.text(v.explanation, size=9.5, bold=True)
        if v.over_text:
            self.text(v.over_text, size=9)

    def _face_and_context(self, v: FileView) -> list:
        items = []
        face = v.strongest
        thumb = _image(face.thumbnail) if face else None
        if thumb:
            items.append((thumb, f"strongest face, score {score_text(face.score)}"))
        for c in v.context_frames[:1]:
            data = _image(c.get("image"))
            if data:
                items.append((data, f"frame {c.get('frame_index')}: every face boxed, P<person> score"))
        return items

    def _timeline(self, v: FileView) -> list:
        points = points_of(v.result.frame_scores)
        if v.result.media_type != "video" or not points:
            return []
        png = timeline_png(points, self.view.threshold, self.view.review_threshold)
        return [(io.BytesIO(png), "highest face score per sampled frame")]

    def failed(self) -> None:
        failed = self.view.failed
        if not failed:
            return
        self.heading(f"Could not be analysed ({len(failed)})")
        self.text("These files have no verdict: nothing is known about them from this scan.", size=9)
        self.grid(["path", "reason"], [[v.shown_path, v.message or ""] for v in failed], (70, self.width - 70))

    def remaining(self) -> None:
        rest = self.view.remaining
        if not rest:
            return
        self.heading(f"Remaining files ({len(rest)})")
        note = rest_note(self.view)
        self.text(note, words=True)
        rows = [[v.shown_path, v.label, v.score, v.explanation] for v in rest]
        widths = (60, 28, 14, self.width - 60 - 28 - 14)
        self.grid(["path", "verdict / status", "score", "why"], rows, widths, words=True)

    def provenance(self) -> None:
        """Files per finding, then each file's findings and C2PA state (the HTML's panels hold the fields)."""
        view = self.view
        if not view.finding_counts:
            return
        self.heading("Provenance findings")
        self.rows([(code, n) for code, n in view.finding_counts], key_width=60)
        self.text(MEANING, size=8, colour=GREY, words=True)
        self.pdf.ln(1.5)
        rows = []
        for v in view.files:
            rows += [[v.shown_path, code, severity, sentence] for code, severity, sentence in v.findings]
            if v.c2pa_state:
                rows.append([v.shown_path, "C2PA validation", "", v.c2pa_state])
        if rows:
            widths = (50, 36, 16, self.width - 50 - 36 - 16)
            self.grid(["path", "finding", "severity", "what it means"], rows, widths, words=True)

    def index(self) -> None:
        self.heading("Index of all files")
        rows = [
            [str(v.index + 1), v.shown_path, v.result.media_type or "—", str(len(v.result.faces)), v.score, v.label]
            for v in self.view.indexed
        ]
        widths = (9, self.width - 9 - 16 - 13 - 15 - 32, 16, 13, 15, 32)
        self.grid(["#", "path", "type", "faces", "score", "verdict / status"], rows, widths)

    def file(self, v: FileView) -> None:
        f = v.result
        self.heading(f"{v.index + 1}. {v.shown_path}", size=11)
        rows = [
            ("path", f.path),
            ("SHA-256", f.sha256 or "—"),
            ("size (bytes)", f.size_bytes),
            ("modified (UTC)", iso_time(f.mtime)),
            ("type", f.media_type or "—"),
            ("status", f.status),
            ("verdict", v.label),
            ("score", v.score),
            ("why", v.explanation),
        ]
        if f.error:
            rows.append(("error / reason", f.error))
        if f.frames_analyzed is not None:
            rows.append(("frames analysed", f.frames_analyzed))
        if v.over_text:
            rows.append(("over the thresholds", v.over_text))
        rows.append(("faces found", len(f.faces)))
        if v.findings:
            rows.append(("findings", ", ".join(code for code, _, _ in v.findings)))
        if v.c2pa_state:
            rows.append(("C2PA validation", v.c2pa_state))
        if v.seconds is not None:
            rows.append(("analysis time (s)", v.seconds))
        rows += v.hash_rows + v.origin_rows  # the HTML's "Hashes and origin", less the vPDQ count
        self.rows(rows + [(f"media: {k}", x) for k, x in flatten(f.media)])
        contexts = [
            (
                data,
                f"frame {c.get('frame_index')} · highest score of person {', '.join(map(str, c.get('persons', [])))}",
            )
            for c in v.context_frames
            if (data := _image(c.get("image")))
        ]
        if contexts:
            title = "Where the faces are (every face boxed, P<person> score; red: fake, orange: review, green: real)"
            self.pictures(contexts, height=55, title=title)
        thumbs = [
            (data, f"{score_text(x.score)} · frame {x.frame_index} · P{x.person}")
            for x in f.faces
            if (data := _image(x.thumbnail))
        ]
        if thumbs:
            self.pictures(thumbs, height=20, title="Faces")
        if f.persons:
            self.grid(
                ["person", "frames", "mean score", "max score"],
                [[str(p.person), str(p.frames), score_text(p.score), score_text(p.max_score)] for p in f.persons],
                (30, 30, 40, 40),
            )
        timeline = self._timeline(v)
        if timeline:
            self.pictures(timeline, height=45)
        heat = [
            (data, f"Grad-CAM · score {score_text(x.score)} · frame {x.frame_index}")
            for x in sorted(f.faces, key=lambda x: -x.score)
            if (data := _image(x.heatmap))
        ]
        if heat:
            self.pictures(heat, height=35, title=GRADCAM_CAVEAT)  # the caveat stays with its pictures

    def appendix(self) -> None:
        view = self.view
        self.pdf.add_page()
        self.heading("Appendix: model, run and settings")
        self.text("Numbers are rounded for reading; the JSON report holds the full values.", size=8.5, colour=GREY)
        self.heading("Model", size=11)
        self.rows(view.model_rows)
        if view.limitations:
            self.heading("Limitations (model card)", size=10)
            for item in view.limitations:
                self.text(f"• {item}", size=8.5)
        if view.metric_rows:
            self.heading("Measured metrics (model card)", size=10)
            self.rows(view.metric_rows, key_width=80)
        self.heading("Run", size=11)
        self.rows(view.run_rows)
        self.heading("Settings", size=11)
        self.rows(view.settings_rows)


def render_pdf(view: ReportView, page_size: str = "a4") -> bytes:
    if page_size not in PAGE_SIZES:
        raise ValueError(f"unknown page size {page_size!r}; choose {' or '.join(PAGE_SIZES)}")
    first = _Exhibit(view, page_size, None)
    first.render()
    return _Exhibit(view, page_size, first.pdf.page_no()).render()


def to_pdf(report: ScanReport, page_size: str = "a4") -> bytes:
    """The whole report as a PDF document (bytes)."""
    return render_pdf(build(report), page_size)
