"""The OCR engine: printed text of an image as positioned boxes.

RapidOCR (PP-OCRv4 det + rec on onnxruntime; the models ship in the wheel, nothing is
downloaded) is loaded once, lazily, on the first :func:`recognise`: never at import, so
that reading a PDF with a text layer or a QR-only photo does not pay the ~1 s load.  A
module-level lock makes loading and running it thread-safe.

Tuning, measured on real invoice scans on a 2-core machine: the angle classifier is off in
reading (it would classify every box; :func:`orientation` asks it about a dozen lines, once
per page, when a page needs it); onnxruntime gets at most two
threads (its default oversubscribed the cores and was 2-3× slower); and recognition runs
one box at a time with a minimum width of 96 px instead of batches of 6 padded to 320 px.
The text detector looks at a copy of at most ``DETECTOR_PIXELS`` (its memory, not the
recogniser's, is what an OCR run costs: some 320 bytes a pixel of its input); :func:`detector_size`.
A third of the boxes on an invoice are single characters (labels printed one per line),
and padding them to the widest box of their batch cost more than the batching saved.

Coordinates are image pixels, y down, like the boxes :mod:`yanpiao.intake.printed` reads.

Photos are not always upright, and EXIF does not always say so.  :func:`orientation` decides
how to turn a picture, from a cheap signal: the text detector's boxes on a small copy (text
lines are long and thin: mostly tall boxes mean the page lies sideways), and the angle
classifier on a dozen of the longest lines (upright or upside down).  It costs a detection on
a copy of at most ``ORIENTATION_SIDE`` pixels and a few classifications, not a reading; the
image reader asks it only when a page's OCR misses the key fields.  :func:`deskew` turns the
boxes of a slightly tilted photo so that the lines of the page are horizontal, which grouping
into rows needs.
"""

from __future__ import annotations

import math
import os
import statistics
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

_lock = threading.Lock()
_engine: Any = None

ENGINE_OPTIONS = {
    "use_cls": False,
    "rec_img_shape": [3, 48, 96],
    "rec_batch_num": 1,
    "print_verbose": False,
}
# The text detector's input.  Its memory grows with it (some 320 bytes a pixel), so a picture is
# shrunk to DETECTOR_PIXELS; the recogniser still reads each line it finds from the full picture.
# A small picture is enlarged instead until its short side has DETECTOR_MIN_SIDE pixels (RapidOCR's
# own rule: small print needs it), to at most ENLARGED_PIXELS.
DETECTOR_PIXELS = 700_000
DETECTOR_MIN_SIDE = 736
ENLARGED_PIXELS = 1_000_000
# Pixels on the long side of the copy whose text lines decide the orientation (the detector's own size).
ORIENTATION_SIDE = 736
ORIENTATION_LINES = 12  # the longest text lines the angle classifier looks at
LINE_ASPECT = 2.5  # a box this many times longer than thick is a line of text, whatever its direction
MIN_CLASS_SCORE = 0.7
MIN_SKEW = 0.5  # degrees: below this a photo counts as straight


@dataclass(frozen=True)
class TextBox:
    """A line (or word) of text and its axis-aligned box, in pixels, y down."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    score: float = 1.0
    # The corners the detector found (top-left, top-right, bottom-right, bottom-left), when tilted.
    points: tuple[tuple[float, float], ...] = field(default=(), compare=False, repr=False)

    @property
    def angle(self) -> float:
        """The tilt of the box's top edge, in degrees (positive: its right end is lower)."""
        if len(self.points) != 4:
            return 0.0
        (x0, y0), (x1, y1) = self.points[0], self.points[1]
        return math.degrees(math.atan2(y1 - y0, x1 - x0))


def detector_size(height: int, width: int) -> tuple[int, int]:
    """The (height, width) the text detector is given for a picture: multiples of 32 (the
    network's), small print enlarged, big pictures shrunk (see :data:`DETECTOR_PIXELS`).

    >>> detector_size(90, 420), detector_size(1400, 1000), detector_size(960, 1280)
    ((448, 2144), (960, 704), (704, 960))
    """
    enlarge = DETECTOR_MIN_SIDE / min(height, width)
    budget = ENLARGED_PIXELS if enlarge > 1 else DETECTOR_PIXELS
    ratio = min(max(1.0, enlarge), math.sqrt(budget / (height * width)))
    return max(32, int(height * ratio) // 32 * 32), max(32, int(width * ratio) // 32 * 32)


def _load() -> Any:
    import cv2
    from rapidocr_onnxruntime import RapidOCR
    from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

    class BoundedInput(DetPreProcess):
        def resize(self, img: np.ndarray) -> np.ndarray:
            height, width = detector_size(*img.shape[:2])
            return cv2.resize(img, (width, height))

    threads = max(1, min(2, os.cpu_count() or 1))
    loaded = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1, **ENGINE_OPTIONS)
    # RapidOCR 1.3 sizes the detector's input itself, up to 2000 px a side whatever it is told.
    detector = loaded.text_det
    detector.get_preprocess = lambda longest: BoundedInput(mean=detector.mean, std=detector.std)
    return loaded


def engine() -> Any:
    """The shared engine, loaded on first use."""
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                _engine = _load()
    return _engine


def _as_bgr(image: Any) -> np.ndarray:
    """The BGR uint8 array the models expect, from a PIL image or a grey/RGB/RGBA array."""
    if not isinstance(image, np.ndarray):
        image = np.asarray(image.convert("RGB"))
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(image[:, :, 2::-1], dtype=np.uint8)


def recognise(image: Any) -> list[TextBox]:
    """Every text box RapidOCR reads in the image (PIL image, or numpy grey/RGB), top to bottom."""
    pixels = _as_bgr(image)
    ocr = engine()
    with _lock:
        result, _ = ocr(pixels)
    boxes = []
    for points, text, score in result or ():
        xs = [float(p[0]) for p in points]
        ys = [float(p[1]) for p in points]
        corners = tuple((float(x), float(y)) for x, y in points)
        boxes.append(TextBox(str(text), min(xs), min(ys), max(xs), max(ys), float(score), corners))
    boxes.sort(key=lambda b: (b.y0, b.x0))
    return boxes


def _is_line(points: np.ndarray) -> tuple[bool, bool]:
    """(a line of text, lying horizontally) for a detector box."""
    width = float(np.linalg.norm(points[0] - points[1]))
    height = float(np.linalg.norm(points[0] - points[3]))
    return max(width, height) >= LINE_ASPECT * max(min(width, height), 1.0), width > height


def orientation(image: Any) -> int:
    """How many degrees to turn the picture counter-clockwise (0, 90, 180, 270) for its text to stand upright.

    PIL's ``picture.rotate(angle, expand=True)`` turns it so.
    """
    scale = min(1.0, ORIENTATION_SIDE / max(image.size))
    small = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    pixels = _as_bgr(small)
    ocr = engine()
    with _lock:
        detected, _ = ocr.text_det(pixels)
        if detected is None or len(detected) == 0:
            return 0
        lines = [
            (points, horizontal) for points in detected for line, horizontal in [_is_line(points)] if line
        ]
        sideways = sum(1 for _, horizontal in lines if not horizontal) > len(lines) / 2
        chosen = [points for points, horizontal in lines if horizontal != sideways]
        chosen.sort(key=lambda p: -max(np.linalg.norm(p[0] - p[1]), np.linalg.norm(p[0] - p[3])))
        if not chosen:
            return 0
        # Tall crops come out turned 90° counter-clockwise, as the recogniser would read them.
        crops = ocr.get_crop_img_list(pixels, [p.astype(np.float32) for p in chosen[:ORIENTATION_LINES]])
        _, classes, _ = ocr.text_cls(crops)
    flipped = sum(1 for label, score in classes if label == "180" and score >= MIN_CLASS_SCORE)
    upright = sum(1 for label, score in classes if label == "0" and score >= MIN_CLASS_SCORE)
    if sideways:
        return 270 if flipped > upright else 90
    return 180 if flipped > upright else 0


def skew(boxes: list[TextBox]) -> float:
    """The tilt of the page's lines in degrees: the median tilt of its long boxes (0 for too few)."""
    angles = [b.angle for b in boxes if len(b.points) == 4 and (b.x1 - b.x0) >= LINE_ASPECT * (b.y1 - b.y0)]
    return statistics.median(angles) if len(angles) >= 3 else 0.0


def deskew(boxes: list[TextBox], width: float, height: float) -> list[TextBox]:
    """The boxes turned about the picture's centre so that the page's lines are level.

    Each box keeps its own length and thickness, measured along its edges.
    """
    angle = skew(boxes)
    if abs(angle) < MIN_SKEW:
        return boxes
    turn = math.radians(-angle)
    cos, sin = math.cos(turn), math.sin(turn)
    cx, cy = width / 2, height / 2
    level = []
    for box in boxes:
        if len(box.points) != 4:
            level.append(box)
            continue
        xs, ys = zip(
            *[
                (cx + (x - cx) * cos - (y - cy) * sin, cy + (x - cx) * sin + (y - cy) * cos)
                for x, y in box.points
            ],
            strict=True,
        )
        level.append(TextBox(box.text, min(xs), min(ys), max(xs), max(ys), box.score))
    return level


__all__ = ["TextBox", "deskew", "engine", "orientation", "recognise", "skew"]
