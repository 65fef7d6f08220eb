"""The fused rollout: one episode template specialised per (game, network), the threads that play it, the evaluate API."""
