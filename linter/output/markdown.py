"""A Markdown summary for ``$GITHUB_STEP_SUMMARY`` and PR comments."""

from __future__ import annotations

from collections import Counter

from linter.engine import ScanResult
from linter.output.printable import printable


def _cell(text: str) -> str:
    return printable(text.replace("\n", " ")).replace("|", "\\|")


def _path(path: str) -> str:
    return printable(path).replace("|", "\\|")


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
            loc = f.location
            out.append(
                f"| {f.severity.label} | `{f.rule_id}` | `{_path(loc.path)}:{loc.start_line}` | "
                f"{_cell(f.message)} |"
            )
    if result.notifications:
        out += ["", "<details><summary>Notifications</summary>", ""]
        for n in result.notifications:
            out.append(f"- {_path(n.path) if n.path else 'prodready'}: {_cell(n.message)}")
        out += ["", "</details>"]
    return "\n".join(out) + "\n"
