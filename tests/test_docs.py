"""Rule documentation: the committed pages are exactly what linter.docs generates (drift test),
every page has the sections a user needs, and ``prodready explain`` prints the page."""

from __future__ import annotations

import re

import pytest

from linter.cli import main
from linter.docs import expected_files
from linter.registry import load
from tests.conftest import ROOT

DOCS = ROOT / "docs" / "policies"
METAS = load().all_metas()
IDS = [m.id for m in METAS]
#: (what the section is for, the heading that must carry it)
SECTIONS = (
    ("what it checks", "## What it does"),
    ("why it matters", "## Why is this bad"),
    ("example", "## Example"),
    ("how to fix", "## How to fix"),
    ("how to suppress", "## How to suppress"),
)


def test_committed_docs_equal_the_generated_ones() -> None:
    wanted = expected_files(METAS)
    have = {p.name: p.read_text(encoding="utf-8") for p in DOCS.glob("*.md")}
    missing = sorted(set(wanted) - set(have))
    stale = sorted(set(have) - set(wanted))
    drifted = sorted(n for n in set(wanted) & set(have) if wanted[n] != have[n])
    assert (missing, stale, drifted) == ([], [], []), "run `make docs` and commit docs/policies/"


@pytest.mark.parametrize("rule_id", IDS)
def test_page_has_every_section(rule_id: str) -> None:
    page = (DOCS / f"{rule_id}.md").read_text(encoding="utf-8")
    assert page.startswith(f"# {rule_id}\n")
    positions = []
    for what, heading in SECTIONS:
        m = re.search(rf"^{re.escape(heading)}\s*$", page, re.M)
        assert m, f"{rule_id}: no '{heading}' section ({what})"
        body = page[m.end() :].lstrip("\n")
        assert body and not body.startswith("## "), f"{rule_id}: '{heading}' is empty"
        positions.append(m.start())
    assert positions == sorted(positions), f"{rule_id}: sections out of order"
    assert f"ignore[{rule_id}]" in page


def test_index_links_every_rule() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for rule_id in IDS:
        assert f"[`{rule_id}`]({rule_id}.md)" in index


@pytest.mark.parametrize("rule_id", IDS)
def test_explain_prints_the_page(rule_id: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", rule_id]) == 0
    assert capsys.readouterr().out == (DOCS / f"{rule_id}.md").read_text(encoding="utf-8")


def test_help_uri_points_at_the_page() -> None:
    for meta in METAS:
        assert meta.help_uri.endswith(f"/docs/policies/{meta.id}.md")
