"""Hash lists of known material: read from a CSV or a deepcheck hash export, checked entry by entry.

Hotlines, police and platforms exchange such lists; StopNCII shares PDQ hashes so that a victim's image
never leaves her device. A list is data: each entry a hash type, a value and optional labels. A list with
a malformed entry is refused whole, with its file, line and problem, before any file is analysed: a list
that silently lost entries would silently miss matches.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from deepcheck.media.perceptual import VpdqFeature, is_hex, vpdq_words

HASH_TYPES = ("md5", "sha256", "pdq", "vpdq")
HEX_LENGTHS = {"md5": 32, "sha256": 64, "pdq": 64}
REQUIRED_COLUMNS = ("hash_type", "hash")
OPTIONAL_COLUMNS = ("label", "list", "case")
EXPORT_SCHEMA = "deepcheck.hashes/1"
MAX_LIST_BYTES = 1 << 30


class HashListError(ValueError):
    """A list that cannot be used; the message names the file, the line (or entry) and the problem."""


@dataclass
class HashEntry:
    """One known hash. ``value`` is lower-case hex, or for vpdq the list of its frames."""

    hash_type: str
    value: str | list[VpdqFeature]
    label: str = ""
    list: str = ""
    case: str = ""
    line: int = 0  # where it was read (CSV line, or entry number in a JSON export)
    # vpdq: the usable frames as words, prepared here once rather than for every scanned video
    words: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.hash_type == "vpdq" and isinstance(self.value, list):
            self.words = vpdq_words(self.value)


@dataclass
class HashList:
    """A loaded list: where it came from (with its SHA-256, for the report) and its entries."""

    path: str
    sha256: str
    entries: list[HashEntry] = field(default_factory=list)

    def describe(self) -> dict:
        counts: dict[str, int] = {}
        for e in self.entries:
            counts[e.hash_type] = counts.get(e.hash_type, 0) + 1
        return {"path": self.path, "sha256": self.sha256, "entries": len(self.entries), "by_type": counts}


def load_hash_list(path: str | os.PathLike) -> HashList:
    """A CSV list (header ``hash_type,hash`` and optional ``label,list,case``) or a deepcheck hash export."""
    where = os.fspath(path)
    try:
        with open(where, "rb") as fh:
            data = fh.read(MAX_LIST_BYTES + 1)
    except OSError as exc:
        raise HashListError(f"{where}: cannot read: {exc.strerror or exc}") from exc
    if len(data) > MAX_LIST_BYTES:
        raise HashListError(f"{where}: over {MAX_LIST_BYTES >> 20} MB; split the list")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise HashListError(f"{where}, line {line}: not UTF-8 text") from exc
    loaded = HashList(where, hashlib.sha256(data).hexdigest())
    default_list = Path(where).stem
    if text.lstrip().startswith(("{", "[")):
        loaded.entries = _from_export(text, where, default_list)
    else:
        loaded.entries = _from_csv(text, where, default_list)
    return loaded


def _from_csv(text: str, where: str, default_list: str) -> list[HashEntry]:
    rows = csv.reader(text.splitlines())
    header = next(rows, None)
    if header is None:
        raise HashListError(f"{where}, line 1: empty file; expected the header hash_type,hash")
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise HashListError(
            f"{where}, line 1: the header lacks {', '.join(missing)} (found {', '.join(names) or 'nothing'}); "
            "expected hash_type,hash and optionally label,list,case"
        )
    entries = []
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines are allowed
        if len(row) != len(names):
            raise HashListError(f"{where}, line {number}: {len(row)} columns where the header has {len(names)}")
        cells = dict(zip(names, (cell.strip() for cell in row)))
        entries.append(_entry(cells, f"{where}, line {number}", number, default_list))
    return entries


def _from_export(text: str, where: str, default_list: str) -> list[HashEntry]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HashListError(f"{where}, line {exc.lineno}: not valid JSON: {exc.msg}") from exc
    if not isinstance(doc, dict) or doc.get("schema") != EXPORT_SCHEMA or not isinstance(doc.get("entries"), list):
        raise HashListError(
            f"{where}, line 1: not a deepcheck hash export (expected 'schema': '{EXPORT_SCHEMA}' and an "
            "'entries' list); for other lists use a CSV with the header hash_type,hash"
        )
    entries = []
    for number, item in enumerate(doc["entries"], start=1):
        if not isinstance(item, dict):
            raise HashListError(f"{where}, entry {number}: not an object")
        cells = {k: item.get(k) for k in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)}
        entries.append(_entry(cells, f"{where}, entry {number}", number, default_list))
    return entries


def _entry(cells: dict, where: str, number: int, default_list: str) -> HashEntry:
    kind = str(cells.get("hash_type") or "").strip().lower()
    raw = cells.get("hash")
    if kind not in HASH_TYPES:
        raise HashListError(f"{where}: unknown hash_type {kind or '(empty)'!r}; choose {', '.join(HASH_TYPES)}")
    if kind == "vpdq":
        value: str | list[VpdqFeature] = _vpdq(raw, where)
    else:
        value = str(raw or "").strip().lower()
        length = HEX_LENGTHS[kind]
        if not is_hex(value, length):
            raise HashListError(f"{where}: a {kind} hash is {length} hex digits, not {str(raw)[:80]!r}")
    text = {k: str(cells.get(k) or "").strip() for k in OPTIONAL_COLUMNS}
    return HashEntry(kind, value, text["label"], text["list"] or default_list, text["case"], number)


def _vpdq(raw: object, where: str) -> list[VpdqFeature]:
    """A vPDQ value: Meta's signal string (a JSON list of ``hex,quality,seconds``), as text or as a list."""
    items = raw
    if isinstance(raw, str):
        try:
            items = json.loads(raw)
        except json.JSONDecodeError:
            items = None
    if not isinstance(items, list) or not items:
        raise HashListError(f'{where}: a vpdq hash is a JSON list of "hex,quality,seconds" frames')
    try:
        return [VpdqFeature.parse(x) for x in items]
    except ValueError as exc:
        raise HashListError(f"{where}: {exc}") from exc


def load_hash_lists(paths: str | os.PathLike | list | None) -> list[HashList]:
    """Every ``--hash-list`` file (lists already loaded pass through); HashListError for the first bad one."""
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths or [])
    return [p if isinstance(p, HashList) else load_hash_list(p) for p in items]
