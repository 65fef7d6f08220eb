"""fitness.png: best, mean and validation score per generation, drawn with Pillow."""

from __future__ import annotations

import io

import numpy as np

_BG, _AXIS, _GRID, _TEXT = (250, 250, 247), (60, 60, 60), (225, 225, 220), (40, 40, 40)
_SERIES = (("best", (214, 96, 77)), ("mean", (67, 147, 195)), ("validation", (90, 160, 90)))


def fitness_png(history: list, width: int = 720, height: int = 420) -> bytes:
    """A line chart of the history's best, mean and validation columns, as PNG bytes."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (width, height), _BG)
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    left, right, top, bottom = 70, width - 20, 40, height - 45
    gens = np.array([r["generation"] for r in history], dtype=float)
    series = {name: np.array([r[name] for r in history], dtype=float) for name, _ in _SERIES}
    values = np.concatenate([v[np.isfinite(v)] for v in series.values()] + [np.zeros(1)])
    lo, hi = float(values.min()), float(values.max())
    if hi - lo < 1e-9:
        hi = lo + 1.0
    g_hi = max(float(gens.max()) if len(gens) else 1.0, 1.0)

    def xy(g, v):
        return (left + (right - left) * g / g_hi, bottom - (bottom - top) * (v - lo) / (hi - lo))

    for k in range(6):
        v = lo + (hi - lo) * k / 5
        y = xy(0, v)[1]
        draw.line([(left, y), (right, y)], fill=_GRID)
        draw.text((8, y - 6), f"{v:.4g}", fill=_TEXT, font=font)
    for k in range(6):
        g = g_hi * k / 5
        x = xy(g, lo)[0]
        draw.text((x - 8, bottom + 8), f"{g:.0f}", fill=_TEXT, font=font)
    draw.line([(left, top), (left, bottom), (right, bottom)], fill=_AXIS, width=2)
    draw.text((width // 2 - 30, height - 20), "generation", fill=_TEXT, font=font)
    for i, (name, colour) in enumerate(_SERIES):
        v = series[name]
        pts = [xy(g, y) for g, y in zip(gens, v) if np.isfinite(y)]
        if len(pts) > 1:
            draw.line(pts, fill=colour, width=2)
        elif pts:
            draw.ellipse([pts[0][0] - 2, pts[0][1] - 2, pts[0][0] + 2, pts[0][1] + 2], fill=colour)
        draw.line([(left + 10 + 110 * i, 20), (left + 35 + 110 * i, 20)], fill=colour, width=3)
        draw.text((left + 40 + 110 * i, 14), name, fill=_TEXT, font=font)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
