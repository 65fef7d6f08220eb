"""Run presets of the games whose modules do not declare ``PRESET`` yet (read by :func:`envs.declaration`).

Each entry moves into its game's module as ``PRESET``; a module's own ``PRESET`` wins over this table.
"""

PRESETS = {
    "mountaincar": {"generations": 100, "pop_size": 256, "episodes": 3, "hidden": [8], "elite": 8,
                    "mutation": {"name": "gaussian", "sigma": 0.1, "rate": 0.03}},
    "mountaincar_continuous": {"generations": 100, "pop_size": 128, "episodes": 3, "hidden": [8]},
    "xor": {"generations": 300, "pop_size": 16, "episodes": 2, "hidden": [2],
            "algorithm": {"name": "cmaes", "restarts": 5}},
    "circles": {"generations": 200, "pop_size": 128, "episodes": 2, "hidden": [8]},
    "spirals": {"generations": 1500, "pop_size": 32, "episodes": 8, "hidden": [16, 16], "algorithm": "cmaes"},
    "blobs": {"generations": 200, "pop_size": 128, "episodes": 2, "hidden": [8]},
    "iris": {"generations": 200, "pop_size": 128, "episodes": 2, "hidden": [8]},
}
