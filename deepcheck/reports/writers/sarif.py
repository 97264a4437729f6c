"""SARIF 2.1.0: one result per hash-list match, flagged or review file, file not analysed, or provenance finding.

Code-scanning dashboards read SARIF. A file that matches a ``--hash-list`` entry
is an ``error``-level result of rule ``deepcheck/hash-list-match`` for each
match, listed before the file's other results. A file flagged fake is an ``error``-level
result of rule ``deepcheck/manipulated-face``; a file in the review band is a
``warning`` of rule ``deepcheck/needs-review`` (SARIF's levels are the verdict
bands); a file that could not be analysed is a ``warning`` of rule
``deepcheck/analysis-error``. A file whose
metadata declares AI generation is a ``warning`` of rule
``deepcheck/declared-ai-generated``, and one whose Content Credentials fail
validation an ``error`` of ``deepcheck/c2pa-invalid``. Files that passed
produce no result, as in any SARIF scanner.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from urllib.parse import quote

from deepcheck.reports.results import STATUS_ERROR, VERDICT_FAKE, VERDICT_REVIEW, FileResult, ScanReport
from deepcheck.reports.view import FileView, file_views

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
RULE_FAKE, RULE_ERROR = "deepcheck/manipulated-face", "deepcheck/analysis-error"
RULE_AI, RULE_C2PA = "deepcheck/declared-ai-generated", "deepcheck/c2pa-invalid"
RULE_REVIEW, RULE_HASH_LIST = "deepcheck/needs-review", "deepcheck/hash-list-match"
RULES = [
    {
        "id": RULE_FAKE,
        "name": "ManipulatedFace",
        "shortDescription": {"text": "A face in this file scored at or above the deepfake threshold."},
        "fullDescription": {
            "text": "The classifier estimated that a face in this photo or video was manipulated, with a score "
            "at or above the threshold. A detector can be wrong: review the file and the HTML report."
        },
        "defaultConfiguration": {"level": "error"},
    },
    {
        "id": RULE_ERROR,
        "name": "AnalysisError",
        "shortDescription": {"text": "The file could not be analysed."},
        "fullDescription": {"text": "The file could not be decoded or read, so no verdict exists for it."},
        "defaultConfiguration": {"level": "warning"},
    },
    {
        "id": RULE_AI,
        "name": "DeclaredAiGenerated",
        "shortDescription": {"text": "The file's metadata declares it generated or composited with AI."},
        "fullDescription": {
            "text": "C2PA Content Credentials, IPTC DigitalSourceType in XMP, or image-generator settings in the "
            "file say it was made or composited with AI. Unsigned metadata can be written by anyone; the "
            "face verdict is separate and unchanged."
        },
        "defaultConfiguration": {"level": "warning"},
    },
    {
        "id": RULE_C2PA,
        "name": "C2paInvalid",
        "shortDescription": {"text": "The file's Content Credentials do not validate."},
        "fullDescription": {
            "text": "The C2PA signature or hash binding fails: the file was changed after it was signed, or its "
            "manifest is damaged. An untrusted signer alone is not a failure (it means 'not verified')."
        },
        "defaultConfiguration": {"level": "error"},
    },
    {
        "id": RULE_REVIEW,
        "name": "NeedsReview",
        "shortDescription": {"text": "A face in this file scored in the review band, under the deepfake threshold."},
        "fullDescription": {
            "text": "The classifier's score for a face in this photo or video is at or above the review threshold "
            "and under the fake threshold: the model is unsure. The model card gives the share of fakes and of "
            "real faces that land in this band. Have a person look at the file and the HTML report."
        },
        "defaultConfiguration": {"level": "warning"},
    },
    {
        "id": RULE_HASH_LIST,
        "name": "HashListMatch",
        "shortDescription": {"text": "The file matches a hash list of known material (--hash-list)."},
        "fullDescription": {
            "text": "The file's MD5 or SHA-256 equals, or its PDQ or vPDQ perceptual hash is near, an entry of "
            "a hash list given to the scan. The result names the list, its label and the distance."
        },
        "defaultConfiguration": {"level": "error"},
    },
]
_RULE_INDEX = {rule["id"]: i for i, rule in enumerate(RULES)}  # results name their rule by id, never by position
# provenance finding code -> (rule id, level); the codes without a rule give no result
_FINDING_RULES = {"declared-ai-generated": (RULE_AI, "warning"), "c2pa-invalid": (RULE_C2PA, "error")}


def artifact_uri(path: str) -> str:
    """An absolute path as a file:// URI, a relative one as a percent-encoded relative reference."""
    posix = path.replace("\\", "/")
    encoded = quote(posix, safe="/", errors="surrogateescape")
    return "file://" + encoded if PurePosixPath(posix).is_absolute() else encoded


def _location(f: FileResult) -> dict:
    return {"physicalLocation": {"artifactLocation": {"uri": artifact_uri(f.path), "index": 0}}}


def _results(v: FileView, index: int, model: dict) -> list[dict]:
    """The file's results: hash-list matches, the face verdict or the error, then provenance findings with a rule."""
    f = v.result
    threshold, name = model.get("threshold"), model.get("name")
    found = [(RULE_HASH_LIST, "error", sentence) for sentence in v.matches]  # known material first
    if f.verdict == VERDICT_FAKE:
        found.append(
            (
                RULE_FAKE,
                "error",
                f"Flagged as manipulated: score {f.score:.4f} ≥ threshold {threshold} "
                f"(model {name}, {len(f.faces)} faces).",
            )
        )
    elif f.verdict == VERDICT_REVIEW:
        found.append(
            (
                RULE_REVIEW,
                "warning",
                f"Needs review: score {f.score:.4f} ≥ review threshold {model.get('review_threshold')}, under the "
                f"fake threshold {threshold} (model {name}, {len(f.faces)} faces).",
            )
        )
    elif f.status == STATUS_ERROR:
        found.append((RULE_ERROR, "warning", f"Could not be analysed: {f.error or 'unknown error'}."))
    for finding in (f.provenance or {}).get("findings") or []:
        if isinstance(finding, dict) and finding.get("code") in _FINDING_RULES:
            rule, level = _FINDING_RULES[finding["code"]]
            found.append((rule, level, str(finding.get("sentence") or finding["code"])))
    results = []
    for rule, level, text in found:
        location = _location(f)
        location["physicalLocation"]["artifactLocation"]["index"] = index
        result = {
            "ruleId": rule,
            "ruleIndex": _RULE_INDEX[rule],
            "level": level,
            "message": {"text": text.encode("utf-8", "backslashreplace").decode("utf-8")},
            "locations": [location],
            "properties": {
                "score": f.score,
                "verdict": f.verdict,
                "threshold": threshold,
                "review_threshold": model.get("review_threshold"),
                "model": name,
                "status": f.status,
            },
        }
        if f.sha256:
            result["partialFingerprints"] = {"sha256/v1": f.sha256}
        results.append(result)
    return results


def to_sarif(report: ScanReport) -> str:
    model = report.model
    artifacts, results = [], []
    for v in file_views(report):
        f = v.result
        found = _results(v, len(artifacts), model)
        if not found:
            continue
        artifact: dict = {"location": {"uri": artifact_uri(f.path)}}
        if f.sha256:
            artifact["hashes"] = {"sha-256": f.sha256}
        if f.size_bytes is not None:
            artifact["length"] = f.size_bytes
        artifacts.append(artifact)
        results.extend(found)
    invocation = {"executionSuccessful": True}
    if report.started:
        invocation["startTimeUtc"] = report.started
    if report.finished:
        invocation["endTimeUtc"] = report.finished
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "deepcheck",
                        "version": str(report.tool.get("version", "")),
                        "rules": RULES,
                    }
                },
                "invocations": [invocation],
                "artifacts": artifacts,
                "results": results,
                "properties": {
                    "model": {
                        k: model.get(k) for k in ("name", "architecture", "sha256", "threshold", "review_threshold")
                    },
                    "summary": report.summary(),
                    "findings_summary": report.findings_summary(),
                },
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
