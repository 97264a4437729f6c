"""Reading evidence without changing it: the walk over folders, and files held open while read.

Every file is opened once, read-only, and all reads (hash, sniff, decode) go
through that one descriptor. So the bytes hashed are the bytes decoded even
if the path is swapped for another file mid-scan, and no decoder ever sees
the file's name (FFmpeg would read ``http:…`` or ``%d`` in a name as a URL or
a pattern). Files and folders are opened with ``O_NOATIME`` where the kernel
allows it, so a scan does not even move access times. Nothing here writes.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from deepcheck.media.fileio import CHUNK

_NOATIME = getattr(os, "O_NOATIME", 0)
_BASE_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)

FILE_KINDS = (
    (stat.S_ISFIFO, "named pipe (FIFO)"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
)


class NotRegularFile(Exception):
    """The path is a pipe, socket, device or folder: never read (a pipe would block forever)."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def open_readonly(path: Path | str, directory: bool = False) -> int:
    """A read-only descriptor; O_NONBLOCK so a FIFO cannot hang the scan, O_NOATIME when allowed."""
    flags = _BASE_FLAGS | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    if _NOATIME:
        try:
            return os.open(path, flags | _NOATIME)
        except PermissionError:
            pass  # O_NOATIME is only allowed to the file's owner (EPERM): read without it
    return os.open(path, flags)


def file_kind(mode: int) -> str | None:
    """'named pipe (FIFO)', 'socket', … for special files; None for a regular file or folder."""
    for test, name in FILE_KINDS:
        if test(mode):
            return name
    return None


@dataclass
class EvidenceFile:
    """One open evidence file: its stat at open time and a binary stream over it."""

    path: Path
    file: BinaryIO
    stat: os.stat_result

    def head(self, size: int = 32) -> bytes:
        return os.pread(self.file.fileno(), size, 0)

    def sha256(self) -> str:
        """Hash the whole file through the open descriptor, then rewind it for the decoder."""
        import hashlib

        digest = hashlib.sha256()
        self.file.seek(0)
        while chunk := self.file.read(CHUNK):
            digest.update(chunk)
        self.file.seek(0)
        return digest.hexdigest()

    def digests(self) -> tuple[str, str]:
        """(MD5, SHA-256) of the whole file in one read through the open descriptor, then rewound.

        MD5 is broken for security but still the key of many hotline and police hash lists, so it is
        kept beside the SHA-256 that the rest of deepcheck relies on.
        """
        import hashlib

        md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
        self.file.seek(0)
        while chunk := self.file.read(CHUNK):
            md5.update(chunk)
            sha.update(chunk)
        self.file.seek(0)
        return md5.hexdigest(), sha.hexdigest()

    def changed_in_place(self) -> bool:
        """True if the open file was written to since it was opened (size or mtime moved)."""
        now = os.fstat(self.file.fileno())
        return (now.st_size, now.st_mtime_ns) != (self.stat.st_size, self.stat.st_mtime_ns)

    def path_note(self) -> str | None:
        """A note when the path no longer names the file that was read (deleted or replaced meanwhile)."""
        try:
            now = os.stat(self.path)
        except OSError:
            return "the file was deleted or moved during the scan; this record is of the file as it was read"
        if (now.st_dev, now.st_ino) != (self.stat.st_dev, self.stat.st_ino):
            return "the path was replaced by another file during the scan; this record is of the file as it was read"
        return None


@contextmanager
def open_evidence(path: Path) -> Iterator[EvidenceFile]:
    """Open a regular file for reading only; refuse pipes, sockets, devices and folders."""
    fd = open_readonly(path)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile("folder" if stat.S_ISDIR(st.st_mode) else (file_kind(st.st_mode) or "special file"))
        if hasattr(os, "O_NONBLOCK"):
            import fcntl

            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        fh = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with fh:
        yield EvidenceFile(path=Path(path), file=fh, stat=st)


def iter_inputs(paths: list[Path]) -> Iterator[Path]:
    """Expand files and folders (recursively) into paths, sorted, each once.

    Folders named on the command line are walked even if they are symlinks;
    symlinked folders found inside are listed (and reported as not followed)
    but never entered, so a walk cannot loop or leave the tree. File symlinks
    are listed and read. Hidden files are included: evidence can hide. A
    folder that cannot be listed is yielded itself, so it gets a record
    instead of silently dropping its files.
    """
    seen: set[str] = set()
    for root in paths:
        if _is_dir(root):
            candidates = sorted(_walk(Path(root)))
        else:
            candidates = [Path(root)]
        for path in candidates:
            key = os.path.abspath(path)
            if key not in seen:
                seen.add(key)
                yield path


def _is_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _walk(root: Path) -> Iterator[Path]:
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            fd = open_readonly(folder, directory=True)
        except OSError:
            yield folder  # unreadable (permissions, too long a path): the folder gets an error record
            continue
        try:
            with os.scandir(fd) as entries:
                listed = list(entries)
        except OSError:
            yield folder
            continue
        finally:
            os.close(fd)
        for entry in listed:
            path = folder / entry.name
            try:
                is_real_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_real_dir = False
            if is_real_dir:
                stack.append(path)
            else:
                yield path  # files, symlinks (to files or folders), pipes, devices


def display_path(path: Path | str) -> tuple[str, bool]:
    """The path as report text, and whether undecodable bytes had to be escaped (as \\xNN).

    POSIX names are bytes; a name that is not valid UTF-8 would otherwise crash
    every writer (JSON, CSV, terminal) at the very end of a scan.
    """
    text = os.fspath(path)
    try:
        text.encode("utf-8")
        return text, False
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogateescape")
        return raw.decode("utf-8", "backslashreplace"), True


def describe_os_error(exc: OSError) -> str:
    """A plain-words reason for a failed open or read."""
    code = exc.errno
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied: the file cannot be read"
    if code == errno.ENOENT:
        return "no such file (missing, or deleted before it could be read)"
    if code == errno.ELOOP:
        return "symlink loop: too many levels of symbolic links"
    if code == errno.ENAMETOOLONG:
        return "path too long for the operating system (over PATH_MAX or NAME_MAX)"
    if code == errno.EIO:
        return "input/output error while reading (failing disk or network share?)"
    if code == errno.ENXIO:
        return "not a readable file (a socket or a device without a reader)"
    return f"cannot read file: {exc.strerror or exc}"
