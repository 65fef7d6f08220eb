"""The machine a benchmark ran on, in one line: every figure a benchmark prints belongs to a CPU.

The CPU's model (``/proc/cpuinfo``, else what Python's ``platform`` knows),
its cores, the vector extensions that set how wide the lockstep kernel's
blocks use (AVX2, AVX-512; the width itself: ``evo.kernels.lanes.LANES``), Numba's threads and
OpenMP's wait policy, and the versions of Python, NumPy and Numba.
"""

from __future__ import annotations

import os
import platform
import sys


def cpu_model() -> str:
    """The CPU's model name, as the kernel reports it (Linux), else as ``platform`` does."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def vector_extensions() -> list:
    """The SIMD extensions Numba compiles for here, of those that matter to the kernels."""
    from llvmlite import binding
    features = binding.get_host_cpu_features()
    names = {"avx2": "AVX2", "fma": "FMA", "avx512f": "AVX-512F", "avx512vl": "AVX-512VL", "neon": "NEON"}
    return [label for key, label in names.items() if features.get(key)]


def describe() -> str:
    """One line: CPU, cores, vector extensions, lane width, threads, wait policy, versions."""
    import numba
    import numpy as np

    from evo.kernels.lanes import LANES
    extensions = ", ".join(vector_extensions()) or "no AVX"
    return (f"machine: {cpu_model()}, {os.cpu_count()} cores, {extensions} (lockstep lanes {LANES}); "
            f"numba {numba.__version__} on {numba.get_num_threads()} threads, OMP_WAIT_POLICY "
            f"{os.environ.get('OMP_WAIT_POLICY', 'unset')}; python {sys.version.split()[0]}, numpy {np.__version__}")


if __name__ == "__main__":
    print(describe())
