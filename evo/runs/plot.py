"""fitness.png: best, mean and validation score per generation, with the run's title and target, drawn with Pillow."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np

_BG, _AXIS, _GRID, _TEXT, _TARGET = (250, 250, 247), (60, 60, 60), (225, 225, 220), (40, 40, 40), (120, 120, 120)
_SERIES = (("best", (214, 96, 77)), ("mean", (67, 147, 195)), ("validation", (90, 160, 90)))
_STEPS = (1.0, 2.0, 2.5, 5.0)  # the mantissas of a tick step


def nice_ticks(lo: float, hi: float, most: int = 6, integer: bool = False) -> np.ndarray:
    """Round tick values covering ``[lo, hi]``: multiples of a step of 1, 2, 2.5 or 5 times a power of ten,
    at most ``most`` of them, the first at or below ``lo`` and the last at or above ``hi``.

    ``integer`` keeps the step a whole number (generations).
    """
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"tick range must be finite, got {lo} .. {hi}")
    if hi < lo:
        lo, hi = hi, lo
    if hi - lo < 1e-12 * max(1.0, abs(lo), abs(hi)):
        pad = max(abs(lo) * 0.05, 1.0 if integer else 0.5)
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(most - 1, 1)
    if integer:
        raw = max(raw, 1.0)
    power = 10.0 ** math.floor(math.log10(raw))
    while True:  # the smallest round step that needs at most `most` ticks
        for mantissa in _STEPS:
            step = mantissa * power
            if integer and (step < 1 or mantissa == 2.5 and power < 10):
                continue
            first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
            if last - first + 1 <= most:
                return np.arange(first, last + 1) * step
        power *= 10.0


def tick_label(value: float, step: float) -> str:
    """``value`` written with as many decimals as the tick ``step`` needs (0.75, 300, -1500, 2.5e+06)."""
    if value == 0:
        return "0"
    step = float(f"{step:.6g}")  # a difference of two ticks: 0.0019999999... is 0.002
    if abs(value) >= 1e6 or abs(step) < 1e-4:
        return f"{value:.3g}" if abs(step / value) >= 1e-3 else f"{value:.6g}"
    decimals = 0
    while decimals < 6 and abs(round(step, decimals) - step) > 1e-9 * abs(step):
        decimals += 1
    return f"{value:.{decimals}f}"


def plot_labels(run) -> dict:
    """The title and target :func:`fitness_png` draws for ``run`` (an :class:`evo.runs.driver.Evolution`):
    game and level, algorithm, network, seed. Nothing of where the run is written, so that the same run
    writes the same file wherever it runs (a Ray run's files equal a local run's)."""
    config = run.config
    spec = config.algorithm
    algorithm = spec.get("name", "ga") if isinstance(spec, dict) else str(spec)
    game = config.env + (f" (level {config.level})" if config.level and config.level != "default" else "")
    return {"title": f"{game}: {algorithm}, {config.network}, seed {config.seed}", "target": float(run.target)}


def _frame(draw, box: tuple, x_ticks, y_ticks, xy, x_label: str, fonts: tuple) -> None:
    """The grid lines, tick labels, axes and x-axis label of a chart whose plot area is ``box``
    (left, right, top, bottom, image height); ``xy(x, y)`` maps data to pixels."""
    (left, right, top, bottom, height), (font, small) = box, fonts
    y_step = float(y_ticks[1] - y_ticks[0])
    for v in y_ticks:
        y = xy(0, v)[1]
        draw.line([(left, y), (right, y)], fill=_GRID)
        draw.text((left - 8, y), tick_label(float(v), y_step), fill=_TEXT, font=small, anchor="rm")
    x_step = float(x_ticks[1] - x_ticks[0])
    for x_value in x_ticks:
        x = xy(x_value, y_ticks[0])[0]
        draw.line([(x, bottom), (x, bottom + 4)], fill=_AXIS)
        draw.text((x, bottom + 7), tick_label(float(x_value), x_step), fill=_TEXT, font=small, anchor="mt")
    draw.line([(left, top), (left, bottom), (right, bottom)], fill=_AXIS, width=2)
    draw.text(((left + right) / 2, height - 6), x_label, fill=_TEXT, font=font, anchor="mb")


def fitness_png(history: list, width: int = 720, height: int = 420, *, title: str | None = None,
                target: float | None = None) -> bytes:
    """A line chart of the history's best, mean and validation columns, as PNG bytes.

    Parameters
    ----------
    history : list of dict
        Log rows with ``generation``, ``best``, ``mean`` and ``validation`` (None: not validated).
    width, height : int
        Pixels.
    title : str, optional
        Written above the chart (:func:`plot_labels` gives the run's).
    target : float, optional
        Drawn as a dashed horizontal line with its value; kept in the chart when it lies within one
        and a half data ranges of the scores, otherwise written at the edge it lies beyond.
    """
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (width, height), _BG)
    draw = ImageDraw.Draw(img)
    font, small = ImageFont.load_default(size=15), ImageFont.load_default(size=13)
    left, right, top, bottom = 74, width - 24, 66 if title else 44, height - 48
    gens = np.array([r["generation"] for r in history], dtype=float)
    series = {name: np.array([np.nan if r.get(name) is None else r[name] for r in history], dtype=float)
              for name, _ in _SERIES}
    values = np.concatenate([v[np.isfinite(v)] for v in series.values()] + [np.zeros(0)])
    lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    target = None if target is None or not math.isfinite(target) else float(target)
    span = max(hi - lo, 1e-9 * max(1.0, abs(hi)))
    shown = target is not None and lo - 1.5 * span <= target <= hi + 1.5 * span  # near enough to keep in view
    if shown:
        lo, hi = min(lo, target), max(hi, target)
    y_ticks = nice_ticks(lo, hi)
    lo, hi = float(y_ticks[0]), float(y_ticks[-1])
    g_hi = max(float(gens.max()) if gens.size else 1.0, 1.0)  # the axis ends at the last generation
    x_ticks = nice_ticks(0, g_hi, integer=True)
    x_ticks = x_ticks[x_ticks <= g_hi + 1e-9]

    def xy(g, v):
        return (left + (right - left) * g / g_hi, bottom - (bottom - top) * (v - lo) / (hi - lo))

    _frame(draw, (left, right, top, bottom, height), x_ticks, y_ticks, xy, "generation", (font, small))
    if title:
        draw.text((width / 2, 10), title, fill=_TEXT, font=ImageFont.load_default(size=17), anchor="mt")
    if target is not None:
        label = f"target {target:g}"
        if shown:
            y = xy(0, target)[1]
            for x in range(left, right, 12):
                draw.line([(x, y), (min(x + 6, right), y)], fill=_TARGET, width=2)
            box = draw.textbbox((left + 10, y), label, font=small, anchor="lm")  # on the line, over the data
            draw.rectangle([box[0] - 4, box[1] - 3, box[2] + 4, box[3] + 3], fill=_BG, outline=_TARGET)
            draw.text((left + 10, y), label, fill=_TARGET, font=small, anchor="lm")
        else:
            above = target > hi
            draw.text((right - 4, top + 2 if above else bottom - 3),
                      f"{label} ({'above' if above else 'below'} the chart)", fill=_TARGET, font=small,
                      anchor="rt" if above else "rb")
    legend_y = top - 14
    for i, (name, colour) in enumerate(_SERIES):
        v = series[name]
        pts = [xy(g, y) for g, y in zip(gens, v) if np.isfinite(y)]
        if len(pts) > 1:
            draw.line(pts, fill=colour, width=2)
        elif pts:
            draw.ellipse([pts[0][0] - 2, pts[0][1] - 2, pts[0][0] + 2, pts[0][1] + 2], fill=colour)
        x0 = left + 10 + 120 * i
        draw.line([(x0, legend_y), (x0 + 25, legend_y)], fill=colour, width=3)
        draw.text((x0 + 31, legend_y), name, fill=_TEXT, font=font, anchor="lm")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


_PALETTE = ((214, 96, 77), (67, 147, 195), (90, 160, 90), (153, 112, 171), (230, 159, 0), (86, 180, 233),
            (140, 86, 75), (204, 121, 167))
_LEGEND_MOST = 8  # labels drawn; the others are counted


def overlay_png(curves: list, width: int = 720, height: int = 420, *, title: str | None = None,
                targets=(), x_label: str = "training steps", y_label: str = "") -> bytes:
    """Several runs' curves on shared axes, as PNG bytes.

    Parameters
    ----------
    curves : list of (str, array, array)
        A label, x values (increasing) and y values per run; NaN y values are skipped.
    width, height : int
        Pixels.
    title : str, optional
        Written above the chart.
    targets : iterable of float
        Each drawn as a dashed horizontal line with its value, the y axis widened to show it.
    x_label, y_label : str
        Written under the x axis and above the y axis.
    """
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (width, height), _BG)
    draw = ImageDraw.Draw(img)
    font, small = ImageFont.load_default(size=15), ImageFont.load_default(size=13)
    shown = curves[:_LEGEND_MOST]
    rows = (len(shown) + 2) // 3 + (len(curves) > _LEGEND_MOST)
    left, right, top, bottom = 74, width - 24, (44 if title else 20) + 18 * rows + 14, height - 48
    finite = [np.asarray(c[2], dtype=float) for c in curves]
    targets = sorted({float(t) for t in targets if t is not None and math.isfinite(t)})
    ys = np.concatenate([v[np.isfinite(v)] for v in finite] + [np.array(targets), np.zeros(0)])
    lo, hi = (float(ys.min()), float(ys.max())) if ys.size else (0.0, 1.0)
    y_ticks = nice_ticks(lo, hi)
    lo, hi = float(y_ticks[0]), float(y_ticks[-1])
    xs = np.concatenate([np.asarray(c[1], dtype=float) for c in curves] + [np.zeros(1)])
    x_hi = max(float(xs.max()), 1.0)
    x_ticks = nice_ticks(0, x_hi, integer=True)
    x_hi = float(x_ticks[-1])

    def xy(x, v):
        return (left + (right - left) * x / x_hi, bottom - (bottom - top) * (v - lo) / (hi - lo))

    _frame(draw, (left, right, top, bottom, height), x_ticks, y_ticks, xy, x_label, (font, small))
    if y_label:
        draw.text((left, top - 6), y_label, fill=_TEXT, font=small, anchor="lb")
    if title:
        draw.text((width / 2, 10), title, fill=_TEXT, font=ImageFont.load_default(size=17), anchor="mt")
    for target in targets:
        y = xy(0, target)[1]
        for x in range(left, right, 12):
            draw.line([(x, y), (min(x + 6, right), y)], fill=_TARGET, width=2)
        draw.text((right - 4, y - 3), f"target {target:g}", fill=_TARGET, font=small, anchor="rb")
    for i, (name, x_values, _) in enumerate(curves):
        colour = _PALETTE[i % len(_PALETTE)]
        pts = [xy(x, v) for x, v in zip(np.asarray(x_values, dtype=float), finite[i]) if np.isfinite(v)]
        if len(pts) > 1:
            draw.line(pts, fill=colour, width=2)
        elif pts:
            draw.ellipse([pts[0][0] - 2, pts[0][1] - 2, pts[0][0] + 2, pts[0][1] + 2], fill=colour)
    legend_top = (44 if title else 20)
    for i, (name, *_) in enumerate(shown):
        x0, y0 = left + 10 + (right - left) // 3 * (i % 3), legend_top + 18 * (i // 3)
        draw.line([(x0, y0), (x0 + 25, y0)], fill=_PALETTE[i % len(_PALETTE)], width=3)
        draw.text((x0 + 31, y0), name, fill=_TEXT, font=small, anchor="lm")
    if len(curves) > _LEGEND_MOST:
        draw.text((left + 10, legend_top + 18 * (rows - 1)), f"and {len(curves) - _LEGEND_MOST} more runs",
                  fill=_TEXT, font=small, anchor="lm")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
