"""Findings: the interpretation of a file's provenance fields, derived in one place and re-runnable.

The raw fields are evidence; a finding is a reading of them, with a severity
and a plain sentence. Findings never touch the face score or verdict.
"""

from __future__ import annotations

from typing import Any

AI_GENERATED, EDITED, C2PA_INVALID, VALID_CAPTURE, NO_PROVENANCE = (
    "declared-ai-generated",
    "declared-edited",
    "c2pa-invalid",
    "c2pa-valid-capture",
    "no-provenance",
)
CODES = (AI_GENERATED, EDITED, C2PA_INVALID, VALID_CAPTURE, NO_PROVENANCE)
SEVERITY = {AI_GENERATED: "high", C2PA_INVALID: "high", EDITED: "medium", VALID_CAPTURE: "info", NO_PROVENANCE: "info"}

# IPTC digital source types (the last path part of http://cv.iptc.org/newscodes/digitalsourcetype/…)
AI_SOURCE_TYPES = {"trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia"}
EDIT_SOURCE_TYPES = {
    "composite",
    "compositeCapture",
    "compositeSynthetic",
    "algorithmicallyEnhanced",
    "humanEdits",
    "minorHumanEdits",
}
CAPTURE_SOURCE_TYPES = {"digitalCapture", "computationalCapture"}
EDIT_ACTIONS = {
    "c2pa.edited",
    "c2pa.filtered",
    "c2pa.color_adjustments",
    "c2pa.cropped",
    "c2pa.resized",
    "c2pa.drawing",
    "c2pa.placed",
    "c2pa.removed",
    "c2pa.redacted",
}
HISTORY_EDITS = {"saved", "derived", "edited"}
# tool names in EXIF Software / xmp:CreatorTool that declare a generator or an editor (lower case)
GENERATOR_NAMES = (
    "midjourney",
    "dall-e",
    "dall·e",
    "stable diffusion",
    "novelai",
    "adobe firefly",
    "imagen",
    "ideogram",
    "leonardo.ai",
    "dreamstudio",
    "comfyui",
    "automatic1111",
    "invokeai",
    "fooocus",
)
EDITOR_NAMES = (
    "photoshop",
    "lightroom",
    "gimp",
    "affinity photo",
    "pixelmator",
    "snapseed",
    "facetune",
    "picsart",
    "faceapp",
    "meitu",
    "capcut",
    "after effects",
    "premiere",
    "davinci resolve",
    "final cut",
)
CAVEAT_UNSIGNED = "Unsigned metadata can be written by anyone; only Content Credentials are signed."
CAVEAT_ABSENT = (
    "Metadata is often stripped (messaging apps, social networks, screenshots), so its absence proves nothing."
)


def source_type(value: Any) -> str:
    """The IPTC term of a digitalSourceType URI (or of a bare term)."""
    return str(value or "").rstrip("/").rsplit("/", 1)[-1]


def derive_findings(prov: dict[str, Any]) -> list[dict[str, Any]]:
    """One finding per code that applies, each with the reasons that led to it."""
    reasons: dict[str, list[str]] = {code: [] for code in CODES}
    c2pa = prov.get("c2pa") or {}
    _from_c2pa(c2pa, reasons)
    xmp = prov.get("xmp") or {}
    term = source_type(xmp.get("digital_source_type"))
    if term in AI_SOURCE_TYPES:
        reasons[AI_GENERATED].append(f"XMP IPTC DigitalSourceType is {term} (unsigned)")
    elif term in EDIT_SOURCE_TYPES:
        reasons[EDITED].append(f"XMP IPTC DigitalSourceType is {term} (unsigned)")
    for event in xmp.get("history") or []:
        if str(event.get("action", "")).lower() in HISTORY_EDITS:
            agent = event.get("softwareAgent") or "unnamed software"
            reasons[EDITED].append(f"XMP history: {event['action']} by {agent} (unsigned)")
            break
    if xmp.get("photoshop_history"):
        reasons[EDITED].append("XMP photoshop:History records edits (unsigned)")
    for gen in prov.get("generators") or []:
        reasons[AI_GENERATED].append(f"image-generator settings in {gen.get('field')!r} ({gen.get('tool')}, unsigned)")
    for field, value in _tool_fields(prov):
        low = value.lower()
        if any(name in low for name in GENERATOR_NAMES):
            reasons[AI_GENERATED].append(f"{field} names an image generator: {value!r} (unsigned)")
        elif any(name in low for name in EDITOR_NAMES):
            reasons[EDITED].append(f"{field} names an editing application: {value!r} (unsigned)")
    if not any(reasons.values()) and not _has_fields(prov):
        reasons[NO_PROVENANCE].append("no Content Credentials, XMP, generator text, camera EXIF or container tags")
    return [_finding(code, reasons[code], c2pa) for code in CODES if reasons[code]]


def _from_c2pa(c2pa: dict[str, Any], reasons: dict[str, list[str]]) -> None:
    if not c2pa or c2pa.get("remote_only"):
        return
    state = c2pa.get("validation")
    if state == "invalid":
        codes = ", ".join(c2pa.get("failure_codes") or []) or c2pa.get("error") or "unreadable manifest"
        reasons[C2PA_INVALID].append(f"C2PA validation failed ({codes})")
    signed = {"valid": "signed, signer on the trust list", "untrusted-signer": "signed, signer not verified"}.get(
        state, "signature failed validation"
    )
    manifests = c2pa.get("manifests") or {}
    active = manifests.get(c2pa.get("active_manifest")) or {}
    for label, manifest in manifests.items():
        where = "C2PA" if label == c2pa.get("active_manifest") else "C2PA (an ingredient's manifest)"
        for action in manifest.get("actions") or []:
            term = source_type(action.get("digital_source_type"))
            name = action.get("action")
            if term in AI_SOURCE_TYPES:
                reasons[AI_GENERATED].append(f"{where} action {name} with digitalSourceType {term} ({signed})")
            elif term in EDIT_SOURCE_TYPES or (label == c2pa.get("active_manifest") and name in EDIT_ACTIONS):
                reasons[EDITED].append(f"{where} action {name}" + (f" ({term})" if term else "") + f" ({signed})")
    if state in ("valid", "untrusted-signer") and not reasons[AI_GENERATED] and not reasons[EDITED]:
        for action in active.get("actions") or []:
            term = source_type(action.get("digital_source_type"))
            if action.get("action") == "c2pa.created" and term in CAPTURE_SOURCE_TYPES:
                signer = (active.get("signer") or {}).get("subject_common_name") or "an unnamed signer"
                reasons[VALID_CAPTURE].append(f"C2PA c2pa.created {term}, signed by {signer!r} ({signed})")


def _tool_fields(prov: dict[str, Any]) -> list[tuple[str, str]]:
    exif, xmp = prov.get("exif") or {}, prov.get("xmp") or {}
    tags = (prov.get("container") or {}).get("tags") or {}
    fields = [
        ("EXIF Software", exif.get("software")),
        ("xmp:CreatorTool", xmp.get("creator_tool")),
        ("container encoder tag", tags.get("encoder")),
        ("QuickTime software tag", tags.get("com.apple.quicktime.software")),
    ]
    return [(name, str(value)) for name, value in fields if value]


def _has_fields(prov: dict[str, Any]) -> bool:
    exif = prov.get("exif") or {}
    xmp = {k: v for k, v in (prov.get("xmp") or {}).items() if k != "error"}
    container = prov.get("container") or {}
    stream_tags = any(len(s) > 3 for s in container.get("streams") or [])  # beyond index, type and codec
    return bool(
        prov.get("c2pa")
        or xmp
        or prov.get("generators")
        or prov.get("text_chunks")
        or prov.get("comments")
        or any(exif.get(k) for k in ("make", "model", "software", "datetime_original"))
        or container.get("tags")
        or stream_tags
    )


def _finding(code: str, why: list[str], c2pa: dict[str, Any]) -> dict[str, Any]:
    because = "; ".join(dict.fromkeys(why))
    if code == AI_GENERATED:
        sentence = f"The file declares that it was generated or composited with AI: {because}."
    elif code == EDITED:
        sentence = f"The file declares that it was edited: {because}."
    elif code == C2PA_INVALID:
        sentence = (
            f"The Content Credentials do not validate: {because}. The file was changed after it was signed, "
            "or its manifest is damaged."
        )
    elif code == VALID_CAPTURE:
        trusted = c2pa.get("validation") == "valid"
        sentence = f"Signed Content Credentials declare a camera capture: {because}." + (
            "" if trusted else " The signer is not on a trust list given to deepcheck: not verified (not forged)."
        )
    else:
        sentence = f"No provenance metadata was found ({because}). {CAVEAT_ABSENT}"
    caveat = CAVEAT_UNSIGNED if "unsigned" in because else ""
    if code in (AI_GENERATED, EDITED):
        sentence += f" {caveat}".rstrip()
    return {"code": code, "severity": SEVERITY[code], "sentence": " ".join(sentence.split())}
