"""The PDF exhibit's page and drawing primitives: fonts, the header on every page, paragraphs, tables, pictures.

Kept apart from what the exhibit says (deepcheck/reports/writers/pdf.py draws its
sections with these) so the safety of the drawing sits in one place: every
string goes through :func:`printable` and is drawn as plain text, never
markup, and a table cell is cut to :data:`CELL_LIMIT` characters so a row fits
on a page.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from deepcheck.reports.view import ReportView

if TYPE_CHECKING:
    from fpdf.enums import WrapMode

PAGE_SIZES = {"a4": "A4", "letter": "Letter"}
HEADER_CAVEAT = "Explanation aid, not proof: scores and pictures show what the model found; confirm by other means."
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MARGIN = 14.0  # mm
CELL_LIMIT = 1200  # characters in one table cell: a row must fit on a page (the JSON keeps the full text)
INK, GREY, RED, GREEN = (27, 27, 27), (100, 100, 100), (192, 57, 43), (46, 139, 87)
ORANGE = (211, 84, 0)  # the review band, as in the HTML


def printable(value) -> str:
    """Any value as printable text: odd bytes escaped, control characters visible (\\x07), never markup."""
    text = "" if value is None else str(value)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL.sub(lambda m: " " if m.group() in "\n\t\r" else f"\\x{ord(m.group()):02x}", text)


def _cell(value) -> str:
    text = printable(value)
    if len(text) <= CELL_LIMIT:
        return text
    return f"{text[:CELL_LIMIT]}… ({len(text) - CELL_LIMIT} more characters: see the JSON report)"


def _fonts() -> tuple[str, str]:
    from pathlib import Path

    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return str(folder / "DejaVuSans.ttf"), str(folder / "DejaVuSans-Bold.ttf")


def _wrap(words: bool) -> WrapMode:
    from fpdf.enums import WrapMode

    return WrapMode.WORD if words else WrapMode.CHAR  # WORD still cuts a word longer than the line


def _when(text) -> datetime:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return datetime(2000, 1, 1, tzinfo=timezone.utc)


def iso_time(epoch) -> str:
    """An epoch as UTC ISO text; what is not a time is shown as it is (printable), a missing one as a dash."""
    try:
        return datetime.fromtimestamp(float(epoch), timezone.utc).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError, TypeError):
        return "—" if epoch is None else printable(epoch)


class Layout:
    """One rendering pass's document and drawing; ``total`` is the page count from the first pass (None in it)."""

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
        pdf.set_title(f"deepcheck report {printable(view.scan_id)}")
        pdf.set_creator("deepcheck")
        pdf.set_creation_date(_when(view.report.finished or view.report.started))
        self.width = pdf.epw

    def _header(self) -> None:
        pdf = self.pdf
        pdf.set_font("DejaVu", "", 7.5)
        pdf.set_text_color(*GREY)
        total = self.total if self.total is not None else "?"
        pdf.set_y(6)
        pdf.cell(0, 3.6, f"deepcheck report · scan {printable(self.view.scan_id)} · page {pdf.page_no()} of {total}")
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
            0, h or size * 0.5, printable(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=_wrap(words), align="L"
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
            table.row([printable(h) for h in header])
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
            pdf.multi_cell(max(w, 20), 2.8, printable(caption), align="L")
            pdf.set_text_color(*INK)
            x += max(w, 20) + 4
        pdf.set_xy(MARGIN, row_top + height + 9)
