"""The errors that end a run with exit code 2 (light: the CLI imports them up front)."""

from __future__ import annotations


class ConfigError(Exception):
    """Bad configuration or bad command-line selection (exit code 2)."""


class RegistryError(Exception):
    """A plugin failed to load or two plugins declare the same rule id."""


class WorkerLost(Exception):
    """A worker process ended before its work was done (killed: out of memory, say)."""
