"""JUnit XML: one testcase per file, so CI test reporters (GitLab, Jenkins, GitHub) show the scan.

A file flagged fake is a ``<failure>``, a file that could not be analysed is an
``<error>``, a skipped file is ``<skipped>``; real and no-face files pass. A
file in the review band is a ``<failure>`` only when ``review`` is in
``--fail-on`` (as it then fails the exit code too); otherwise it passes, and its
output says it needs review. A file that matches a ``--hash-list`` entry is a
``<failure>`` of type ``hash-list-match`` (before any verdict failure), whatever
its verdict. Each media file's provenance finding codes are its
``provenance.findings`` property.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Collection

from deepcheck.provenance import finding_codes
from deepcheck.reports.results import (
    STATUS_ERROR,
    STATUS_NO_FACE,
    STATUS_SKIPPED,
    VERDICT_FAKE,
    VERDICT_REVIEW,
    FileResult,
    ScanReport,
)
from deepcheck.reports.view import file_views

# Characters XML 1.0 cannot hold at all (most C0 controls, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(value: object) -> str:
    """Text XML can carry: forbidden characters (possible in file names) become visible escapes."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", "" if value is None else str(value))


def _score_text(f: FileResult, threshold: object) -> str:
    return f"score {f.score:.4f}, threshold {threshold}" if f.score is not None else "no score"


def _review_text(f: FileResult, model: dict) -> str:
    return (
        f"score {f.score:.4f}, review threshold {model.get('review_threshold')}, "
        f"under the fake threshold {model.get('threshold')}"
    )


def _fails(f: FileResult, review_fails: bool) -> bool:
    """A testcase with a ``<failure>``: on a hash list, flagged fake, or to review when review is in --fail-on."""
    return bool(f.hash_matches) or f.verdict == VERDICT_FAKE or (review_fails and f.verdict == VERDICT_REVIEW)


def to_junit(report: ScanReport, fail_on: Collection[str] = (VERDICT_FAKE,)) -> str:
    """The JUnit document; ``fail_on`` is ``--fail-on``: with ``review`` in it, review files are failures."""
    s = report.summary()
    model = report.model
    threshold = model.get("threshold")
    review_fails = VERDICT_REVIEW in fail_on
    total_time = sum(f.seconds or 0.0 for f in report.files)
    counts = {
        "tests": str(s["files"]),
        "failures": str(sum(1 for f in report.files if _fails(f, review_fails))),
        "errors": str(s[STATUS_ERROR]),
        "skipped": str(s[STATUS_SKIPPED]),
        "time": f"{total_time:.3f}",
    }
    suites = ET.Element("testsuites", name="deepcheck", **counts)
    suite = ET.SubElement(suites, "testsuite", name="deepcheck scan", timestamp=xml_safe(report.started), **counts)
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("tool.version", report.tool.get("version")),
        ("model.name", model.get("name")),
        ("model.sha256", model.get("sha256")),
        ("threshold", threshold),
        ("review_threshold", model.get("review_threshold")),
        ("fail_on", ",".join(sorted(fail_on))),
        ("started", report.started),
        ("finished", report.finished),
        *((f"findings.{code}", n) for code, n in report.findings_summary().items()),
    ):
        ET.SubElement(props, "property", name=name, value=xml_safe(value))
    for f, v in zip(report.files, file_views(report)):
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"deepcheck.{f.media_type or 'file'}",
            name=xml_safe(f.path),
            file=xml_safe(f.path),
            time=f"{f.seconds or 0.0:.3f}",
        )
        if f.hash_matches:  # known material: a failure of its own, before the face verdict
            matches = "; ".join(v.matches)
            el = ET.SubElement(case, "failure", type="hash-list-match", message=xml_safe(matches))
            el.text = xml_safe(f"{f.path}\n{matches}")
        if f.provenance is not None:  # provenance findings: a property, beside the face verdict
            case_props = ET.SubElement(case, "properties")
            ET.SubElement(
                case_props,
                "property",
                name="provenance.findings",
                value=xml_safe(",".join(finding_codes(f.provenance))),
            )
        detail = f"sha256 {f.sha256 or '-'}; model {model.get('name')}"
        flagged = None  # (failure type, message head, score text) for a face verdict that fails the case
        if f.verdict == VERDICT_REVIEW and review_fails:
            flagged = ("deepfake-review", "needs review", _review_text(f, model))
        elif f.verdict == VERDICT_FAKE:
            flagged = ("deepfake", "flagged as manipulated", _score_text(f, threshold))
        if flagged:
            kind, head, text = flagged
            el = ET.SubElement(case, "failure", type=kind, message=xml_safe(f"{head}: {text}"))
            el.text = xml_safe(f"{f.path}\n{text}; {len(f.faces)} faces; {detail}")
        elif f.status == STATUS_ERROR:
            el = ET.SubElement(case, "error", type="analysis-error", message=xml_safe(f.error or "error"))
            el.text = xml_safe(f"{f.path}\n{f.error}")
        elif f.status == STATUS_SKIPPED:
            ET.SubElement(case, "skipped", message=xml_safe(f.error or "skipped"))
        else:
            out = ET.SubElement(case, "system-out")
            if f.status == STATUS_NO_FACE:
                text = "no face found"
            elif f.verdict == VERDICT_REVIEW:  # passes: review is not in --fail-on
                text = f"needs review (not in --fail-on): {_review_text(f, model)}"
            else:
                text = f"not flagged: {_score_text(f, threshold)}"
            out.text = xml_safe(text)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
