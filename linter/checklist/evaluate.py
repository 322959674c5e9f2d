"""Fill in a checklist from a scan: one status per item, a score per section and overall.

- **pass**: at least one deciding rule ran on a relevant artifact (a scanned file of one of the
  rule's kinds) and none of the item's rules found anything;
- **fail**: some of the item's rules found something (the findings are the evidence);
- **not applicable**: the deciding rules ran, but no file of their kinds was scanned;
- **manual**: nothing in a repo can prove it, or none of its rules could run here;
- **partial**: the rules give evidence (findings, or what was checked clean), a person decides.

The score counts only decided items: ``pass / (pass + fail)``.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import field

from linter.checklist.model import Checklist, Item
from linter.engine import ScanResult
from linter.fastdc import dataclass
from linter.model import ALL_KINDS, ArtifactKind, Finding
from linter.policy import PolicyMeta
from linter.registry import load as load_registry


class Status(enum.StrEnum):
    """How a checklist item came out of a scan."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not-applicable"
    MANUAL = "manual"
    PARTIAL = "partial"

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS = {
    Status.PASS: "pass",
    Status.FAIL: "fail",
    Status.NOT_APPLICABLE: "not applicable",
    Status.MANUAL: "manual",
    Status.PARTIAL: "partial",
}
STATUS_ORDER = (Status.PASS, Status.FAIL, Status.PARTIAL, Status.NOT_APPLICABLE, Status.MANUAL)


@dataclass(frozen=True)
class Score:
    """Items passed and failed (those a scan decided), with the percentage passed."""

    passed: int
    failed: int

    @property
    def decided(self) -> int:
        return self.passed + self.failed

    @property
    def percent(self) -> int | None:
        if not self.decided:
            return None
        return round(100 * self.passed / self.decided)

    @property
    def label(self) -> str:
        pct = self.percent
        return f"{self.passed}/{self.decided} ({pct}%)" if pct is not None else "—"


@dataclass(frozen=True)
class ItemResult:
    """A checklist item's status, why, and the findings that decided it."""

    item: Item
    status: Status
    reason: str
    findings: tuple[Finding, ...] = ()
    suppressed: int = 0
    #: rule ids that ran on at least one relevant file
    checked: tuple[str, ...] = ()
    #: referenced rules that are not installed / not enabled in this scan
    unknown: tuple[str, ...] = ()
    disabled: tuple[str, ...] = ()


@dataclass(frozen=True)
class SectionResult:
    """The results of a checklist section's items."""

    id: str
    title: str
    items: tuple[ItemResult, ...]

    @property
    def score(self) -> Score:
        return _score(self.items)

    @property
    def counts(self) -> Counter[Status]:
        return Counter(i.status for i in self.items)


@dataclass(frozen=True)
class Report:
    """A filled-in checklist: every section's results, for the scanned repository."""

    title: str
    source: str
    root: str
    sections: tuple[SectionResult, ...]
    files_scanned: int
    kinds_present: Mapping[ArtifactKind, int] = field(default_factory=dict)

    @property
    def items(self) -> list[ItemResult]:
        return [i for s in self.sections for i in s.items]

    @property
    def score(self) -> Score:
        return _score(self.items)

    @property
    def counts(self) -> Counter[Status]:
        return Counter(i.status for i in self.items)

    def summary_line(self) -> str:
        counts = self.counts
        parts = [f"{counts[s]} {s.label}" for s in STATUS_ORDER if counts[s]]
        return f"Checklist: {self.score.label} of decided items pass ({', '.join(parts)})."


def _score(items: Iterable[ItemResult]) -> Score:
    c = Counter(i.status for i in items)
    return Score(c[Status.PASS], c[Status.FAIL])


def kinds_present(result: ScanResult) -> Counter[ArtifactKind]:
    """How many scanned (target) files there are of each artifact kind."""
    index = result.index
    out: Counter[ArtifactKind] = Counter()
    if index is None:
        return out
    for f in index.targets():
        kind = index.kind_of(f)
        if kind is not None:
            out[kind] += 1
    return out


def _kinds_text(kinds: Iterable[ArtifactKind]) -> str:
    ks = frozenset(kinds)
    if ks >= ALL_KINDS:
        return "file"
    return " or ".join(sorted(k.value for k in ks))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def evaluate_item(
    item: Item,
    metas: Mapping[str, PolicyMeta],
    enabled: frozenset[str],
    present: Mapping[ArtifactKind, int],
    findings_by_rule: Mapping[str, list[Finding]],
    skipped: frozenset[str] = frozenset(),
) -> ItemResult:
    if item.kind == "manual":
        return ItemResult(
            item, Status.MANUAL, item.note or "Nothing in a repo can prove this; sign off by hand."
        )
    if not item.rules:
        return ItemResult(item, Status.PARTIAL, f"Evidence only: {item.evidence_only}")
    unknown = tuple(r for r in item.rules if r not in metas)
    disabled = tuple(r for r in item.rules if r in metas and r not in enabled)
    ran = [r for r in item.rules if r in metas and r in enabled and r not in skipped]
    if not ran:
        why = []
        if skipped & set(item.rules):
            names = ", ".join(r for r in item.rules if r in skipped)
            why.append(f"skipped in this scan: {names} (see the notifications)")
        if unknown:
            why.append(f"no such rule installed: {', '.join(unknown)}")
        if disabled:
            why.append(f"disabled in this scan: {', '.join(disabled)}")
        return ItemResult(
            item,
            Status.MANUAL,
            f"Not checked ({'; '.join(why)}); sign off by hand.",
            unknown=unknown,
            disabled=disabled,
        )
    relevant = [r for r in ran if any(present.get(k, 0) for k in metas[r].kinds)]
    found = tuple(
        f for r in item.rules for f in findings_by_rule.get(r, ()) if f.suppression is None
    )
    found = tuple(sorted(found, key=Finding.sort_key))
    suppressed = sum(
        1 for r in item.rules for f in findings_by_rule.get(r, ()) if f.suppression is not None
    )

    def result(
        status: Status, reason: str, shown: tuple[Finding, ...] = (), checked: bool = True
    ) -> ItemResult:
        return ItemResult(
            item,
            status,
            reason,
            shown,
            suppressed,
            tuple(relevant) if checked else (),
            unknown,
            disabled,
        )

    if not relevant and not found:
        kinds = frozenset(k for r in ran for k in metas[r].kinds)
        return result(Status.NOT_APPLICABLE, f"No {_kinds_text(kinds)} artifact in the scan.")
    nfiles = sum(n for k, n in present.items() if any(k in metas[r].kinds for r in relevant))
    clean = f"{', '.join(relevant)} found nothing in {_plural(nfiles, 'relevant file')}."
    if item.kind == "partial":
        if found:
            return result(
                Status.PARTIAL,
                f"Evidence: {_plural(len(found), 'finding')}; a person decides.",
                found,
            )
        return result(Status.PARTIAL, f"Evidence: {clean} A person decides.")
    if found:
        return result(Status.FAIL, f"{_plural(len(found), 'finding')}.", found)
    return result(Status.PASS, clean)


def skipped_rules(result: ScanResult, metas: Mapping[str, PolicyMeta]) -> frozenset[str]:
    """Rules that said they could not run (a ``prodready-rule-skipped`` notification starting
    with the rule id, e.g. deps-vulnerable without a vulnerability database)."""
    out = set()
    for n in result.notifications:
        if n.code == "prodready-rule-skipped":
            rule = n.message.split(" ", 1)[0]
            if rule in metas:
                out.add(rule)
    return frozenset(out)


def evaluate(checklist: Checklist, result: ScanResult, root: str = "") -> Report:
    registry = load_registry()
    metas = {m.id: m for m in registry.all_metas()}
    enabled = frozenset(m.id for m in result.rules)
    present = kinds_present(result)
    skipped = skipped_rules(result, metas)
    by_rule: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_rule.setdefault(f.rule_id, []).append(f)
    sections = tuple(
        SectionResult(
            s.id,
            s.title,
            tuple(evaluate_item(i, metas, enabled, present, by_rule, skipped) for i in s.items),
        )
        for s in checklist.sections
    )
    files = sum(present.values())
    return Report(checklist.title, checklist.source, root, sections, files, dict(present))
