"""Decoding details: sampling, orientation, framing."""

from __future__ import annotations

import numpy as np

from deepcheck.faces.detect import crop_box, cut_crop
from deepcheck.media.formats import sniff
from deepcheck.media.images import load_image
from deepcheck.media.sampling import read_samples, sample_indices
from deepcheck.media.video import VideoReader
from deepcheck.model.card import Framing


def test_sample_indices_spread_and_bounded():
    assert sample_indices(300, 32) == sorted(set(sample_indices(300, 32)))
    idx = sample_indices(300, 32)
    assert len(idx) == 32 and idx[0] < 10 and idx[-1] > 290
    assert sample_indices(5, 32) == [0, 1, 2, 3, 4]
    assert sample_indices(0, 32) == []


def test_sample_frames_reads_wanted_frames(media_dir):
    with VideoReader(media_dir / "clip.mp4") as reader:
        info = reader.info("mp4")
        frames = read_samples(reader, 5, info.frame_count, info.fps).frames
    assert [f.index for f in frames] == sample_indices(45, 5)
    assert frames[0].rgb.shape == (480, 640, 3)


def test_exif_orientation_applied(tmp_path, astronaut):
    from PIL import Image

    path = tmp_path / "rotated.jpg"
    img = Image.fromarray(astronaut[:, :400])  # 400 wide, 512 high
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    exif[0x0131] = "EditorX 1.0"
    img.save(path, exif=exif)
    rgb, info = load_image(path)
    assert rgb.shape == (400, 512, 3)
    assert info.extra["exif_software"] == "EditorX 1.0"


def test_sniff_by_content(media_dir):
    assert sniff(media_dir / "face.jpg") == ("image", "jpeg")
    assert sniff(media_dir / "noface.png") == ("image", "png")
    assert sniff(media_dir / "clip.mp4")[0] == "video"
    assert sniff(media_dir / "notes.jpg") is None


def test_crop_framing_follows_card():
    box = (100.0, 100.0, 200.0, 220.0)  # h = 120
    x1, y1, x2, y2 = crop_box(box, Framing(size_rel_height=0.85, shift_y_rel_height=0.13))
    assert x2 - x1 == y2 - y1 == 102
    assert abs((y1 + y2) / 2 - (160 + 0.13 * 120)) <= 1
    assert abs((x1 + x2) / 2 - 150) <= 1
    frame = np.zeros((240, 240, 3), np.uint8)
    crop = cut_crop(frame, (200.0, 200.0, 240.0, 240.0), Framing())  # runs off the edge: padded
    assert crop.shape[0] == crop.shape[1] > 0
