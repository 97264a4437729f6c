"""C2PA Content Credentials through c2pa-python (the Content Authenticity Initiative's bindings).

The manifest store is read from the same open, read-only descriptor as the
hash. Reading never touches the network: remote manifests and OCSP are not
fetched (a URL in evidence must not make the investigator's machine call
out). Trust is checked only against the anchors the user gives
(``--c2pa-trust``); with none, every signer is "untrusted", which means
"not verified", never "forged".
"""

from __future__ import annotations

import json
import re
from typing import Any, BinaryIO

from deepcheck.provenance.limits import MAX_FIELD, MAX_ITEMS, clip

MIME = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "tiff": "image/tiff",
    "heic": "image/heic",
    "avif": "image/avif",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "avi": "video/x-msvideo",
}
# failure codes that say the signer is not on the trust list: not that anything was changed
TRUST_CODES = {"signingCredential.untrusted", "signingCredential.ocsp.unknown", "timeStamp.untrusted"}
MAX_MANIFESTS = 10


def read_c2pa(fh: BinaryIO, container: str, trust_pem: str | None) -> tuple[dict[str, Any] | None, list[str]]:
    """(the active manifest's summary, notes), or (None, notes) when the file carries no Content Credentials."""
    mime = MIME.get(container)
    if mime is None:
        return None, []
    try:
        import c2pa
    except ImportError:
        return None, ["c2pa-python is not installed: Content Credentials were not checked"]
    settings: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if trust_pem:
        settings["trust"] = {"trust_anchors": trust_pem}
    fh.seek(0)
    try:
        with c2pa.Context.from_dict(settings) as context:
            reader = c2pa.Reader.try_create(mime, fh, context=context)
            if reader is None:
                return None, []
            with reader:
                store = json.loads(reader.json())
                certificates = _certificates(reader)
    except Exception as exc:  # C2paError subclasses: damaged JUMBF, bad CBOR, unsupported, remote-only
        return _unreadable(exc)
    finally:
        fh.seek(0)
    return summarize(store, trusted_list=bool(trust_pem), certificates=certificates), []


def _certificates(reader: Any) -> dict[str, dict[str, Any]]:
    """Manifest label -> the signing certificate's subject, issuer and validity, from the SDK's crJSON view.

    ``Reader.json()`` names only the subject's common name and organisation (which it calls "issuer");
    the crJSON view has the certificate's subject and issuer names and its validity. Extra detail only:
    a reader without crJSON, or a view that does not parse, leaves the manifest summary as it was.
    """
    try:
        view = json.loads(reader.crjson())
    except Exception:  # AttributeError (an SDK without crJSON), C2paError, ValueError
        return {}
    out = {}
    for m in view.get("manifests") or [] if isinstance(view, dict) else []:
        sig = m.get("signature") if isinstance(m, dict) else None
        info = sig.get("certificateInfo") if isinstance(sig, dict) else None
        if isinstance(info, dict) and isinstance(m.get("label"), str):
            out[m["label"]] = info
    return out


def distinguished_name(attributes: Any) -> str:
    """A certificate name as an RFC 4514 string (most specific attribute first), from the SDK's attribute map.

    The map holds the attributes in certificate order, one value per attribute type (the SDK keeps the last
    of repeated ones, e.g. two OU values).
    """
    if not isinstance(attributes, dict):
        return ""
    parts = [f"{key}={_escape(str(value))}" for key, value in attributes.items()]
    return clip(",".join(reversed(parts)), MAX_FIELD)


def _escape(value: str) -> str:
    """RFC 4514 section 2.4 escaping of one attribute value."""
    value = re.sub(r'([,+"\\<>;])', r"\\\1", value)
    if value.startswith(("#", " ")):
        value = "\\" + value
    if value.endswith(" "):
        value = value[:-1] + "\\ "
    return value


def _unreadable(exc: Exception) -> tuple[dict[str, Any] | None, list[str]]:
    name = type(exc).__name__.lstrip("_").removeprefix("C2pa")
    text = clip(exc, 300)
    text = text if text.startswith(name) else f"{name}: {text}"
    if name == "RemoteManifest" or "remote" in text.lower():
        return {"remote_only": True, "error": text}, [
            f"the file points to remote Content Credentials ({text}); deepcheck never fetches them"
        ]
    if "could not be parsed" in text:  # the container itself (a truncated JPEG): a manifest may not even exist
        return {"unparsed": True, "error": text}, [f"Content Credentials could not be checked: {text}"]
    return {"validation": "invalid", "error": text}, [f"Content Credentials are present but could not be read: {text}"]


def summarize(
    store: dict[str, Any], trusted_list: bool, certificates: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The report's view of a manifest store: active manifest, its chain of ingredients, validation."""
    manifests = store.get("manifests") if isinstance(store.get("manifests"), dict) else {}
    active = store.get("active_manifest")
    sdk_state = store.get("validation_state")
    codes = _codes(store)
    failures = [c for c in codes["failure"] if c not in TRUST_CODES]
    if failures or (sdk_state == "Invalid" and not codes["failure"]):
        validation = "invalid"
    elif sdk_state == "Trusted":
        validation = "valid"
    else:
        validation = "untrusted-signer"
    out: dict[str, Any] = {
        "validation": validation,
        "validation_state_sdk": sdk_state,
        "failure_codes": codes["failure"][:MAX_ITEMS],
        "trust_list": "given (--c2pa-trust)" if trusted_list else "none",
        "active_manifest": active,
        "manifests": {},
    }
    if codes["explanations"]:
        out["failures"] = codes["explanations"][:MAX_ITEMS]
    order = [active] + [k for k in manifests if k != active]
    for label in order[:MAX_MANIFESTS]:
        if isinstance(manifests.get(label), dict):
            out["manifests"][clip(label, 300)] = _manifest(manifests[label], (certificates or {}).get(label))
    if len(manifests) > MAX_MANIFESTS:
        out["manifests_not_kept"] = len(manifests) - MAX_MANIFESTS
    return out


def _codes(store: dict[str, Any]) -> dict[str, list]:
    results = store.get("validation_results") or {}
    active = results.get("activeManifest") or {} if isinstance(results, dict) else {}
    failure = active.get("failure") if isinstance(active, dict) else None
    if failure is None:  # older stores: a flat validation_status list
        failure = store.get("validation_status") or []
    items = [f for f in failure if isinstance(f, dict)]
    return {
        "failure": [clip(f.get("code"), 200) for f in items],
        "explanations": [clip(f"{f.get('code')}: {f.get('explanation', '')}", 400) for f in items],
    }


def _manifest(m: dict[str, Any], certificate: dict[str, Any] | None = None) -> dict[str, Any]:
    sig = m.get("signature_info") if isinstance(m.get("signature_info"), dict) else {}
    info = m.get("claim_generator_info")
    generator = m.get("claim_generator")
    if not generator and isinstance(info, list):
        generator = "; ".join(
            " ".join(str(x.get(k, "")) for k in ("name", "version")).strip() for x in info if isinstance(x, dict)
        )
    out = {
        "claim_generator": clip(generator or "", 300),
        "title": clip(m.get("title") or "", 300),
        "format": clip(m.get("format") or "", 100),
        "signer": _signer(sig, certificate or {}),
        "signing_time": clip(sig.get("time")) if sig.get("time") else None,
        "actions": _actions(m.get("assertions")),
        "ingredients": _ingredients(m.get("ingredients")),
    }
    return out


def _signer(sig: dict[str, Any], certificate: dict[str, Any]) -> dict[str, Any]:
    """The signing certificate: common name, organisation, full subject and issuer names, serial, validity."""
    validity = certificate.get("validity") if isinstance(certificate.get("validity"), dict) else {}
    out = {
        "subject_common_name": clip(sig.get("common_name") or "", 300),
        "organization": clip(sig.get("issuer") or "", 300),  # the SDK's "issuer": the subject's organisation
        "subject": distinguished_name(certificate.get("subject")),
        "issuer": distinguished_name(certificate.get("issuer")),
        "serial_number": clip(sig.get("cert_serial_number") or "", 100),
        "algorithm": clip(sig.get("alg") or "", 50),
    }
    for key, name in (("notBefore", "not_before"), ("notAfter", "not_after")):
        if validity.get(key):
            out[name] = clip(validity[key], 100)
    return out


def _actions(assertions: Any) -> list[dict[str, Any]]:
    actions = []
    for assertion in assertions if isinstance(assertions, list) else []:
        if not isinstance(assertion, dict) or not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        data = assertion.get("data") if isinstance(assertion.get("data"), dict) else {}
        for action in data.get("actions") or []:
            if not isinstance(action, dict) or len(actions) >= MAX_ITEMS:
                continue
            agent = action.get("softwareAgent")
            agent = agent.get("name") if isinstance(agent, dict) else agent
            entry = {"action": clip(action.get("action") or "", 200)}
            for key, value in (
                ("digital_source_type", action.get("digitalSourceType")),
                ("software_agent", agent),
                ("when", action.get("when")),
                ("description", action.get("description")),
            ):
                if value:
                    entry[key] = clip(value, MAX_FIELD)
            actions.append(entry)
    return actions


def _ingredients(items: Any) -> list[dict[str, Any]]:
    out = []
    for ing in items if isinstance(items, list) else []:
        if not isinstance(ing, dict) or len(out) >= MAX_ITEMS:
            continue
        entry = {
            "title": clip(ing.get("title") or "", 300),
            "format": clip(ing.get("format") or "", 100),
            "relationship": clip(ing.get("relationship") or "", 50),
        }
        if ing.get("active_manifest"):
            entry["manifest"] = clip(ing["active_manifest"], 300)
        status = ing.get("validation_status")
        if isinstance(status, list) and status:
            entry["validation_codes"] = [clip(s.get("code"), 200) for s in status if isinstance(s, dict)][:10]
        out.append(entry)
    return out
