"""The hook points of a run's generation loop (:class:`evo.runs.driver.Driver`).

A hook is any object with some of :class:`Hook`'s methods; subclassing
:class:`Hook` gives the rest as methods that do nothing. This module imports
nothing, so the command line can define its hooks without loading the
numerical stack.
"""

from __future__ import annotations


class Hook:
    """What a :class:`evo.runs.driver.Driver` calls at its hook points; every method does nothing here.

    Subclass it and override the points you need (a driver also accepts any
    object with some of these methods). Hooks are called in the order they
    were given to the driver. ``run`` is always the driver's
    :class:`evo.runs.driver.Evolution`.
    """

    def after_evaluation(self, run, result) -> None:
        """The generation ``run.generation`` was played (``result``: its :class:`evo.Rollout`), not yet bred."""

    def generation_end(self, run, row: dict, seconds: float) -> bool | None:
        """A generation was bred: ``row`` is its log row, ``seconds`` the wall time the driver spent on it
        (playing and breeding it; breeding only when the caller played it, as the viewer does).

        Returning ``False`` asks the run to stop (see :meth:`evo.runs.driver.Driver.request_stop`).
        """

    def checkpoint(self, run) -> None:
        """The run's state at ``run.generation`` is to be kept: every ``checkpoint_every``
        generations, when the run finishes, and when it stops (unless just kept)."""

    def stop(self, run, reason: str, error: BaseException | None) -> None:
        """The run stopped: ``reason`` is ``"finished"`` (solved, its generations played, or a budget
        spent: ``run.budget_spent``), ``"requested"`` (:meth:`~evo.runs.driver.Driver.request_stop`, a hook,
        Ctrl-C) or another word the caller mapped an exception to (``stop_on`` of
        :meth:`~evo.runs.driver.Driver.drive`), then ``error`` is that exception."""
