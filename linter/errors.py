"""The errors that end a run with exit code 2 (light: the CLI imports them up front)."""

from __future__ import annotations


class ConfigError(Exception):
    """Bad configuration or bad command-line selection (exit code 2)."""


class RegistryError(Exception):
    """A plugin failed to load or two plugins declare the same rule id."""


class WorkerLost(Exception):
    """A worker process ended before its work was done (killed: out of memory, say)."""


def raised_at(exc: BaseException) -> str:
    """``file.py:line`` of the innermost frame ``exc`` was raised from (in a worker process's
    code when the pool raised it again here), or ``?``."""
    import os
    import traceback

    frames = [(f.filename, f.lineno) for f in traceback.extract_tb(exc.__traceback__)]
    if type(exc.__cause__).__name__ == "RemoteTraceback":  # (multiprocessing's: its text)
        import re

        frames = [
            (f, int(n)) for f, n in re.findall(r'File "(.+?)", line (\d+)', str(exc.__cause__))
        ]
    return f"{os.path.basename(frames[-1][0])}:{frames[-1][1]}" if frames else "?"
