"""Draws the app icons of the web app manifest (yanpiao/web/static/web/icon-*.png) with Pillow.

The design is that of ``icon.svg``: a red (#b71c1c) rounded square with a white receipt and a
red check mark, on a 64-unit grid.  The maskable icon fills the whole square (the launcher cuts
its own shape); the receipt stays inside the central safe zone.  Run from the repository root:

    .venv/bin/python docs/scripts/make_icons.py

The output is the same on every run; commit the PNG files it writes.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

RED = "#b71c1c"
WHITE = "#ffffff"
GRID = 64  # the units of icon.svg
SUPERSAMPLE = 4  # drawn larger, then scaled down: smooth edges
FOLDER = Path(__file__).resolve().parents[2] / "yanpiao" / "web" / "static" / "web"

# icon.svg's paths: the receipt with its torn lower edge, and the check mark (stroke 5, round ends).
RECEIPT = [(18, 14), (46, 14), (46, 50), (41, 47), (37, 50), (32, 47), (28, 50), (23, 47), (18, 50)]
CHECK = [(24, 32), (30, 38), (41, 25)]
CHECK_WIDTH = 5
CORNER = 12


def draw(size: int, maskable: bool) -> Image.Image:
    """The icon at ``size`` pixels square; rounded corners unless ``maskable``."""
    big = size * SUPERSAMPLE
    unit = big / GRID
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if maskable:
        pen.rectangle((0, 0, big, big), fill=RED)
    else:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=CORNER * unit, fill=RED)
    pen.polygon([(x * unit, y * unit) for x, y in RECEIPT], fill=WHITE)
    points = [(x * unit, y * unit) for x, y in CHECK]
    width = round(CHECK_WIDTH * unit)
    pen.line(points, fill=RED, width=width, joint="curve")
    radius = width / 2
    for x, y in (points[0], points[-1]):
        pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=RED)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    for name, size, maskable in (
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("icon-maskable-512.png", 512, True),
    ):
        draw(size, maskable).save(FOLDER / name, optimize=True)
        print(FOLDER / name)


if __name__ == "__main__":
    main()
