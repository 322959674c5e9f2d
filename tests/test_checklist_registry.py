"""Every rule id the built-in checklist references is a registered rule.

An item may instead be marked ``evidence-only: <reason>`` (then its ids need not exist).
``PENDING`` lists ids whose policy family has not landed yet; each is a strict xfail, so the
test turns red as soon as the rule is registered and the entry must be removed.
"""

from __future__ import annotations

import pytest

from linter.checklist.model import load
from linter.registry import load as load_registry

#: rule ids named in ../shared/CHECKLIST.md whose policies are not registered yet
PENDING: frozenset[str] = frozenset()


def _referenced() -> list[str]:
    ids = {
        rule
        for section in load().sections
        for item in section.items
        if not item.evidence_only
        for rule in item.rules
    }
    return sorted(ids)


IDS = _referenced()


@pytest.mark.parametrize(
    "rule_id",
    [
        pytest.param(
            r,
            marks=pytest.mark.xfail(
                strict=True, reason=f"{r}: its policy family has not landed yet"
            ),
        )
        if r in PENDING
        else r
        for r in IDS
    ],
)
def test_checklist_rule_is_registered(rule_id: str) -> None:
    assert load_registry().meta(rule_id) is not None, (
        f"the built-in checklist references {rule_id!r}, which no installed policy defines"
    )


def test_pending_ids_are_referenced() -> None:
    assert sorted(PENDING - set(IDS)) == []


def test_items_without_rules_say_why() -> None:
    for section in load().sections:
        for item in section.items:
            if item.kind != "manual" and not item.rules:
                assert item.evidence_only.strip(), f"{item.id}: no rules and no reason"
