"""A deciding rule that could not run leaves its checklist item unchecked, never passed."""

from __future__ import annotations

import os
from pathlib import Path

from linter.checklist.evaluate import evaluate
from linter.checklist.model import load
from linter.engine import ScanOptions, scan

OSV = Path(__file__).parent / "fixtures" / "osv"
ITEM = "Dependency scanning: no known vulnerable dependency"


def _status(repo: Path, vuln_db: str | None) -> tuple[str, str]:
    old = os.getcwd()
    os.chdir(repo)
    try:
        result = scan(ScanOptions(paths=["."], select=["deps-vulnerable"], vuln_db=vuln_db))
    finally:
        os.chdir(old)
    report = evaluate(load(), result)
    [item] = [i for s in report.sections for i in s.items if i.item.title == ITEM]
    return item.status.name, item.reason


def test_skipped_rule_makes_the_item_manual(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask==3.0.3\n")
    status, reason = _status(tmp_path, None)
    assert status == "MANUAL"
    assert reason == (
        "Not checked (skipped in this scan: deps-vulnerable (see the notifications)); "
        "sign off by hand."
    )


def test_with_a_database_the_item_is_decided(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask==3.0.3\n")
    status, _ = _status(tmp_path, str(OSV / "PyPI"))
    assert status == "PASS"
