"""The scan pipeline: paths → media → frames → faces → scores → FileResult.

It never prints. Progress is reported through a callback, and every failure
becomes an ``error`` record on its file so the scan always goes on.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from deepcheck.faces.detect import FaceDetector, cut_crop
from deepcheck.faces.tracking import detect_tracked
from deepcheck.media.evidence import NotRegularFile, describe_os_error, display_path, file_kind, open_evidence
from deepcheck.media.formats import (
    IMAGE_EXTS,
    VIDEO_EXTS,
    Frame,
    MediaError,
    MediaInfo,
    sniff_bytes,
)
from deepcheck.media.images import load_image
from deepcheck.media.perceptual import VpdqCollector, pdq
from deepcheck.media.sampling import read_samples
from deepcheck.media.video import VideoReader
from deepcheck.model import scoring
from deepcheck.model.classifier import Classifier, ModelError
from deepcheck.provenance import read_provenance, read_trust
from deepcheck.reports.results import (
    STATUS_ERROR,
    STATUS_NO_FACE,
    STATUS_OK,
    STATUS_SKIPPED,
    FaceResult,
    FileResult,
    ScanReport,
)
from deepcheck.scanning.report_header import report_header, utc_now
from deepcheck.scanning.settings import ScanSettings

if TYPE_CHECKING:
    from deepcheck.scanning.journal import Journal

MIN_IMAGE_SIDE = 12  # MTCNN's smallest face is 12 px: a smaller picture cannot hold one


class Analyzer:
    """Holds the loaded models and analyses one file at a time."""

    def __init__(self, settings: ScanSettings, classifier: Classifier, detector: FaceDetector | None = None):
        self.settings = settings
        self.classifier = classifier
        self.detector = detector
        self.bands = scoring.bands_for(classifier.card, settings.threshold, settings.review_threshold)
        # told each stage as it starts (hashing, decoding, detecting faces, classifying), so that a
        # supervisor can say what a worker was doing when it died (deepcheck/scanning/worker_process.py)
        self.on_stage: Callable[[str, FileResult], None] | None = None
        self.c2pa_trust = read_trust(settings.c2pa_trust)

    @classmethod
    def create(cls, settings: ScanSettings) -> Analyzer:
        from deepcheck.model.classifier import load_model

        classifier = load_model(settings.model, device=settings.device, runtime=settings.runtime)
        detector = None
        if not settings.crops:
            detector = FaceDetector(
                min_prob=settings.min_face_prob, detect_size=settings.detect_size, min_face=settings.min_face
            )
        return cls(settings, classifier, detector)

    @property
    def threshold(self) -> float:
        """The fake threshold (the option, else the card's)."""
        return self.bands.fake

    @property
    def review_threshold(self) -> float:
        """The review threshold; equal to ``threshold`` when the review band is empty."""
        return self.bands.review

    def analyze(self, path: Path) -> FileResult:
        """One file → one record. Never raises for a bad file (hostile input is handled here)."""
        return self.finish(self.prepare(path))

    def prepare(self, path: Path) -> Prepared:
        """Stage 1: check, hash and decode (no models). Safe to run in a thread beside :meth:`finish`."""
        start = time.perf_counter()
        shown, escaped = display_path(path)
        prepared = Prepared(FileResult(path=shown), [], start)
        if escaped:
            prepared.result.media["note_path"] = "the name is not valid UTF-8; undecodable bytes are shown as \\xNN"
        _guarded(prepared.result, lambda: self._analyze_into(Path(path), prepared))
        if prepared.result.status != STATUS_OK:  # skipped, no face or error: nothing left to score
            prepared.frames = []
        return prepared

    def finish(self, prepared: Prepared) -> FileResult:
        """Stage 2: faces, scores and verdict for the decoded frames."""
        result = prepared.result
        if prepared.frames:
            _guarded(result, lambda: self._score_frames(prepared.frames, result))
        prepared.frames = []
        if result.status in (STATUS_ERROR, STATUS_SKIPPED, STATUS_NO_FACE):
            result.score, result.verdict = None, None
        result.seconds = round(time.perf_counter() - prepared.started, 4)
        return result

    def _analyze_into(self, path: Path, prepared: Prepared) -> None:
        result = prepared.result
        link = os.lstat(path)  # FileNotFoundError: missing, or deleted since it was listed
        if stat.S_ISLNK(link.st_mode):
            result.media["symlink_to"] = display_path(os.path.realpath(path))[0]
            try:
                os.stat(path)
            except FileNotFoundError:
                raise MediaError("broken symlink: its target does not exist") from None
        target = os.stat(path)
        if stat.S_ISDIR(target.st_mode):
            _skip_folder(path, result, symlink=stat.S_ISLNK(link.st_mode))
            return
        if file_kind(target.st_mode):
            raise NotRegularFile(file_kind(target.st_mode))
        with open_evidence(path) as evidence:
            result.size_bytes, result.mtime = evidence.stat.st_size, evidence.stat.st_mtime
            self._stage("hashing", result)
            md5, result.sha256 = evidence.digests()
            result.hashes = {"md5": md5, "sha256": result.sha256}
            self._stage("decoding", result)
            prepared.frames = self._decode(path, evidence, result)
            if evidence.changed_in_place():
                raise MediaError("the file changed while it was being analysed; analyse it again when it is stable")
            note = evidence.path_note()
            if note:
                result.media["note_replaced"] = note

    def _stage(self, name: str, result: FileResult) -> None:
        if self.on_stage is not None:
            self.on_stage(name, result)

    def _decode(self, path: Path, evidence, result: FileResult) -> list[Frame]:
        """The frames to analyse; an empty list when the record is already final (skipped, too small)."""
        if evidence.stat.st_size == 0:
            raise MediaError("empty file (0 bytes)")
        kind = sniff_bytes(evidence.head())
        if kind is None:
            ext = path.suffix.lower()
            if ext in IMAGE_EXTS or ext in VIDEO_EXTS:
                raise MediaError(f"not a decodable image or video: content does not match its {ext} extension")
            result.status, result.error = STATUS_SKIPPED, "not an image or video (by content)"
            return []
        media_type, container = kind
        result.media_type = media_type
        settings = self.settings
        if media_type == "image":
            result.provenance = read_provenance(evidence.file, media_type, container, trust=self.c2pa_trust)
            rgb, info = load_image(evidence.file, settings.max_pixels, container)
            result.media.update(_media_dict(info, path))
            _perceptual_hash(result, rgb)
            if min(rgb.shape[:2]) < MIN_IMAGE_SIDE:
                result.status = STATUS_NO_FACE
                result.media["note_size"] = (
                    f"{rgb.shape[1]}x{rgb.shape[0]} is too small to hold a face "
                    f"(under {MIN_IMAGE_SIDE} px); not analysed further"
                )
                return []
            return [Frame(index=0, time_s=None, rgb=rgb)]
        else:
            try:
                reader = VideoReader(evidence.file)
            except MediaError:  # the record still says what the file declares, as far as it can be read
                result.provenance = read_provenance(evidence.file, media_type, container, trust=self.c2pa_trust)
                raise
            with reader:
                result.provenance = read_provenance(
                    evidence.file, media_type, container, trust=self.c2pa_trust, opened_video=reader.container
                )
                info = reader.info(container)
                result.media.update(_media_dict(info, path))
                if info.width * info.height > settings.max_pixels:
                    raise MediaError(
                        f"video frames are {info.width}x{info.height}, over the pixel limit of "
                        f"{settings.max_pixels:,} (--max-pixels)"
                    )
                vpdq = VpdqCollector()
                samples = read_samples(
                    reader,
                    settings.frames,
                    info.frame_count,
                    info.fps,
                    max_pixels=settings.max_pixels,
                    max_seconds=settings.max_seconds,
                    sampling=settings.sampling,
                    vpdq=vpdq,
                )
            result.hashes["vpdq"] = vpdq.compact()
            if vpdq.note:
                result.media["note_vpdq"] = vpdq.note
            if samples.method:
                result.media["sampling"] = samples.method
            if samples.frames_in_stream is not None:
                result.media["frames_counted"] = samples.frames_in_stream
            if samples.note:
                result.media["note_frame_count"] = samples.note
            if not samples.frames:
                raise MediaError("no decodable video frames (the stream is empty or corrupt)")
            result.frames_analyzed = len(samples.frames)
            return samples.frames

    def _score_frames(self, frames: list[Frame], result: FileResult) -> None:
        if self.settings.crops:
            crops = [f.rgb for f in frames]
            placed = [
                (f.index, f.time_s, [0.0, 0.0, float(f.rgb.shape[1]), float(f.rgb.shape[0])], 1.0) for f in frames
            ]
        else:
            self._stage("detecting faces", result)
            detections = detect_tracked(self.detector, [f.rgb for f in frames], self.settings.detect_every)
            crops, placed = [], []
            framing = self.classifier.card.framing
            for frame, dets in zip(frames, detections):
                for det in dets:
                    crops.append(cut_crop(frame.rgb, det.box, framing))
                    placed.append((frame.index, frame.time_s, [round(v, 1) for v in det.box], det.prob))
        if not self.settings.explain:
            frames.clear()  # the crops are cut: full frames are needed again only for context pictures
        if not crops:
            result.status = STATUS_NO_FACE
            return
        self._stage("classifying", result)
        scores = self.classifier.predict(crops)
        result.faces = [
            FaceResult(
                frame_index=index,
                time_s=time_s,
                box=box,
                detection_prob=round(prob, 5),
                score=round(float(s), 5),
            )
            for (index, time_s, box, prob), s in zip(placed, scores)
        ]
        scoring.assign_persons(result.faces)
        result.persons = scoring.persons_of(result.faces)
        scoring.band_persons(result.persons, self.bands)
        result.frame_scores = scoring.frame_scores(result.faces)
        result.score = round(scoring.file_score(result.persons), 5)
        result.verdict = self.bands.verdict(result.score)
        result.status = STATUS_OK
        if self.settings.explain:
            _explain(self.classifier, crops, frames, result, self.bands)


@dataclass
class Prepared:
    """A file between the two stages: its record so far and its decoded frames."""

    result: FileResult
    frames: list[Frame]
    started: float


def _guarded(result: FileResult, step: Callable[[], object]) -> None:
    """Run one stage; any failure becomes the file's error record (a bad file never ends the scan)."""
    try:
        step()
    except MediaError as exc:
        result.status, result.error = STATUS_ERROR, str(exc)
    except NotRegularFile as exc:
        result.status, result.error = STATUS_SKIPPED, f"not a regular file ({exc.kind}): not read"
    except IsADirectoryError:
        result.status, result.error = STATUS_SKIPPED, "a directory, not a file"
    except OSError as exc:
        result.status, result.error = STATUS_ERROR, describe_os_error(exc)
    except MemoryError:
        result.status, result.error = STATUS_ERROR, "out of memory while decoding this file"
    except Exception as exc:  # a bug or a hostile file must not end the scan
        result.status, result.error = STATUS_ERROR, f"unexpected {type(exc).__name__}: {exc}"


def _perceptual_hash(result: FileResult, rgb) -> None:
    """PDQ of the decoded still; a failure costs the file its PDQ (noted), never its analysis."""
    try:
        result.hashes["pdq"], result.hashes["pdq_quality"] = pdq(rgb)
    except Exception as exc:
        result.media["note_pdq"] = f"PDQ could not be computed: {type(exc).__name__}: {exc}"


def _skip_folder(path: Path, result: FileResult, symlink: bool) -> None:
    """A folder as an input: skipped, unless it could not be listed (then its files are missing: an error)."""
    if symlink:
        result.status, result.error = STATUS_SKIPPED, "symlink to a folder: not followed"
        return
    try:
        os.listdir(path)
    except OSError as exc:
        result.status = STATUS_ERROR
        result.error = f"folder could not be listed, its files were not scanned: {describe_os_error(exc)}"
        return
    result.status, result.error = STATUS_SKIPPED, "a directory, not a file"


def _explain(
    classifier: Classifier, crops: list, frames: list[Frame], result: FileResult, bands: scoring.Bands
) -> None:
    """Thumbnails, heatmaps and context frames are a presentation aid: if they fail, the scores still stand."""
    from deepcheck.model import explain

    try:
        try:
            explain.attach(classifier, crops, result.faces)
        except ModelError as exc:  # an install without the [train] extra: thumbnails and frames, no heatmaps
            result.media["note_explain"] = f"no heatmaps: {exc}"
        result.context_frames = explain.context_frames(frames, result.faces, bands)
    except Exception as exc:  # never let a picture cost the file its verdict
        result.media["note_explain"] = f"explanation images could not be made: {type(exc).__name__}: {exc}"


def _media_dict(info: MediaInfo, path: Path) -> dict:
    data = {k: v for k, v in asdict(info).items() if k != "extra" and v is not None}
    data.update(info.extra)
    ext = path.suffix.lower()
    expected = {"image": IMAGE_EXTS, "video": VIDEO_EXTS}[info.kind]
    if ext not in expected:
        data["note_extension"] = f"extension {ext or '(none)'} does not match content ({info.container})"
    return data


def scan(
    paths: list[Path],
    analyzer: Analyzer,
    on_file: Callable[[int, FileResult], None] | None = None,
    journal: Journal | None = None,
    prefetch: bool = False,
) -> Iterator[FileResult]:
    """Analyse each path in order, yielding records as they finish.

    With ``prefetch``, one thread reads, hashes and decodes the next file
    while this one's faces are found and scored (decoders and torch release
    the GIL). At most one file is decoded ahead, so memory stays bounded;
    records still come out in input order. It is off by default: on the
    2-core machine, where decoding and inference both use every core, it
    measured ~10% slower (benchmarks/README.md); it pays where reading the
    evidence waits on storage (network shares).

    With a journal (deepcheck/scanning/journal.py), a file already finished by an
    interrupted run with the same content, model and settings is taken from
    it, and every newly finished file is recorded before it is yielded.
    """

    def read(path: Path) -> FileResult | Prepared:
        reused = journal.lookup(path) if journal is not None else None
        return reused if reused is not None else analyzer.prepare(path)

    def finish(item: FileResult | Prepared) -> FileResult:
        if isinstance(item, FileResult):
            return item
        result = analyzer.finish(item)
        if journal is not None:
            journal.record(result)
        return result

    if not prefetch or len(paths) < 2:
        for i, path in enumerate(paths):
            result = finish(read(path))
            if on_file:
                on_file(i, result)
            yield result
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="deepcheck-read") as pool:
        ahead = pool.submit(read, paths[0])
        for i in range(len(paths)):
            item = ahead.result()
            if i + 1 < len(paths):
                ahead = pool.submit(read, paths[i + 1])
            result = finish(item)
            if on_file:
                on_file(i, result)
            yield result


def new_report(analyzer: Analyzer) -> ScanReport:
    """An empty report with its provenance (tool, model, settings, start time) for these loaded models."""
    classifier = analyzer.classifier
    return report_header(analyzer.settings, classifier.card, classifier.runtime, classifier.runtime_note)


def run_scan(
    paths: list[Path],
    analyzer: Analyzer,
    on_file: Callable[[int, FileResult], None] | None = None,
    journal: Journal | None = None,
    prefetch: bool = False,
) -> ScanReport:
    report = new_report(analyzer)
    report.files = list(scan(paths, analyzer, on_file, journal, prefetch))
    report.finished = utc_now()
    return report
