"""The ``prodready checklist`` command's logic (click wiring lives in ``linter/cli.py``)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from linter.checklist.evaluate import evaluate
from linter.checklist.model import load
from linter.checklist.render import render


def github_link_base(env: Mapping[str, str]) -> str | None:
    """``https://github.com/OWNER/REPO/blob/SHA/`` inside GitHub Actions, else None."""
    server, repo, sha = (
        env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA")
    )
    if server and repo and sha:
        return f"{server.rstrip('/')}/{repo}/blob/{sha}/"
    return None


def run_checklist(
    paths: Sequence[str],
    fmt: str,
    checklist_path: str | None = None,
    config_path: str | None = None,
    link_base: str | None = None,
) -> str:
    """Scan ``paths`` like ``prodready check`` and render the filled-in checklist.

    ``link_base=""`` means no links; ``None`` means auto-detect (GitHub Actions).
    """
    from linter.engine import ScanOptions, scan

    checklist = load(checklist_path)  # a bad checklist fails before the scan (ConfigError)
    result = scan(ScanOptions(paths=list(paths), config_path=config_path))
    report = evaluate(checklist, result, root=" ".join(paths))
    base = github_link_base(os.environ) if link_base is None else (link_base or None)
    return render(fmt, report, base)
