"""The example repos' full outputs are pinned: any behaviour change shows up as a golden diff.

Regenerate with ``make golden`` (``python tests/update_golden.py``) and review the diff.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import validate_sarif
from tests.update_golden import COMMANDS, GOLDEN, examples, normalise_sarif, render

CASES = [(ex, name) for ex in examples() for name in COMMANDS]


def test_both_examples_exist() -> None:
    assert {"review-engine", "auction-bot"} <= set(examples())


@pytest.mark.parametrize(("example", "name"), CASES, ids=[f"{e}/{n}" for e, n in CASES])
def test_golden(example: str, name: str) -> None:
    golden = GOLDEN / example / name
    assert golden.exists(), f"{golden} is missing: run `make golden`"
    assert render(example, name) == golden.read_text(encoding="utf-8"), (
        f"{example}: `{name}` changed; run `make golden` and review the diff"
    )


@pytest.mark.parametrize("example", examples())
def test_sarif_is_valid_and_byte_stable(example: str) -> None:
    first = render(example, "check.sarif")
    validate_sarif(first)
    assert render(example, "check.sarif") == first
    doc = json.loads(first)
    assert "/work/" not in first and "file:///" not in first.replace("file:///SRCROOT/", "")
    for res in doc["runs"][0]["results"]:
        uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri.startswith(f"examples/{example}/")


def test_normalise_sarif_hides_the_machine_path() -> None:
    raw = json.dumps(
        {"runs": [{"originalUriBaseIds": {"%SRCROOT%": {"uri": "file:///home/me/repo/"}}}]}
    )
    assert json.loads(normalise_sarif(raw)) == {
        "runs": [{"originalUriBaseIds": {"%SRCROOT%": {"uri": "file:///SRCROOT/"}}}]
    }


def test_checklist_golden_shows_every_status_kind() -> None:
    """The examples exercise the report: each has failing, passing and manual items."""
    for example in examples():
        md = (GOLDEN / example / "checklist.md").read_text(encoding="utf-8")
        for marker in ("✅ pass", "❌ fail", "✋ manual", "🔎 partial"):
            assert f"| {marker} |" in md, f"{example}: no `{marker}` item"
