"""The package's plan, checked from its source: layers that import only downward, and no import cycle.

The modules' syntax trees are walked (nothing is imported), so the test sees every import: those at
module level (run when the module loads, ``if TYPE_CHECKING:`` blocks included) and those inside
functions (run on first use). docs/ARCHITECTURE.md describes the same layers.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "deepcheck"

# Bottom to top: a module may import from its own layer and from the layers before it.
LAYERS = [
    "_version",
    "media",
    "provenance",
    "reports",
    "known",  # hash lists, duplicate groups, Telegram links: plain data over finished records
    "model",
    "faces",
    "scanning",
    "training",
    "api",
    "inspection",
    "cli",
    "__main__",
    "",  # deepcheck/__init__.py: the public names, on top of everything
]


def module_files() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = module_files()


def _target(name: str) -> str | None:
    """The deepcheck module an imported name lives in (a name inside a module counts as the module)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str) -> tuple[set[str], set[str]]:
    """(module-level imports, imports inside functions) of one module, as deepcheck module names."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    top: set[str] = set()
    lazy: set[str] = set()

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join(anchor + ([child.module] if child.module else []))
                names = [f"{base}.{alias.name}" for alias in child.names]
            for name in names:
                if name.split(".")[0] != "deepcheck":
                    continue
                target = _target(name)
                if target and target != module:
                    (lazy if in_function else top).add(target)
            visit(child, nested)

    visit(tree, False)
    return top, lazy - top


def layer_of(module: str) -> int:
    parts = module.split(".")
    return LAYERS.index(parts[1] if len(parts) > 1 else "")


def test_every_module_has_a_layer():
    unknown = sorted(m for m in MODULES if (m.split(".") + [""])[1] not in LAYERS)
    assert not unknown, f"modules outside the layers in LAYERS: {unknown}"


def test_imports_point_down_the_layers():
    upward = []
    for module in MODULES:
        top, lazy = imports_of(module)
        for target in sorted(top | lazy):
            if layer_of(target) > layer_of(module):
                upward.append(f"{module} -> {target}" + (" (inside a function)" if target in lazy else ""))
    assert not upward, "imports that point up the layers:\n" + "\n".join(upward)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each one an import cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            strongconnect(v)
    return found


def test_no_import_cycle_between_modules():
    """Module-level imports (TYPE_CHECKING ones too) form no cycle, so every module can load on its own."""
    edges = {module: imports_of(module)[0] for module in MODULES}
    assert _cycles(edges) == []


def test_cycle_finder_finds_a_cycle():
    """The check above can fail: a made-up three-module loop is found."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_records_know_no_writer_and_the_journal_no_pipeline():
    """The two rules the old cycles broke: plain records import no writer when they load; the journal
    never imports the pipeline it records (not even for type hints)."""
    top, _lazy = imports_of("deepcheck.reports.results")
    assert not {m for m in top if m.startswith(("deepcheck.reports.writers", "deepcheck.reports.dataframes"))}
    top, lazy = imports_of("deepcheck.scanning.journal")
    assert "deepcheck.scanning.pipeline" not in top | lazy
    code = (
        "import sys, deepcheck.reports.results;"
        "print(sorted(m for m in sys.modules if m.startswith(('deepcheck.reports.writers', 'cv2', 'torch'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_architecture_page_matches_the_tree():
    """docs/ARCHITECTURE.md names every layer, and every module path it names exists."""
    import re

    page = (PACKAGE.parent / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for layer in LAYERS:
        if layer not in ("", "_version", "__main__"):
            assert f"`{layer}" in page, f"docs/ARCHITECTURE.md does not mention the layer {layer}"
    paths = set(re.findall(r"`([a-z_/]+\.py)`", page))
    assert len(paths) > 10
    places = (PACKAGE, PACKAGE.parent, PACKAGE / "scanning")  # in the package, the repository, or scanning/
    missing = sorted(p for p in paths if not any((where / p).is_file() for where in places))
    assert not missing, f"docs/ARCHITECTURE.md names modules that do not exist: {missing}"
    dotted = set(re.findall(r"`((?:media|faces|model|scanning|reports|training|provenance|known)\.[a-z_.]+)", page))
    unknown = sorted(d for d in dotted if not _target("deepcheck." + d))
    assert not unknown, f"docs/ARCHITECTURE.md names modules that do not exist: {unknown}"
