"""Convolutional networks: the population forward pass against numpy, and pixel rollouts beside feature ones.

1. ``CNN.forward`` over P genomes, each on its own image, against a numpy
   implementation of the same network: im2col (a strided view of every
   kernel-sized patch, copied to ``(P, positions, C * k * k)``) then one
   batched ``einsum`` per layer with contiguous per-genome weights prepared
   outside the timed region. Medians of ``--repeats`` calls, in the same run;
   the ratio is numpy_time / numba_time (> 1: the kernel is faster). Target: at
   least 3 at P = 1024 for the games' pixel presets.
2. Agent-steps per second of fused rollouts (``evo.rollout``, kernels loaded
   or compiled beforehand) of each game played from pixels by its pixel
   preset's CNN and from features by its preset's MLP, with random genomes of
   each (the same P and episodes), and the ratio features / pixels.
3. The two fused kernels on each game's pixel preset: seconds per rollout of
   P random genomes x 1 episode (``--kernel-pops``) with ``kernel="agent"``
   and ``kernel="lockstep"``, the two played in turn ``--repeats`` times on
   the same genomes and seeds (their results are checked equal to the bit),
   medians, and the ratio lockstep / agent (< 1: lockstep is faster).

Run: python benchmarks/cnn.py [--pop 1024] [--repeats 7] [--games pong,flappy,snake]
     [--parts forward,rollout,kernels] [--kernel-pops 1024,4096]
"""

import argparse
import os
import platform
import time

import numba
import numpy as np

import envs
from evo import CNN, rollout
from evo.runs.config import default_config
from evo.runs.driver import network
from forward import median_time  # benchmarks/forward.py, beside this script
from machine import describe  # benchmarks/machine.py, beside this script  # noqa: E402


def numpy_layers(net, genomes):
    """Every layer's weights as contiguous per-genome arrays: conv (P, C k k, O), dense (P, in, out)."""
    unpacked = [net.unpack(g) for g in genomes]
    layers = []
    for k in range(0, len(unpacked[0]), 2):
        w = np.stack([u[k] for u in unpacked])
        if w.ndim == 5:  # (P, O, C, k, k) -> (P, C k k, O), the im2col column order
            w = w.reshape(w.shape[0], w.shape[1], -1).transpose(0, 2, 1)
        layers.append((np.ascontiguousarray(w), np.ascontiguousarray(np.stack([u[k + 1] for u in unpacked]))))
    return layers


def numpy_forward(net, layers, images):
    """The network on (P, C, H, W) images: im2col and einsum per convolution, einsum per dense layer."""
    x = images
    for (w, b), (_, kernel, stride) in zip(layers, net.conv):
        windows = np.lib.stride_tricks.sliding_window_view(x, (kernel, kernel), axis=(2, 3))
        windows = windows[:, :, ::stride, ::stride]  # (P, C, OH, OW, k, k)
        P, C, OH, OW = windows.shape[:4]
        cols = np.ascontiguousarray(windows.transpose(0, 2, 3, 1, 4, 5)).reshape(P, OH * OW, C * kernel * kernel)
        y = np.einsum("pnk,pko->pno", cols, w) + b[:, None, :]
        x = np.maximum(y, 0.0).transpose(0, 2, 1).reshape(P, -1, OH, OW)
    h = x.reshape(x.shape[0], -1)
    dense = layers[len(net.conv):]
    for i, (w, b) in enumerate(dense):
        h = np.einsum("pi,pio->po", h, w) + b
        if i < len(dense) - 1:
            h = np.maximum(h, 0.0)
    return h


def pixel_preset(game):
    """The game played from pixels and its pixel preset's CNN."""
    config = default_config(game, obs="pixels").validate()
    env = envs.make(game, obs="pixels", level=config.level)
    return env, network(config, env)


def forward_part(games, pop, repeats):
    print(f"\n1. forward pass over P = {pop} genomes, median of {repeats}")
    print(f"{'network':>44} {'genes':>6} {'numba ms':>9} {'numpy ms':>9} {'ratio':>6}")
    rng = np.random.default_rng(0)
    for game in games:
        env, net = pixel_preset(game)
        genomes = net.init(rng, pop)
        images = rng.random((pop, *net.input_shape)).astype(np.float32)
        layers = numpy_layers(net, genomes)
        ours = net.forward(genomes, images)
        theirs = numpy_forward(net, layers, images)
        assert np.allclose(ours, theirs, rtol=1e-3, atol=1e-3), "the two forward passes disagree"
        t_numba = median_time(lambda: net.forward(genomes, images), repeats)
        t_numpy = median_time(lambda: numpy_forward(net, layers, images), repeats)
        shape = f"{game} {net.input_shape} conv {[list(c) for c in net.conv]} dense {list(net.dense)}"
        print(f"{shape:>44} {net.num_params:>6} {1e3 * t_numba:>9.2f} {1e3 * t_numpy:>9.2f} "
              f"{t_numpy / t_numba:>6.1f}")


def rollout_part(games, pop, episodes, repeats):
    print(f"\n2. fused rollouts, P = {pop} random genomes x {episodes} episodes, best of {repeats}")
    print(f"{'game':>8} {'observation':>12} {'network':>44} {'agent-steps/s':>14} {'features/pixels':>16}")
    rng = np.random.default_rng(1)
    for game in games:
        rates = {}
        for obs in ("features", "pixels"):
            config = default_config(game, obs=obs).validate()
            env = envs.make(game, obs=obs, level=config.level)
            net = network(config, env)
            genomes = net.init(rng, pop)
            rollout(env, net, genomes[:2], 1, 0)  # compiled or loaded from the cache, out of the timed region
            best = 0.0
            for r in range(repeats):
                t = time.perf_counter()
                steps = rollout(env, net, genomes, episodes, seed=r).total_steps
                best = max(best, steps / (time.perf_counter() - t))
            rates[obs] = best
            label = repr(net) if isinstance(net, CNN) else f"MLP {list(net.sizes)}"
            label = label if len(label) <= 44 else label[:41] + "..."
            ratio = f"{rates['features'] / best:.1f}" if obs == "pixels" else ""
            print(f"{game:>8} {obs:>12} {label:>44} {best:>14.3g} {ratio:>16}")


def kernel_part(games, pops, repeats):
    print(f"\n3. agent and lockstep kernels on the pixel presets, random genomes x 1 episode, "
          f"medians of {repeats} interleaved runs")
    print(f"{'game':>8} {'network':>36} {'P':>6} {'agent s':>8} {'lockstep s':>10} {'lockstep/agent':>15}")
    rng = np.random.default_rng(2)
    for game in games:
        env, net = pixel_preset(game)
        for kernel in ("agent", "lockstep"):  # compiled or loaded from the cache, out of the timed region
            rollout(env, net, net.init(rng, 2), 1, 0, kernel=kernel)
        for pop in pops:
            genomes = net.init(rng, pop)
            times = {"agent": [], "lockstep": []}
            for r in range(repeats):
                played = {}
                for kernel in times:
                    t = time.perf_counter()
                    played[kernel] = rollout(env, net, genomes, 1, seed=r, kernel=kernel)
                    times[kernel].append(time.perf_counter() - t)
                assert np.array_equal(played["agent"].returns, played["lockstep"].returns) and np.array_equal(
                    played["agent"].steps, played["lockstep"].steps), "the two kernels disagree"
            agent, lockstep = (float(np.median(times[k])) for k in ("agent", "lockstep"))
            shape = f"conv {[list(c) for c in net.conv]} dense {list(net.dense)}, {net.num_params} genes"
            print(f"{game:>8} {shape:>36} {pop:>6} {agent:>8.3f} {lockstep:>10.3f} {lockstep / agent:>15.2f}",
                  flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pop", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--episodes", type=int, default=1, help="episodes per genome in the rollouts")
    parser.add_argument("--rollout-pop", type=int, default=256, help="genomes per rollout")
    parser.add_argument("--games", default="pong,flappy,snake")
    parser.add_argument("--parts", default="forward,rollout,kernels")
    parser.add_argument("--kernel-pops", default="1024,4096", help="genomes per rollout in part 3")
    args = parser.parse_args()
    print(describe(), flush=True)
    games = args.games.split(",")
    print(f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; numba {numba.__version__} "
          f"with {numba.get_num_threads()} threads, numpy {np.__version__}")
    if "forward" in args.parts:
        forward_part(games, args.pop, args.repeats)
    if "rollout" in args.parts:
        rollout_part(games, args.rollout_pop, args.episodes, max(1, args.repeats // 2))
    if "kernels" in args.parts:
        kernel_part(games, [int(p) for p in args.kernel_pops.split(",")], args.repeats)


if __name__ == "__main__":
    main()
