"""SARIF 2.1.0: one result per flagged file or file that could not be analysed.

Code-scanning dashboards read SARIF. A flagged file is an ``error``-level
result of rule ``deepcheck/manipulated-face``; a file that could not be
analysed is a ``warning`` of rule ``deepcheck/analysis-error``. Files that
passed produce no result, as in any SARIF scanner.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from urllib.parse import quote

from deepcheck.results import STATUS_ERROR, FileResult, ScanReport

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
RULE_FAKE, RULE_ERROR = "deepcheck/manipulated-face", "deepcheck/analysis-error"
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
]


def artifact_uri(path: str) -> str:
    """An absolute path as a file:// URI, a relative one as a percent-encoded relative reference."""
    posix = path.replace("\\", "/")
    encoded = quote(posix, safe="/", errors="surrogateescape")
    return "file://" + encoded if PurePosixPath(posix).is_absolute() else encoded


def _location(f: FileResult) -> dict:
    return {"physicalLocation": {"artifactLocation": {"uri": artifact_uri(f.path), "index": 0}}}


def _result(f: FileResult, index: int, model: dict) -> dict | None:
    threshold, name = model.get("threshold"), model.get("name")
    if f.verdict == "fake":
        rule, level = 0, "error"
        text = (
            f"Flagged as manipulated: score {f.score:.4f} ≥ threshold {threshold} (model {name}, {len(f.faces)} faces)."
        )
    elif f.status == STATUS_ERROR:
        rule, level = 1, "warning"
        text = f"Could not be analysed: {f.error or 'unknown error'}."
    else:
        return None
    location = _location(f)
    location["physicalLocation"]["artifactLocation"]["index"] = index
    result = {
        "ruleId": RULES[rule]["id"],
        "ruleIndex": rule,
        "level": level,
        "message": {"text": text.encode("utf-8", "backslashreplace").decode("utf-8")},
        "locations": [location],
        "properties": {"score": f.score, "threshold": threshold, "model": name, "status": f.status},
    }
    if f.sha256:
        result["partialFingerprints"] = {"sha256/v1": f.sha256}
    return result


def to_sarif(report: ScanReport) -> str:
    model = report.model
    artifacts, results = [], []
    for f in report.files:
        candidate = _result(f, len(artifacts), model)
        if candidate is None:
            continue
        artifact: dict = {"location": {"uri": artifact_uri(f.path)}}
        if f.sha256:
            artifact["hashes"] = {"sha-256": f.sha256}
        if f.size_bytes is not None:
            artifact["length"] = f.size_bytes
        artifacts.append(artifact)
        results.append(candidate)
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
                    "model": {k: model.get(k) for k in ("name", "architecture", "sha256", "threshold")},
                    "summary": report.summary(),
                },
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
