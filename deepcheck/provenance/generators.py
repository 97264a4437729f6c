"""Image-generator traces: the settings Stable Diffusion front-ends write into the files they make.

AUTOMATIC1111 / Forge / Fooocus write a ``parameters`` text (prompt, then
``Negative prompt:``, then a ``Steps: …, Sampler: …`` line), into a PNG text
chunk or the EXIF UserComment of a JPEG/WebP. ComfyUI writes its node graph
as JSON (``prompt``, ``workflow``). Others use their own keys. Only text that
has the shape of generator settings counts; a chunk merely named ``prompt``
does not.
"""

from __future__ import annotations

import json
import re
from typing import Any

from deepcheck.provenance.limits import MAX_FIELD, MAX_ITEMS, MAX_TEXT, clip, clip_text

# text keys (PNG chunks) that other generators write; their presence is the trace
OTHER_KEYS = {
    "invokeai_metadata": "InvokeAI",
    "invokeai_graph": "InvokeAI",
    "sd-metadata": "InvokeAI",
    "Dream": "InvokeAI (dream)",
    "fooocus_scheme": "Fooocus",
    "generation_data": "Tensor.Art / Civitai",
}
_A1111_SETTINGS = re.compile(r"(?:^|\n)(Steps: \d+,.*)$", re.S)
_SETTING = re.compile(r"\s*([\w ./-]+): (\"(?:[^\"\\]|\\.)*\"|[^,]*)(?:,|$)")


def parse_a1111(text: str) -> dict[str, Any] | None:
    """Prompt, negative prompt and settings of an A1111-style ``parameters`` text; None if it is not one."""
    match = _A1111_SETTINGS.search(text)
    if match is None or "Sampler" not in match.group(1) and "Seed" not in match.group(1):
        return None
    head = text[: match.start(1)].rstrip("\n")
    prompt, _, negative = head.partition("\nNegative prompt:")
    if head.startswith("Negative prompt:"):
        prompt, negative = "", head[len("Negative prompt:") :]
    settings = {}
    for key, value in _SETTING.findall(match.group(1).split("\n")[0]):
        if len(settings) >= MAX_ITEMS:
            break
        settings[clip(key, 100)] = clip(value.strip().strip('"'), 300)
    return {
        "tool": "AUTOMATIC1111-style (parameters)",
        "prompt": clip_text(prompt.strip()),
        **({"negative_prompt": clip_text(negative.strip())} if negative.strip() else {}),
        "settings": settings,
    }


def parse_comfyui(key: str, text: str) -> dict[str, Any] | None:
    """ComfyUI's API graph (``prompt``) or UI graph (``workflow``): node types, prompts, checkpoints."""
    if len(text) > 8 * MAX_TEXT * 4:
        return {"tool": "ComfyUI", "note": f"{key} graph of {len(text):,} characters not parsed (over the size limit)"}
    try:
        graph = json.loads(text)
    except (ValueError, RecursionError):
        return None
    nodes = _comfy_nodes(key, graph)
    if not nodes:
        return None
    classes, prompts, models = [], [], []
    for node in nodes:
        kind = node.get("class_type") or node.get("type")
        if isinstance(kind, str) and kind not in classes:
            classes.append(kind)
        inputs = node.get("inputs") if isinstance(node.get("inputs"), dict) else {}
        widgets = node.get("widgets_values") if isinstance(node.get("widgets_values"), list) else []
        if isinstance(kind, str) and "TextEncode" in kind:
            texts = [inputs.get("text")] + [w for w in widgets if isinstance(w, str)]
            prompts += [t for t in texts if isinstance(t, str) and t.strip()]
        for name in ("ckpt_name", "unet_name", "lora_name", "model_name"):
            if isinstance(inputs.get(name), str):
                models.append(inputs[name])
    return {
        "tool": "ComfyUI",
        "graph": key,
        "node_types": [clip(c, 100) for c in classes[:MAX_ITEMS]],
        "prompt": clip_text("\n---\n".join(dict.fromkeys(prompts))),
        "models": [clip(m, 300) for m in dict.fromkeys(models)][:MAX_ITEMS],
    }


def _comfy_nodes(key: str, graph: Any) -> list[dict]:
    if key == "workflow" and isinstance(graph, dict) and isinstance(graph.get("nodes"), list):
        return [n for n in graph["nodes"] if isinstance(n, dict) and ("type" in n)]
    if key == "prompt" and isinstance(graph, dict):
        return [n for n in graph.values() if isinstance(n, dict) and isinstance(n.get("class_type"), str)]
    return []


def from_texts(texts: dict[str, str]) -> list[dict[str, Any]]:
    """Generator traces found in a file's text fields (PNG chunks, EXIF UserComment), one per tool."""
    found = []
    for key, text in texts.items():
        parsed = None
        if key in ("parameters", "UserComment", "Comment", "Description"):
            parsed = parse_a1111(text)
        elif key in ("prompt", "workflow"):
            parsed = parse_comfyui(key, text)
        elif key in OTHER_KEYS:
            parsed = {"tool": OTHER_KEYS[key], "key": key, "data": clip_text(text, MAX_FIELD * 4)}
        if parsed is not None:
            parsed["field"] = key
            found.append(parsed)
    return found


def decode_user_comment(raw: bytes | str) -> str:
    """EXIF UserComment: an 8-byte charset code, then the text (A1111 writes UNICODE, big-endian UTF-16)."""
    if isinstance(raw, str):
        return raw
    code, body = raw[:8], raw[8:]
    if code.startswith(b"UNICODE"):
        little = body[:2] in (b"\xff\xfe",) or (len(body) > 1 and body[0] != 0 and body[1] == 0)
        return body.decode("utf-16-le" if little else "utf-16-be", "replace").lstrip("\ufeff")
    if code.startswith(b"ASCII") or code == b"\x00" * 8:
        return body.decode("latin-1")
    return raw.decode("utf-8", "replace")
