"""Evaluation and sweeps on a Ray cluster (an optional extra: ``pip install neuroevo[ray]``).

``evo.rollout(env, net, genomes, episodes, seed, backend="ray")`` cuts the
population into contiguous chunks of genomes; each chunk is played by a
long-lived Ray actor with the same fused kernel as the local backend
(:func:`evo.kernels.play.play`), and the chunks' returns are put back in
order. Because every (genome, episode) is keyed by (seed, episode) only, a
chunk's rows are exactly the rows the local backend computes for those
genomes: the result is bit-identical whatever the split, the cluster, and
whichever actor ends up playing a chunk.

The actors of a pool live as long as the process (or until ``shutdown()``)
and cache each (game, parameters, network) they have been given, so the
compiled kernel stays loaded between generations; only a small description
of the game and the network travels with each task. A new actor warms up
first (builds the game, compiles or loads the kernel, plays one episode) and
takes chunks only once warm, so a node that compiles for ten seconds, or an
actor that cannot be placed at all, holds nothing back.

When things fail. Whatever kills an actor -- killed, out of memory, its node
gone -- its chunk goes back in the queue at once and the actors left play it:
the pool shrinks and the generation goes on at reduced speed, with the same
result. The pool grows back to one actor per ``T`` CPUs as the cluster
regains capacity. A lost object is put again. A chunk far later than the
others is given to an idle actor too, and the first copy to finish counts.
No wait is unbounded: the call raises :class:`evo.ray.errors.ClusterLost`
with one line saying what happened. Losses and replacements are logged on
the ``evo.ray`` loggers (losses as warnings). Recovery is done here rather
than by Ray's ``max_restarts`` and ``max_task_retries``: retriable actor
tasks cost more per chunk, a restart is no cheaper than a new actor, and a
restarted actor waits for a CPU like any other while its chunk waits with it.

Ray is started on first use: ``address=None`` starts a quiet local instance
with every core (or joins ``RAY_ADDRESS``), ``"auto"`` joins the cluster
started with ``ray start`` on this machine, ``"ray://host:10001"`` connects a
Ray client (``pip install 'ray[client]'``).

Modules, each importing only those above it:

- :mod:`~evo.ray.settings`: the tunables (threads per actor, waits, chunk sizes);
- :mod:`~evo.ray.errors`: :class:`ClusterLost`, :class:`Interrupted`, which Ray errors are recovered;
- :mod:`~evo.ray.connect`: joining Ray, noticing that the local Ray node stopped;
- :mod:`~evo.ray.actor`: the :class:`Evaluator` actor and the description of a game it is sent;
- :mod:`~evo.ray.pool`: the actors of this process, warmed, replaced and resized to the cluster;
- :mod:`~evo.ray.scheduler`: one generation cut into chunks and handed to the pool;
- :mod:`~evo.ray.sweep`: one run per seed as a Ray task;
- :mod:`~evo.ray.messages`: the child process that drives Ray for a command;
- :mod:`~evo.ray.backend`: the entry points (``init``, ``warm``, ``rollout``, ``sweep``, ``shutdown``).
"""
