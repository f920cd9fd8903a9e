"""The OCR engine: printed text of an image as positioned boxes.

RapidOCR (PP-OCRv4 det + rec on onnxruntime; the models ship in the wheel, nothing is
downloaded) is loaded once, lazily, on the first :func:`recognise`: never at import, so
that reading a PDF with a text layer or a QR-only photo does not pay the ~1 s load.  A
module-level lock makes loading and running it thread-safe.

Tuning, measured on real invoice scans on a 2-core machine: the angle classifier is off
(invoice text is upright once EXIF orientation is applied); onnxruntime gets at most two
threads (its default oversubscribed the cores and was 2-3× slower); and recognition runs
one box at a time with a minimum width of 96 px instead of batches of 6 padded to 320 px.
A third of the boxes on an invoice are single characters (labels printed one per line),
and padding them to the widest box of their batch cost more than the batching saved.

Coordinates are image pixels, y down, like the boxes :mod:`yanpiao.intake.printed` reads.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
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


@dataclass(frozen=True)
class TextBox:
    """A line (or word) of text and its axis-aligned box, in pixels, y down."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    score: float = 1.0


def _load() -> Any:
    from rapidocr_onnxruntime import RapidOCR

    threads = max(1, min(2, os.cpu_count() or 1))
    return RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1, **ENGINE_OPTIONS)


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
        boxes.append(TextBox(str(text), min(xs), min(ys), max(xs), max(ys), float(score)))
    boxes.sort(key=lambda b: (b.y0, b.x0))
    return boxes


__all__ = ["TextBox", "engine", "recognise"]
