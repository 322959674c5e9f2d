"""Reporters: each is a pure view of a ScanResult."""

from __future__ import annotations

from collections.abc import Callable

from linter.engine import ScanResult

Reporter = Callable[[ScanResult, bool], str]

FORMATS = ("text", "json", "sarif", "github", "markdown")


def render(fmt: str, result: ScanResult, color: bool = False, **kw: object) -> str:
    if fmt == "text":
        from linter.output.text import render_text

        return render_text(result, color=color, **kw)  # type: ignore[arg-type]
    if fmt == "json":
        from linter.output.jsonfmt import render_json

        return render_json(result, **kw)  # type: ignore[arg-type]
    if fmt == "sarif":
        from linter.output.sarif import render_sarif

        return render_sarif(result)
    if fmt == "github":
        from linter.output.github import render_github

        return render_github(result)
    if fmt == "markdown":
        from linter.output.markdown import render_markdown

        return render_markdown(result)
    raise ValueError(f"unknown format {fmt}")
