"""The checklist report: the built-in (or a team's own) checklist filled in from a scan."""

from __future__ import annotations

from linter.checklist.evaluate import Report, Status, evaluate
from linter.checklist.model import Checklist, Item, Section, load
from linter.engine import ScanResult

__all__ = ["Checklist", "Item", "Report", "Section", "Status", "evaluate", "load", "summary_line"]


def summary_line(result: ScanResult, checklist_path: str | None = None) -> str:
    """One line for the end of ``prodready check`` text output."""
    return evaluate(load(checklist_path), result).summary_line()
