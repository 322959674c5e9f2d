"""Human-readable output: path:line:col, rule, severity, message, snippet with a caret, fix."""

from __future__ import annotations

from collections import Counter

from linter.engine import ScanResult
from linter.model import Finding
from linter.output.printable import clip, printable

_COLORS = {"critical": "35;1", "high": "31;1", "medium": "33;1", "low": "36", "info": "37"}


def _c(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _snippet(result: ScanResult, f: Finding) -> list[str]:
    line = result.snippets.get((f.location.path, f.location.start_line))
    if line is None:
        return []
    n = f.location.start_line
    clipped, removed = clip(line, f.location.start_col)  # a long line: around the finding
    line = (clipped or "").expandtabs(1)
    gutter = " " * len(str(n))
    start = f.location.start_col - removed
    end = f.location.end_col - removed if f.location.end_line == n else len(line) + 1
    end = min(end, len(line) + 1)
    # the caret under the finding's columns as printed (a control character takes 2-4 columns)
    before = printable(line[: start - 1])
    width = max(1, len(printable(line[start - 1 : end - 1])))
    return [
        f"  {n} | {printable(line)}",
        f"  {gutter} | {' ' * len(before)}{'^' * width}",
    ]


def render_text(
    result: ScanResult,
    color: bool = False,
    include_suppressed: bool = False,
    statistics: bool = False,
    summary_line: str | None = None,
) -> str:
    out: list[str] = []
    fixes = {m.id: m.fix for m in result.rules}
    shown = result.findings if include_suppressed else result.active
    for f in shown:
        loc = f.location
        sev = f.severity.label
        head = (
            f"{_c(f'{printable(loc.path)}:{loc.start_line}:{loc.start_col}', '1', color)}: "
            f"{_c(f.rule_id, '1', color)} [{_c(sev, _COLORS[sev], color)}] {printable(f.message)}"
        )
        if f.suppression is not None:
            head += f" (suppressed: {printable(f.suppression.justification)})"
        out.append(head)
        out.extend(_snippet(result, f))
        if fixes.get(f.rule_id):
            out.append(f"  {_c('fix:', '32', color)} {fixes[f.rule_id]}")
        out.append("")
    for n in result.notifications:
        where = printable(n.path) if n.path else "prodready"
        if n.path and n.line:
            where += f":{n.line}" + (f":{n.column}" if n.column else "")
        out.append(f"{where}: {n.level.value}: {printable(n.message)}")
    if result.notifications:
        out.append("")
    if statistics:
        counts = Counter(f.rule_id for f in result.active)
        for rule, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            out.append(f"{count:6d}  {rule}")
        out.append("")
    active = len(result.active)
    suppressed = len(result.findings) - active
    files = len({f.location.path for f in result.active})
    if active:
        line = f"Found {active} problem{'s' if active != 1 else ''} in {files} file" + (
            "s" if files != 1 else ""
        )
    else:
        line = "No problems found"
    if suppressed:
        line += f" ({suppressed} suppressed)"
    out.append(line + ".")
    if summary_line:
        out.append(summary_line)
    return "\n".join(out) + "\n"
