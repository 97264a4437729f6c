"""The HTML report's provenance parts: a count of findings, and one panel per file.

Kept apart from the face sections (the page, deepcheck/reports/writers/html.py, and
each file's article, deepcheck/reports/writers/html_file.py, call in here): what a
file declares about how it was made is shown beside the face verdict, never
mixed into it. Every value comes from the evidence and is escaped.
"""

from __future__ import annotations

from typing import Any

from deepcheck.provenance.findings import source_type
from deepcheck.reports.results import FileResult
from deepcheck.reports.view import C2PA_STATES, ReportView
from deepcheck.reports.view import flatten as _flatten
from deepcheck.reports.writers.html_markup import e, kv_table

SEVERITY_BADGE = {"high": "b-fake", "medium": "b-no_face", "info": "b-skipped"}
PROMPT_PREVIEW = 300  # characters of a prompt shown before the details block
MAX_DEPTH = 5  # ingredient levels drawn in the manifest tree
MEANING = (
    "Provenance is what a file declares about how it was made: C2PA Content Credentials (signed), XMP and EXIF "
    "fields, generator settings and container tags (unsigned: anyone can write them). A declaration is strong "
    "evidence; its absence proves nothing, because metadata is often stripped. An untrusted C2PA signer means "
    "“not verified”, not “forged”. Findings never change the face score or verdict."
)


def provenance_summary(view: ReportView) -> str:
    """Files per finding (the same counts the PDF prints)."""
    if not view.finding_counts:
        return ""
    rows = "".join(f'<tr><th>{e(code)}</th><td class="num">{e(n)}</td></tr>' for code, n in view.finding_counts)
    return (
        '<section id="provenance-summary"><h2>Provenance findings</h2>'
        f'<table class="kv" id="finding-counts">{rows}</table><p class="aid">{e(MEANING)}</p></section>'
    )


def provenance_panel(f: FileResult) -> str:
    """One file's findings, C2PA manifest tree, generator prompts, metadata fields and notes."""
    prov = f.provenance
    if not isinstance(prov, dict):
        return ""
    out = '<div class="provenance"><h4>Provenance</h4>'
    findings = [x for x in prov.get("findings") or [] if isinstance(x, dict)]
    if findings:
        out += "<ul>" + "".join(_finding(x) for x in findings) + "</ul>"
    else:
        out += "<p>No finding.</p>"
    c2pa = prov.get("c2pa")
    if isinstance(c2pa, dict):
        out += _c2pa(c2pa)
    for gen in prov.get("generators") or []:
        if isinstance(gen, dict):
            out += _generator(gen)
    fields = {k: prov[k] for k in ("exif", "xmp", "container", "comments", "other_blocks") if prov.get(k)}
    chunks = [c for c in prov.get("text_chunks") or [] if isinstance(c, dict)]
    if fields or chunks:
        out += "<details><summary>Metadata fields</summary>" + (kv_table(_flatten(fields)) if fields else "")
        for chunk in chunks:
            out += _long_text(f"PNG {chunk.get('chunk', 'text')} chunk {chunk.get('key', '')!s}", chunk)
        out += "</details>"
    notes = [n for n in prov.get("notes") or [] if n]
    if notes:
        out += (
            '<div class="note"><strong>Notes</strong><ul>' + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul></div>"
        )
    return out + "</div>"


def _finding(x: dict[str, Any]) -> str:
    badge = SEVERITY_BADGE.get(str(x.get("severity")), "b-skipped")
    return f'<li><span class="badge {badge}">{e(x.get("code"))}</span> {e(x.get("sentence"))}</li>'


def _c2pa(c2pa: dict[str, Any]) -> str:
    state = c2pa.get("validation")
    label = C2PA_STATES.get(state, str(state))
    out = "<h4>Content Credentials (C2PA)</h4>" + kv_table(
        [
            ("validation", label),
            ("SDK validation state", c2pa.get("validation_state_sdk")),
            ("trust list", c2pa.get("trust_list")),
            ("failure codes", ", ".join(c2pa.get("failure_codes") or []) or None),
            ("error", c2pa.get("error")),
        ]
    )
    manifests = c2pa.get("manifests") if isinstance(c2pa.get("manifests"), dict) else {}
    active = c2pa.get("active_manifest")
    if active in manifests:
        out += '<div class="mono">' + _tree(active, manifests, set(), 0) + "</div>"
    return out


def _tree(label: str, manifests: dict[str, Any], seen: set[str], depth: int) -> str:
    """A manifest and, nested under it, the manifests of its ingredients (each drawn once)."""
    m = manifests.get(label)
    if not isinstance(m, dict) or label in seen or depth > MAX_DEPTH:
        return ""
    seen.add(label)
    signer = m.get("signer") or {}
    items = [
        f"claim generator: {e(m.get('claim_generator') or '—')}",
        f"signer: {e(signer.get('subject_common_name') or '—')} (issuer {e(signer.get('issuer') or '—')}, "
        f"{e(signer.get('algorithm') or '—')})",
        f"signing time: {e(m.get('signing_time') or 'none (no trusted timestamp)')}",
    ]
    for action in m.get("actions") or []:
        term = source_type(action.get("digital_source_type"))
        agent = f" by {e(action['software_agent'])}" if action.get("software_agent") else ""
        items.append(
            f"action <b>{e(action.get('action'))}</b>{agent}" + (f" · source: <b>{e(term)}</b>" if term else "")
        )
    for ing in m.get("ingredients") or []:
        sub = _tree(ing.get("manifest"), manifests, seen, depth + 1) if ing.get("manifest") else ""
        codes = ing.get("validation_codes")
        items.append(
            f"ingredient ({e(ing.get('relationship') or '—')}): {e(ing.get('title') or '—')} "
            f"{e(ing.get('format') or '')}" + (f" · codes: {e(', '.join(codes))}" if codes else "") + sub
        )
    head = f"manifest {e(label)}" + (f" · {e(m.get('title'))}" if m.get("title") else "")
    return f"<ul><li>{head}<ul>" + "".join(f"<li>{x}</li>" for x in items) + "</ul></li></ul>"


def _generator(gen: dict[str, Any]) -> str:
    out = f"<h4>Image-generator settings ({e(gen.get('tool'))}, field {e(gen.get('field'))})</h4>"
    for key, title in (("prompt", "prompt"), ("negative_prompt", "negative prompt")):
        if isinstance(gen.get(key), dict) and gen[key].get("text"):
            out += _long_text(title, gen[key])
    rows = [(k, v) for k, v in (gen.get("settings") or {}).items()]
    rows += [("models", ", ".join(gen["models"]))] if gen.get("models") else []
    rows += [("node types", ", ".join(gen["node_types"]))] if gen.get("node_types") else []
    return out + (kv_table(rows) if rows else "")


def _long_text(title: str, block: dict[str, Any]) -> str:
    """A preview of long evidence text, and the whole stored text in a details block (all escaped)."""
    text = str(block.get("text") or "")
    kept = f" (stored: first {len(text):,} of {block['length']:,} characters)" if block.get("truncated") else ""
    if len(text) <= PROMPT_PREVIEW and not kept:
        return f'<p><b>{e(title)}:</b> <span class="mono">{e(text)}</span></p>'
    return (
        f'<p><b>{e(title)}:</b> <span class="mono">{e(text[:PROMPT_PREVIEW])}…</span></p>'
        f'<details><summary>full {e(title)}{e(kept)}</summary><pre class="mono">{e(text)}</pre></details>'
    )
