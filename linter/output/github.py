"""GitHub Actions workflow commands (annotations on the PR diff)."""

from __future__ import annotations

from linter.engine import ScanResult
from linter.model import Severity


def _esc_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _esc_prop(s: str) -> str:
    return _esc_data(s).replace(":", "%3A").replace(",", "%2C")


def render_github(result: ScanResult) -> str:
    out = []
    for f in result.active:
        level = (
            "error"
            if f.severity >= Severity.HIGH
            else ("warning" if f.severity >= Severity.MEDIUM else "notice")
        )
        loc = f.location
        props = (
            f"file={_esc_prop(loc.path)},line={loc.start_line},col={loc.start_col},"
            f"endLine={loc.end_line},endColumn={loc.end_col},title={_esc_prop(f.rule_id)}"
        )
        out.append(f"::{level} {props}::{_esc_data(f.message)}")
    for n in result.notifications:
        props = f"file={_esc_prop(n.path)}" if n.path else ""
        if n.path and n.line:
            props += f",line={n.line}"
        sep = " " if props else ""
        out.append(f"::warning{sep}{props}::{_esc_data('prodready: ' + n.message)}")
    return "\n".join(out) + ("\n" if out else "")
