"""``PolicyMeta.cross_file`` is true exactly for the file-scope checks that read other files
through the repo index: with worker processes, those run in the main process (which builds the
repo-wide views once) and the others in the workers, so a wrong flag either makes every worker
build the views again or runs a check in a worker that has no views. Checked on every policy
fixture and example repo: a check reads beyond its file when the index's ``wide_reads`` grows
while it runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from linter import engine
from linter.registry import load
from tests.conftest import run_scan

ROOT = Path(__file__).resolve().parent.parent
REPOS = sorted(
    [p for p in (ROOT / "tests" / "fixtures" / "policies").glob("*/*") if p.is_dir()]
    + [p for p in (ROOT / "examples").iterdir() if p.is_dir()]
)


def test_cross_file_flag_matches_what_each_file_check_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran: set[str] = set()
    wide: set[str] = set()
    real = engine._run_policy

    def recording(pol, ctx, arg, where, notes):  # type: ignore[no-untyped-def]
        before = ctx.index.wide_reads
        out = real(pol, ctx, arg, where, notes)
        if pol.meta.scope == "file":
            ran.add(pol.meta.id)
            if ctx.index.wide_reads != before:
                wide.add(pol.meta.id)
        return out

    monkeypatch.setattr(engine, "_run_policy", recording)
    for repo in REPOS:
        run_scan(["."], repo, check_sarif=False)
    flagged = {m.id for m in load().all_metas() if m.scope == "file" and m.cross_file}
    assert ran >= flagged  # every flagged check ran somewhere
    assert wide == flagged
