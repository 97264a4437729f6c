"""A plain script scans: the workers never import the caller's ``__main__``.

Workers used to be multiprocessing ``spawn`` children, which re-import the parent's main module:
the README's example saved as a file, with no ``if __name__ == "__main__":`` guard, scanned again
inside every worker, and the scan failed with "analysis workers keep dying". The README's example
runs here as it is written, in a fresh interpreter, three ways: as a script file, under
``python -c`` and from stdin. Each must exit 0 with a record for every file.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_api import _python_api_example

NAMES = {"face.jpg": "ok", "second.jpg": "ok", "noface.png": "no_face", "clip.mp4": "ok"}


@pytest.fixture(scope="module")
def example() -> str:
    pytest.importorskip("pandas")  # the example makes a DataFrame
    code = _python_api_example()
    assert "__main__" not in code  # the example as users copy it: no main guard
    # a last line that shows every record, so the test can check them; the example itself is unchanged
    return code + '\nprint("RECORDS", sorted((Path(f.path).name, f.status) for f in report.files))\n'


def _workspace(tmp_path: Path, media_dir: Path) -> Path:
    """The example scans ``examples/``: here, photos with and without a face and a clip."""
    (tmp_path / "examples").mkdir()
    for name in NAMES:
        source = "face.jpg" if name == "second.jpg" else name
        shutil.copy(media_dir / source, tmp_path / "examples" / name)
    return tmp_path


def _check(proc: subprocess.CompletedProcess, folder: Path) -> None:
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "WorkerError" not in proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RECORDS "))
    assert line == "RECORDS " + str(sorted(NAMES.items()))
    assert (folder / "report.html").read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")


@pytest.mark.parametrize("how", ["script", "dash-c", "stdin"])
def test_the_readme_example_runs_without_a_main_guard(how, example, tmp_path, media_dir):
    folder = _workspace(tmp_path, media_dir)
    code = "from pathlib import Path\n" + example
    if how == "script":
        (folder / "scan.py").write_text(code, encoding="utf-8")
        command, stdin = [sys.executable, "scan.py"], None
    elif how == "dash-c":
        command, stdin = [sys.executable, "-c", code], None
    else:
        command, stdin = [sys.executable, "-"], code
    proc = subprocess.run(command, cwd=folder, input=stdin, capture_output=True, text=True, timeout=600)
    _check(proc, folder)
