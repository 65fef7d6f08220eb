"""Population forward pass: the Numba kernel against numpy's batched best case.

For each layout and population size, times ``MLP.forward`` (all threads) and a
batched numpy forward over contiguous per-layer arrays (weights (P, out, in),
biases (P, out), float32, the faster of ``matmul`` and ``einsum``), in the same
run, and prints medians and the ratio numpy_time / numba_time (> 1: Numba is
faster). Target: >= 2 at P = 16384 for 4-16-2, and >= 1 everywhere.

Run: python benchmarks/forward.py [--repeats 21]
"""

import argparse
import time

import numba
import numpy as np

from evo import MLP
from machine import describe  # benchmarks/machine.py, beside this script  # noqa: E402


def median_time(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def numpy_layers(net, genomes):
    """Per-layer contiguous weight and bias arrays, out of the timed region."""
    layers = []
    for k in range(len(net.layout.layers)):
        w = np.stack([net.layout.weights(g, k) for g in genomes])
        b = np.stack([net.layout.biases(g, k) for g in genomes])
        layers.append((np.ascontiguousarray(w), np.ascontiguousarray(b)))
    return layers


def numpy_forward(layers, obs, use_einsum):
    h = obs
    for i, (w, b) in enumerate(layers):
        if use_einsum:
            h = np.einsum("poi,pi->po", w, h) + b
        else:
            h = np.matmul(w, h[:, :, None])[:, :, 0] + b
        if i < len(layers) - 1:
            h = np.tanh(h)
    return h


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    print(describe(), flush=True)
    print(f"numba {numba.__version__}, numpy {np.__version__}, threads {numba.get_num_threads()}, "
          f"median of {args.repeats}")
    print(f"{'layout':>14} {'P':>6} {'numba ms':>9} {'numpy ms':>9} {'ratio':>6}")
    rng = np.random.default_rng(0)
    for sizes in ([4, 16, 2], [24, 32, 32, 4]):
        net = MLP(sizes, hidden="tanh", output="linear")
        for P in (256, 16384):
            genomes = net.init(rng, P)
            obs = rng.normal(0, 1, (P, sizes[0])).astype(np.float32)
            out = np.empty((P, sizes[-1]), np.float32)
            layers = numpy_layers(net, genomes)
            ref = numpy_forward(layers, obs, False)
            np.testing.assert_allclose(net.forward(genomes, obs), ref, rtol=1e-3, atol=1e-4)
            t_numba = median_time(lambda: net.forward(genomes, obs, out), args.repeats)
            t_np = min(median_time(lambda: numpy_forward(layers, obs, e), args.repeats) for e in (False, True))
            print(f"{'-'.join(map(str, sizes)):>14} {P:>6} {t_numba * 1e3:9.3f} {t_np * 1e3:9.3f} "
                  f"{t_np / t_numba:6.2f}")


if __name__ == "__main__":
    main()
