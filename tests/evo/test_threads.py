"""The threads the lockstep rollout runs on, and their shared counter."""

import multiprocessing
import sys

import numpy as np
import pytest
from numba import njit

from evo.kernels import threads


@njit(nogil=True)
def _count(t, counter, seen, n):
    """Take numbers from the counter until n: each one is marked by the thread that took it."""
    while True:
        i = threads.fetch_add(counter, 0, 1)
        if i >= n:
            return
        seen[i] += t + 1


def test_fetch_add_hands_out_every_number_once_across_threads():
    n = 200_000
    counter = np.zeros(8, np.int64)
    seen = np.zeros(n, np.int64)
    threads.run(_count, 4, counter, seen, n)
    assert set(np.unique(seen)) <= {1, 2, 3, 4}  # each number taken by exactly one thread (no sum of two)
    assert (seen > 0).all()
    assert counter[0] == n + 4  # every thread's last draw went past the end once


def test_fetch_add_returns_the_value_before_and_adds_any_step():
    @njit
    def twice(counter):
        return threads.fetch_add(counter, 1, 5), threads.fetch_add(counter, 1, -2)

    counter = np.array([0, 10], np.int64)
    assert twice(counter) == (10, 15)
    assert counter.tolist() == [0, 13]


@njit(nogil=True)
def _fail_on(t, bad, out):
    if t == bad:
        raise ValueError("thread failed")
    out[t] = 1


@pytest.mark.parametrize("bad", [0, 2])
def test_run_waits_for_every_thread_and_raises_the_failure(bad):
    out = np.zeros(3, np.int64)
    with pytest.raises(ValueError, match="thread failed"):
        threads.run(_fail_on, 3, bad, out)
    assert out.tolist() == [int(t != bad) for t in range(3)]  # the others finished their work


def test_one_thread_runs_in_the_caller():
    out = np.zeros(1, np.int64)
    threads.run(_fail_on, 1, -1, out)
    assert out.tolist() == [1]


def _count_in_child(queue):
    counter, seen = np.zeros(8, np.int64), np.zeros(1000, np.int64)
    threads.run(_count, 2, counter, seen, 1000)
    queue.put(int((seen > 0).sum()))


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_a_forked_child_starts_its_own_threads():
    threads.run(_count, 2, np.zeros(8, np.int64), np.zeros(10, np.int64), 10)  # this process's thread exists
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_count_in_child, args=(queue,))
    child.start()
    child.join(60)
    assert child.exitcode == 0 and queue.get(timeout=5) == 1000
