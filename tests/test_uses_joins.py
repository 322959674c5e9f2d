"""``PolicyMeta.uses_joins`` is true exactly for the file-scope checks that use a repo-wide join
(the image join of ``linter/services.py``, the code index). With worker processes those run in
the main process, which builds the joins once, and the others in the workers: a missing flag
makes every worker build the joins again, a needless one keeps work in the main process.
Checked on every policy fixture and example repo, by the joins' memo keys a check asks for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from linter import engine
from linter.index import RepoIndex
from linter.registry import load
from tests.conftest import run_scan

ROOT = Path(__file__).resolve().parent.parent
REPOS = sorted(
    [p for p in (ROOT / "tests" / "fixtures" / "policies").glob("*/*") if p.is_dir()]
    + [p for p in (ROOT / "examples").iterdir() if p.is_dir()]
)
#: the memo keys of the joins (linter/services.py, linter/code/index.py)
JOINS = {"services", "code-index"}


def test_uses_joins_is_set_exactly_on_the_file_checks_that_use_a_join(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running: list[str] = []
    ran: set[str] = set()
    joined: set[str] = set()
    real_run, real_memo = engine._run_policy, RepoIndex.memo

    def run(pol, ctx, arg, where, notes):  # type: ignore[no-untyped-def]
        if pol.meta.scope != "file":
            return real_run(pol, ctx, arg, where, notes)
        ran.add(pol.meta.id)
        running.append(pol.meta.id)
        try:
            return real_run(pol, ctx, arg, where, notes)
        finally:
            running.pop()

    def memo(self: RepoIndex, key: Any, fn: Any) -> Any:
        if running and isinstance(key, tuple) and key and key[0] in JOINS:
            joined.add(running[-1])
        return real_memo(self, key, fn)

    monkeypatch.setattr(engine, "_run_policy", run)
    monkeypatch.setattr(RepoIndex, "memo", memo)
    for repo in REPOS:
        run_scan(["."], repo, check_sarif=False)
    flagged = {m.id for m in load().all_metas() if m.scope == "file" and m.uses_joins}
    assert ran >= flagged  # every flagged check ran somewhere
    assert joined == flagged
