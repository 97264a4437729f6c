"""Small file helpers: streamed hashing and atomic writes.

Reports and model files are written to a temp file and renamed, so a crash
never leaves half a report behind.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, streamed so large videos never sit in memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class VerificationError(Exception):
    """A file that a card names is missing, unreadable, or not the one the card's SHA-256 names."""


def read_verified(path: Path, sha256: str | None, what: str = "file") -> bytes:
    """The file's bytes, read once and checked against the card's SHA-256.

    Callers load from these same bytes (not from the path again), so a file swapped between
    the check and the load is never run or unpickled.
    """
    if not path.is_file():
        raise VerificationError(f"{what} missing: {path}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise VerificationError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    actual = sha256_bytes(data)
    if not sha256 or actual != sha256:
        raise VerificationError(
            f"{what} {path} does not match its card: sha256 {actual[:16]}… != {(sha256 or '(none)')[:16]}…; "
            "refusing to load a tampered or unknown file"
        )
    return data


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
