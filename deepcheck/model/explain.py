"""Pictures for the HTML and PDF reports: face thumbnails, Grad-CAM overlays and context frames.

Computed by the pipeline (only when ``ScanSettings.explain`` is set), never by
a writer. Both end up as small JPEG ``data:`` URIs on ``FaceResult`` so the
report stays one self-contained file.

Grad-CAM (Selvaraju et al., 2017) weights the last convolutional feature maps
of the classifier by the gradient of the "manipulated" logit and keeps the
positive part: it shows which regions *raised* the score for that crop. It is
an aid for a human reviewer, not proof: it can light up regions for reasons
unrelated to any manipulation, and its colours are relative within one face.

A context frame is the source frame at reduced size with every detected face
boxed and labelled with its person id and score, so the reader sees who was
scored and where; for each person, the frame where that person scored highest.
"""

from __future__ import annotations

import base64

import cv2
import numpy as np

from deepcheck.model.scoring import Bands
from deepcheck.reports.results import FaceResult

THUMB_SIZE = 112  # px, square
HEATMAP_SIZE = 224  # px, square
HEATMAP_TOP = 3  # faces per file that get a heatmap (the highest scores)
OVERLAY_ALPHA = 0.45
CONTEXT_SIZE = 480  # px, long side of a context frame
# RGB box colours by the face's band: fake, review, real (the reports' badge colours)
BAND_COLOURS = {"fake": (220, 40, 30), "review": (211, 84, 0), "real": (40, 170, 80)}


def _jpeg_uri(rgb: np.ndarray, quality: int) -> str:
    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(rgb[:, :, ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # cv2 only fails here on an empty image, which a crop never is
        raise ValueError("JPEG encoding failed")
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def jpeg_data_uri(rgb: np.ndarray, size: int, quality: int = 82) -> str:
    """An RGB uint8 image, resized to ``size``×``size``, as a JPEG data: URI."""
    interp = cv2.INTER_AREA if max(rgb.shape[:2]) > size else cv2.INTER_LINEAR
    small = cv2.resize(np.ascontiguousarray(rgb), (size, size), interpolation=interp)
    return _jpeg_uri(small, quality)


def draw_context(rgb: np.ndarray, faces: list[FaceResult], bands: Bands, size: int = CONTEXT_SIZE) -> np.ndarray:
    """The frame shrunk to ``size`` on its long side, each face boxed in its band colour and labelled "P<n> <score>"."""
    h, w = rgb.shape[:2]
    scale = min(1.0, size / max(h, w))
    out = cv2.resize(np.ascontiguousarray(rgb), (max(1, round(w * scale)), max(1, round(h * scale))),
                     interpolation=cv2.INTER_AREA)  # fmt: skip
    for face in sorted(faces, key=lambda f: f.score):  # the highest score drawn last, on top
        colour = BAND_COLOURS[bands.verdict(face.score)]
        x1, y1, x2, y2 = (round(v * scale) for v in face.box)
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, 2)
        label = f"P{face.person} {face.score:.3f}"
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.5, 1)
        top = y1 - th - base - 2 if y1 - th - base - 2 >= 0 else y2 + 1  # above the box, else below it
        cv2.rectangle(out, (x1, top), (x1 + tw + 4, top + th + base + 2), colour, -1)
        cv2.putText(out, label, (x1 + 2, top + th + 1), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def context_frames(frames: list, faces: list[FaceResult], bands: Bands) -> list[dict]:
    """For each person, the frame where it scored highest (shared when persons peak together), drawn.

    ``frames`` are the decoded frames (``.index``, ``.time_s``, ``.rgb``); ``faces`` carry person ids.
    """
    best: dict[int, FaceResult] = {}
    for face in faces:
        if face.person not in best or face.score > best[face.person].score:
            best[face.person] = face
    by_frame: dict[int, list[int]] = {}
    for person, face in sorted(best.items()):
        by_frame.setdefault(face.frame_index, []).append(person)
    rgb_of = {f.index: f for f in frames}
    out = []
    for index, persons in sorted(by_frame.items(), key=lambda kv: -max(best[p].score for p in kv[1])):
        frame = rgb_of.get(index)
        if frame is None:
            continue
        drawn = draw_context(frame.rgb, [x for x in faces if x.frame_index == index], bands)
        out.append({"frame_index": index, "time_s": frame.time_s, "persons": persons, "image": _jpeg_uri(drawn, 80)})
    return out


def gradcam_maps(classifier, crops: list[np.ndarray]) -> np.ndarray:
    """Raw Grad-CAM maps (N, h, w) on the last conv features, for the manipulated logit.

    The head of ``efficientnet_lite_pytorch.EfficientNet.forward`` (average
    pool, dropout, linear) is replayed on ``extract_features`` so the feature
    maps keep their gradient. Values are ≥ 0 and not normalised.
    """
    import torch

    net = classifier.net
    x = classifier.preprocess(crops)
    with torch.enable_grad():
        features = net.extract_features(x)
        features.retain_grad()
        pooled = net._avg_pooling(features).flatten(1)
        logits = net._fc(net._dropout(pooled)).reshape(-1)
        logits.sum().backward()  # each crop's logit depends only on its own features
    grads = features.grad.detach().float()
    acts = features.detach().float()
    weights = grads.mean(dim=(2, 3), keepdim=True)  # α_c: pooled gradient per channel
    cam = torch.relu((weights * acts).sum(dim=1))
    net.zero_grad(set_to_none=True)
    return cam.cpu().numpy()


def overlay(rgb: np.ndarray, cam: np.ndarray, size: int = HEATMAP_SIZE) -> np.ndarray:
    """The crop with the map (scaled to its own maximum) blended on top in a jet colour map."""
    crop = cv2.resize(np.ascontiguousarray(rgb), (size, size), interpolation=cv2.INTER_AREA)
    top = float(cam.max()) if cam.size else 0.0
    norm = cam / top if top > 0 else np.zeros_like(cam)
    heat = cv2.resize(norm.astype(np.float32), (size, size), interpolation=cv2.INTER_CUBIC).clip(0, 1)
    colour = cv2.applyColorMap((heat * 255).astype(np.uint8), cv2.COLORMAP_JET)[:, :, ::-1]
    return cv2.addWeighted(crop, 1 - OVERLAY_ALPHA, colour, OVERLAY_ALPHA, 0)


def attach(classifier, crops: list[np.ndarray], faces: list[FaceResult], top: int = HEATMAP_TOP) -> None:
    """Fill ``thumbnail`` on every face and ``heatmap`` on the ``top`` highest-scoring ones.

    ``crops[i]`` is the crop the classifier scored for ``faces[i]``.
    """
    for crop, face in zip(crops, faces):
        face.thumbnail = jpeg_data_uri(crop, THUMB_SIZE)
    chosen = sorted(range(len(faces)), key=lambda i: -faces[i].score)[: max(0, top)]
    if not chosen:
        return
    from deepcheck.model.classifier import require_train_extra

    require_train_extra("Grad-CAM heatmaps")  # ModelError, after the thumbnails: the slim install has no torch
    maps = gradcam_maps(classifier, [crops[i] for i in chosen])
    for i, cam in zip(chosen, maps):
        faces[i].heatmap = jpeg_data_uri(overlay(crops[i], cam), HEATMAP_SIZE, quality=85)
