"""A Markdown summary for ``$GITHUB_STEP_SUMMARY`` and PR comments."""

from __future__ import annotations

from collections import Counter

from linter.engine import ScanResult
from linter.output.printable import markdown_text, printable


def _cell(text: str) -> str:
    return markdown_text(text)


def render_markdown(result: ScanResult) -> str:
    active = result.active
    out = ["## prodready", ""]
    if not active:
        out.append("No problems found.")
    else:
        counts = Counter(f.severity.label for f in active)
        order = ["critical", "high", "medium", "low", "info"]
        out.append(
            f"**{len(active)} problems**: "
            + ", ".join(f"{counts[s]} {s}" for s in order if counts[s])
        )
        out += ["", "| severity | rule | location | message |", "|---|---|---|---|"]
        for f in active:
            where = _cell(printable(f"`{f.location.path}:{f.location.start_line}`"))
            out.append(f"| {f.severity.label} | `{f.rule_id}` | {where} | {_cell(f.message)} |")
    if result.notifications:
        out += ["", "<details><summary>Notifications</summary>", ""]
        for n in result.notifications:
            out.append(
                f"- {_cell(printable(n.path)) if n.path else 'prodready'}: {_cell(n.message)}"
            )
        out += ["", "</details>"]
    return "\n".join(out) + "\n"
