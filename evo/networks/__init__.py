"""Network kinds as genome layouts plus the numba functions a fused rollout calls (MLP, recurrent cells)."""
