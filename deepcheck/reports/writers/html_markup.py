"""The HTML report's small building blocks: escaping, badges, key/value tables, safe image URIs.

Every other HTML module (the page, its scan-wide sections, the per-file
articles, the provenance panels) builds from these, so they live apart from all
of them and import none of them: the escaping rules sit in one place and no
section module has to import another to reach them.
"""

from __future__ import annotations

import html
import re
from typing import Any

from deepcheck.reports.view import CATEGORIES, FileView

_IMAGE_URI = re.compile(r"data:image/(?:jpeg|png);base64,[A-Za-z0-9+/]+={0,2}")


def e(value: Any) -> str:
    """Escape anything for HTML text or a quoted attribute; odd bytes in names become visible escapes."""
    text = "" if value is None else str(value)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return html.escape(text, quote=True)


def badge(cat: str) -> str:
    label = dict(CATEGORIES).get(cat, cat)
    return f'<span class="badge b-{e(cat)}">{e(label)}</span>'


def kv_table(rows: list[tuple[str, Any]], raw: set[str] = frozenset()) -> str:
    """Key/value rows; values are escaped unless their key is in ``raw`` (already-built HTML)."""
    body = "".join(
        f"<tr><th>{e(k)}</th><td>{v if k in raw else ('—' if v is None else e(v))}</td></tr>" for k, v in rows
    )
    return f'<table class="kv">{body}</table>'


def image_uri(uri: Any) -> str | None:
    """Only well-formed inline JPEG/PNG data URIs reach an <img src> (a saved scan can be edited)."""
    return uri if isinstance(uri, str) and _IMAGE_URI.fullmatch(uri) else None


def frame_at(frame_index: Any, time_s: Any) -> str:
    """Where a face or picture was taken from: "frame 12 · 0.80s" (no time for a still image)."""
    return f"frame {frame_index}" + (f" · {time_s:.2f}s" if isinstance(time_s, (int, float)) else "")


def data_attrs(v: FileView, css_class: str = "") -> str:
    """The attributes the page script sorts and filters by, shared by an index row and its file's article."""
    f = v.result
    rank = [k for k, _ in CATEGORIES].index(v.category) if v.category in dict(CATEGORIES) else len(CATEGORIES)
    score = "" if f.score is None else f"{f.score:.6f}"
    return (
        f'data-order="{v.index}" data-category="{e(v.category)}" data-rank="{rank}" data-risk="{v.risk}" '
        f'data-score="{score}" data-name="{e(f.path)}" class="{css_class}cat-{e(v.category)}"'
    )
