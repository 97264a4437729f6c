"""The PDF exhibit's known-material sections: hash-list matches, duplicate groups, findings by chat and sender.

Functions of the exhibit's layout (deepcheck/reports/writers/pdf_layout.py), kept apart so that pdf.py
stays one screenful per section; like every writer they only lay out the :class:`ReportView`.
"""

from __future__ import annotations

from deepcheck.reports.writers.pdf_layout import INK, RED, Layout


def matched(ex: Layout) -> None:
    """Files on a --hash-list, before the flagged files."""
    files = ex.view.matched
    if not files:
        return
    ex.heading(f"On a hash list ({len(files)})", size=12)
    rows = [[v.shown_path, v.label, " ".join(v.matches)] for v in files]
    ex.grid(["path", "verdict / status", "match"], rows, (60, 28, ex.width - 88), words=True)


def groups(ex: Layout) -> None:
    """Duplicate groups, flagged ones first, each with its finding on the whole group."""
    view = ex.view
    if not view.groups:
        return
    ex.heading(f"Copies: duplicate groups ({len(view.groups)})")
    ex.text("Same bytes (SHA-256), near-identical pictures (PDQ) or matching videos (vPDQ).", size=9)
    for g in sorted(view.groups, key=lambda g: g.headline is None):
        title = f"Group {g.id}: {len(g.members)} copies" + (f": {g.headline}" if g.headline else "")
        ex.text(title, size=10, bold=True, colour=RED if g.headline else INK)
        for _, path in g.members:
            ex.text(f"  {path}", size=8.5, words=True)
        for why in g.why:
            ex.text(f"  why: {why}", size=8, words=True)


def chats(ex: Layout) -> None:
    """Findings by chat and sender (a Telegram Desktop export in the scanned folder)."""
    view = ex.view
    if not view.chats:
        return
    ex.heading("Findings by chat and sender")
    rows = [
        [
            c.chat,
            c.sender,
            str(len(c.files)),
            str(c.flagged),
            str(c.review),
            ", ".join(f"{n} {code}" for code, n in c.findings.items()) or "—",
        ]
        for c in view.chats
    ]
    widths = (40, 32, 12, 16, 16, ex.width - 116)
    ex.grid(["chat", "sender", "files", "flagged fake", "needs review", "findings"], rows, widths, words=True)
