"""``deepcheck.inspect(path)``: what one file declares about how it was made, without loading any model.

The analyst's quick look behind ``deepcheck inspect``: Content Credentials, XMP,
EXIF, generator settings and container tags, with the findings. The file is
opened read-only and hashed through one descriptor, as in a scan. A file that
cannot be read never raises: the document carries an ``error`` entry instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Union

PathLike = Union[str, "os.PathLike[str]"]


def inspect(path: PathLike, *, c2pa_trust: PathLike | None = None) -> dict[str, Any]:
    """The provenance document of one photo or video: ``deepcheck inspect -f json PATH``, as a dict.

    Keys: ``path``, ``sha256``, ``size_bytes``, ``media_type``, ``container`` and ``provenance``
    (raw fields and ``findings``), or ``error`` when the file cannot be read or is not media.
    Raises ValueError only for a bad ``c2pa_trust`` file (a PEM file of trusted signer anchors).
    """
    from deepcheck.api.plan import checked_trust
    from deepcheck.media.evidence import NotRegularFile, describe_os_error, open_evidence
    from deepcheck.media.formats import sniff_bytes
    from deepcheck.provenance import read_provenance, read_trust

    trust = read_trust(checked_trust(c2pa_trust))
    shown = os.fspath(path)
    try:
        with open_evidence(Path(path)) as evidence:
            doc: dict[str, Any] = {"path": shown, "sha256": evidence.sha256(), "size_bytes": evidence.stat.st_size}
            kind = sniff_bytes(evidence.head())
            if kind is None:
                doc["error"] = "not an image or video (by content): no provenance read"
                return doc
            doc["media_type"], doc["container"] = kind
            doc["provenance"] = read_provenance(evidence.file, kind[0], kind[1], trust=trust)
    except NotRegularFile as exc:
        return {"path": shown, "error": f"not a regular file ({exc.kind}): not read"}
    except OSError as exc:
        return {"path": shown, "error": describe_os_error(exc)}
    return doc
