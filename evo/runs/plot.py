"""fitness.png: best, mean and validation score per generation, with the run's title and target, drawn with Pillow;
beside it, for a run of several objectives, the population NSGA-II keeps in objective space, its first front
highlighted."""

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
    labels = {"title": f"{game}: {algorithm}, {config.network}, seed {config.seed}", "target": float(run.target)}
    front = run.objectives.front(run.algorithm) if getattr(run, "objectives", None) is not None else None
    if front is not None:
        labels["front"] = front
    return labels


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
                target: float | None = None, front: tuple | None = None) -> bytes:
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
    front : tuple, optional
        ``(names, values, ranks)`` of a run of several objectives
        (:meth:`evo.runs.objectives.Objectives.front`): drawn as a second chart, ``width`` wide, to the
        right of the first (:func:`front_chart`).
    """
    from PIL import Image, ImageDraw, ImageFont

    if front is not None:
        whole = Image.new("RGB", (2 * width, height), _BG)
        whole.paste(Image.open(io.BytesIO(fitness_png(history, width, height, title=title, target=target))))
        whole.paste(front_chart(*front, width=width, height=height), (width, 0))
        buf = io.BytesIO()
        whole.save(buf, format="PNG")
        return buf.getvalue()
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


_OTHERS, _FIRST = (150, 170, 190), (214, 96, 77)


def front_chart(names, values, ranks, width: int = 720, height: int = 420):
    """A scatter of a population in the plane of its first two objectives, its first front highlighted.

    Parameters
    ----------
    names : sequence of str
        The objectives' names, the return first.
    values : ndarray of shape (S, M)
        Each genome's objectives as they are (a minimised one not negated); M >= 2, the first two drawn.
    ranks : ndarray of shape (S,)
        Each genome's front rank, 0 for the first front (:func:`evo.operators.selection.non_dominated_sort`).

    Returns
    -------
    PIL.Image.Image
    """
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (width, height), _BG)
    draw = ImageDraw.Draw(img)
    font, small = ImageFont.load_default(size=15), ImageFont.load_default(size=13)
    left, right, top, bottom = 74, width - 24, 66, height - 48
    v = np.asarray(values, dtype=float)[:, :2]
    ranks = np.asarray(ranks)
    shown = np.isfinite(v).all(axis=1)
    first = shown & (ranks == 0)
    lo = v[shown].min(axis=0) if shown.any() else np.zeros(2)
    hi = v[shown].max(axis=0) if shown.any() else np.ones(2)
    x_ticks, y_ticks = nice_ticks(lo[0], hi[0]), nice_ticks(lo[1], hi[1])
    (x0, x1), (y0, y1) = (float(x_ticks[0]), float(x_ticks[-1])), (float(y_ticks[0]), float(y_ticks[-1]))

    def xy(a, b):
        return (left + (right - left) * (a - x0) / (x1 - x0), bottom - (bottom - top) * (b - y0) / (y1 - y0))

    _frame(draw, (left, right, top, bottom, height), x_ticks, y_ticks, xy, names[0], (font, small))
    draw.text((left, top - 6), names[1], fill=_TEXT, font=small, anchor="lb")
    more = f"; objectives {', '.join(names[2:])} not drawn" if len(names) > 2 else ""
    draw.text((width / 2, 10), f"the population NSGA-II keeps: {first.sum()} of {len(v)} on the first front{more}",
              fill=_TEXT, font=ImageFont.load_default(size=17 if not more else 15), anchor="mt")
    for i in np.flatnonzero(shown & ~first):
        x, y = xy(*v[i])
        draw.ellipse([x - 3, y - 3, x + 3, y + 3], outline=_OTHERS, width=2)
    line = sorted(xy(*v[i]) for i in np.flatnonzero(first))
    if len(line) > 1:
        draw.line(line, fill=_FIRST, width=2)
    for x, y in line:
        draw.ellipse([x - 5, y - 5, x + 5, y + 5], fill=_FIRST)
    legend_y = top - 30
    for k, (label, colour, filled) in enumerate((("first front", _FIRST, True), ("the others", _OTHERS, False))):
        x = right - 250 + 130 * k
        draw.ellipse([x - 5, legend_y - 5, x + 5, legend_y + 5], fill=colour if filled else None, outline=colour,
                     width=2)
        draw.text((x + 10, legend_y), label, fill=_TEXT, font=small, anchor="lm")
    return img


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
