"""Metadata of still images, read from the open descriptor with bounded walks over the file's structure.

JPEG segments, PNG chunks and WebP (RIFF) chunks are walked here directly:
only metadata blocks are read (never pixel data), every length is checked
against the file, and compressed text is inflated to a fixed cap. GIF, TIFF,
BMP and AVIF headers are left to Pillow's parser for that one format,
which reads their metadata without decoding pixels.
"""

from __future__ import annotations

import os
import struct
import zlib
from typing import Any, BinaryIO

from deepcheck.provenance import generators
from deepcheck.provenance.limits import MAX_INFLATE, MAX_ITEMS, MAX_SEGMENT, MAX_TEXT, clip, clip_text
from deepcheck.provenance.xmp import parse_xmp

MAX_BLOCKS = 10_000  # segments or chunks walked per file
XMP_KEY = "XML:com.adobe.xmp"
_EXIF_TAGS = {0x010F: "make", 0x0110: "model", 0x0131: "software", 0x0132: "datetime", 0x010E: "image_description"}
_EXIF_IFD_TAGS = {0x9003: "datetime_original", 0xA434: "lens_model", 0xA431: "body_serial_number"}
_PIL_ONLY = {"gif": "GIF", "tiff": "TIFF", "bmp": "BMP", "avif": "AVIF"}


class Found:
    """What one still image's metadata holds, filled as its blocks are read."""

    def __init__(self) -> None:
        self.exif: dict[str, Any] | None = None
        self.xmp: dict[str, Any] | None = None
        self.texts: list[dict[str, Any]] = []
        self.comments: list[str] = []
        self.raw_texts: dict[str, str] = {}  # full text per key, for the generator parsers (not stored)
        self.notes: list[str] = []
        self.blocks: list[str] = []  # other metadata blocks seen (IPTC IIM, extended XMP, ICC, …)

    def add_xmp(self, packet: bytes | str, where: str) -> None:
        parsed = parse_xmp(packet)
        if "error" in parsed:
            self.notes.append(f"{where}: {parsed['error']}")
        if self.xmp is None:
            self.xmp = parsed
        else:
            self.notes.append(f"{where}: a second XMP packet was ignored")

    def add_exif(self, data: bytes, where: str) -> None:
        if self.exif is not None:
            self.notes.append(f"{where}: a second EXIF block was ignored")
            return
        self.exif = read_exif(data, self.notes, where)
        comment = self.exif.pop("_user_comment", None)
        if comment:
            self.raw_texts.setdefault("UserComment", comment)

    def add_text(self, key: str, text: str, chunk: str) -> None:
        if len(self.texts) >= MAX_ITEMS:
            self.notes.append(f"more than {MAX_ITEMS} text chunks: the rest were not kept")
            return
        self.texts.append({"key": clip(key, 80), "chunk": chunk, **clip_text(text)})
        self.raw_texts.setdefault(key, text[: MAX_TEXT * 32])

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.exif is not None:
            out["exif"] = self.exif
        if self.xmp is not None:
            out["xmp"] = self.xmp
        if self.texts:
            out["text_chunks"] = self.texts
        if self.comments:
            out["comments"] = self.comments
        if self.blocks:
            out["other_blocks"] = self.blocks
        found = generators.from_texts(self.raw_texts)
        if found:
            out["generators"] = found
        return out


def read_still(fh: BinaryIO, container: str) -> tuple[dict[str, Any], list[str]]:
    """(fields, notes) for one image. Never raises: a malformed block becomes a note."""
    found = Found()
    fd = fh.fileno()
    size = os.fstat(fd).st_size
    try:
        if container == "jpeg":
            _jpeg(fd, size, found)
        elif container == "png":
            _png(fd, size, found)
        elif container == "webp":
            _webp(fd, size, found)
        elif container in _PIL_ONLY:
            _with_pillow(fh, container, found)
        else:
            found.notes.append(f"{container.upper()} metadata other than Content Credentials is not read")
    except Exception as exc:  # a walk that meets nonsense stops there; what was read so far is kept
        found.notes.append(f"{container} metadata could not be read completely: {type(exc).__name__}: {clip(exc, 200)}")
    return found.to_dict(), found.notes


def read_exif(data: bytes, notes: list[str], where: str) -> dict[str, Any]:
    """The provenance tags of an EXIF (TIFF-structured) block; a damaged block gives a note."""
    from PIL import Image

    out: dict[str, Any] = {}
    try:
        exif = Image.Exif()
        exif.load(data if data.startswith(b"Exif\x00\x00") else b"Exif\x00\x00" + data)
        for tag, name in _EXIF_TAGS.items():
            if exif.get(tag):
                out[name] = clip(exif[tag], 300)
        sub = exif.get_ifd(0x8769)
        for tag, name in _EXIF_IFD_TAGS.items():
            if sub.get(tag):
                out[name] = clip(sub[tag], 300)
        if sub.get(0x927C):
            out["maker_note_bytes"] = len(sub[0x927C]) if isinstance(sub[0x927C], bytes) else None
        if sub.get(0x9286):
            out["_user_comment"] = generators.decode_user_comment(sub[0x9286])[: MAX_TEXT * 32]
    except Exception as exc:
        notes.append(f"{where}: EXIF could not be parsed: {type(exc).__name__}: {clip(exc, 200)}")
    return out


def _read(fd: int, size: int, pos: int, length: int, what: str, found: Found) -> bytes | None:
    if length > MAX_SEGMENT:
        found.notes.append(f"{what} of {length:,} bytes is over the {MAX_SEGMENT:,}-byte limit; not read")
        return None
    if pos + length > size:
        found.notes.append(f"{what} runs past the end of the file (truncated or damaged)")
        return None
    return os.pread(fd, length, pos)


def _jpeg(fd: int, size: int, found: Found) -> None:
    pos = 2
    for _ in range(MAX_BLOCKS):
        head = os.pread(fd, 4, pos)
        if len(head) < 2 or head[0] != 0xFF:
            found.notes.append(f"JPEG structure broken at byte {pos:,}: metadata after it not read")
            return
        marker = head[1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no metadata after this point
            return
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        if len(head) < 4:
            return
        length = struct.unpack(">H", head[2:4])[0]
        if length < 2:
            found.notes.append(f"JPEG segment at byte {pos:,} has an impossible length")
            return
        if marker in (0xE1, 0xFE, 0xED, 0xE2):
            body = _read(fd, size, pos + 4, length - 2, f"JPEG segment 0x{marker:02X}", found)
            if body is not None:
                _jpeg_segment(marker, body, found)
        elif marker == 0xEB and "JUMBF (APP11)" not in found.blocks:
            found.blocks.append("JUMBF (APP11)")
        pos += 2 + length
    found.notes.append(f"over {MAX_BLOCKS:,} JPEG segments: the rest were not read")


def _jpeg_segment(marker: int, body: bytes, found: Found) -> None:
    if marker == 0xE1 and body.startswith(b"Exif\x00"):
        found.add_exif(body, "JPEG APP1")
    elif marker == 0xE1 and body.startswith(b"http://ns.adobe.com/xap/1.0/\x00"):
        found.add_xmp(body[29:], "JPEG APP1 XMP")
    elif marker == 0xE1 and body.startswith(b"http://ns.adobe.com/xmp/extension/\x00"):
        if "extended XMP" not in found.blocks:
            found.blocks.append("extended XMP")
    elif marker == 0xFE and len(found.comments) < MAX_ITEMS:
        found.comments.append(clip(body.decode("utf-8", "replace"), 2000))
        found.raw_texts.setdefault("Comment", body.decode("utf-8", "replace"))
    elif marker == 0xED and body.startswith(b"Photoshop 3.0") and "Photoshop IRB / IPTC IIM" not in found.blocks:
        found.blocks.append("Photoshop IRB / IPTC IIM")
    elif marker == 0xE2 and body.startswith(b"ICC_PROFILE") and "ICC profile" not in found.blocks:
        found.blocks.append("ICC profile")


def _png(fd: int, size: int, found: Found) -> None:
    pos = 8
    for _ in range(MAX_BLOCKS):
        head = os.pread(fd, 8, pos)
        if len(head) < 8:
            found.notes.append("PNG ends without an IEND chunk (truncated)")
            return
        length, kind = struct.unpack(">I4s", head)
        name = kind.decode("latin-1")
        if kind == b"IEND":
            return
        if kind in (b"tEXt", b"zTXt", b"iTXt", b"eXIf"):
            body = _read(fd, size, pos + 8, length, f"PNG {name} chunk", found)
            if body is not None:
                _png_chunk(name, body, found)
        elif kind == b"caBX" and "C2PA (caBX)" not in found.blocks:
            found.blocks.append("C2PA (caBX)")
        if pos + 12 + length > size:
            found.notes.append(f"PNG {name} chunk runs past the end of the file (truncated or damaged)")
            return
        pos += 12 + length
    found.notes.append(f"over {MAX_BLOCKS:,} PNG chunks: the rest were not read")


def _inflate(data: bytes, what: str, found: Found) -> bytes | None:
    try:
        inflater = zlib.decompressobj()
        out = inflater.decompress(data, MAX_INFLATE)
    except zlib.error as exc:
        found.notes.append(f"{what}: compressed text could not be inflated ({exc})")
        return None
    if inflater.unconsumed_tail:
        found.notes.append(f"{what}: compressed text inflates past {MAX_INFLATE:,} bytes; the first part is kept")
    return out


def _png_chunk(name: str, body: bytes, found: Found) -> None:
    if name == "eXIf":
        found.add_exif(body, "PNG eXIf")
        return
    key, sep, rest = body.partition(b"\x00")
    if not sep:
        found.notes.append(f"PNG {name} chunk without a keyword separator")
        return
    keyword = key.decode("latin-1")
    if name == "tEXt":
        text = rest.decode("latin-1")
    elif name == "zTXt":
        data = _inflate(rest[1:], f"PNG zTXt {keyword!r}", found)
        if data is None:
            return
        text = data.decode("latin-1")
    else:  # iTXt: flag, method, language\0, translated keyword\0, UTF-8 text
        if len(rest) < 2:
            found.notes.append(f"PNG iTXt {keyword!r} chunk is too short")
            return
        compressed = rest[0] == 1
        _lang, _, rest2 = rest[2:].partition(b"\x00")
        _translated, _, data = rest2.partition(b"\x00")
        if compressed:
            data = _inflate(data, f"PNG iTXt {keyword!r}", found)
            if data is None:
                return
        text = data.decode("utf-8", "replace")
    if keyword == XMP_KEY:
        found.add_xmp(text, f"PNG {name} XMP")
    else:
        found.add_text(keyword, text, name)


def _webp(fd: int, size: int, found: Found) -> None:
    pos, end = 12, min(size, 8 + struct.unpack("<I", os.pread(fd, 4, 4))[0])
    for _ in range(MAX_BLOCKS):
        head = os.pread(fd, 8, pos)
        if pos + 8 > end or len(head) < 8:
            return
        kind, length = struct.unpack("<4sI", head)
        if kind in (b"EXIF", b"XMP "):
            body = _read(fd, size, pos + 8, length, f"WebP {kind.decode('latin-1').strip()} chunk", found)
            if body is not None and kind == b"EXIF":
                found.add_exif(body, "WebP EXIF")
            elif body is not None:
                found.add_xmp(body, "WebP XMP")
        pos += 8 + length + (length & 1)
    found.notes.append(f"over {MAX_BLOCKS:,} WebP chunks: the rest were not read")


def _with_pillow(fh: BinaryIO, container: str, found: Found) -> None:
    """GIF comments/XMP, TIFF tags, BMP, AVIF: Pillow's parser for that one format, headers only."""
    from PIL import Image

    fh.seek(0)
    with Image.open(fh, formats=[_PIL_ONLY[container]]) as im:
        info = im.info
        xmp = info.get("xmp") or (im.tag_v2.get(700) if container == "tiff" else None)
        if xmp:
            found.add_xmp(xmp, f"{container.upper()} XMP")
        comment = info.get("comment")
        if comment:
            text = comment.decode("utf-8", "replace") if isinstance(comment, bytes) else str(comment)
            found.comments.append(clip(text, 2000))
            found.raw_texts.setdefault("Comment", text)
        exif = info.get("exif")
        if isinstance(exif, bytes) and exif:
            found.add_exif(exif, f"{container.upper()} EXIF")
        elif container == "tiff":
            tags = im.getexif()
            raw = tags.tobytes()
            found.add_exif(raw, "TIFF tags")
