"""Inline suppressions (``# prodready: ignore[rule-id] reason``) and Kubernetes annotations.

A directive applies to findings on its own line, or, when it stands alone on a comment line, to the
line below it. ``prodready.io/ignore: "rule-id: reason; other-id: reason"`` on a Kubernetes object
applies to every finding inside that object. A directive without a reason is itself a finding, and
so is one that suppressed nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import field, replace
from typing import Any

from linter.fastdc import dataclass
from linter.lazyre import lazy
from linter.model import ArtifactKind, Confidence, Finding, Location, Severity, Suppression
from linter.policy import PolicyMeta
from linter.source import SourceFile

ANNOTATION = "prodready.io/ignore"
UNUSED = "prodready-unused-suppression"
NO_REASON = "prodready-suppression-without-reason"

_DIRECTIVE = lazy(
    r"(?P<lead>#|//|/\*|<!--|--|;)\s*prodready:\s*ignore\[(?P<ids>[^\]]*)\](?P<reason>.*)$"
)
_COMMENT_ONLY = lazy(r"^\s*(?:#|//|/\*|<!--|--|;)")


def _meta(id: str, summary: str, description: str, fix: str) -> PolicyMeta:
    return PolicyMeta(
        id=id,
        summary=summary,
        description=description,
        kinds=frozenset(ArtifactKind),
        severity=Severity.LOW,
        confidence=Confidence.HIGH,
        fix=fix,
        tags=("maintainability",),
        origin="prodready-engine",
    )


ENGINE_RULES: Mapping[str, PolicyMeta] = {
    UNUSED: _meta(
        UNUSED,
        "A suppression comment or annotation that suppressed nothing",
        "## What it does\nReports a `prodready: ignore[...]` comment or a `prodready.io/ignore` "
        "annotation that did not suppress any finding, or that names an unknown rule.\n\n"
        "## Why is this bad\nStale suppressions hide future problems and mislead reviewers.\n\n"
        "## Example\n```yaml\nreplicas: 3  # prodready: ignore[k8s-single-replica] legacy\n```",
        "Remove the suppression, or correct the rule id it names.",
    ),
    NO_REASON: _meta(
        NO_REASON,
        "A suppression without a written reason",
        "## What it does\nReports a `prodready: ignore[...]` comment or `prodready.io/ignore` "
        "annotation that gives no reason.\n\n"
        "## Why is this bad\nA reviewer cannot tell a deliberate exception from a silenced "
        "problem.\n\n"
        "## Example\n```dockerfile\nUSER root  # prodready: ignore[docker-runs-as-root]\n```\n\n"
        "Pass: `# prodready: ignore[docker-runs-as-root] needs to bind port 80 in legacy image`",
        "Write the reason after the closing bracket: `# prodready: ignore[rule-id] why`.",
    ),
}


@dataclass
class Directive:
    """An inline suppression comment (or annotation): the rules it names and the lines it covers."""

    location: Location
    rule_ids: tuple[str, ...]
    reason: str
    applies_from: int
    applies_to: int
    annotation: bool = False
    used: set[str] = field(default_factory=set)


def _clean_reason(text: str) -> str:
    text = text.strip()
    for tail in ("*/", "-->"):
        if text.endswith(tail):
            text = text[: -len(tail)].strip()
    return text.lstrip(":-— ").strip()


def parse_directives(src: SourceFile) -> list[Directive]:
    """Inline directives of one file (cheap: a substring test first), each in a comment of the
    file's syntax (``linter/comments.py``)."""
    if "prodready:" not in src.text:
        return []
    from linter.comments import comment_test

    is_comment = comment_test(src)
    found: list[Directive] = []
    for n, line in enumerate(src.lines, start=1):
        if "prodready:" not in line:
            continue
        # the first one in a comment (one quoted in a string before it is not a directive)
        m = _DIRECTIVE.search(line)
        while m is not None and not is_comment(n, m.start("lead"), line):
            m = _DIRECTIVE.search(line, m.start("lead") + 1)
        if m is None:
            continue
        ids = tuple(i.strip() for i in m.group("ids").split(",") if i.strip())
        col = m.start("lead") + 1
        loc = Location(src.path, n, col, n, len(line.rstrip()) + 1)
        lines = (n, n + 1) if _COMMENT_ONLY.match(line) else (n, n)
        found.append(Directive(loc, ids, _clean_reason(m.group("reason")), lines[0], lines[1]))
    return found


def parse_annotation(value: str, loc: Location, start: int, end: int) -> list[Directive]:
    out: list[Directive] = []
    for part in re.split(r"[;\n]", value):
        if not part.strip():
            continue
        ids_text, _, reason = part.partition(":")
        ids = tuple(i.strip() for i in ids_text.split(",") if i.strip())
        out.append(Directive(loc, ids, reason.strip(), start, end, annotation=True))
    return out


class _Covering:
    """The first directive (in the given order) of a path naming a rule and covering a line,
    by lookups: per finding, a scan of the file's directives cost findings x directives (a file
    of 4,000 suppressed lines took seconds). Each directive is filed under every line it covers
    (a comment covers one or two, an annotation its object) while the lines filed stay within
    ``budget``; beyond it (directives that each cover a whole big file), they are checked in
    turn."""

    NARROW = 64
    BUDGET = 1_000_000

    def __init__(self, dirs: Iterable[Directive], budget: int = BUDGET) -> None:
        #: (path, rule id) -> (line -> (order, first directive there), [(order, wide one)])
        self._of: dict[tuple[str, str], tuple[dict[int, tuple[int, Directive]], list[Any]]] = {}
        filed = 0
        for order, d in enumerate(dirs):
            span = max(0, d.applies_to - d.applies_from + 1)
            for rid in dict.fromkeys(d.rule_ids):
                lines, wide = self._of.setdefault((d.location.path, rid), ({}, []))
                if span <= self.NARROW or filed + span <= budget:
                    filed += span
                    for n in range(d.applies_from, d.applies_to + 1):
                        lines.setdefault(n, (order, d))
                else:
                    wide.append((order, d))

    def first(self, path: str, rule_id: str, line: int) -> Directive | None:
        entry = self._of.get((path, rule_id))
        if entry is None:
            return None
        best = entry[0].get(line)
        for order, d in entry[1]:  # in order: the first that covers the line is the earliest
            if d.applies_from <= line <= d.applies_to:
                if best is None or order < best[0]:
                    best = (order, d)
                break
        return None if best is None else best[1]


def apply(
    findings: Iterable[Finding],
    directives: Iterable[Directive],
    enabled: Iterable[str],
    known: Iterable[str],
    meta_of: Mapping[str, PolicyMeta],
) -> list[Finding]:
    """Mark suppressed findings; add findings for reasonless and unused directives."""
    dirs = list(directives)
    covering = _Covering(dirs)
    out: list[Finding] = []
    for f in findings:
        hit = covering.first(f.location.path, f.rule_id, f.location.start_line)
        if hit is not None:
            hit.used.add(f.rule_id)
            f = replace(
                f,
                suppression=Suppression(
                    "inSource", hit.reason or "(no reason given)", hit.location
                ),
            )
        out.append(f)
    enabled_set, known_set = set(enabled), set(known)
    for d in dirs:
        if not d.reason and NO_REASON in enabled_set:
            m = meta_of[NO_REASON]
            out.append(
                Finding(
                    NO_REASON,
                    f"Suppression of {', '.join(d.rule_ids) or 'nothing'} gives "
                    "no reason; write why after the rule ids.",
                    m.severity,
                    m.confidence,
                    d.location,
                )
            )
        if UNUSED not in enabled_set:
            continue
        if not d.rule_ids:
            m = meta_of[UNUSED]
            out.append(
                Finding(
                    UNUSED,
                    "Suppression names no rule id: `ignore[]` suppresses nothing.",
                    m.severity,
                    m.confidence,
                    d.location,
                )
            )
        for rid in d.rule_ids:
            if rid in d.used:
                continue
            m = meta_of[UNUSED]
            if rid not in known_set:
                msg = f"Suppression names unknown rule `{rid}`."
            elif rid in enabled_set:
                msg = f"Suppression of `{rid}` matched no finding; remove it."
            else:
                continue  # the rule is disabled by config: not evidence of staleness
            out.append(Finding(UNUSED, msg, m.severity, m.confidence, d.location))
    return out
