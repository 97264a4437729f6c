"""The HTML report's known-material parts: hash-list matches, duplicate groups, findings by chat and sender.

Laid out from the :class:`ReportView` (deepcheck/reports/view_known.py); the matching and grouping were
done before any writer ran (deepcheck/known/).
"""

from __future__ import annotations

from deepcheck.reports.view import FileView, ReportView
from deepcheck.reports.writers.html_markup import badge, e, kv_table


def matched_block(view: ReportView) -> str:
    """Files on a --hash-list, first in the findings whatever their verdict."""
    matched = view.matched
    if not matched:
        return ""
    rows = "".join(
        f'<tr><td class="mono"><a href="#file-{v.index}">{e(v.shown_path)}</a></td><td>{badge(v.category)}</td>'
        f"<td>{'<br>'.join(e(s) for s in v.matches)}</td></tr>"
        for v in matched
    )
    return (
        f'<h3 id="hash-list-matches">On a hash list ({len(matched)})</h3>'
        "<table><thead><tr><th>path</th><th>verdict / status</th><th>match</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def groups_section(view: ReportView) -> str:
    """Every duplicate group, flagged groups first, with the finding shown on the whole group."""
    if not view.groups:
        return ""
    ordered = sorted(view.groups, key=lambda g: g.headline is None)
    parts = []
    for g in ordered:
        members = "".join(f'<li class="mono"><a href="#file-{i}">{e(p)}</a></li>' for i, p in g.members)
        head = f' <strong class="hit">{e(g.headline)}</strong>' if g.headline else ""
        why = "".join(f"<li>{e(w)}</li>" for w in g.why)
        parts.append(
            f'<article class="group" id="group-{e(g.id)}"><h3>Group {e(g.id)}: '
            f"{len(g.members)} copies{head}</h3><ul>{members}</ul>"
            f'<details><summary>why they match</summary><ul class="explain">{why}</ul></details></article>'
        )
    return (
        f'<section id="groups"><h2>Copies: duplicate groups ({len(view.groups)})</h2>'
        "<p>Files with the same bytes (SHA-256), near-identical pictures (PDQ) or matching videos (vPDQ). "
        "A finding on one copy is shown on its whole group.</p>" + "".join(parts) + "</section>"
    )


def chats_section(view: ReportView) -> str:
    """Findings by chat and sender, for a folder that holds a Telegram Desktop export."""
    if not view.chats:
        return ""
    rows = "".join(
        f"<tr><td>{e(c.chat)}</td><td>{e(c.sender)}</td><td class='num'>{len(c.files)}</td>"
        f"<td class='num'>{c.flagged}</td><td class='num'>{c.review}</td>"
        f"<td>{e(', '.join(f'{n} {code}' for code, n in c.findings.items()) or '—')}</td>"
        f"<td>{_file_links(c.files)}</td></tr>"
        for c in view.chats
    )
    return (
        '<section id="chats"><h2>Findings by chat and sender</h2>'
        "<p>From the Telegram Desktop export (result.json) in the scanned folder.</p>"
        "<table><thead><tr><th>chat</th><th>sender</th><th>files</th><th>flagged fake</th><th>needs review</th>"
        f"<th>findings</th><th>files (#)</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _file_links(files: list[tuple[int, str]]) -> str:
    return " ".join(f'<a href="#file-{i}" title="{e(path)}">{i + 1}</a>' for i, path in files)


def known_panel(v: FileView, timelines: dict[int, str]) -> str:
    """A file's hashes, group and Telegram message, in its article."""
    rows = v.hash_rows + v.vpdq_rows + v.origin_rows
    return "<h4>Hashes and origin</h4>" + kv_table(rows) if rows else ""
