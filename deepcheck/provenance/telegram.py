"""Telegram Desktop exports: which chat, message and sender each exported media file came from.

Telegram Desktop's machine-readable export ("JSON") writes ``result.json`` beside the media folders
(``photos/``, ``video_files/``, ``files/``…). A single-chat export holds ``name``, ``type``, ``id`` and
``messages``; a whole-account export holds the same chat objects under ``chats.list`` (and
``left_chats.list``). Each message names its media by a path relative to the export folder, in
``photo`` or ``file``. A file the user chose not to download is named "(File not included. …)".

This reads the JSON only (never the media) and returns plain data; a malformed export is a warning for
the caller, never the end of a scan.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

EXPORT_NAME = "result.json"
MAX_EXPORT_BYTES = 512 << 20
MEDIA_KEYS = ("photo", "file", "thumbnail")


class TelegramExportError(ValueError):
    """A result.json that cannot be read as a Telegram Desktop export (the message says why)."""


def read_export(path: str | os.PathLike) -> dict[str, dict[str, Any]]:
    """``{absolute media path: telegram fields}`` for one ``result.json``; TelegramExportError if malformed."""
    where = Path(path)
    try:
        if where.stat().st_size > MAX_EXPORT_BYTES:
            raise TelegramExportError(f"{where} is over {MAX_EXPORT_BYTES >> 20} MB")
        doc = json.loads(where.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TelegramExportError(f"cannot read {where}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TelegramExportError(f"{where} is not valid JSON: {exc}") from exc
    chats = _chats(doc, where)
    base = where.parent
    links: dict[str, dict[str, Any]] = {}
    for chat in chats:
        messages = chat.get("messages")
        if not isinstance(messages, list):
            raise TelegramExportError(f"{where}: chat {chat.get('name')!r} has no 'messages' list")
        for message in messages:
            if not isinstance(message, dict) or message.get("type", "message") != "message":
                continue  # service messages (joins, pins) carry no media
            fields = _fields(chat, message)
            for key in MEDIA_KEYS[:2]:
                name = message.get(key)
                if isinstance(name, str) and name and not name.startswith("("):
                    links[_key(base / name)] = fields
    return links


def _chats(doc: Any, where: Path) -> list[dict[str, Any]]:
    if not isinstance(doc, dict):
        raise TelegramExportError(f"{where}: not a Telegram export (the top level is not an object)")
    if "messages" in doc:
        return [doc]
    chats = doc.get("chats")
    if isinstance(chats, dict) and isinstance(chats.get("list"), list):
        left = doc.get("left_chats")
        extra = left.get("list") if isinstance(left, dict) and isinstance(left.get("list"), list) else []
        return [c for c in chats["list"] + extra if isinstance(c, dict)]
    raise TelegramExportError(f"{where}: not a Telegram export (no 'messages' and no 'chats.list')")


def _fields(chat: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    """The fields a record keeps: chat, chat_id, message_id, date, from, from_id, forwarded_from."""
    out: dict[str, Any] = {
        "chat": chat.get("name"),
        "chat_id": chat.get("id"),
        "message_id": message.get("id"),
        "date": message.get("date"),
        "from": message.get("from"),
        "from_id": message.get("from_id"),
    }
    if message.get("forwarded_from") is not None:
        out["forwarded_from"] = message["forwarded_from"]
    return out


def _key(path: Path | str) -> str:
    return os.path.normpath(os.path.abspath(path))


def link_exports(record_paths: list[str], export_files: list[str]) -> tuple[dict[int, dict[str, Any]], list[str]]:
    """Telegram fields per record index, and a warning per export that could not be read."""
    links: dict[str, dict[str, Any]] = {}
    warnings = []
    for export in export_files:
        try:
            links.update(read_export(export))
        except TelegramExportError as exc:
            warnings.append(f"Telegram export ignored, files not linked to messages: {exc}")
    found = {}
    for i, path in enumerate(record_paths):
        fields = links.get(_key(path))
        if fields is not None:
            found[i] = dict(fields)
    return found, warnings
