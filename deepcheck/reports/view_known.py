"""Known material as the reader sees it: hash-list matches in words, hashes and origin, duplicate groups, chats.

Part of the :class:`ReportView` (deepcheck/reports/view.py): worked out once from the finished records
and the report's ``groups`` (deepcheck/known/ fills both before any writer runs), so that the HTML, PDF
and table writers lay it out and compute nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from deepcheck.reports.results import HASH_LIST_MATCH, VERDICT_FAKE, VERDICT_REVIEW, FileResult

Row = tuple[str, Any]  # (name, value), as the HTML's and the PDF's key-value tables show it


def match_sentence(match: dict[str, Any]) -> str:
    """One hash-list match in words."""
    kind = str(match.get("hash_type", "?"))
    if kind == "vpdq":
        how = f"vPDQ, {match.get('match_percent')}% of its frames matched"
    elif kind == "pdq":
        how = f"PDQ distance {match.get('distance')}"
    else:
        how = f"exact {kind.upper()}"
    label = f" ({match['label']})" if match.get("label") else ""
    case = f", case {match['case']}" if match.get("case") else ""
    return f"Matches the hash list {match.get('list') or '?'}{label}{case}: {how}."


def match_sentences(f: FileResult) -> list[str]:
    """A file's hash-list matches in words (a saved scan can be edited: non-objects are left out)."""
    return [match_sentence(m) for m in f.hash_matches if isinstance(m, dict)]


def hash_rows(f: FileResult) -> tuple[list[Row], list[Row]]:
    """(MD5, PDQ and its quality; the vPDQ frame count), apart because only the HTML shows the count."""
    hashes = f.hashes if isinstance(f.hashes, dict) else {}
    rows = [(key, hashes[key]) for key in ("md5", "pdq", "pdq_quality") if hashes.get(key) is not None]
    vpdq = [("vpdq", f"{len(hashes['vpdq'])} frames hashed (full list in the JSON)")] if hashes.get("vpdq") else []
    return rows, vpdq


def origin_rows(f: FileResult) -> list[Row]:
    """Where a file came from: its duplicate group and its Telegram message."""
    rows: list[Row] = [("duplicate group", f.group)] if f.group else []
    return rows + [(f"telegram {key}", value) for key, value in (f.telegram or {}).items()]


@dataclass
class GroupView:
    """One duplicate group: its members (shown paths, scan indices), why they match, and its finding."""

    id: str
    members: list[tuple[int, str]]  # (file index, shown path)
    why: list[str]
    headline: str | None  # "flagged fake, and 2 more copies" when a member is flagged; None otherwise


@dataclass
class ChatView:
    """Files from one sender in one chat of a Telegram export, and what was found in them."""

    chat: str
    sender: str
    files: list[tuple[int, str]] = field(default_factory=list)  # (file index, shown path)
    flagged: int = 0  # flagged fake
    review: int = 0  # in the review band (needs review)
    findings: dict[str, int] = field(default_factory=dict)  # files per finding code


def _link_text(link: dict[str, Any], shown: dict[str, tuple[int, str]]) -> str:
    kind = link.get("hash_type")
    if kind == "vpdq":
        percent = link.get("match_percent") or ["?", "?"]
        how = f"vPDQ: {percent[0]}% and {percent[-1]}% of frames matched"
    elif kind == "pdq":
        how = f"PDQ distance {link.get('distance')}"
    else:
        how = "identical bytes (same SHA-256)"
    a, b = (shown.get(str(link.get(k)), (-1, str(link.get(k))))[1] for k in ("a", "b"))
    return f"{a} ~ {b}: {how}"


def group_views(groups: list[dict[str, Any]], shown: dict[str, tuple[int, str]]) -> list[GroupView]:
    """The report's groups for reading; ``shown`` maps a record path to (index, shown path)."""
    out = []
    for g in groups:
        members = [shown.get(p, (-1, str(p))) for p in g.get("members") or []]
        flagged = [x for x in g.get("flagged") or [] if isinstance(x, dict)]
        headline = None
        if flagged:
            first = flagged[0]
            what = "flagged fake" if first.get("verdict") == VERDICT_FAKE else "on a hash list"
            if first.get("verdict") == VERDICT_FAKE and HASH_LIST_MATCH in (first.get("findings") or []):
                what = "flagged fake and on a hash list"
            others = len(members) - 1
            headline = f"{what}, and {others} more {'copy' if others == 1 else 'copies'}"
            if len(flagged) > 1:
                headline += f" ({len(flagged)} members flagged)"
        why = [_link_text(link, shown) for link in g.get("why") or [] if isinstance(link, dict)]
        out.append(GroupView(str(g.get("id")), members, why, headline))
    return out


def chat_views(files: list[tuple[int, str, FileResult]]) -> list[ChatView]:
    """Findings by chat and sender, for files linked to a Telegram export; flagged chats first."""
    rows: dict[tuple[str, str], ChatView] = {}
    for index, shown, f in files:
        tg = f.telegram if isinstance(f.telegram, dict) else None
        if not tg:
            continue
        chat = str(tg.get("chat") or tg.get("chat_id") or "?")
        sender = str(tg.get("from") or tg.get("from_id") or "?")
        row = rows.setdefault((chat, sender), ChatView(chat, sender))
        row.files.append((index, shown))
        row.flagged += f.verdict == VERDICT_FAKE
        row.review += f.verdict == VERDICT_REVIEW
        for code in f.findings:
            row.findings[code] = row.findings.get(code, 0) + 1
    return sorted(
        rows.values(), key=lambda r: (-r.flagged, -r.findings.get(HASH_LIST_MATCH, 0), -r.review, r.chat, r.sender)
    )
