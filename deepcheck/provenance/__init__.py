"""Provenance beside the pixels: what a file declares about how it was made.

``read_provenance`` reads C2PA Content Credentials, XMP, EXIF, PNG text
chunks, comments and video container tags from the open, read-only evidence
file (the one that was hashed), and derives findings from them
(deepcheck/provenance/findings.py). It returns plain data and never raises:
malformed metadata becomes a note. Nothing here writes to the evidence.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from deepcheck.provenance.findings import CODES, derive_findings

__all__ = ["CODES", "read_provenance", "read_trust", "finding_codes"]

CAMERA_CONTAINERS = {"jpeg", "tiff", "avif", "webp"}  # formats whose EXIF we read and that cameras write


def read_provenance(
    fh: BinaryIO, kind: str, container: str, trust: str | None = None, opened_video: Any = None
) -> dict[str, Any]:
    """Provenance fields, notes and findings of one open media file (``kind`` image or video).

    ``opened_video``: the PyAV container a scan's decoder already holds on this video, if any.
    """
    from deepcheck.provenance.content_credentials import read_c2pa
    from deepcheck.provenance.limits import clip

    out: dict[str, Any] = {}
    notes: list[str] = []
    try:
        c2pa, found = read_c2pa(fh, container, trust)
        notes += found
        if c2pa is not None:
            out["c2pa"] = c2pa
        if kind == "image":
            from deepcheck.provenance.still import read_still

            fields, found = read_still(fh, container)
            out.update(fields)
        else:
            from deepcheck.provenance.video import read_video

            fields, found = read_video(fh, opened_video)
            if fields:
                out["container"] = fields
        notes += found
        _settle_unparsed(out)
        notes += _camera_notes(out, kind, container)
    except Exception as exc:  # a bug here must cost the file its provenance, never its analysis
        notes.append(f"provenance could not be read: {type(exc).__name__}: {clip(exc, 200)}")
    finally:
        fh.seek(0)
    out["notes"] = notes
    out["findings"] = derive_findings(out)
    return out


C2PA_BLOCKS = {"JUMBF (APP11)", "C2PA (caBX)"}


def _settle_unparsed(prov: dict[str, Any]) -> None:
    """A file the C2PA reader could not parse: invalid Content Credentials only if a C2PA block is seen."""
    c2pa = prov.get("c2pa")
    if isinstance(c2pa, dict) and c2pa.pop("unparsed", False):
        if C2PA_BLOCKS.intersection(prov.get("other_blocks") or []):
            c2pa["validation"] = "invalid"
        else:
            del prov["c2pa"]


def _camera_notes(prov: dict[str, Any], kind: str, container: str) -> list[str]:
    """Say when a photo format that cameras write carries no camera fields (stripped, or not a camera)."""
    if kind != "image" or container not in CAMERA_CONTAINERS:
        return []
    exif = prov.get("exif")
    if exif is None:
        return ["no EXIF: camera make, model and capture time are missing (stripped, or not from a camera)"]
    missing = [name for name in ("make", "model", "datetime_original") if not exif.get(name)]
    if missing:
        return [f"EXIF has no camera {', '.join(missing)} (stripped, or not from a camera)"]
    return []


def read_trust(path: str | None) -> str | None:
    """The PEM trust anchors of ``--c2pa-trust`` (None without one); ValueError when the file holds none."""
    if not path:
        return None
    with open(path, encoding="utf-8", errors="replace") as fh:
        text = fh.read(16 << 20)
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise ValueError(f"{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
    return text


def finding_codes(provenance: dict[str, Any] | None) -> list[str]:
    """The finding codes of a file's provenance (empty when it was not read)."""
    return [f.get("code") for f in (provenance or {}).get("findings") or [] if isinstance(f, dict)]
