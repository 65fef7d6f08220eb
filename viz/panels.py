"""Side panels: the leader's network with live activations, the fitness chart, and the behaviour map of
novelty search (its archive) or MAP-Elites (its elites)."""

from __future__ import annotations

import numpy as np
import pygame

from evo.networks.cnn import CNNLayout
from evo.networks.neat import NEATLayout
from evo.networks.recurrent import RecurrentLayout
from viz import theme as T
from viz.neat import draw_network

_ACT = {
    "linear": lambda z: z,
    "tanh": np.tanh,
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "relu": lambda z: np.maximum(z, 0.0),
    "step": lambda z: (z > 0).astype(z.dtype),
}


def activations(layout, genome: np.ndarray, x: np.ndarray) -> list:
    """Every layer's values for one input, the input first (a small numpy forward pass).

    Parameters
    ----------
    layout : evo.networks.mlp.Layout
    genome : ndarray of shape (G,)
    x : ndarray of shape (n_inputs,)

    Returns
    -------
    list of ndarray, one per layer (input, hidden..., output), float64
    """
    values = [np.asarray(x, dtype=np.float64)]
    for k, layer in enumerate(layout.layers):
        z = layout.weights(genome, k).astype(np.float64) @ values[-1] + layout.biases(genome, k)
        with np.errstate(over="ignore"):
            values.append(_ACT[layer.activation](z))
    return values


def feature_maps(layout, genome: np.ndarray, x: np.ndarray) -> list:
    """A CNN's input image and every convolution's feature maps for one observation, then its outputs.

    Parameters
    ----------
    layout : evo.networks.cnn.CNNLayout
    genome : ndarray of shape (G,)
    x : ndarray of shape (C * H * W,), the flattened image

    Returns
    -------
    list of ndarray, float64: the image (C, H, W), each convolution's maps (out, rows, columns), the outputs
    """
    maps = [np.asarray(x, dtype=np.float64).reshape(layout.input_shape)]
    for k, conv in enumerate(layout.conv):
        w = layout.conv_weights(genome, k).astype(np.float64)
        view = np.lib.stride_tricks.sliding_window_view(maps[-1], (conv.kernel, conv.kernel), axis=(1, 2))
        z = np.einsum("irkuv,oiuv->ork", view[:, ::conv.stride, ::conv.stride], w)
        with np.errstate(over="ignore"):
            maps.append(_ACT[conv.activation](z + layout.conv_biases(genome, k)[:, None, None]))
    return maps + [activations(layout, genome, maps[-1].reshape(-1))[-1]]


class NetworkPanel:
    """Draws a network: neurons coloured by activation, connections by sign, width by magnitude.

    Connections are drawn once per genome and panel size into a cached
    surface; each frame only the neurons are redrawn.
    """

    def __init__(self, input_names=(), output_names=()):
        self.input_names = tuple(input_names)
        self.output_names = tuple(output_names)
        self._cache = None

    def label_size(self, rect, sizes, small) -> int:
        """The largest font size, from ``small`` down to 14, at which every input label fits whole
        (below that a label is cut with an ellipsis rather than made unreadable)."""
        for size in range(small, 14, -1):
            f = T.font(size)
            widest = max((f.size(f"{n} +0.00")[0] for n in self.input_names[:sizes[0]]), default=0)
            if widest + 4 <= rect.w * 0.45:
                return size
        return 14

    def _positions(self, rect, sizes, small):
        f = T.font(small)
        names_l = [f.size(f"{n} +0.00")[0] for n in self.input_names[:sizes[0]]] or [0]
        names_r = [f.size(n)[0] for n in self.output_names[:sizes[-1]]] or [f.size("out 0")[0]]
        label_l = min(max(names_l) + 4, int(rect.w * 0.45))
        label_r = min(max(names_r) + 4, rect.w // 5)
        x0, x1 = rect.x + label_l + 14, rect.right - label_r - 14
        cols = [x0 + (x1 - x0) * k / (len(sizes) - 1) for k in range(len(sizes))]
        top, bottom = rect.y + 12, rect.bottom - 12
        gap = (bottom - top) / max(sizes)
        radius = max(3, min(11, int(gap * 0.36)))
        pos = []
        for x, n in zip(cols, sizes):
            span = gap * (n - 1)
            y0 = (top + bottom) / 2 - span / 2
            pos.append([(x, y0 + gap * j) for j in range(n)])
        return pos, radius

    def _loops(self, surf, layout, genome, pos, radius):
        """A loop above each recurrent unit, coloured and sized by its candidate gate's self-weight."""
        for k in range(1, len(layout.sizes) - 1):
            U = layout.recurrent(genome, k - 1)
            top = float(np.abs(U).max()) or 1.0
            for j, (px, py) in enumerate(pos[k]):
                w = float(U[j, j]) / top
                colour = T.lerp(T.PANEL, T.POS if w > 0 else T.NEG, 0.3 + 0.7 * abs(w))
                r = max(3, radius - 2)
                pygame.draw.circle(surf, colour, (px + radius, py - radius), r, 1 + int(abs(w) * 2))

    def _connections(self, rect, layout, genome, pos):
        key = (rect.size, rect.topleft, genome.tobytes())
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        surf = pygame.Surface(rect.size)
        surf.fill(T.PANEL)
        weights = [np.asarray(layout.weights(genome, k), dtype=np.float64) for k in range(len(layout.sizes) - 1)]
        top = max(float(np.abs(w).max()) for w in weights) or 1.0
        lines = []
        for k, w in enumerate(weights):
            for j, i in zip(*np.nonzero(np.abs(w) >= 0.08 * top)):
                lines.append((abs(w[j, i]) / top, w[j, i] > 0, pos[k][i], pos[k + 1][j]))
        lines.sort(key=lambda t: t[0])  # strong ones on top
        ox, oy = rect.topleft
        for mag, positive, a, b in lines:
            colour = T.lerp(T.PANEL, T.POS if positive else T.NEG, 0.25 + 0.75 * mag)
            pygame.draw.line(surf, colour, (a[0] - ox, a[1] - oy), (b[0] - ox, b[1] - oy), 1 + int(mag * 3.5))
        self._cache = (key, surf)
        return surf

    def draw(self, surf, rect, layout, genome, x, chosen=None, state=None):
        """Draw the network of ``genome`` on input ``x``.

        ``layout`` is an ``evo.networks.mlp.Layout``, or an
        ``evo.networks.recurrent.RecurrentLayout`` whose hidden units show their memory
        ``state`` (a loop beside each unit: its recurrent self-weight).
        ``chosen`` is the index of the action taken (ringed), for discrete games.
        """
        surf.fill(T.PANEL, rect)
        if rect.w < 120 or rect.h < 60:
            return
        if isinstance(layout, CNNLayout):
            self._maps(surf, rect, feature_maps(layout, genome, x), chosen)
            return
        if isinstance(layout, NEATLayout):
            draw_network(surf, rect, layout, genome, x, chosen, self.input_names, self.output_names)
            return
        sizes = layout.sizes
        small = self.label_size(rect, sizes, 15 if max(sizes) > 12 or rect.h < 260 else 17)
        pos, radius = self._positions(rect, sizes, small)
        surf.blit(self._connections(rect, layout, genome, pos), rect)
        recurrent = isinstance(layout, RecurrentLayout)
        if recurrent:
            values = [np.asarray(x, np.float64), *layout.hidden(state), layout.outputs(genome, state)]
            linear_out = True
            self._loops(surf, layout, genome, pos, radius)
        else:
            values = activations(layout, genome, x)
            linear_out = layout.layers[-1].activation == "linear"
        last = len(values) - 1
        scale_out = max(1.0, float(np.abs(values[-1]).max())) if linear_out else 1.0
        for k, (layer_pos, v) in enumerate(zip(pos, values)):
            vv = v / scale_out if k == last else np.clip(v, -1.0, 1.0)
            for j, (px, py) in enumerate(layer_pos):
                pygame.draw.circle(surf, T.signed(vv[j], T.BG), (px, py), radius)
                pygame.draw.circle(surf, T.EDGE if not (k == last and chosen == j) else T.LEADER,
                                   (px, py), radius, 1 if not (k == last and chosen == j) else 2)
                if k == 0 and j < len(self.input_names) and radius >= 4:
                    label = fit_text(f"{self.input_names[j]} {v[j]:+.2f}", int(rect.w * 0.45), small)
                    T.text(surf, label, (px - radius - 6, py), small, T.DIM, "midright")
                if k == last:
                    name = self.output_names[j] if j < len(self.output_names) else f"out {j}"
                    T.text(surf, name, (px + radius + 6, py), small, T.LEADER if chosen == j else T.DIM, "midleft")


    def _maps(self, surf, rect, maps, chosen):
        """A CNN: a row of tiles per layer, the input image's channels then each convolution's maps (bright:
        large; each row scaled to its largest value), and the outputs by name, the chosen one highlighted."""
        *images, out = maps
        row_h = (rect.h - 40) // len(images)
        for k, image in enumerate(images):
            top = rect.y + 8 + k * row_h
            T.text(surf, "input" if k == 0 else f"conv {k}", (rect.x + 8, top), 14, T.DIM)
            n, rows, cols = image.shape
            side = max(1, min((rect.w - 16) // n - 4, (row_h - 22) * cols // rows))  # a tile's width
            scale = max(float(image.max()), 1e-9) if k else 1.0
            v = np.clip(image / scale, 0.0, 1.0)[..., None]
            rgb = np.asarray(T.BG, np.float64) + v * (np.asarray(T.POS, np.float64) - np.asarray(T.BG))
            for c in range(n):
                tile = pygame.surfarray.make_surface(rgb[c].transpose(1, 0, 2).astype(np.uint8))
                at = (rect.x + 8 + c * (side + 4), top + 18)
                surf.blit(pygame.transform.scale(tile, (side, max(1, side * rows // cols))), at)
        x = rect.x + 8
        for j, value in enumerate(out):
            name = self.output_names[j] if j < len(self.output_names) else f"out {j}"
            drawn = T.text(surf, f"{name} {value:+.2f}", (x, rect.bottom - 24), 14,
                           T.LEADER if chosen == j else T.DIM)
            x = drawn.right + 12


class FitnessChart:
    """Best and mean fitness per generation, with the axes' ranges written on them.

    The generation axis runs from 0 to the generation in play (``playing``, whose
    column stays empty until it is scored) or, once evolution has finished, to
    the last generation: the number at its end is the one the status line names.
    """

    def __init__(self):
        self._cache = None

    def draw(self, surf, rect, history, playing: int | None = None, replaying: int | None = None):
        """Draw the chart of ``history`` into ``rect``; ``replaying``: a generation whose best is being replayed,
        marked with a vertical line."""
        key = (rect.size, rect.topleft, len(history), playing, replaying)
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, self._render(rect, history, playing, replaying))
        surf.blit(self._cache[1], rect)

    PLOT = (48, 12, 34, 26)  # the plot's margins inside the panel: left, right, top, bottom

    @staticmethod
    def span(n: int, playing: int | None) -> int:
        """The generation at the axis' right end, for ``n`` scored generations."""
        return max(n - 1, 0) if playing is None else max(int(playing), n - 1, 0)

    def generation_at(self, rect, x: int, n: int, playing: int | None = None) -> int | None:
        """The scored generation drawn nearest window column ``x`` of a chart drawn in ``rect`` (None outside
        the plot or before any is scored)."""
        left, right = rect.x + self.PLOT[0], rect.right - self.PLOT[1]
        if n == 0 or not left <= x <= right:
            return None
        g = int(round((x - left) / max(right - left, 1) * max(self.span(n, playing), 1)))
        return min(g, n - 1)

    def _render(self, rect, history, playing=None, replaying=None):
        img = pygame.Surface(rect.size)
        img.fill(T.PANEL)
        T.text(img, "fitness", (10, 8), 20, T.TEXT)
        x = 82
        for name, colour in (("best", T.LEADER), ("mean", T.MEAN)):
            pygame.draw.line(img, colour, (x, 17), (x + 16, 17), 3)
            x = T.text(img, name, (x + 21, 10), 18, T.DIM).right + 14
        left, right, top, bottom = self.PLOT[0], rect.w - self.PLOT[1], self.PLOT[2], rect.h - self.PLOT[3]
        if right - left < 40 or bottom - top < 30:
            return img
        pygame.draw.rect(img, T.EDGE, (left, top, right - left, bottom - top), 1)
        if not history:
            T.text(img, "after the first generation", ((left + right) / 2, (top + bottom) / 2), 18, T.DIM, "center")
            return img
        best = np.array([r["best"] for r in history], dtype=float)
        mean = np.array([r["mean"] for r in history], dtype=float)
        finite = np.concatenate([best[np.isfinite(best)], mean[np.isfinite(mean)]])
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if hi - lo < 1e-9:
            lo, hi = lo - 0.5, hi + 0.5
        pad = 0.05 * (hi - lo)  # the lines keep off the frame; the labels give the data's range
        top_value, bottom_value = hi, lo
        lo, hi = lo - pad, hi + pad
        n = len(history)
        span = self.span(n, playing)
        for frac in (0.25, 0.5, 0.75):
            y = bottom - frac * (bottom - top)
            pygame.draw.line(img, T.GRID, (left + 1, y), (right - 2, y), 1)
        y_pad = (bottom - top) * pad / (hi - lo)
        T.text(img, _fmt(top_value), (left - 5, top + y_pad), 16, T.DIM, "midright")
        T.text(img, _fmt(bottom_value), (left - 5, bottom - y_pad), 16, T.DIM, "midright")
        T.text(img, "0", (left, bottom + 4), 16, T.DIM, "topleft")
        end = f"generation {span}" + (" playing" if playing is not None and span >= n else "")
        T.text(img, end, (right, bottom + 4), 16, T.DIM, "topright")
        if playing is not None and span >= n:  # the column of the generation in play: a dashed line
            for y in range(top + 2, bottom - 2, 8):
                pygame.draw.line(img, T.DIM, (right - 2, y), (right - 2, min(y + 4, bottom - 2)), 1)

        if replaying is not None and 0 <= replaying < n:
            x = left + (right - left) * replaying / max(span, 1)
            pygame.draw.line(img, T.lerp(T.PANEL, T.LEADER, 0.6), (x, top + 1), (x, bottom - 2), 1)
            T.text(img, f"{replaying}", (x, top - 2), 16, T.LEADER, "midbottom")

        def pts(v):
            xs = left + (right - left) * np.arange(n) / max(span, 1)
            ys = bottom - (bottom - top) * (np.nan_to_num(v, nan=lo) - lo) / (hi - lo)
            return list(zip(xs.tolist(), ys.tolist()))

        for v, colour in ((mean, T.MEAN), (best, T.LEADER)):
            p = pts(v)
            if n == 1:
                pygame.draw.circle(img, colour, p[0], 3)
            else:
                pygame.draw.lines(img, colour, False, p, 2)
        return img


class BehaviourPanel:
    """Where the population's behaviours lie, in the game's two behaviour dimensions.

    Novelty search (an algorithm with an ``archive``): the archived behaviours
    as dots, the last population's as fainter ones. MAP-Elites (a
    ``fitness_map``): every filled cell coloured by its elite's fitness, from
    the worst (dim) to the best (bright). The first axis runs right, the second
    up; their names come from ``env.behaviour_space``.
    """

    PLOT = (30, 10, 30, 22)  # margins inside the panel: left, right, top, bottom

    def __init__(self, space):
        self.names, self.low, self.high = (tuple(v) for v in space)
        self._cache = None

    def draw(self, surf, rect, algorithm):
        key = (rect.size, rect.topleft, algorithm.generation)
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, self._render(rect, algorithm))
        surf.blit(self._cache[1], rect)

    def _box(self, w, h):
        left, right, top, bottom = self.PLOT[0], w - self.PLOT[1], self.PLOT[2], h - self.PLOT[3]
        side = max(0, min(right - left, bottom - top))
        x0 = left + (right - left - side) // 2
        return pygame.Rect(x0, top, side, side)

    def _render(self, rect, algo):
        img = pygame.Surface(rect.size)
        img.fill(T.PANEL)
        box = self._box(rect.w, rect.h)
        elites = hasattr(algo, "fitness_map")
        if elites:
            title = f"MAP-Elites: {np.isfinite(algo.fitness_map).sum()} elites, {100 * algo.coverage:.0f}% of cells"
        else:
            title = f"novelty archive: {len(algo.archive)} behaviours"
        T.text(img, fit_text(title, rect.w - 20, 20), (10, 8), 20, T.TEXT)
        if box.w < 30:
            return img
        pygame.draw.rect(img, T.FIELD, box)
        low, high = np.array(self.low[:2], float), np.array(self.high[:2], float)

        def px(b):  # behaviours (n, 2) -> pixel columns and rows
            u = np.clip((np.asarray(b, float)[:, :2] - low) / (high - low), 0.0, 1.0)
            return box.x + u[:, 0] * (box.w - 1), box.bottom - 1 - u[:, 1] * (box.h - 1)

        if elites:
            f = algo.fitness_map
            filled = np.isfinite(f)
            if filled.any():
                lo, hi = float(f[filled].min()), float(f[filled].max())
                nx, ny = f.shape
                for i, j in zip(*np.nonzero(filled)):
                    t = 1.0 if hi <= lo else (f[i, j] - lo) / (hi - lo)
                    x0, x1 = box.x + box.w * i // nx, box.x + box.w * (i + 1) // nx
                    y1, y0 = box.bottom - box.h * j // ny, box.bottom - box.h * (j + 1) // ny
                    pygame.draw.rect(img, T.lerp(T.lerp(T.FIELD, T.AGENT, 0.35), T.LEADER, float(t)),
                                     (x0, y0, max(1, x1 - x0), max(1, y1 - y0)))
                T.text(img, f"fitness {_fmt(lo)} .. {_fmt(hi)}", (rect.w - 10, rect.h - 4), 16, T.DIM, "bottomright")
        else:
            last = getattr(algo, "last_behaviour", None)
            if last is not None:
                for x, y in zip(*px(last[np.isfinite(last).all(axis=1)])):
                    pygame.draw.circle(img, T.lerp(T.FIELD, T.AGENT, 0.45), (x, y), 2)
            if len(algo.archive):
                for x, y in zip(*px(algo.archive)):
                    pygame.draw.circle(img, T.LEADER, (x, y), 2)
        pygame.draw.rect(img, T.EDGE, box, 1)
        T.text(img, self.names[0], (box.centerx, box.bottom + 3), 16, T.DIM, "midtop")
        T.text(img, self.names[1], (box.x - 4, box.centery), 16, T.DIM, "midright")
        return img


def _fmt(v: float) -> str:
    if v == 0 or 0.01 <= abs(v) < 1e5:
        return f"{v:.3g}" if abs(v) < 100 else f"{v:.0f}"
    return f"{v:.1e}"


def fit_text(s: str, width: int, size: int) -> str:
    """``s`` cut with an ellipsis to fit ``width`` pixels at font ``size``."""
    f = T.font(size)
    if f.size(s)[0] <= width:
        return s
    while s and f.size(s + "...")[0] > width:
        s = s[:-1]
    return s + "..."


__all__ = ["NetworkPanel", "FitnessChart", "BehaviourPanel", "activations", "fit_text"]
