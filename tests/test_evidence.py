"""Evidence is never modified: every byte, mtime and access time, and the list of files, stay the same."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from deepcheck.media.evidence import iter_inputs, open_readonly
from tests import hostile_corpus
from tests.conftest import run_cli, unprivileged


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under root: type, size, mtime, atime, content hash or link target.

    Reads with O_NOATIME (as deepcheck does), so taking the snapshot does not itself move access times.
    """
    entries: dict[str, tuple] = {}
    stack = [root]
    while stack:
        folder = stack.pop()
        fd = open_readonly(folder, directory=True)
        try:
            with os.scandir(fd) as it:
                names = [e.name for e in it]
        finally:
            os.close(fd)
        for name in names:
            path = folder / name
            st = os.lstat(path)
            key = str(path.relative_to(root))
            if stat.S_ISDIR(st.st_mode):
                stack.append(path)
                entries[key] = ("dir", st.st_mode, st.st_mtime_ns)
            elif stat.S_ISLNK(st.st_mode):
                entries[key] = ("link", os.readlink(path), st.st_mtime_ns)
            elif stat.S_ISREG(st.st_mode):
                digest = hashlib.sha256()
                with os.fdopen(open_readonly(path), "rb") as fh:
                    while chunk := fh.read(1 << 20):
                        digest.update(chunk)
                entries[key] = ("file", st.st_mode, st.st_size, st.st_mtime_ns, st.st_atime_ns, digest.hexdigest())
            else:
                entries[key] = ("special", st.st_mode, st.st_mtime_ns)
    st = os.stat(root)
    entries["."] = ("dir", st.st_mode, st.st_mtime_ns)
    return entries


@pytest.fixture()
def evidence_tree(tmp_path, astronaut) -> Path:
    root = tmp_path / "case 42"
    hostile_corpus.build(root / "hostile", astronaut)
    (root / "photos").mkdir()
    shutil.copy(root / "hostile" / "face.jpg", root / "photos" / "portrait.jpg")
    os.symlink("../photos/portrait.jpg", root / "hostile" / "link.jpg")
    return root


def test_scan_leaves_every_byte_and_time_unchanged(evidence_tree, tmp_path, analyzer):
    before = snapshot(evidence_tree)
    out = tmp_path / "reports"
    for fmt in ("json", "jsonl", "csv", "table"):
        target = out / f"report.{fmt}"
        proc = run_cli("scan", str(evidence_tree), "-f", fmt, "-o", str(target), "--frames", "2", "-q",
                       "--journal", str(tmp_path / "journal"))  # fmt: skip
        assert proc.returncode in (1, 3) and target.exists(), proc.stderr[-2000:]
    from deepcheck.scanning.pipeline import run_scan

    run_scan(list(iter_inputs([evidence_tree])), analyzer)
    after = snapshot(evidence_tree)
    assert after == before  # same entries (nothing new: no caches, temp files, thumbnails), bytes, mtimes, atimes


def test_read_only_tree_scans(shared_dir, astronaut, analyzer):
    """A tree nobody may write to (as 'nobody' when the tests run as root) scans as usual."""
    from deepcheck.scanning.pipeline import run_scan

    root = shared_dir / "ro"
    hostile_corpus.build(root, astronaut)
    (root / "pipe.mp4").unlink()
    writable = {Path(r.path).name: r.status for r in run_scan(list(iter_inputs([root])), analyzer).files}
    for path in sorted(root.rglob("*"), reverse=True) + [root]:
        path.chmod(path.stat().st_mode & ~0o222)
    with unprivileged():
        with pytest.raises(PermissionError):
            (root / "probe").write_text("x")
        report = run_scan(list(iter_inputs([root])), analyzer)
    assert {Path(r.path).name: r.status for r in report.files} == writable
    assert writable["face.jpg"] == "ok" and writable["clip.mp4"] == "ok"


def test_output_and_journal_inside_the_evidence(tmp_path, astronaut):
    """A journal is never kept inside scanned folders; a report written there is warned about."""
    import cv2

    root = tmp_path / "evidence"
    root.mkdir()
    cv2.imwrite(str(root / "a.png"), astronaut[:64, :64, ::-1])
    before = snapshot(root)
    refused = run_cli("scan", str(root), "-f", "json", "--journal", str(root / "journal"))
    assert refused.returncode == 2 and "inside the scanned folder" in refused.stderr
    env_inside = run_cli("scan", str(root), "-f", "json", "-q", env={"DEEPCHECK_JOURNAL": str(root / ".cache")})
    assert env_inside.returncode in (0, 1, 3) and "scanning without a journal" in env_inside.stderr
    assert snapshot(root) == before
    report = root / "report.json"
    warned = run_cli("scan", str(root), "-f", "json", "-o", str(report), "--no-journal")
    assert "written inside a scanned folder" in warned.stderr
    assert json.loads(report.read_text())["files"]
