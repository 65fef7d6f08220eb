"""Our GA's loop options and strategies against DEAP's ``eaSimple`` on six BBOB functions.

Functions f1 (sphere), f2 (separable ellipsoid), f3 (separable Rastrigin),
f8 (Rosenbrock), f10 (rotated ellipsoid) and f15 (rotated Rastrigin) of the
noiseless BBOB suite, in 10 and 40 dimensions. The ``cocoex`` package (the
suite's reference code) could not be installed here, so the functions are
written in this file from their published definitions (Hansen, Finck, Ros
and Auger, "Real-parameter black-box optimization benchmarking 2009:
noiseless functions definitions", INRIA RR-6829): optimum ``x_opt`` uniform
in [-4, 4]^D (times 0.75 for f8), ``f_opt`` a rounded Cauchy draw clipped
to [-1000, 1000], random rotations ``R`` and ``Q``, and the ``T_osz``,
``T_asy`` and ``Lambda`` transformations. An instance is a seed for those
draws, so the values are BBOB's functions but not cocoex's instances.

Every method has 1e5 function evaluations per run (``--budget``) on the box
[-5, 5]^D and reports the precision ``f_best - f_opt``, the median over 5
instances (``--instances``; instance i also seeds the method).

The GA runs (ours and DEAP's) share the operators, in DEAP's terms:
``selTournament(tournsize=3)``, ``cxSimulatedBinaryBounded(eta=15, -5, 5)``
(ours: ``sbx(eta=15, prob=0.5, low=-5, high=5)``), ``mutPolynomialBounded(eta=20,
-5, 5, indpb=1/D)`` (ours: ``polynomial(eta=20, low=-5, high=5, rate=1/D)``),
population 100, ``cxpb = 0.9`` and ``mutpb = 1`` (ours ``crossover_rate=0.9``,
``mutation_rate=1``), starting uniform in the box. Our GA differs only by the
loop options named per row, except the ``ga-sa-*`` and ``ga-one-fifth`` rows,
which replace the mutation by self-adaptation (one sigma per individual or
per gene) or a Gaussian steered by the 1/5-success rule. The strategies (:mod:`evo.algorithms.strategies`) start from
a mean uniform in [-4, 4]^D with sigma 2, their default population, CMA-ES with
up to 9 restarts (doubling population).

    nice -n 10 python benchmarks/bbob.py [--dims 10,40] [--instances 5] [--budget 100000]
        [--functions 1,2,3,8,10,15] [--methods ...] [--first-instance 0]

Needs the ``bench`` extra (``deap``, and ``scipy`` for the paired test).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import numpy as np  # noqa: E402

from evo import GeneticAlgorithm, strategies  # noqa: E402
from machine import describe  # benchmarks/machine.py, beside this script  # noqa: E402

# --------------------------------------------------------------------------
# the BBOB functions
# --------------------------------------------------------------------------


def t_osz(x):
    """BBOB's oscillation transformation, elementwise."""
    xh = np.where(x != 0, np.log(np.abs(np.where(x != 0, x, 1.0))), 0.0)
    c1 = np.where(x > 0, 10.0, 5.5)
    c2 = np.where(x > 0, 7.9, 3.1)
    return np.sign(x) * np.exp(xh + 0.049 * (np.sin(c1 * xh) + np.sin(c2 * xh)))


def t_asy(x, beta):
    """BBOB's asymmetric transformation: ``x_i^(1 + beta (i-1)/(D-1) sqrt(x_i))`` where ``x_i > 0``."""
    d = x.shape[-1]
    power = 1.0 + beta * np.arange(d) / (d - 1) * np.sqrt(np.maximum(x, 0.0))
    return np.where(x > 0, np.abs(x) ** power, x)


def lam(alpha, d):
    """Diagonal of BBOB's Lambda^alpha: ``alpha^(0.5 (i-1)/(D-1))``."""
    return alpha ** (0.5 * np.arange(d) / (d - 1))


def rotation(rng, d):
    """A random orthogonal matrix (Gram-Schmidt of a standard normal matrix, as in BBOB's code)."""
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def rastrigin(z):
    d = z.shape[-1]
    return 10.0 * (d - np.sum(np.cos(2 * np.pi * z), axis=-1)) + np.sum(z * z, axis=-1)


def ellipsoid(z):
    d = z.shape[-1]
    return np.sum(1e6 ** (np.arange(d) / (d - 1)) * z * z, axis=-1)


class Problem:
    """BBOB function ``fid`` in ``dim`` dimensions, instance ``instance``: ``problem(x)`` for x of shape (n, D)."""

    NAMES = {1: "sphere", 2: "ellipsoid", 3: "rastrigin", 8: "rosenbrock", 10: "ellipsoid_rot", 15: "rastrigin_rot"}

    def __init__(self, fid: int, dim: int, instance: int):
        rng = np.random.default_rng([fid, dim, instance, 2009])
        self.fid, self.dim = fid, dim
        self.x_opt = rng.uniform(-4.0, 4.0, dim) * (0.75 if fid == 8 else 1.0)
        self.f_opt = float(np.clip(np.round(100.0 * rng.standard_cauchy()) / 100.0, -1000.0, 1000.0))
        self.R = rotation(rng, dim)
        self.Q = rotation(rng, dim)
        self.scale = lam(10.0, dim)

    def __call__(self, x):
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        z = x - self.x_opt
        fid = self.fid
        if fid == 1:
            f = np.sum(z * z, axis=-1)
        elif fid == 2:
            f = ellipsoid(t_osz(z))
        elif fid == 3:
            f = rastrigin(self.scale * t_asy(t_osz(z), 0.2))
        elif fid == 8:
            z = max(1.0, math.sqrt(self.dim) / 8.0) * z + 1.0
            f = np.sum(100.0 * (z[:, :-1] ** 2 - z[:, 1:]) ** 2 + (z[:, :-1] - 1.0) ** 2, axis=-1)
        elif fid == 10:
            f = ellipsoid(t_osz(z @ self.R.T))
        elif fid == 15:
            y = t_asy(t_osz(z @ self.R.T), 0.2) @ self.Q.T
            f = rastrigin((self.scale * y) @ self.R.T)
        else:
            raise ValueError(f"function f{fid} is not implemented")
        return f + self.f_opt


# --------------------------------------------------------------------------
# methods: each returns the best f - f_opt within the budget
# --------------------------------------------------------------------------

POP = 100
LOW, HIGH = -5.0, 5.0

# our GA's loop options; the operators are those of the DEAP runs
GA_OPTIONS = {
    "ga": dict(),
    "ga-easimple-loop": dict(elite=0, children_per_pair=2),
    "ga-pairs": dict(children_per_pair=2),
    "ga-plus": dict(replacement="plus"),
    "ga-plus-mu50": dict(replacement="plus", survivors=50),
    "ga-elite1-pairs": dict(elite=1, children_per_pair=2),
    "ga-elite0": dict(elite=0),
    "ga-steady": dict(replacement="steady_state", survivors=POP, pop_size=10),
    # (mu, lambda) with mu = 90 of lambda = 100: the worst tenth of the children never breeds; every pair crosses
    "ga-comma90-cx1": dict(replacement="comma", survivors=90, crossover_rate=1.0),
    # other mutations (not DEAP's operators): self-adaptation per individual and per gene, the 1/5 rule
    "ga-sa-individual": dict(mutation={"name": "self_adaptive", "sigma": 1.0}),
    "ga-sa-gene": dict(mutation={"name": "self_adaptive", "sigma": 1.0, "per_gene": True}),
    "ga-one-fifth": dict(mutation={"name": "gaussian", "rate": 1.0, "sigma": {"kind": "one_fifth", "start": 1.0}}),
}


def run_ga(problem: Problem, seed: int, budget: int, options: dict) -> float:
    d = problem.dim
    options = {"elite": 2, "pop_size": POP, "crossover_rate": 0.9, "mutation_rate": 1.0,
               "mutation": {"name": "polynomial", "eta": 20.0, "low": LOW, "high": HIGH, "rate": 1.0 / d}, **options}
    ga = GeneticAlgorithm(
        num_params=d, seed=seed, selection=("tournament", {"size": 3}),
        crossover=("sbx", {"eta": 15.0, "prob": 0.5, "low": LOW, "high": HIGH}), low=LOW, high=HIGH,
        init=lambda rng, n: rng.uniform(LOW, HIGH, (n, d)), **options)
    best, evals = math.inf, 0
    while evals + ga.pop_size <= budget:
        f = problem(ga.ask())
        evals += ga.pop_size
        best = min(best, float(f.min()))
        ga.tell(-f)
    return best - problem.f_opt


def run_deap(problem: Problem, seed: int, budget: int) -> float:
    from deap import algorithms, base, creator, tools

    d = problem.dim
    if not hasattr(creator, "BBOBFitness"):
        creator.create("BBOBFitness", base.Fitness, weights=(-1.0,))
        creator.create("BBOBIndividual", list, fitness=creator.BBOBFitness)
    random.seed(seed)
    tb = base.Toolbox()
    tb.register("individual", tools.initRepeat, creator.BBOBIndividual, lambda: random.uniform(LOW, HIGH), d)
    tb.register("population", tools.initRepeat, list, tb.individual)
    tb.register("evaluate", lambda ind: (float(problem(np.array(ind))[0]),))
    tb.register("select", tools.selTournament, tournsize=3)
    tb.register("mate", tools.cxSimulatedBinaryBounded, eta=15.0, low=LOW, up=HIGH)
    tb.register("mutate", tools.mutPolynomialBounded, eta=20.0, low=LOW, up=HIGH, indpb=1.0 / d)
    hof = tools.HallOfFame(1)
    # mutpb = 1: every offspring is re-evaluated, POP evaluations per generation
    algorithms.eaSimple(tb.population(POP), tb, cxpb=0.9, mutpb=1.0, ngen=budget // POP - 1,
                        halloffame=hof, verbose=False)
    return hof[0].fitness.values[0] - problem.f_opt


def run_strategy(problem: Problem, seed: int, budget: int, name: str) -> float:
    d = problem.dim
    mean = np.random.default_rng(seed).uniform(-4.0, 4.0, d)
    extra = {"restarts": 9} if name == "cmaes" else {}
    es = strategies.make(name, d, None, seed, sigma=2.0, mean=mean, **extra)
    best, evals = math.inf, 0
    while True:
        x = es.ask()
        if evals + len(x) > budget:
            break
        f = problem(x)
        evals += len(x)
        best = min(best, float(f.min()))
        es.tell(-f)
    return best - problem.f_opt


METHODS = {**{k: (lambda p, s, b, o=v: run_ga(p, s, b, o)) for k, v in GA_OPTIONS.items()},
           "deap eaSimple": run_deap,
           "cmaes": lambda p, s, b: run_strategy(p, s, b, "cmaes"),
           "sep_cmaes": lambda p, s, b: run_strategy(p, s, b, "sep_cmaes"),
           "snes": lambda p, s, b: run_strategy(p, s, b, "snes")}


def main(argv=None):
    print(describe(), flush=True)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dims", default="10,40")
    ap.add_argument("--functions", default="1,2,3,8,10,15")
    ap.add_argument("--instances", type=int, default=5)
    ap.add_argument("--first-instance", type=int, default=0,
                    help="play instances first..first+instances-1, e.g. 5 to check a choice made on 0-4")
    ap.add_argument("--budget", type=int, default=100_000)
    ap.add_argument("--methods", default=",".join(METHODS))
    args = ap.parse_args(argv)
    methods = [m.strip() for m in args.methods.split(",")]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise SystemExit(f"unknown method {unknown[0]!r}; known: {', '.join(METHODS)}")
    dims = [int(v) for v in args.dims.split(",")]
    fids = [int(v) for v in args.functions.split(",")]
    first = args.first_instance
    print(f"median over instances {first}-{first + args.instances - 1} of f_best - f_opt "
          f"after {args.budget} evaluations")
    results, values = {}, {}
    for d in dims:
        for fid in fids:
            for m in methods:
                t0 = time.perf_counter()
                vals = [METHODS[m](Problem(fid, d, i), i, args.budget) for i in range(first, first + args.instances)]
                values[d, fid, m] = vals
                results[d, fid, m] = statistics.median(vals)
                print(f"  f{fid:<2} {d:>2}-d  {m:<24} median {results[d, fid, m]:10.3e}  "
                      f"({time.perf_counter() - t0:.0f} s; {', '.join(f'{v:.2e}' for v in vals)})", flush=True)
    print()
    header = "| function | D | " + " | ".join(methods) + " |"
    print(header)
    print("|" + " --- |" * (len(methods) + 2))
    for d in dims:
        for fid in fids:
            cells = " | ".join(f"{results[d, fid, m]:.3g}" for m in methods)
            print(f"| f{fid} {Problem.NAMES[fid]} | {d} | {cells} |")
    if "deap eaSimple" in methods:
        compare(methods, [(d, fid) for d in dims for fid in fids], results, values)


def compare(methods, cases, results, values):
    """Each GA row against ``eaSimple``: by medians, and by a paired test over the instances.

    Instance i is the same function and the same seed for both, so the runs pair up: the Wilcoxon
    signed-rank test on the log ratio of their precisions says where a difference is more than the
    spread between instances, two-sided at 0.05 over all the cases together (Bonferroni: each side of
    each case at 0.025 / cases), so that a row with no real difference anywhere is rarely called
    better or worse anywhere. With 5 instances no difference can pass it; 30 (``--instances 30``)
    separate the cases.
    """
    from scipy.stats import wilcoxon

    print()
    for m in methods:
        if not m.startswith("ga"):
            continue
        ref = [results[d, f, "deap eaSimple"] for d, f in cases]
        ours = [results[d, f, m] for d, f in cases]
        better = sum(o < r for o, r in zip(ours, ref))
        worse = sum(o > r for o, r in zip(ours, ref))
        sig_better, sig_worse = [], []
        for d, f in cases:
            ratio = np.log(np.maximum(values[d, f, m], 1e-300)) - np.log(np.maximum(values[d, f, "deap eaSimple"], 1e-300))
            if np.all(ratio == 0):
                continue
            if wilcoxon(ratio, alternative="less").pvalue < 0.025 / len(cases):
                sig_better.append(f"f{f} {d}-d")
            elif wilcoxon(ratio, alternative="greater").pvalue < 0.025 / len(cases):
                sig_worse.append(f"f{f} {d}-d")
        print(f"{m:<24} medians: better than eaSimple on {better}/{len(cases)}, worse on {worse}; "
              f"paired test: better on {len(sig_better)}, worse on {len(sig_worse)}"
              + (f" ({', '.join(sig_worse)})" if sig_worse else ""))


if __name__ == "__main__":
    main()
