"""``deepcheck inspect FILE``: the provenance of one file as a tree, without loading any model.

The terminal face of ``deepcheck.inspect`` (deepcheck/inspection.py): the same
document as a tree with the findings on top, or as JSON. Registered on the app
in deepcheck/cli.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.text import Text
from rich.tree import Tree

SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "info": "dim"}
TREE_TEXT = 400  # characters of one value shown in the tree (the JSON has the stored text)


def inspect(
    file: Annotated[Path, typer.Argument(help="One photo or video.")],
    c2pa_trust: Annotated[
        Optional[Path],
        typer.Option(help="PEM file of trusted C2PA signer anchors (default: none, signers unverified)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="tree | json.")] = "tree",
) -> None:
    """Show what one file declares about how it was made (C2PA, XMP, EXIF, generator text, tags); no models."""
    from deepcheck.api.plan import UsageError
    from deepcheck.cli.common import EXIT_INCOMPLETE, fail
    from deepcheck.inspection import inspect as inspect_file

    if fmt not in ("tree", "json"):
        fail(f"unknown --format {fmt!r}; choose tree or json")
    try:
        doc = inspect_file(file, c2pa_trust=c2pa_trust)
    except UsageError as exc:
        fail(str(exc))
    if fmt == "json":
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        from rich.console import Console

        Console(highlight=False).print(render_tree(doc))
    if "error" in doc:
        raise typer.Exit(EXIT_INCOMPLETE)


def render_tree(doc: dict[str, Any]) -> Tree:
    """The inspect document as a rich tree. Every label is plain Text: evidence never becomes markup."""
    head = Text(str(doc.get("path")), style="bold")
    if doc.get("sha256"):
        head.append(f"  sha256 {doc['sha256']}", style="dim")
    tree = Tree(head)
    if doc.get("error"):
        tree.add(Text(str(doc["error"]), style="bold magenta"))
        return tree
    tree.add(Text(f"{doc.get('media_type')} · {doc.get('container')} · {doc.get('size_bytes'):,} bytes"))
    prov = doc.get("provenance") or {}
    findings = tree.add(Text("findings", style="bold"))
    for f in prov.get("findings") or []:
        label = Text(f"{f.get('code')} ", style=SEVERITY_STYLE.get(f.get("severity"), ""))
        findings.add(label.append(str(f.get("sentence")), style=""))
    if not prov.get("findings"):
        findings.add(Text("none"))
    c2pa = prov.get("c2pa")
    if isinstance(c2pa, dict):
        node = tree.add(Text("Content Credentials (C2PA)", style="bold"))
        for key in ("validation", "validation_state_sdk", "trust_list", "failure_codes", "error"):
            if c2pa.get(key):
                _add(node, key, c2pa[key])
        manifests = c2pa.get("manifests") or {}
        _manifest(node, c2pa.get("active_manifest"), manifests, set())
    for key, title in (
        ("generators", "image-generator settings"),
        ("exif", "EXIF"),
        ("xmp", "XMP"),
        ("text_chunks", "PNG text chunks"),
        ("comments", "comments"),
        ("container", "container tags"),
        ("other_blocks", "other metadata blocks"),
        ("notes", "notes"),
    ):
        if prov.get(key):
            _add(tree, title, prov[key], style="bold")
    return tree


def _manifest(node: Tree, label: Any, manifests: dict, seen: set) -> None:
    m = manifests.get(label)
    if not isinstance(m, dict) or label in seen:
        return
    seen.add(label)
    branch = node.add(Text(f"manifest {label}", style="bold"))
    for key in ("claim_generator", "title", "signer", "signing_time", "actions"):
        if m.get(key):
            _add(branch, key, m[key])
    if not m.get("signing_time"):
        branch.add(Text("signing_time: none (no trusted timestamp)", style="dim"))
    for ing in m.get("ingredients") or []:
        sub = branch.add(Text(f"ingredient ({ing.get('relationship')}): {ing.get('title')} {ing.get('format')}"))
        if ing.get("manifest"):
            _manifest(sub, ing["manifest"], manifests, seen)


def _add(node: Tree, key: str, value: Any, style: str = "") -> None:
    """A key and its value; dicts and lists become branches, long text is cut for the terminal."""
    if isinstance(value, dict):
        branch = node.add(Text(str(key), style=style or "bold"))
        for k, v in value.items():
            _add(branch, k, v)
    elif isinstance(value, list):
        branch = node.add(Text(str(key), style=style or "bold"))
        for i, v in enumerate(value):
            _add(branch, f"[{i}]", v)
    else:
        text = str(value)
        cut = text if len(text) <= TREE_TEXT else text[:TREE_TEXT] + f"… ({len(text):,} characters)"
        node.add(Text(f"{key}: ", style="cyan").append(cut, style=""))
