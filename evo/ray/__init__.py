"""Evaluation and sweeps on a Ray cluster (an optional extra: ``pip install neuroevo[ray]``)."""
