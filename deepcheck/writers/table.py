"""The terminal table (rich): what a person reads after a scan."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from deepcheck.provenance import finding_codes
from deepcheck.results import ScanReport

VERDICT_STYLE = {"fake": "bold red", "real": "green"}
FINDING_STYLE = {"declared-ai-generated": "bold yellow", "c2pa-invalid": "bold red", "declared-edited": "yellow"}
STATUS_STYLE = {"ok": "", "no_face": "yellow", "error": "bold magenta", "skipped": "dim"}


def render_table(report: ScanReport, console: Console, verbose: bool = False) -> None:
    table = Table(
        title=f"deepcheck {report.tool.get('version', '')} · model {report.model.get('name')} · "
        f"threshold {report.model.get('threshold')}",
        title_justify="left",
    )
    for col, kw in (
        ("file", {"overflow": "fold"}),
        ("type", {}),
        ("faces", {"justify": "right"}),
        ("score", {"justify": "right"}),
        ("verdict", {}),
        ("status", {}),
        ("provenance", {}),
    ):
        table.add_column(col, **kw)
    for f in report.files:
        score = "" if f.score is None else f"{f.score:.3f}"
        status = Text(f.status if not f.error else f"{f.status}: {f.error}", style=STATUS_STYLE.get(f.status, ""))
        table.add_row(
            Text(f.path),
            f.media_type or "-",
            str(len(f.faces)),
            score,
            Text(f.verdict or "-", style=VERDICT_STYLE.get(f.verdict or "", "")),
            status,
            _findings_text(f.provenance),
        )
        if verbose:
            for face in f.faces:
                where = f"frame {face.frame_index}" + (f" @ {face.time_s:.2f}s" if face.time_s is not None else "")
                table.add_row(
                    Text(f"  └ {where} person {face.person} box {[round(v) for v in face.box]}", style="dim"),
                    "",
                    "",
                    f"{face.score:.3f}",
                    "",
                    "",
                    "",
                )
    console.print(table)
    s = report.summary()
    console.print(
        f"{s['files']} file{'' if s['files'] == 1 else 's'}: {s['fake']} fake, {s['real']} real, "
        f"{s['no_face']} without faces, "
        f"{s['error']} errors, {s['skipped']} skipped"
    )
    findings = report.findings_summary()
    if findings:
        console.print("provenance: " + ", ".join(f"{n} {code}" for code, n in findings.items()), markup=False)


def _findings_text(provenance: dict | None) -> Text:
    """Finding codes, the ones that need a look in colour; '-' when provenance was not read."""
    codes = finding_codes(provenance)
    if provenance is None or not codes:
        return Text("-")
    text = Text()
    for i, code in enumerate(codes):
        text.append((", " if i else "") + code, style=FINDING_STYLE.get(code, ""))
    return text
