"""The renderers of the built-in games that draw more than an :class:`envs.Drawing` says: one module each.

Each holds only what its game draws differently (its scene, its agents, its overlay); the loop they
share is :class:`viz.drawing.Renderer`. :mod:`viz.renderers` maps game names to them.
"""
