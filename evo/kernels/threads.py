"""Running a ``nogil`` Numba kernel on several threads that hand out work among themselves.

The lockstep rollout (:mod:`evo.kernels.episode`, run by :mod:`evo.kernels.play`) is one plain
``@njit(nogil=True)`` function that every thread runs with its own index: each thread takes the
next chunk of work from a shared counter (:func:`fetch_add`), so a thread that
draws short episodes takes more chunks, as dynamic scheduling would. Not a
``parallel=True`` kernel: Numba compiles a ``prange`` loop's body a second
time as a function of its own and optimises and generates its machine code
once more for each library it is linked into, so that a ``prange`` kernel
takes longer to compile than this.
"""

from __future__ import annotations

import os
import threading

from numba.core import cgutils, types
from numba.core.compiler import Compiler
from numba.extending import intrinsic


class NoAlias(Compiler):
    """Numba's compiler, declaring that no two array arguments of the compiled function overlap (LLVM's
    ``noalias``): a store through one then does not force reloads through another.
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


class _Worker:
    """A thread that runs one call at a time, handed to it through two locks (a quicker handoff than a
    ``concurrent.futures.ThreadPoolExecutor``'s)."""

    def __init__(self):
        self._go = threading.Lock()
        self._go.acquire()
        self._done = threading.Lock()
        self._done.acquire()
        self._call = None
        self._error = None
        threading.Thread(target=self._loop, name="neuroevo-kernel", daemon=True).start()

    def _loop(self):
        while True:
            self._go.acquire()
            kernel, args = self._call
            try:
                kernel(*args)
            except BaseException as e:  # handed to the caller by wait()
                self._error = e
            finally:
                self._done.release()

    def start(self, kernel, args) -> None:
        self._error = None
        self._call = (kernel, args)
        self._go.release()

    def wait(self) -> BaseException | None:
        """Block until the call has returned; its exception, if it raised one."""
        self._done.acquire()
        self._call = None  # hold no reference to the caller's arrays
        return self._error


_workers: list = []
_lock = threading.Lock()  # one run at a time: concurrent calls from several threads take turns


def _after_fork() -> None:  # threads do not survive a fork, and the lock may have been held
    global _lock
    _workers.clear()
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork)


def run(kernel, threads: int, *args) -> None:
    """Call ``kernel(t, *args)`` for every ``t`` in ``range(threads)`` at once, ``t = 0`` in this thread,
    and return when all have returned; re-raises the first error."""
    if threads <= 1:
        kernel(0, *args)
        return
    with _lock:
        while len(_workers) < threads - 1:
            _workers.append(_Worker())
        for t in range(1, threads):
            _workers[t - 1].start(kernel, (t, *args))
        try:
            kernel(0, *args)
        finally:
            try:
                errors = [w.wait() for w in _workers[:threads - 1]]  # every thread: they write into args
            except BaseException:  # interrupted (Ctrl-C) while they still play: never give them another call
                _workers.clear()
                raise
    for error in errors:
        if error is not None:
            raise error
