"""NEAT on Ray: a run whose generations Ray's actors play writes what a local run writes, to the bit.

The cluster is test_ray's (``ray.cluster_utils.Cluster`` on this machine, started for this module);
the actors rebuild the compiled NEAT networks from their description and play the rows they are sent.
"""

import pytest

from evo.cli import main
from evo.ray import backend

from test_ray import cluster, same_files, sim  # noqa: F401  (the cluster fixtures)

pytestmark = pytest.mark.xdist_group("ray")  # with the other cluster tests, one cluster at a time

RUN = ["cartpole", "--algorithm", "neat", "--pop", "16", "--episodes", "1", "--generations", "2", "--target", "1e9",
       "--quiet"]


@pytest.mark.slow  # a Ray cluster
def test_a_neat_run_on_ray_writes_the_same_files_as_a_local_run(sim, tmp_path, capsys):  # noqa: F811
    backend.shutdown()  # the command's own actors get the cluster's CPUs
    assert main(["run", *RUN, "--out", str(tmp_path / "local")]) == 0
    assert main(["run", *RUN, "--out", str(tmp_path / "ray"), "--backend", "ray", "--address", sim.address]) == 0
    assert "not solved after 2 generations" in capsys.readouterr().out
    assert same_files(tmp_path / "local", tmp_path / "ray") == []  # config, log, checkpoint, champion, plot
