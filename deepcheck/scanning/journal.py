"""The scan journal: finished file records kept outside the evidence, so an interrupted scan resumes.

Each finished file is appended (and fsynced) as one JSON line to a journal
file named by a *run key*: the hash of deepcheck's own source code, the
model's weights hash and card, and every scan setting. Re-running the same
command after a crash or ``kill -9`` takes each file whose path and SHA-256
content hash are in the journal from it, and analyses only the rest; the
report is the one an uninterrupted scan would have written (only timings
differ). Change the model, a setting or the code, and the key changes: old
entries are never reused.

Only ``ok``, ``no_face`` and ``skipped`` records are kept. Errors are always
retried: they can be passing (a file being copied, a permission fixed, the
time limit on a busy machine). Each file handed to a worker is first marked
``in_flight`` (written, not fsynced: it only has to survive the driver's death),
and every record, kept or not, settles it; a file left in flight by a killed
run counts as one attempt at it (deepcheck/scanning/engines/local.py).

The journal lives in ``$DEEPCHECK_JOURNAL``, else ``$XDG_CACHE_HOME/deepcheck/journal``,
else ``~/.cache/deepcheck/journal``; ``--journal DIR`` overrides both. It is
created private (0700 folder, 0600 files) because it names evidence files.
It is safe to delete at any time.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from deepcheck.media.evidence import display_path, open_evidence
from deepcheck.reports.results import STATUS_NO_FACE, STATUS_OK, STATUS_SKIPPED, FileResult, ScanReport

if TYPE_CHECKING:
    from deepcheck.model.card import ModelCard
    from deepcheck.scanning.settings import ScanSettings

ENV_VAR = "DEEPCHECK_JOURNAL"
KEPT_STATUSES = frozenset({STATUS_OK, STATUS_NO_FACE, STATUS_SKIPPED})


def default_dir() -> Path:
    """Where the journal lives unless ``--journal`` says otherwise: a user cache folder."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "deepcheck" / "journal"


def source_hash() -> str:
    """SHA-256 over deepcheck's own .py files: any code change starts a fresh journal."""
    package = Path(__file__).resolve().parents[1]  # deepcheck/, every layer
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def run_key(card: ModelCard, scan_settings: ScanSettings) -> str:
    """Everything that can change a record: code, model weights and card, scan settings."""
    from deepcheck._version import __version__

    settings = {k: v for k, v in scan_settings.to_dict().items() if k != "model"}  # the card says which model
    doc = {"version": __version__, "code": source_hash(), "card": card.to_dict(), "settings": settings}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


class Journal:
    """Append-only JSON Lines of finished records for one run key. Never raises during a scan."""

    def __init__(self, directory: Path, key: str):
        self.directory = Path(directory)
        self.key = key
        self.path = self.directory / f"{key[:40]}.jsonl"
        self.reused = 0
        self.problem: str | None = None  # set (and journaling stopped) if the journal cannot be written
        self._entries: dict[str, dict] = {}
        self._in_flight: dict[str, set[str]] = {}  # path → the runs that handed it out and never settled it
        self.run = os.urandom(8).hex()  # this run's mark: retries within one run count once
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._load()

    @classmethod
    def for_run(cls, card: ModelCard, settings: ScanSettings, directory: Path | None = None) -> Journal:
        return cls(directory or default_dir(), run_key(card, settings))

    def __len__(self) -> int:
        return len(self._entries)

    def _load(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as fh:
                for line in fh:
                    try:
                        entry = json.loads(line)
                        if "in_flight" in entry:
                            self._in_flight.setdefault(entry["in_flight"], set()).add(str(entry.get("run")))
                            continue
                        self._in_flight.pop(entry.get("settled", entry.get("path")), None)
                        if "result" in entry:
                            self._entries[entry["path"]] = entry
                    except (ValueError, KeyError, TypeError, AttributeError):
                        continue  # a line torn by a crash mid-write: that file is simply analysed again
        except FileNotFoundError:
            pass

    def lookup(self, path: Path) -> FileResult | None:
        """The journaled record of this path, if its content still has the same SHA-256."""
        shown = display_path(path)[0]
        entry = self._entries.get(shown)
        if entry is None:
            return None
        try:
            st = os.stat(path)
            if not stat.S_ISREG(st.st_mode) or st.st_size != entry.get("size"):
                return None
            with open_evidence(path) as evidence:
                if evidence.sha256() != entry["sha256"]:
                    return None
        except Exception:  # unreadable now: analyse the file afresh
            return None
        return self._reuse(entry, shown, st.st_mtime)

    def known(self, path: Path | str) -> frozenset[str]:
        """The content SHA-256 journaled for this path, if any: for engines whose workers hash the file
        where the evidence is (a Ray node) while the driver may not be able to read it."""
        entry = self._entries.get(display_path(path)[0])
        return frozenset({entry["sha256"]}) if entry else frozenset()

    def lookup_hashed(self, path: Path | str, sha256: str, size: int, mtime: float) -> FileResult | None:
        """The journaled record of this path when a worker found its content to hash to ``sha256``."""
        shown = display_path(path)[0]
        entry = self._entries.get(shown)
        if entry is None or entry["sha256"] != sha256 or entry.get("size") != size:
            return None
        return self._reuse(entry, shown, mtime)

    def _reuse(self, entry: dict, shown: str, mtime: float) -> FileResult | None:
        """The record kept in ``entry``, shown under today's path and time; None for a damaged entry."""
        try:
            result = ScanReport.from_dict({"files": [entry["result"]]}).files[0]
        except Exception:  # a damaged entry: analyse the file afresh
            return None
        result.path, result.mtime = shown, mtime
        self.reused += 1
        return result

    def interrupted(self, path: Path) -> int:
        """How many earlier runs died while this file was being analysed (it was in flight, never settled)."""
        return len(self._in_flight.get(display_path(path)[0], ()))

    def mark_in_flight(self, path: Path) -> None:
        """Note that a worker is about to analyse this file (survives the driver's death, no fsync)."""
        self._append({"in_flight": display_path(path)[0], "run": self.run}, sync=False)

    def record(self, result: FileResult, path: Path | None = None) -> None:
        """Append a finished record (fsynced, one write) if it is worth keeping; else settle its path."""
        if self.problem:
            return
        if result.status not in KEPT_STATUSES or not result.sha256:
            if path is not None:
                self.settle(path)
            return
        entry = {"path": result.path, "sha256": result.sha256, "size": result.size_bytes, "result": result.to_dict()}
        if self._append(entry, sync=True):
            self._entries[result.path] = entry

    def settle(self, path: Path | str) -> None:
        """Note that a file marked in flight was dealt with without a new record (an error, or reused)."""
        if not self.problem:
            self._append({"settled": display_path(path)[0]}, sync=False)

    def _append(self, entry: dict, sync: bool) -> bool:
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
            try:
                os.write(fd, line)
                if sync:
                    os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            self.problem = f"cannot write the journal {self.path}: {exc.strerror or exc}; journaling stopped"
            return False
        return True


def inside(path: Path, roots: list[Path]) -> Path | None:
    """The scanned folder that ``path`` lies in (symlinks resolved), or None."""
    real = Path(os.path.realpath(path))
    for root in roots:
        try:
            if not Path(root).is_dir():
                continue
            real_root = Path(os.path.realpath(root))
        except OSError:
            continue
        if real == real_root or real.is_relative_to(real_root):
            return Path(root)
    return None
