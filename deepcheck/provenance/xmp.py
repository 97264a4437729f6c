"""XMP packets (RDF/XML): the fields that say how a file was made.

Parsed with defusedxml, so entity tricks (billion laughs, external entities)
in a hostile packet fail instead of expanding. A packet that does not parse
gives a note, never an exception.
"""

from __future__ import annotations

from typing import Any

from deepcheck.provenance.limits import MAX_FIELD, MAX_ITEMS, clip

NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "stEvt": "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "exif": "http://ns.adobe.com/exif/1.0/",
}
# (namespace prefix, local name) -> report key
FIELDS = {
    ("Iptc4xmpExt", "DigitalSourceType"): "digital_source_type",
    ("xmp", "CreatorTool"): "creator_tool",
    ("xmp", "CreateDate"): "create_date",
    ("xmp", "ModifyDate"): "modify_date",
    ("photoshop", "History"): "photoshop_history",
    ("photoshop", "DateCreated"): "date_created",
    ("tiff", "Make"): "make",
    ("tiff", "Model"): "model",
    ("xmpMM", "DocumentID"): "document_id",
    ("xmpMM", "OriginalDocumentID"): "original_document_id",
}
_EVENT = ("action", "softwareAgent", "when", "changed", "parameters")
MAX_PACKET = 1 << 20


def _q(prefix: str, local: str) -> str:
    return f"{{{NS[prefix]}}}{local}"


_KEYS = {_q(p, n): key for (p, n), key in FIELDS.items()}
_LI, _HISTORY = _q("rdf", "li"), _q("xmpMM", "History")


def parse_xmp(packet: bytes | str) -> dict[str, Any]:
    """The provenance fields of one XMP packet; ``{"error": …}`` when it is not well-formed XML."""
    from defusedxml import ElementTree

    raw = packet.encode("utf-8", "replace") if isinstance(packet, str) else packet
    if len(raw) > MAX_PACKET:
        return {"error": f"XMP packet of {len(raw):,} bytes is over the {MAX_PACKET:,}-byte limit; not parsed"}
    raw = raw.strip(b"\x00 \t\r\n")
    try:
        root = ElementTree.fromstring(raw)
    except Exception as exc:  # ParseError, EntitiesForbidden, DTDForbidden, …
        return {"error": f"XMP could not be parsed: {type(exc).__name__}: {clip(exc, 200)}"}
    out: dict[str, Any] = {}
    for el in root.iter():
        for attr, value in el.attrib.items():  # rdf:Description xmp:CreatorTool="…"
            if attr in _KEYS:
                out.setdefault(_KEYS[attr], clip(value))
        if el.tag in _KEYS:
            value = _element_value(el)
            if value:
                out.setdefault(_KEYS[el.tag], value)
        if el.tag == _HISTORY:
            out["history"] = _history(el)
    return out


def _element_value(el) -> str:
    """Simple text, or the items of an rdf:Alt/Seq/Bag joined (a resource attribute counts too)."""
    resource = el.attrib.get(_q("rdf", "resource"))
    if resource:
        return clip(resource)
    items = [li.text.strip() for li in el.iter(_LI) if li.text and li.text.strip()]
    if items:
        return clip("; ".join(items), MAX_FIELD)
    return clip(el.text or "")


def _history(el) -> list[dict[str, str]]:
    """xmpMM:History events (what Photoshop and others append on each save)."""
    events = []
    for li in el.iter(_LI):
        event = {}
        for name in _EVENT:
            value = li.attrib.get(_q("stEvt", name))
            if value is None:
                child = li.find(_q("stEvt", name))
                value = child.text if child is not None else None
            if value:
                event[name] = clip(value, 300)
        if event:
            events.append(event)
        if len(events) >= MAX_ITEMS:
            break
    return events
