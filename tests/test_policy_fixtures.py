"""One harness for every policy fixture folder.

``tests/fixtures/policies/<rule-id>/fail/`` must produce exactly the findings listed in
``<rule-id>/expected`` (``path:line:col rule-id``, paths relative to ``fail/``) for that rule;
``pass/`` must produce none. Each folder may hold ``options.yaml`` (a ``.prodready.yaml`` body).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from linter.registry import load
from tests.conftest import FIXTURES, run_scan, triples

POLICY_FIXTURES = FIXTURES / "policies"
RULE_DIRS = sorted(p for p in POLICY_FIXTURES.iterdir() if p.is_dir())


def _scan(rule_dir: Path, which: str) -> list[str]:
    target = rule_dir / which
    cfg = rule_dir / "options.yaml"
    result = run_scan(
        ["."], cwd=target, select=[rule_dir.name], config_path=str(cfg) if cfg.exists() else None
    )
    return [t for t in triples(result) if t.endswith(" " + rule_dir.name)]


@pytest.mark.parametrize("rule_dir", RULE_DIRS, ids=[p.name for p in RULE_DIRS])
def test_fail_fixtures(rule_dir: Path) -> None:
    expected = [
        line.strip()
        for line in (rule_dir / "expected").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert expected, "expected file must list at least one finding"
    assert _scan(rule_dir, "fail") == sorted(expected, key=_order)


@pytest.mark.parametrize("rule_dir", RULE_DIRS, ids=[p.name for p in RULE_DIRS])
def test_pass_fixtures(rule_dir: Path) -> None:
    assert (rule_dir / "pass").is_dir(), "every policy needs a pass/ folder"
    assert _scan(rule_dir, "pass") == []


def _order(triple: str) -> tuple[str, int, int, str]:
    loc, rule = triple.split(" ")
    path, line, col = loc.rsplit(":", 2)
    return (path, int(line), int(col), rule)


def test_every_policy_has_fixtures_and_docs() -> None:
    have = {p.name for p in RULE_DIRS}
    docs = FIXTURES.parent.parent / "docs" / "policies"
    for meta in load().all_metas():
        if meta.origin == "prodready-engine":
            continue
        assert meta.id in have, f"{meta.id} has no fixture folder"
        assert (docs / f"{meta.id}.md").exists(), f"{meta.id} has no doc page (make docs)"
