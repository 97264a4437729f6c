"""The terminal table (rich): what a person reads after a scan.

It fits the terminal: one line per file at any width. Paths are shown
relative to the common root of the inputs (named in the caption) and
shortened in the middle when too long, so the file name stays readable;
messages are cut to one line, and ``--verbose`` prints them in full below.
For a single file, one plain sentence says why it got its verdict.

The rows keep scan order, like the progress bar, unless ``--sort risk`` asks
for the worklist; ``--top N`` shows only the N highest-risk files (the summary
line still counts them all, and ``-o`` still writes every file).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from deepcheck.reports.results import FileResult, ScanReport
from deepcheck.reports.view import ReportView, build

VERDICT_STYLE = {"fake": "bold red", "review": "bold dark_orange", "real": "green"}
FINDING_STYLE = {
    "hash-list-match": "bold red",
    "declared-ai-generated": "bold yellow",
    "c2pa-invalid": "bold red",
    "declared-edited": "yellow",
}
STATUS_STYLE = {"ok": "", "no_face": "yellow", "error": "bold magenta", "skipped": "dim"}
FIXED_COLUMNS = 5 + 5 + 5 + 7  # type, faces, score, verdict at their usual widths
TABLE_CHROME = 7 + 6 * 2  # borders between 6 columns, and one space of padding each side
MIN_FILE, MIN_STATUS = 12, 10


def shorten_middle(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells, cut in the middle (the end, with the file name, kept longer)."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    tail_len = max(1, (width - 1) * 3 // 5)
    head_len = width - 1 - tail_len
    tail, head = "", ""
    for ch in reversed(text):  # cell-aware, so wide characters never overflow
        if cell_len(ch + tail) > tail_len:
            break
        tail = ch + tail
    for ch in text:
        if cell_len(head + ch) > head_len:
            break
        head += ch
    return f"{head}…{tail}"


def one_line(text: str) -> str:
    """Newlines and tabs in a message (hostile names, decoder output) become spaces."""
    return " ".join(text.split())


def _file_width(view: ReportView, total: int, extra: int = 0) -> int:
    longest = max((cell_len(one_line(v.shown_path)) for v in view.files), default=MIN_FILE)
    room = max(MIN_FILE + MIN_STATUS, total - FIXED_COLUMNS - TABLE_CHROME - extra)
    return max(MIN_FILE, min(longest, room - MIN_STATUS, room * 3 // 5))


def _threshold_text(view: ReportView) -> str:
    """The thresholds as the title prints them: "fake ≥ 0.990 · review ≥ 0.850", or the one threshold."""
    if view.threshold is None:
        return "threshold —"
    if view.review_threshold is None:
        return f"threshold {view.threshold:.3f}"
    return f"fake ≥ {view.threshold:.3f} · review ≥ {view.review_threshold:.3f}"


def render_table(
    report: ScanReport, console: Console, verbose: bool = False, sort: str = "scan", top: int | None = None
) -> None:
    """The table of files; ``sort`` (scan or risk) orders the rows, ``top`` keeps only the N highest-risk."""
    view = build(report, sort="risk" if top is not None else sort)
    rows = view.indexed[:top] if top is not None else view.indexed
    # the findings column only when a file is on a hash list or declares something ("no-provenance" is counted
    # in the summary)
    declared = [_findings_text(f) for f in report.files]
    extra = max((cell_len(t.plain) for t in declared), default=0)
    extra = min(extra, 24) + 3 if extra else 0
    file_width = _file_width(view, console.width, extra)
    status_width = max(MIN_STATUS, console.width - FIXED_COLUMNS - TABLE_CHROME - extra - file_width)
    root = shorten_middle(view.root, max(MIN_FILE, console.width - 20))
    caption = [f"paths relative to {root}"] if view.root else []
    if top is not None and len(rows) < len(view.files):
        caption.append(f"the {len(rows)} highest-risk of {len(view.files)} files (--top {top})")
    table = Table(
        title=f"deepcheck {report.tool.get('version', '')} · model {report.model.get('name')} · "
        f"{_threshold_text(view)}",
        title_justify="left",
        caption=Text("; ".join(caption)) if caption else None,
        caption_justify="left",
    )
    table.add_column("file", no_wrap=True, overflow="ellipsis", max_width=file_width)
    table.add_column("type", no_wrap=True, min_width=5)
    table.add_column("faces", justify="right", no_wrap=True, min_width=5)
    table.add_column("score", justify="right", no_wrap=True, min_width=5)
    table.add_column("verdict", no_wrap=True, min_width=7)
    table.add_column("status", no_wrap=True, overflow="ellipsis", min_width=MIN_STATUS, max_width=status_width)
    if extra:
        table.add_column("findings", no_wrap=True, overflow="ellipsis", max_width=24)
    for v in rows:
        f = v.result
        status = f.status if not f.error else f"{f.status}: {one_line(f.error)}"
        table.add_row(
            Text(shorten_middle(one_line(v.shown_path), file_width)),
            f.media_type or "-",
            str(len(f.faces)),
            "" if f.score is None else f"{f.score:.3f}",
            Text(f.verdict or "-", style=VERDICT_STYLE.get(f.verdict or "", "")),
            Text(status, style=STATUS_STYLE.get(f.status, "")),
            *([_findings_text(f)] if extra else []),
        )
        if verbose:
            for face in f.faces:
                where = f"frame {face.frame_index}" + (f" @ {face.time_s:.2f}s" if face.time_s is not None else "")
                table.add_row(
                    Text(f"  └ {where} P{face.person}", style="dim"),
                    "",
                    "",
                    f"{face.score:.3f}",
                    "",
                    Text(f"box {[round(x) for x in face.box]}", style="dim"),
                    *([""] if extra else []),
                )
    for v in view.matched:  # known material first, above the table
        for sentence in v.matches:
            console.print(Text(f"ON A HASH LIST: {v.shown_path}: {sentence}", style="bold red"))
    console.print(table)
    for g in view.groups:
        line = f"group {g.id}: {len(g.members)} copies" + (f", {g.headline}" if g.headline else "")
        console.print(Text(line + ": " + ", ".join(p for _, p in g.members), style="bold red" if g.headline else ""))
    if verbose:
        for v in rows:
            if v.message:
                console.print(Text(f"{v.shown_path}: {v.message}", style="dim"))
    if len(view.files) == 1:
        console.print(Text(view.files[0].explanation))
    s = report.summary()
    console.print(
        f"{s['files']} file{'' if s['files'] == 1 else 's'}: {s['fake']} fake, {s['review']} to review, "
        f"{s['real']} real, {s['no_face']} without faces, {s['error']} errors, {s['skipped']} skipped"
    )
    findings = report.findings_summary()
    if findings:
        console.print("findings: " + ", ".join(f"{n} {code}" for code, n in findings.items()), markup=False)


def _findings_text(f: FileResult) -> Text:
    """Hash-list matches and declared findings, those that need a look in colour; empty when there are none."""
    codes = [c for c in f.findings if c != "no-provenance"]
    if not codes:
        return Text("")
    text = Text()
    for i, code in enumerate(codes):
        text.append((", " if i else "") + code, style=FINDING_STYLE.get(code, ""))
    return text
