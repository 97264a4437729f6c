"""The PDF exhibit: the HTML report's content, laid out for A4 or Letter (fpdf2, pure Python).

Same reading order as the HTML (deepcheck/writers/html.py): findings, files
that could not be analysed, the remaining files, provenance findings, an index,
every file in detail, then the model, run and settings in an appendix. Every
page carries a header with the scan id, "page X of Y", the SHA-256 of the
scan's JSON report (the file ``-f json`` writes for it, which ``deepcheck
report`` re-renders; the PDF's own hash cannot be printed inside it:
``--manifest`` records it) and the "aid, not proof" caveat.

Evidence strings (names, EXIF, messages) are only ever drawn as text: fpdf2
does not interpret markup unless asked, no links or actions are written, and
control characters are shown as visible escapes. The fonts are the DejaVu
TrueType files that matplotlib ships, so Unicode names print without any
system font. The document is rendered twice: the first pass counts the pages.
"""

from __future__ import annotations

import base64
import io
import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from deepcheck.report_view import CAVEAT, FileView, ReportView, build, flatten, plural, score_text
from deepcheck.results import ScanReport
from deepcheck.writers.html import GRADCAM_CAVEAT
from deepcheck.writers.html_provenance import MEANING
from deepcheck.writers.timeline import points_of, timeline_png

if TYPE_CHECKING:
    from fpdf.enums import WrapMode

PAGE_SIZES = {"a4": "A4", "letter": "Letter"}
HEADER_CAVEAT = "Explanation aid, not proof: scores and pictures show what the model found; confirm by other means."
_IMAGE_URI = re.compile(r"data:image/(?:jpeg|png);base64,([A-Za-z0-9+/]+={0,2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MARGIN = 14.0  # mm
CELL_LIMIT = 1200  # characters in one table cell: a row must fit on a page (the JSON keeps the full text)
INK, GREY, RED, GREEN = (27, 27, 27), (100, 100, 100), (192, 57, 43), (46, 139, 87)


def _t(value) -> str:
    """Any value as printable text: odd bytes escaped, control characters visible (\\x07), never markup."""
    text = "" if value is None else str(value)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL.sub(lambda m: " " if m.group() in "\n\t\r" else f"\\x{ord(m.group()):02x}", text)


def _cell(value) -> str:
    text = _t(value)
    if len(text) <= CELL_LIMIT:
        return text
    return f"{text[:CELL_LIMIT]}… ({len(text) - CELL_LIMIT} more characters: see the JSON report)"


def _image(uri) -> io.BytesIO | None:
    """Only well-formed inline JPEG/PNG data URIs become images (a saved scan can be edited)."""
    m = _IMAGE_URI.fullmatch(uri) if isinstance(uri, str) else None
    return io.BytesIO(base64.b64decode(m.group(1))) if m else None


def _fonts() -> tuple[str, str]:
    from pathlib import Path

    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return str(folder / "DejaVuSans.ttf"), str(folder / "DejaVuSans-Bold.ttf")


class _Exhibit:
    """One rendering pass; ``total`` is the page count from the first pass (None in it)."""

    def __init__(self, view: ReportView, page_size: str, total: int | None):
        from fpdf import FPDF

        self.view, self.total = view, total
        exhibit = self

        class _PDF(FPDF):
            def header(self):  # fpdf2 calls this on every new page
                exhibit._header()

        self.pdf = pdf = _PDF(format=PAGE_SIZES[page_size], unit="mm")
        regular, bold = _fonts()
        pdf.add_font("DejaVu", "", regular)
        pdf.add_font("DejaVu", "B", bold)
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(True, margin=MARGIN)
        pdf.set_title(f"deepcheck report {_t(view.scan_id)}")
        pdf.set_creator("deepcheck")
        pdf.set_creation_date(_when(view.report.finished or view.report.started))
        self.width = pdf.epw

    # -- primitives --------------------------------------------------------------------------------------------------

    def _header(self) -> None:
        pdf = self.pdf
        pdf.set_font("DejaVu", "", 7.5)
        pdf.set_text_color(*GREY)
        total = self.total if self.total is not None else "?"
        pdf.set_y(6)
        pdf.cell(0, 3.6, f"deepcheck report · scan {_t(self.view.scan_id)} · page {pdf.page_no()} of {total}")
        pdf.ln(3.6)
        pdf.cell(0, 3.6, f"scan data SHA-256 {self.view.data_sha256} (of this scan's JSON report)")
        pdf.ln(3.6)
        pdf.set_text_color(*RED)
        pdf.cell(0, 3.6, HEADER_CAVEAT)
        pdf.ln(4.2)
        pdf.set_draw_color(200, 200, 200)
        pdf.line(MARGIN, pdf.get_y(), MARGIN + self.width, pdf.get_y())
        pdf.set_y(max(pdf.get_y() + 2, MARGIN + 6))
        pdf.set_text_color(*INK)

    def text(
        self, value, size: float = 9.5, bold: bool = False, colour=INK, h: float | None = None, words: bool = False
    ) -> None:
        """A paragraph. Evidence wraps by character (no character of a name is lost to a line break), prose by word."""
        from fpdf.enums import XPos, YPos

        pdf = self.pdf
        pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.set_text_color(*colour)
        pdf.multi_cell(
            0, h or size * 0.5, _t(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=_wrap(words), align="L"
        )
        pdf.set_text_color(*INK)

    def heading(self, value, size: float = 14) -> None:
        if self.pdf.will_page_break(size * 1.6 + 20):  # never a heading alone at the foot of a page
            self.pdf.add_page()
        self.pdf.ln(2)
        self.text(value, size=size, bold=True, h=size * 0.55)
        self.pdf.ln(1)

    def rows(self, rows: list[tuple[str, object]], key_width: float = 48) -> None:
        """Key/value rows as a two-column table; values wrap, long ones by character."""
        if not rows:
            return
        from fpdf.enums import WrapMode

        pdf = self.pdf
        pdf.set_font("DejaVu", "", 8.5)
        pdf.set_draw_color(200, 200, 200)
        with pdf.table(
            col_widths=(key_width, self.width - key_width),
            first_row_as_headings=False,
            line_height=4.2,
            text_align="LEFT",
            wrapmode=WrapMode.CHAR,
        ) as table:
            for k, v in rows:
                row = table.row()
                row.cell(_cell(k))
                row.cell("—" if v is None else _cell(v))
        pdf.ln(1.5)

    def grid(self, header: list[str], rows: list[list[str]], widths: tuple[float, ...], words: bool = False) -> None:
        pdf = self.pdf
        pdf.set_font("DejaVu", "", 8.5)
        with pdf.table(
            col_widths=widths, line_height=4.2, text_align="LEFT", wrapmode=_wrap(words), repeat_headings=1
        ) as table:
            table.row([_t(h) for h in header])
            for r in rows:
                table.row([_cell(c) for c in r])
        pdf.ln(1.5)

    def pictures(self, items: list[tuple[io.BytesIO, str]], height: float, title: str = "") -> None:
        """Images side by side at one height, each with a small caption; wraps to new rows and pages.

        The title, if any, is kept on the same page as the first row.
        """
        pdf = self.pdf
        if title:
            if pdf.will_page_break(height + 18):
                pdf.add_page()
            self.text(title, size=8.5)
        x, row_top = MARGIN, pdf.get_y()
        for data, caption in items:
            from PIL import Image

            with Image.open(data) as im:
                w = height * im.width / max(1, im.height)
            data.seek(0)
            if x > MARGIN and x + w > MARGIN + self.width:
                x, row_top = MARGIN, row_top + height + 9
            if row_top + height + 9 > pdf.h - MARGIN:
                pdf.add_page()
                x, row_top = MARGIN, pdf.get_y()
            pdf.image(data, x=x, y=row_top, h=height)
            pdf.set_xy(x, row_top + height + 0.5)
            pdf.set_font("DejaVu", "", 6.5)
            pdf.set_text_color(*GREY)
            pdf.multi_cell(max(w, 20), 2.8, _t(caption), align="L")
            pdf.set_text_color(*INK)
            x += max(w, 20) + 4
        pdf.set_xy(MARGIN, row_top + height + 9)

    # -- sections ----------------------------------------------------------------------------------------------------

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
        threshold = "—" if view.threshold is None else f"{view.threshold:.3f}"
        self.text(f"A file is flagged fake when its score reaches the threshold ({threshold}). {CAVEAT}", size=8.5)
        self.pdf.ln(2)
        if not view.flagged:
            self.text("No file was flagged fake. Not flagged does not mean verified genuine.", bold=True)
            return
        self.heading(f"Flagged fake ({len(view.flagged)})", size=12)
        for v in view.flagged:
            if self.pdf.will_page_break(75):
                self.pdf.add_page()
            self.text(v.shown_path, size=10.5, bold=True, colour=RED)
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
        return [(io.BytesIO(timeline_png(points, self.view.threshold)), "highest face score per sampled frame")]

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
        note = "Not flagged, or without a verdict (no face, skipped). Not flagged does not mean verified genuine."
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
            for v in self.view.files
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
            ("modified (UTC)", _iso(f.mtime)),
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
            rows.append(("over the threshold", v.over_text))
        rows.append(("faces found", len(f.faces)))
        if v.findings:
            rows.append(("provenance findings", ", ".join(code for code, _, _ in v.findings)))
        if v.c2pa_state:
            rows.append(("C2PA validation", v.c2pa_state))
        if v.seconds is not None:
            rows.append(("analysis time (s)", v.seconds))
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
            title = "Where the faces are (every face boxed, P<person> score; red: at or over the threshold)"
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


def _wrap(words: bool) -> WrapMode:
    from fpdf.enums import WrapMode

    return WrapMode.WORD if words else WrapMode.CHAR  # WORD still cuts a word longer than the line


def _when(text) -> datetime:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return datetime(2000, 1, 1, tzinfo=timezone.utc)


def _iso(epoch) -> str:
    try:
        return datetime.fromtimestamp(float(epoch), timezone.utc).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError, TypeError):
        return "—" if epoch is None else _t(epoch)


def render_pdf(view: ReportView, page_size: str = "a4") -> bytes:
    if page_size not in PAGE_SIZES:
        raise ValueError(f"unknown page size {page_size!r}; choose {' or '.join(PAGE_SIZES)}")
    first = _Exhibit(view, page_size, None)
    first.render()
    return _Exhibit(view, page_size, first.pdf.page_no()).render()


def to_pdf(report: ScanReport, page_size: str = "a4") -> bytes:
    """The whole report as a PDF document (bytes)."""
    return render_pdf(build(report), page_size)
