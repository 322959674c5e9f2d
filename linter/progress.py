"""A progress bar on stderr for long scans, and per-phase timings for ``--verbose``.

The bar appears only when stderr is a terminal, after the scan has run for ``delay`` seconds
(about 2 s), and never under CI or pre-commit (``CI``/``PRE_COMMIT`` set, or no TTY), so logs
stay clean. It is erased when the scan ends.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from typing import TextIO

QUIET_ENV = ("CI", "PRE_COMMIT", "GITHUB_ACTIONS", "PRODREADY_NO_PROGRESS")


def wanted(stream: TextIO | None = None) -> bool:
    """Whether a progress bar may be drawn on ``stream`` (default: stderr)."""
    stream = stream or sys.stderr
    if any(os.environ.get(name) for name in QUIET_ENV):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class ProgressBar:
    """Callable as ``progress(phase, done, total)`` (see ``ScanOptions.progress``)."""

    def __init__(
        self, stream: TextIO | None = None, delay: float = 2.0, width: int = 30, every: float = 0.1
    ) -> None:
        self.stream = stream or sys.stderr
        self.delay = delay
        self.width = width
        self.every = every
        self.start = time.monotonic()
        self.last_draw = 0.0
        self.drawn = False

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.start < self.delay or now - self.last_draw < self.every:
            return
        self.last_draw = now
        frac = done / total if total else 1.0
        filled = int(self.width * frac)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\rprodready: [{bar}] {done}/{total} {phase}")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False


def format_timings(timings: Mapping[str, float], extra: Mapping[str, float] | None = None) -> str:
    """``--verbose`` lines: one per phase, then the total."""
    items = {**timings, **(extra or {})}
    lines = [f"prodready: {phase:<28} {secs * 1000:9.1f} ms" for phase, secs in items.items()]
    lines.append(f"prodready: {'total':<28} {sum(items.values()) * 1000:9.1f} ms")
    return "\n".join(lines) + "\n"
