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


def warm_up(fmt: str) -> Callable[[], None] | None:
    """What :func:`render` will do first for ``fmt`` and can be done before the result exists
    (``ScanOptions.warm_up``: a full scan does it while its workers run). For SARIF: import
    sarif-om, whose attrs classes take ~80 ms to build."""
    if fmt == "sarif":
        return _sarif_warm_up
    return None


def _sarif_warm_up() -> None:
    from linter.output import sarif

    sarif.warm_up()
