"""The resume journal: finished file records, so a re-run analyses only what is left.

A killed scan of a seized server must not start again from zero. The driver
appends every finished record to a JSON Lines file in a cache folder outside
the evidence. One file holds one model (by SHA-256) with one set of
score-affecting settings, and inside it a record is found by the file's path
and content SHA-256. A record is reused only when the content is byte-for-byte
the same, so an edited file is always analysed again.

The engines only talk to the small ``ResumeJournal`` interface below, so a
shared journal (the local engine's) can replace ``JsonlJournal`` without
touching them.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Protocol

from deepcheck.fileio import sha256_bytes
from deepcheck.results import STATUS_ERROR, FileResult, ScanReport

SCHEMA = "deepcheck.journal/1"
# Settings that change a record (scores, verdict, errors, explanation images); device and model
# name do not (the model is keyed by its SHA-256).
SCORE_SETTINGS = (
    "frames",
    "min_face_prob",
    "detect_size",
    "detect_every",
    "sampling",
    "runtime",
    "crops",
    "max_pixels",
    "max_seconds",
    "explain",
)
FSYNC_EVERY_S = 2.0


class JournalError(Exception):
    """The journal cannot be used where it was asked to live."""


class ResumeJournal(Protocol):
    """What an engine needs from a resume journal."""

    def known(self, path: str) -> frozenset[str]:
        """Content SHA-256s recorded for this absolute path (usually zero or one)."""

    def lookup(self, path: str, sha256: str) -> FileResult | None:
        """The record finished earlier for this path with exactly this content, if any."""

    def record(self, path: str, result: FileResult) -> None:
        """Keep a finished record; it must survive the process being killed right after."""

    def close(self) -> None: ...


def journal_key(model_sha256: str, threshold: float, settings: dict[str, Any]) -> dict[str, Any]:
    """Everything a journaled record depends on besides the file's own bytes, deepcheck's code included."""
    from deepcheck import __version__
    from deepcheck.journal import source_hash

    return {
        "version": __version__,
        "code": source_hash(),
        "model_sha256": model_sha256,
        "threshold": threshold,
        **{name: settings.get(name) for name in SCORE_SETTINGS},
    }


def key_digest(key: dict[str, Any]) -> str:
    return sha256_bytes(json.dumps(key, sort_keys=True).encode("utf-8"))


def should_record(result: FileResult) -> bool:
    """Errors are not kept: a re-run tries the file again (it may have been a full disk or a crash)."""
    return result.status != STATUS_ERROR and bool(result.sha256)


def default_cache_dir() -> Path:
    """``$DEEPCHECK_CACHE_DIR``, else ``$XDG_CACHE_HOME/deepcheck``, else ``~/.cache/deepcheck``."""
    if os.environ.get("DEEPCHECK_CACHE_DIR"):
        return Path(os.environ["DEEPCHECK_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "deepcheck"


def ensure_outside(folder: Path, roots: list[Path]) -> None:
    """Refuse a journal inside the evidence: writing there would alter what is being examined."""
    where = Path(os.path.realpath(folder))
    for root in roots:
        real = Path(os.path.realpath(root))
        if real.is_dir() and (where == real or real in where.parents):
            raise JournalError(
                f"the resume journal folder {folder} is inside the evidence folder {root}; "
                "set DEEPCHECK_CACHE_DIR to a folder outside the evidence"
            )


class NullJournal:
    """Remembers nothing: every file is analysed."""

    location = None

    def known(self, path: str) -> frozenset[str]:
        return frozenset()

    def lookup(self, path: str, sha256: str) -> FileResult | None:
        return None

    def record(self, path: str, result: FileResult) -> None:
        pass

    def close(self) -> None:
        pass


class JsonlJournal:
    """An append-only JSON Lines file; memory holds only path → {sha256: byte offset}.

    Each record is one ``os.write`` on an ``O_APPEND`` descriptor, so a killed
    driver leaves at most one torn last line, which loading skips.
    """

    def __init__(self, file: Path, key: dict[str, Any]):
        self.location = Path(file)
        self.key = key
        self._index: dict[str, dict[str, int]] = {}
        self.location.parent.mkdir(parents=True, exist_ok=True)
        self._load()
        self._fd = os.open(self.location, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._reader = open(self.location, "rb")  # noqa: SIM115 - kept open for lookups
        if self.location.stat().st_size == 0:
            self._append({"schema": SCHEMA, "key": key, "created": time.time()})
        elif not self._ends_with_newline():
            os.write(self._fd, b"\n")  # seal a torn last line so the next record starts clean
        self._last_sync = time.monotonic()

    @classmethod
    def open(cls, cache_dir: Path, key: dict[str, Any]) -> JsonlJournal:
        """The journal for this model and these settings under ``cache_dir/journal``."""
        return cls(Path(cache_dir) / "journal" / f"{key_digest(key)[:24]}.jsonl", key)

    def _load(self) -> None:
        if not self.location.exists():
            return
        offset = 0
        with open(self.location, "rb") as fh:
            for line in fh:
                try:
                    entry = json.loads(line)
                    if "path" in entry and "result" in entry:
                        self._index.setdefault(entry["path"], {})[entry["result"]["sha256"]] = offset
                except (ValueError, KeyError, TypeError):
                    pass  # a torn or foreign line: ignore it, the file will simply be analysed again
                offset += len(line)

    def _ends_with_newline(self) -> bool:
        self._reader.seek(-1, os.SEEK_END)
        return self._reader.read(1) == b"\n"

    def _append(self, entry: dict[str, Any]) -> int:
        data = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        offset = os.lseek(self._fd, 0, os.SEEK_END)
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]
        now = time.monotonic()
        if now - getattr(self, "_last_sync", 0.0) >= FSYNC_EVERY_S:
            os.fsync(self._fd)
            self._last_sync = now
        return offset

    def known(self, path: str) -> frozenset[str]:
        return frozenset(self._index.get(path, ()))

    def lookup(self, path: str, sha256: str) -> FileResult | None:
        offset = self._index.get(path, {}).get(sha256)
        if offset is None:
            return None
        self._reader.seek(offset)
        entry = json.loads(self._reader.readline())
        return ScanReport.from_dict({"files": [entry["result"]]}).files[0]

    def record(self, path: str, result: FileResult) -> None:
        if not should_record(result):
            return
        offset = self._append({"path": path, "result": result.to_dict()})
        self._index.setdefault(path, {})[result.sha256] = offset

    def close(self) -> None:
        if self._fd >= 0:
            os.fsync(self._fd)
            os.close(self._fd)
            self._reader.close()
            self._fd = -1
