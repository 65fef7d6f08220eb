"""fitness.png: round ticks, the run's title and its target."""

import io

import numpy as np
import pytest
from PIL import Image

from evo.runs import plot
from evo.runs.plot import fitness_png, nice_ticks, plot_labels, tick_label


def history(best, mean, validation=None):
    validation = validation if validation is not None else [None] * len(best)
    return [{"generation": g, "best": b, "mean": m, "validation": v}
            for g, (b, m, v) in enumerate(zip(best, mean, validation))]


def image(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


@pytest.mark.parametrize("lo, hi", [(0.4337, 0.7573), (-1613.7, -322.4), (0, 500), (17.2, 17.2), (-3e6, 2.5e7),
                                    (0.0012, 0.0031), (-0.5, 0.25)])
def test_ticks_are_round_numbers_that_cover_the_range(lo, hi):
    ticks = nice_ticks(lo, hi)
    step = ticks[1] - ticks[0]
    assert 3 <= len(ticks) <= 6 and ticks[0] <= lo and ticks[-1] >= hi
    np.testing.assert_allclose(np.diff(ticks), step)
    mantissa = step / 10 ** np.floor(np.log10(step))
    assert min(abs(mantissa - m) for m in (1, 2, 2.5, 5, 10)) < 1e-9
    labels = [tick_label(float(t), float(step)) for t in ticks]
    assert len(set(labels)) == len(labels)
    for t, text in zip(ticks, labels):
        assert abs(float(text) - t) <= 1e-6 * max(1.0, abs(t)) and len(text) <= 7, (text, t)
    assert "0.7573" not in labels and "-322.4" not in labels


def test_random_ranges_get_short_round_labels():
    rng = np.random.default_rng(5)
    for _ in range(300):
        lo = float(rng.normal(0, 10 ** rng.uniform(-3, 5)))
        hi = lo + float(10 ** rng.uniform(-3, 5))
        ticks = nice_ticks(lo, hi)
        step = float(ticks[1] - ticks[0])
        assert ticks[0] <= lo and ticks[-1] >= hi and len(ticks) <= 6
        needed = max(0, -int(np.floor(np.log10(step)))) + 1  # decimals a step of 2.5 x 10^k needs, at most
        for t in ticks:
            text = tick_label(float(t), step)
            decimals = len(text.split(".")[1]) if "." in text and "e" not in text else 0
            assert decimals <= needed and abs(float(text) - t) <= 1e-6 * max(abs(t), step), (text, t, step)


def test_generation_ticks_are_whole_numbers():
    for last in (1, 2, 3, 7, 11, 49, 137, 1000):
        ticks = nice_ticks(0, last, integer=True)
        assert (ticks == np.round(ticks)).all() and ticks[0] == 0 and ticks[-1] >= last


def test_the_target_is_a_dashed_line_and_the_title_is_written():
    h = history([300.0, 420.0, 500.0], [40.0, 90.0, 160.0], [390.0, None, 499.0])
    bare = image(fitness_png(h))
    marked = image(fitness_png(h, title="cartpole: ga, seed 0, run cp", target=475.0))
    target_pixels = (np.abs(marked - np.array(plot._TARGET)).sum(axis=2) < 30)
    rows = target_pixels.sum(axis=1)
    row = int(np.argmax(rows))
    assert rows[row] > 200  # a line across the plot, dashed: many pixels of one row
    line = target_pixels[row, 80:700]
    assert 0.3 < line.mean() < 0.9  # dashed, not solid
    ticks_500_and_400 = [r for r in range(marked.shape[0]) if rows[r] > 0]
    assert ticks_500_and_400
    assert (marked[:30] != bare[:30]).any()  # the title, above the plot
    assert not (np.abs(bare - np.array(plot._TARGET)).sum(axis=2) < 30).sum(axis=1).max() > 200


def test_a_target_far_from_the_scores_is_named_at_the_edge_not_drawn():
    h = history([0.3, 0.4], [0.1, 0.2])
    far = image(fitness_png(h, target=20.0))
    rows = (np.abs(far - np.array(plot._TARGET)).sum(axis=2) < 30).sum(axis=1)
    assert rows.max() < 200  # no line: only the words "target 20 (above the chart)"
    assert rows.sum() > 20


def test_plot_labels_name_the_game_algorithm_network_and_seed_and_not_where_the_run_is(tmp_path):
    from evo.runs.config import RunConfig, default_config
    from evo.runs.driver import Evolution

    run = Evolution(RunConfig.from_dict({"pop_size": 8, "episodes": 1, "seed": 4}, base=default_config("cartpole")))
    labels = plot_labels(run)
    assert labels["target"] == run.target
    title = labels["title"]
    assert title.startswith("cartpole") and title.endswith(", mlp, seed 4")
    assert title.split(":")[1].strip().split(",")[0] in ("ga", "truncation_ga")


def test_a_runs_fitness_png_has_its_title_and_target(tmp_path):
    from evo.cli import main

    out = tmp_path / "titled"
    assert main(["run", "cartpole", "--pop", "12", "--episodes", "1", "--hidden", "8", "--generations", "2",
                 "--target", "60", "--out", str(out), "--quiet"]) == 0
    img = image((out / "fitness.png").read_bytes())
    assert (np.abs(img[:30] - np.array(plot._BG)).sum(axis=2) > 60).sum() > 100  # the title's letters
    assert (np.abs(img - np.array(plot._TARGET)).sum(axis=2) < 30).sum() > 150  # the target, drawn or named
