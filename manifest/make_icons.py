"""Draws the Teams app icons: a pulse line, white on the accent colour and white on transparent.

Run `.venv/bin/python manifest/make_icons.py` after changing the drawing; the PNGs are committed.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
ACCENT = (27, 107, 115)  # #1B6B73, the manifest's accentColor
WHITE = (255, 255, 255)
SCALE = 8  # drawn this many times larger, then scaled down for smooth edges

# the pulse: flat, a small bump, the beat (up, deep down, up), a rise to the right; x and y in 0..1
PULSE = [
    (0.00, 0.58),
    (0.22, 0.58),
    (0.30, 0.48),
    (0.37, 0.58),
    (0.44, 0.58),
    (0.52, 0.14),
    (0.61, 0.88),
    (0.69, 0.42),
    (0.76, 0.50),
    (1.00, 0.50),
]


def pulse_mask(size: int, *, box: tuple[float, float, float, float], width: float) -> Image.Image:
    """A greyscale mask of the pulse line inside `box` (left, top, right, bottom in pixels)."""
    big = Image.new("L", (size * SCALE, size * SCALE), 0)
    left, top, right, bottom = (v * SCALE for v in box)
    points = [(left + x * (right - left), top + y * (bottom - top)) for x, y in PULSE]
    draw = ImageDraw.Draw(big)
    stroke = round(width * SCALE)
    draw.line(points, fill=255, width=stroke, joint="curve")
    for end in (points[0], points[-1]):  # round caps
        r = stroke / 2
        draw.ellipse((end[0] - r, end[1] - r, end[0] + r, end[1] + r), fill=255)
    return big.resize((size, size), Image.Resampling.LANCZOS)


def color_icon() -> Image.Image:
    """192×192, full-bleed accent colour; the symbol stays inside the central 120×120."""
    icon = Image.new("RGB", (192, 192), ACCENT)
    mask = pulse_mask(192, box=(36, 50, 156, 142), width=11)
    icon.paste(Image.new("RGB", icon.size, WHITE), (0, 0), mask)
    return icon


def outline_icon() -> Image.Image:
    """32×32, white on transparent: every visible pixel is white, only its alpha varies."""
    mask = pulse_mask(32, box=(2, 5, 30, 27), width=2.6)
    # white wherever anything shows; fully transparent pixels carry no colour at all
    white = mask.point(lambda alpha: 255 if alpha else 0)
    return Image.merge("RGBA", (white, white, white, mask))


def main() -> None:
    color_icon().save(HERE / "color.png", optimize=True)
    outline_icon().save(HERE / "outline.png", optimize=True)


if __name__ == "__main__":
    main()
