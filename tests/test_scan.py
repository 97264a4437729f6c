"""The scan pipeline end to end: real MTCNN, the shipped model, real files."""

from __future__ import annotations

import numpy as np

from deepcheck.media.evidence import iter_inputs
from deepcheck.model import scoring
from deepcheck.reports.results import STATUS_ERROR, STATUS_NO_FACE, STATUS_OK, STATUS_SKIPPED
from tests.conftest import ASTRONAUT_FACE_BOX, iou


def test_face_photo_box_on_face_and_probability(analyzer, media_dir):
    result = analyzer.analyze(media_dir / "face.jpg")
    assert result.status == STATUS_OK, result.error
    assert result.media_type == "image"
    assert len(result.faces) == 1
    face = result.faces[0]
    assert iou(face.box, ASTRONAUT_FACE_BOX) > 0.6
    assert face.detection_prob > 0.95
    assert 0.0 <= face.score <= 1.0
    assert result.score == face.score
    t, r = analyzer.threshold, analyzer.review_threshold
    assert result.verdict == ("fake" if result.score >= t else "review" if result.score >= r else "real")
    assert len(result.sha256) == 64


def test_video_frames_faces_and_file_score(analyzer, media_dir):
    result = analyzer.analyze(media_dir / "clip.mp4")
    assert result.status == STATUS_OK, result.error
    assert result.media_type == "video"
    assert result.frames_analyzed == 8
    frames_with_face = {f.frame_index for f in result.faces}
    assert len(frames_with_face) == 8  # the face is visible in every sampled frame
    assert all(f.time_s is not None and 0 <= f.time_s <= 3.0 for f in result.faces)
    # the face slides right, so boxes move right over time
    xs = [f.box[0] for f in sorted(result.faces, key=lambda f: f.frame_index)]
    assert xs[-1] - xs[0] > 200
    # one person tracked through the clip; the file score is its mean face score
    assert {f.person for f in result.faces} == {0}
    assert np.isclose(result.score, np.mean([f.score for f in result.faces]), atol=1e-4)
    assert result.media["width"] == 640 and result.media["height"] == 480


def test_no_face_corrupt_and_renamed_text(analyzer, media_dir):
    noface = analyzer.analyze(media_dir / "noface.png")
    assert noface.status == STATUS_NO_FACE
    assert noface.score is None and noface.verdict is None
    corrupt = analyzer.analyze(media_dir / "corrupt.jpg")
    assert corrupt.status == STATUS_ERROR
    assert "decode" in corrupt.error or "truncated" in corrupt.error
    text = analyzer.analyze(media_dir / "notes.jpg")
    assert text.status == STATUS_ERROR
    assert "does not match its .jpg extension" in text.error
    skipped = analyzer.analyze(media_dir / "readme.txt")
    assert skipped.status == STATUS_SKIPPED
    assert skipped.sha256 is not None


def test_unicode_and_space_names(analyzer, media_dir, tmp_path):
    target = tmp_path / "évidence folder" / "фото лицо 1.jpg"
    target.parent.mkdir()
    target.write_bytes((media_dir / "face.jpg").read_bytes())
    video = tmp_path / "évidence folder" / "vidéo clip ✓.mp4"
    video.write_bytes((media_dir / "clip.mp4").read_bytes())
    results = [analyzer.analyze(p) for p in iter_inputs([target.parent])]
    assert [r.status for r in results] == [STATUS_OK, STATUS_OK]


def test_content_beats_extension(analyzer, media_dir, tmp_path):
    lying = tmp_path / "photo.mp4"
    lying.write_bytes((media_dir / "face.jpg").read_bytes())
    result = analyzer.analyze(lying)
    assert result.status == STATUS_OK
    assert result.media_type == "image"
    assert "does not match content" in result.media["note_extension"]


def test_crops_mode_scores_whole_image(media_dir, astronaut, tmp_path):
    import cv2

    from deepcheck.scanning.pipeline import Analyzer, ScanSettings

    crops = Analyzer.create(ScanSettings(crops=True))
    x1, y1, x2, y2 = ASTRONAUT_FACE_BOX
    crop_path = tmp_path / "crop.png"
    cv2.imwrite(str(crop_path), astronaut[y1:y2, x1:x2, ::-1])
    result = crops.analyze(crop_path)
    assert result.status == STATUS_OK
    assert result.faces[0].box == [0.0, 0.0, float(x2 - x1), float(y2 - y1)]
    assert 0 <= result.score <= 1


def test_file_score_ignores_brief_spurious_person():
    from deepcheck.reports.results import FaceResult

    faces = [FaceResult(frame_index=i, box=[10, 10, 60, 60], detection_prob=0.99, score=0.2) for i in range(8)]
    faces.append(FaceResult(frame_index=3, box=[300, 300, 330, 330], detection_prob=0.91, score=0.99))
    scoring.assign_persons(faces)
    persons = scoring.persons_of(faces)
    assert [p.frames for p in persons] == [8, 1]
    assert abs(scoring.file_score(persons) - 0.2) < 1e-6
    frames = scoring.frame_scores(faces)
    assert frames[3]["score"] == 0.99 and frames[3]["faces"] == 2
