"""Size caps for what provenance keeps: metadata is evidence, but hostile files can carry megabytes of it."""

from __future__ import annotations

MAX_TEXT = 16_384  # a prompt, a workflow graph, an XMP history: kept up to this many characters
MAX_FIELD = 1_000  # any other single value (a tool name, a date, a tag)
MAX_ITEMS = 50  # entries kept per list (actions, history events, text chunks, ingredients)
MAX_INFLATE = 1 << 20  # a compressed text chunk is inflated to at most this many bytes
MAX_SEGMENT = 4 << 20  # a metadata segment or chunk larger than this is noted, not read


def clip(value: object, limit: int = MAX_FIELD) -> str:
    """A value as text, control characters kept visible, cut to ``limit`` characters with a marker."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    text = text.replace("\x00", "").strip()
    return text if len(text) <= limit else text[:limit] + f"… [{len(text) - limit:,} more characters]"


def clip_text(text: str, limit: int = MAX_TEXT) -> dict:
    """Long free text (a prompt, a graph): the kept text, and its full length when it was cut."""
    text = text.replace("\x00", "")
    if len(text) <= limit:
        return {"text": text}
    return {"text": text[:limit], "truncated": True, "length": len(text)}
