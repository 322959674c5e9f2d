"""Changed-files mode (``prodready check --diff REV``): which files changed since a git revision.

git runs with list arguments (no shell), and only reads the repository. "Changed" means: differs
between REV and the working tree (staged or not), or is new and untracked (not ignored).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence

from linter.config import ConfigError
from linter.discover import display_path


def _git(args: Sequence[str], cwd: str) -> str:
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    except FileNotFoundError:
        raise ConfigError("--diff needs git, and git is not installed") from None
    except subprocess.TimeoutExpired:
        raise ConfigError(f"--diff: `git {' '.join(args)}` timed out") from None
    if proc.returncode != 0:
        err = proc.stderr.strip().splitlines()
        raise ConfigError(f"--diff: `git {' '.join(args)}` failed: {err[-1] if err else '?'}")
    return proc.stdout


def changed_files(rev: str, where: str, base: str) -> frozenset[str]:
    """Display paths (relative to ``base``) of the files changed since ``rev``.

    Raises :class:`ConfigError` (exit code 2) when ``where`` is not in a git work tree or the
    revision does not exist.
    """
    if rev.startswith("-"):
        raise ConfigError(f"--diff: {rev!r} is not a revision")
    start = where if os.path.isdir(where) else (os.path.dirname(os.path.abspath(where)) or ".")
    probe = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"],
        cwd=start,
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        raise ConfigError(f"--diff: {os.path.abspath(start)} is not inside a git repository")
    top = probe.stdout.strip()
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], top)
    except ConfigError:
        raise ConfigError(f"--diff: unknown git revision {rev!r} in {top}") from None
    names = _git(["diff", "--name-only", "-z", "--no-renames", rev, "--"], top).split("\0")
    names += _git(["ls-files", "-z", "--others", "--exclude-standard"], top).split("\0")
    return frozenset(display_path(os.path.join(top, n), base) for n in names if n)
