"""A fake camera for chromium: a Y4M video of an invoice's QR code held in front of the lens.

Chromium plays a video file as its camera when started with
``--use-fake-device-for-media-stream --use-file-for-fake-video-capture=<file.y4m>`` (and
``--use-fake-ui-for-media-stream`` to grant access without asking).  :func:`qr_video` writes
such a file: a few frames of a QR code (made by segno) on a sheet of paper over a table, moving a
little from frame to frame as a hand-held invoice does; chromium loops them.

Y4M (YUV4MPEG2) is written by hand: a header line, then per frame ``FRAME`` and the Y, U and V
planes of 4:2:0 (the chroma planes at half the width and height), full-range as in JPEG
(``C420jpeg``), which is what Pillow's YCbCr conversion gives.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     path = qr_video("01,32,,26112000000000000001,167.30,20250307,,ABCD,", Path(folder) / "qr.y4m")
...     data = path.read_bytes()
>>> data.split(b"\\n", 1)[0]
b'YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg'
>>> len(data) == len(data.split(b"\\n", 1)[0]) + 1 + FRAMES * (len(b"FRAME\\n") + 640 * 480 * 3 // 2)
True
"""

from __future__ import annotations

import io
from pathlib import Path

import segno
from PIL import Image

WIDTH, HEIGHT = 640, 480  # even sizes: the chroma planes are exactly half
FRAMES = 8
FPS = 10
QR_SIDE = 300  # pixels of the code (quiet zone included) in the frame
TABLE = (96, 84, 72)
PAPER = (246, 244, 236)
SWAY = 6  # pixels the sheet moves between frames


def qr_image(payload: str, side: int = QR_SIDE) -> Image.Image:
    """The QR code of ``payload`` (error correction M, a 4-module quiet zone), ``side`` pixels square."""
    out = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(out, kind="png", scale=10, border=4)
    return Image.open(io.BytesIO(out.getvalue())).convert("RGB").resize((side, side), Image.NEAREST)


def frames(payload: str, count: int = FRAMES) -> list[Image.Image]:
    """``count`` RGB frames: the code on paper, on a table, shifted a few pixels each time."""
    code = qr_image(payload)
    sheet = Image.new("RGB", (QR_SIDE + 80, QR_SIDE + 80), PAPER)
    sheet.paste(code, (40, 40))
    shown = []
    for index in range(count):
        frame = Image.new("RGB", (WIDTH, HEIGHT), TABLE)
        dx = (index % 4 - 1.5) * SWAY
        dy = (index // 2 % 2 - 0.5) * SWAY
        frame.paste(sheet, (round((WIDTH - sheet.width) / 2 + dx), round((HEIGHT - sheet.height) / 2 + dy)))
        shown.append(frame)
    return shown


def y4m(images: list[Image.Image], fps: int = FPS) -> bytes:
    """The frames (RGB, all of one even size) as a YUV4MPEG2 4:2:0 video."""
    width, height = images[0].size
    parts = [f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode()]
    for image in images:
        luma, blue, red = image.convert("YCbCr").split()
        half = (width // 2, height // 2)
        parts += [
            b"FRAME\n",
            luma.tobytes(),
            blue.resize(half, Image.BOX).tobytes(),
            red.resize(half, Image.BOX).tobytes(),
        ]
    return b"".join(parts)


def qr_video(payload: str, path: Path) -> Path:
    """Write the fake camera's video of ``payload``'s QR code to ``path``; returns the path."""
    path.write_bytes(y4m(frames(payload)))
    return path


__all__ = ["frames", "qr_image", "qr_video", "y4m"]
