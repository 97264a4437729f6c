"""pandas views of results: one row per file, or one row per face. pandas is optional."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deepcheck.reports.writers.machine import CSV_COLUMNS, file_row

if TYPE_CHECKING:
    import pandas

    from deepcheck.reports.results import FileResult, ScanReport

FACE_COLUMNS = ["frame_index", "time_s", "person", "score", "detection_prob", "x1", "y1", "x2", "y2"]


def files_frame(report: ScanReport) -> pandas.DataFrame:
    """The CSV report as a DataFrame (None/NaN where a value is unknown)."""
    return _pandas().DataFrame([file_row(f) for f in report.files], columns=CSV_COLUMNS)


def faces_frame(result: FileResult) -> pandas.DataFrame:
    """A file's faces; the box is split into x1, y1, x2, y2 in original pixels."""
    rows = [
        [face.frame_index, face.time_s, face.person, face.score, face.detection_prob, *face.box]
        for face in result.faces
    ]
    return _pandas().DataFrame(rows, columns=FACE_COLUMNS)


def _pandas():
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(
            "to_dataframe() needs pandas, which is not installed: pip install pandas "
            "(or use to_dict() / to_json(), which need nothing)"
        ) from exc
    return pandas
