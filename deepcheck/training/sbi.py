"""Self-Blended Images (Shiohara & Yamasaki, CVPR 2022) from real faces alone.

A real face is blended with a slightly altered copy of itself through a
deformed, blurred face-shaped mask. The result carries the traces every face
swap leaves (blending boundary, colour and frequency mismatch) without any
particular manipulation method, which is why SBI generalises across datasets.

The mask is the paper's: the convex hull of dense landmarks (MediaPipe's face
oval and brows, deepcheck/training/landmarks.py), in one of three shapes
(whole oval, brows to jaw, nose down), deformed and blurred. Without dense
landmarks it is extrapolated from MTCNN's five points, or from typical
positions in a tight crop.

:func:`local_blend` is the reenactment counterpart: an expression edit
(Face2Face, NeuralTextures) keeps the person and the face contour and
re-renders a region inside it, the mouth above all. Its fake blends a subtly
changed copy (texture, sharpness, a little motion; almost no colour) through a
small mask around the mouth, the eyes, the nose or the inner face, placed from
MTCNN's five points, so the boundary lies on the cheeks and lips, not the contour.
With ``warp``, the copy also shows another expression (:func:`expression_warp`):
the mouth and eyes moved by a smooth field that vanishes at the mask's edge, so
the change is in the geometry and rendering inside the face, not at a seam. Measured,
it adds nothing to the re-rendering alone (benchmarks/README.md), so no recipe uses it.
"""

from __future__ import annotations

import cv2
import numpy as np

from deepcheck.training.augment import blur

BLEND_RATIOS = (0.25, 0.5, 0.75, 1.0, 1.0, 1.0)


def default_landmarks(size: int) -> np.ndarray:
    """Typical five points (eyes, nose, mouth corners) in a tight DFDC-style crop."""
    rel = np.array([[0.32, 0.33], [0.68, 0.33], [0.50, 0.52], [0.36, 0.70], [0.64, 0.70]], np.float32)
    return rel * size


def face_hull(landmarks: np.ndarray) -> np.ndarray:
    """Polygon around the face extrapolated from five points (eyes, nose, mouth corners)."""
    le, re, nose, lm, rm = (np.asarray(p, np.float32) for p in landmarks)
    eyes, mouth = (le + re) / 2, (lm + rm) / 2
    up = eyes - mouth
    right = re - le
    points = [
        le - 0.45 * right + 0.55 * up,
        eyes + 0.75 * up,
        re + 0.45 * right + 0.55 * up,
        re + 0.6 * right - 0.2 * up,
        rm + 0.45 * right - 0.5 * up,
        mouth - 1.0 * up,
        lm - 0.45 * right - 0.5 * up,
        le - 0.6 * right - 0.2 * up,
        nose,
    ]
    return cv2.convexHull(np.array(points, np.float32)).reshape(-1, 2)


OVAL_POINTS = 36  # deepcheck/training/landmarks.py: 36 oval points in path order (forehead top first), 20 brow points
MASK_SHAPES = (("oval", 0.5), ("brows_to_jaw", 0.35), ("nose_down", 0.15))


def dense_hull(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A blend region from dense landmarks, in one of the shapes a real swap's mask takes.

    oval: the whole face contour, forehead included (most face swaps);
    brows_to_jaw: the oval cut at the brows, as dlib-68 hulls and many swap tools do;
    nose_down: the lower face only (mouth-region edits).
    """
    points = np.asarray(points, np.float32)
    oval, brows = points[:OVAL_POINTS], points[OVAL_POINTS:]
    names, weights = zip(*MASK_SHAPES)
    shape = rng.choice(names, p=np.array(weights) / sum(weights))
    if shape == "oval" or len(brows) == 0:
        region = oval
    elif shape == "brows_to_jaw":
        brow_top = float(brows[:, 1].min())
        region = np.concatenate([oval[oval[:, 1] > brow_top], brows])
    else:
        eyes_y = float(brows[:, 1].mean())
        chin_y = float(oval[:, 1].max())
        cut = eyes_y + 0.45 * (chin_y - eyes_y)
        lower = oval[oval[:, 1] > cut]
        region = lower if len(lower) >= 3 else oval
    return cv2.convexHull(region).reshape(-1, 2)


LOCAL_REGIONS = (("mouth", 0.45), ("inner", 0.25), ("eyes", 0.15), ("nose", 0.15))


def _face_axes(five: np.ndarray):
    """The five points as float32, the eye and mouth centres, the eye distance and the face's own axes.

    Regions and expression moves are placed in these axes, so they follow a tilted or turned face.
    """
    le, re, nose, lm, rm = (np.asarray(p, np.float32) for p in five)
    eyes, mouth = (le + re) / 2, (lm + rm) / 2
    d = max(float(np.linalg.norm(re - le)), 4.0)
    right = (re - le) / d
    down = mouth - eyes
    down = down / max(float(np.linalg.norm(down)), 1e-6)
    return (le, re, nose, lm, rm), eyes, mouth, d, right, down


def local_region(five: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An ellipse (polygon) around one expression region, placed and sized from five points.

    mouth: lips, chin top and the folds beside them (NeuralTextures' region); inner: eyes to
    below the mouth, inside the cheeks (Face2Face re-renders this); eyes; nose.
    """
    (le, re, nose, _lm, _rm), eyes, mouth, d, right, down = _face_axes(five)
    span = float(np.linalg.norm(mouth - eyes))
    names, weights = zip(*LOCAL_REGIONS)
    name = rng.choice(names, p=np.array(weights) / sum(weights))
    centre, axes = {
        "mouth": (mouth + 0.12 * d * down, (0.75 * d, 0.45 * d)),
        "inner": ((eyes + mouth) / 2 + 0.1 * span * down, (0.95 * d, 0.5 * span + 0.45 * d)),
        "eyes": (eyes, (1.0 * d, 0.3 * d)),
        "nose": (nose - 0.1 * span * down, (0.35 * d, 0.45 * span)),
    }[str(name)]
    ax = np.array(axes, np.float32) * rng.uniform(0.85, 1.15, size=2)
    t = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    pts = centre + np.outer(np.cos(t) * ax[0], right) + np.outer(np.sin(t) * ax[1], down)
    return pts.astype(np.float32)


def make_mask(
    shape: tuple[int, int],
    landmarks: np.ndarray,
    rng: np.random.Generator,
    dense: bool = False,
    local: bool = False,
) -> np.ndarray:
    """A deformed, blurred face mask in [0, 1], float32, shape (h, w).

    ``landmarks``: five MTCNN points, or with ``dense`` the oval and brow points;
    with ``local``, five points and a small region inside the face (:func:`local_region`).
    """
    h, w = shape
    if local:
        hull = local_region(landmarks, rng)
    else:
        hull = dense_hull(landmarks, rng) if dense else face_hull(landmarks)
    centre = hull.mean(axis=0)
    hull = centre + (hull - centre) * rng.uniform(0.85, 1.1, size=(len(hull), 1))  # random deformation
    mask = np.zeros((h, w), np.float32)
    cv2.fillConvexPoly(mask, np.round(hull).astype(np.int32), 1.0)
    # elastic-ish warp of the mask edge
    grid = rng.normal(0, 1, (4, 4, 2)).astype(np.float32) * (0.02 * min(h, w))
    flow = cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    mask = cv2.remap(mask, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR, borderValue=0)
    # two blurs of random strength: soft blending boundary (narrower for a small region)
    for _ in range(2):
        k = int(rng.integers(1, 5 if local else 8)) * 2 + 1
        mask = cv2.GaussianBlur(mask, (k, k), 0)
    mask = mask / max(float(mask.max()), 1e-6)
    return np.clip(mask * rng.choice(BLEND_RATIOS), 0.0, 1.0)


def _alter_source(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Colour and frequency changes plus a tiny shift/scale: the 'other face' of the blend."""
    x = img.astype(np.float32)
    x = x + rng.uniform(-20, 20, size=3).astype(np.float32)  # RGB shift
    hsv = cv2.cvtColor(np.clip(x, 0, 255).astype(np.uint8), cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-5, 5)) % 180
    hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(0.85, 1.15), 0, 255)
    hsv[..., 2] = np.clip(hsv[..., 2] * rng.uniform(0.85, 1.15), 0, 255)
    x = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB).astype(np.float32)
    x = (x - x.mean()) * rng.uniform(0.85, 1.15) + x.mean()  # contrast
    out = np.clip(x, 0, 255).astype(np.uint8)
    h, w = out.shape[:2]
    if rng.random() < 0.5:  # frequency: down-up sampling
        f = rng.uniform(0.4, 0.8)
        out = cv2.resize(cv2.resize(out, (max(8, int(w * f)), max(8, int(h * f)))), (w, h))
    else:  # or sharpening
        blurred = cv2.GaussianBlur(out, (0, 0), 1.2)
        out = cv2.addWeighted(out, 1.5, blurred, -0.5, 0)
    s = rng.uniform(0.95, 1.05)
    tx, ty = rng.uniform(-0.03, 0.03, size=2) * (w, h)
    m = np.array([[s, 0, (1 - s) * w / 2 + tx], [0, s, (1 - s) * h / 2 + ty]], np.float32)
    return cv2.warpAffine(out, m, (w, h), borderMode=cv2.BORDER_REFLECT_101)


def _alter_subtly(img: np.ndarray, rng: np.random.Generator, motion: bool = True) -> np.ndarray:
    """The re-rendered copy of a reenactment: texture and (``motion``) a little motion change, colour barely."""
    x = img.astype(np.float32) + rng.uniform(-4, 4, size=3).astype(np.float32)
    x = (x - x.mean()) * rng.uniform(0.95, 1.05) + x.mean()
    out = np.clip(x, 0, 255).astype(np.uint8)
    h, w = out.shape[:2]
    kind = rng.integers(4)
    if kind == 0:  # rendered at a lower resolution
        f = rng.uniform(0.35, 0.75)
        out = cv2.resize(cv2.resize(out, (max(8, int(w * f)), max(8, int(h * f)))), (w, h))
    elif kind == 1:  # smoothed texture
        out = blur(out, rng.uniform(0.6, 1.6))
    elif kind == 2:  # a different compression history (the RGB array encoded as if BGR: chroma swapped, as measured)
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(15, 60))])
        out = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if ok else out
    else:
        blurred = cv2.GaussianBlur(out, (0, 0), 1.0)
        out = cv2.addWeighted(out, 1.6, blurred, -0.6, 0)
    if not motion:
        return out
    # a small expression-like motion: anisotropic scale, shift, rotation
    sx, sy = rng.uniform(0.96, 1.04), rng.uniform(0.94, 1.08)
    angle = rng.uniform(-3, 3)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    m[:, :2] = m[:, :2] @ np.diag([sx, sy]).astype(np.float64)
    m[:, 2] += rng.uniform(-0.02, 0.02, size=2) * (w, h) + (1 - np.array([sx, sy])) * (w / 2, h / 2)
    return cv2.warpAffine(out, m, (w, h), borderMode=cv2.BORDER_REFLECT_101)


def expression_warp(img: np.ndarray, five: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``img`` with another expression: mouth corners, lips, chin and eyelids moved by a smooth field.

    The displacement is a sum of Gaussian bumps at points placed from MTCNN's five points
    (a smile or a frown, an opened or closed mouth, a squint), a few pixels at most and
    close to zero a third of the eye distance away, as a reenactment moves a face.
    """
    h, w = img.shape[:2]
    (le, re, _nose, lm, rm), _eyes, mouth, d, right, down = _face_axes(five)
    smile, widen = rng.uniform(-0.08, 0.08), rng.uniform(-0.1, 0.1)
    opening = rng.uniform(-0.05, 0.2)
    squint = rng.uniform(0.0, 0.05, size=2)
    moves = [  # (point, its displacement, reach), in units of d
        (lm, -widen * right - smile * down, 0.2),
        (rm, widen * right - smile * down, 0.2),
        (mouth + 0.12 * d * down, opening * down, 0.2),
        (mouth - 0.08 * d * down, -0.25 * opening * down, 0.15),
        (mouth + 0.45 * d * down, 0.5 * opening * down, 0.3),
        (le - 0.08 * d * down, squint[0] * down, 0.12),
        (re - 0.08 * d * down, squint[1] * down, 0.12),
    ]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    flow = np.zeros((h, w, 2), np.float32)
    for point, move, reach in moves:
        bump = np.exp(-((xs - point[0]) ** 2 + (ys - point[1]) ** 2) / (2 * (reach * d) ** 2))
        flow -= bump[..., None] * (np.asarray(move, np.float32) * d)  # backward map: sample from behind
    return cv2.remap(img, xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)


def _blend(img: np.ndarray, source: np.ndarray, mask: np.ndarray) -> np.ndarray:
    m = mask[..., None]
    blended = source.astype(np.float32) * m + img.astype(np.float32) * (1.0 - m)
    return np.where(m > 0, np.clip(np.rint(blended), 0, 255), img).astype(np.uint8)


def local_blend(
    img: np.ndarray, rng: np.random.Generator, five: np.ndarray | None = None, warp: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """A reenactment-like fake of ``img``: one expression region re-rendered; returns it and its mask.

    ``five``: MTCNN's five points in ``img`` (None: typical positions in a tight crop).
    ``warp``: the chance that the re-rendered copy shows another expression (:func:`expression_warp`)
    instead of a small global motion; 0 draws nothing more, so earlier samples repeat.
    """
    h, w = img.shape[:2]
    if five is None:
        five = default_landmarks(min(h, w))
    mask = make_mask((h, w), five, rng, local=True)
    if warp and rng.random() < warp:
        source = _alter_subtly(expression_warp(img, five, rng), rng, motion=False)
    else:
        source = _alter_subtly(img, rng)
    return _blend(img, source, mask), mask


def self_blend(
    img: np.ndarray, rng: np.random.Generator, landmarks: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A self-blended fake of ``img`` and its mask. Pixels where the mask is 0 are unchanged.

    ``landmarks``: five MTCNN points (5x2), dense oval and brow points (more than 5 rows),
    or None for typical positions in a tight crop.
    """
    h, w = img.shape[:2]
    if landmarks is None:
        landmarks = default_landmarks(min(h, w))
    mask = make_mask((h, w), landmarks, rng, dense=len(landmarks) > 5)
    return _blend(img, _alter_source(img, rng), mask), mask
