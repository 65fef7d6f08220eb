"""Running a ``nogil`` Numba kernel on several threads that hand out work among themselves.

The lockstep rollout (:mod:`evo.evaluate`) is one plain ``@njit(nogil=True)``
function that every thread runs with its own index: each thread takes the
next chunk of work from a shared counter (:func:`fetch_add`), so a thread that
draws short episodes takes more chunks, as dynamic scheduling would. Not a
``parallel=True`` kernel: Numba compiles a ``prange`` loop's body a second
time as a function of its own and optimises and generates its machine code
once more for each library it is linked into. With an empty cache,
cartpole's lockstep kernel compiled in 5.9-6.2 s as a ``prange`` kernel and
in 3.1-3.4 s as this.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from numba.core import cgutils, types
from numba.core.compiler import Compiler
from numba.extending import intrinsic


class NoAlias(Compiler):
    """Numba's compiler, declaring that no two array arguments of the compiled function overlap (LLVM's
    ``noalias``): a store through one then does not force reloads through another (cartpole 4-16-2's
    lockstep kernel, one thread: 10% faster with it).
    Numba declares this for the body of a ``prange`` loop that it finds alias-free; for a plain
    function it takes ``@njit(pipeline_class=NoAlias)``, and the caller's promise that the arrays
    are distinct."""

    def define_pipelines(self):
        self.state.flags.noalias = True
        return super().define_pipelines()


@intrinsic
def fetch_add(typingctx, counter, index, value):
    """``counter[index] += value`` as one atomic operation; returns the value before. Inside Numba only:
    ``counter`` a 1-d int64 array, ``index`` and ``value`` int64."""
    if not (isinstance(counter, types.Array) and counter.dtype == types.int64 and counter.ndim == 1):
        return None

    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        at = cgutils.get_item_pointer(context, builder, signature.args[0], array, [args[1]])
        return builder.atomic_rmw("add", at, args[2], "monotonic")

    return types.int64(counter, types.int64, types.int64), codegen


_pool: dict = {}  # process id -> executor: a forked child starts its own (threads do not survive a fork)
_pool_lock = threading.Lock()


def _executor(workers: int) -> ThreadPoolExecutor:
    with _pool_lock:
        pid = os.getpid()
        pool = _pool.get(pid)
        if pool is None or pool._max_workers < workers:
            if pool is not None:
                pool.shutdown(wait=False)
            pool = _pool[pid] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="neuroevo")
        return pool


def run(kernel, threads: int, *args) -> None:
    """Call ``kernel(t, *args)`` for every ``t`` in ``range(threads)`` at once, ``t = 0`` in this thread,
    and return when all have returned; re-raises the first error."""
    if threads <= 1:
        kernel(0, *args)
        return
    futures = [_executor(threads - 1).submit(kernel, t, *args) for t in range(1, threads)]
    try:
        kernel(0, *args)
    finally:
        errors = [f.exception() for f in futures]  # waits for every thread: they write into args
    for error in errors:
        if error is not None:
            raise error
