"""Environment-variable reads in code and compose files, with exact positions.

One extractor per language, all regex-based (fast, and tolerant of files that do not parse):

- Python: ``os.environ["X"]``, ``os.environ.get("X"[, default])``, ``os.getenv("X"[, default])``
  (also ``environ[...]`` / ``getenv(...)`` after ``from os import ...``); assignments such as
  ``os.environ["X"] = ...`` are writes and are left out.
- JavaScript/TypeScript: ``process.env.X``, ``process.env["X"]``, ``import.meta.env.X``,
  destructuring ``const { X, Y: y, Z = "d" } = process.env``; ``|| "d"``/``?? "d"`` give
  a default.
- Go: ``os.Getenv("X")``, ``os.LookupEnv("X")``.
- Compose: ``${X}``, ``${X:?err}`` (required), ``${X:-d}`` / ``${X-d}`` (default), ``$X``;
  ``$$`` is an escape.

Matches on comment lines are dropped. Positions are 1-based; ``col``/``end_col`` cover the
variable name itself (``end_col`` exclusive).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from itertools import accumulate
from typing import TYPE_CHECKING

from linter.fastdc import dataclass
from linter.fileviews import file_view
from linter.lazyre import lazy
from linter.model import ENV_READ_KINDS, ArtifactKind, Location
from linter.source import SourceFile

if TYPE_CHECKING:
    from linter.index import RepoIndex

K = ArtifactKind

#: the artifact kinds that can read environment variables
READ_KINDS: frozenset[ArtifactKind] = ENV_READ_KINDS


@dataclass(frozen=True, slots=True)
class EnvRead:
    """A read of an environment variable in code, a Dockerfile or a manifest."""

    name: str
    line: int  # 1-based
    col: int  # 1-based column of the variable name
    end_col: int  # exclusive
    form: str  # how it is read: "os.environ[]", "os.getenv", "process.env", "${}", ...
    default: str | None = None  # the literal fallback value, when the read gives one
    required: bool = True  # False when the read has a fallback

    def location(self, path: str) -> Location:
        return Location(path, self.line, self.col, self.line, self.end_col)


_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_STR = r"(?P<dq>[\"'])(?P<default>[^\"'\\\n]*)(?P=dq)"

_PY = lazy(
    rf"""
    \b(?:os\.)?environ\s*\[\s*(?P<q1>["'])(?P<n1>{_NAME})(?P=q1)\s*\](?!\s*(?:=(?!=)|\+=))
  | \b(?:os\.)?(?P<f2>environ\.get|getenv)\(\s*(?P<q2>["'])(?P<n2>{_NAME})(?P=q2)\s*
      (?P<more>,\s*(?:{_STR})?)?
    """,
    re.VERBOSE,
)

_JS = lazy(
    rf"""
    (?P<obj>\bprocess\.env|\bimport\.meta\.env)
    (?:\.(?P<n1>[A-Za-z_$][\w$]*)|\s*\[\s*(?P<q>["'`])(?P<n2>{_NAME})(?P=q)\s*\])
    (?P<tail>\s*(?:\|\||\?\?)\s*(?:["'`](?P<default>[^"'`\\\n]*)["'`])?|\s*(?:=(?!=)|\+=))?
    """,
    re.VERBOSE,
)
_JS_DESTRUCT = lazy(r"\b(?:const|let|var)\s*\{(?P<body>[^{}]*)\}\s*=\s*process\.env\b")
_JS_ENTRY = lazy(
    r"""\s*(?P<name>[A-Za-z_$][\w$]*)\s*(?::\s*[A-Za-z_$][\w$]*\s*)?
    (?:=\s*(?:(?P<dq>["'`])(?P<default>[^"'`\\\n]*)(?P=dq)|[^,]*))?\s*(?:,|$)""",
    re.VERBOSE,
)

_GO = lazy(rf"\bos\.(?P<f>Getenv|LookupEnv)\(\s*(?P<q>[\"`])(?P<n>{_NAME})(?P=q)\s*\)")

_COMPOSE = lazy(
    rf"(?<!\$)\$(?:\{{(?P<n1>{_NAME})(?:(?P<op>:?[-?+=])(?P<rest>[^}}\n]*))?\}}|(?P<n2>{_NAME}))"
)


class _Lines:
    """Offset → (line, col) for one text."""

    def __init__(self, text: str) -> None:
        self.text = text
        # the same line breaks as SourceFile.lines (str.splitlines)
        self.starts = [0, *accumulate(len(part) for part in text.splitlines(True))]

    def pos(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1

    def line_text(self, line: int) -> str:
        start = self.starts[line - 1]
        end = self.starts[line] if line < len(self.starts) else len(self.text)
        return self.text[start:end]


def _commented(lines: _Lines, line: int, col: int, markers: tuple[str, ...]) -> bool:
    before = lines.line_text(line)[: col - 1].lstrip()
    return before.startswith(markers)


def _read(
    lines: _Lines,
    start: int,
    name: str,
    form: str,
    default: str | None,
    required: bool,
) -> EnvRead:
    line, col = lines.pos(start)
    return EnvRead(name, line, col, col + len(name), form, default, required)


def python_env_reads(text: str) -> tuple[EnvRead, ...]:
    if "environ" not in text and "getenv" not in text:
        return ()
    lines = _Lines(text)
    out: list[EnvRead] = []
    for m in _PY.finditer(text):
        if m.group("n1"):
            read = _read(lines, m.start("n1"), m.group("n1"), "os.environ[]", None, True)
        else:
            more = m.group("more")
            default = m.group("default")
            form = "os.environ.get" if m.group("f2") == "environ.get" else "os.getenv"
            read = _read(lines, m.start("n2"), m.group("n2"), form, default, more is None)
        if not _commented(lines, read.line, read.col, ("#",)):
            out.append(read)
    return tuple(out)


def js_env_reads(text: str) -> tuple[EnvRead, ...]:
    if ".env" not in text:
        return ()
    lines = _Lines(text)
    out: list[EnvRead] = []
    for m in _JS.finditer(text):
        tail = m.group("tail") or ""
        if tail.strip().startswith(("=", "+=")):
            continue  # an assignment to process.env.X is a write
        group = "n1" if m.group("n1") else "n2"
        name = m.group(group)
        form = "import.meta.env" if m.group("obj").startswith("import") else "process.env"
        fallback = tail.strip().startswith(("||", "??"))
        read = _read(lines, m.start(group), name, form, m.group("default"), not fallback)
        if not _commented(lines, read.line, read.col, ("//", "*", "/*")):
            out.append(read)
    for m in _JS_DESTRUCT.finditer(text):
        body, base = m.group("body"), m.start("body")
        pos = 0
        while pos < len(body):
            e = _JS_ENTRY.match(body, pos)
            if e is None or e.end() == pos:
                break
            pos = e.end()
            name = e.group("name")
            has_default = "=" in e.group(0)
            read = _read(
                lines,
                base + e.start("name"),
                name,
                "process.env",
                e.group("default"),
                not has_default,
            )
            if not _commented(lines, read.line, read.col, ("//", "*", "/*")):
                out.append(read)
    out.sort(key=lambda r: (r.line, r.col))
    return tuple(out)


def go_env_reads(text: str) -> tuple[EnvRead, ...]:
    if "os.Getenv" not in text and "os.LookupEnv" not in text:
        return ()
    lines = _Lines(text)
    out: list[EnvRead] = []
    for m in _GO.finditer(text):
        read = _read(lines, m.start("n"), m.group("n"), f"os.{m.group('f')}", None, True)
        if not _commented(lines, read.line, read.col, ("//", "*", "/*")):
            out.append(read)
    return tuple(out)


def compose_env_reads(text: str) -> tuple[EnvRead, ...]:
    if "$" not in text:
        return ()
    lines = _Lines(text)
    out: list[EnvRead] = []
    for m in _COMPOSE.finditer(text):
        if m.group("n1"):
            op = m.group("op") or ""
            required = op in ("", "?", ":?")
            default = m.group("rest") if op in ("-", ":-") else None
            read = _read(lines, m.start("n1"), m.group("n1"), "${}", default, required)
        else:
            read = _read(lines, m.start("n2"), m.group("n2"), "$", None, True)
        if not _commented(lines, read.line, read.col, ("#",)):
            out.append(read)
    return tuple(out)


_BY_KIND: dict[ArtifactKind, Callable[[str], tuple[EnvRead, ...]]] = {
    K.PYTHON: python_env_reads,
    K.JAVASCRIPT: js_env_reads,
    K.TYPESCRIPT: js_env_reads,
    K.GO: go_env_reads,
    K.COMPOSE: compose_env_reads,
}


def env_reads(src: SourceFile) -> tuple[EnvRead, ...]:
    """Every environment-variable read in a source file of a :data:`READ_KINDS` kind."""
    fn = _BY_KIND.get(src.kind)
    return fn(src.text) if fn is not None else ()


#: every file's reads (computed by the worker that checks the file when there are workers)
ENV_READS = file_view(
    "env-reads",
    READ_KINDS,
    env_reads,
    used_by=("env-missing-from-template", "env-template-incomplete"),
)


def cached_env_reads(index: RepoIndex, src: SourceFile) -> tuple[EnvRead, ...]:
    """:func:`env_reads`, computed once per file and scan (shared by every policy)."""
    return ENV_READS.of(index, src)
