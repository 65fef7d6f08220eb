"""Runs: configuration (config), the run driver and its hooks (driver, hooks), the run-directory format
(rundir), plots (plot), and the headless commands (commands, sweep)."""
