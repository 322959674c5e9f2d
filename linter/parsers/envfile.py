"""``.env`` files and templates: ``[export] NAME=value`` lines with positions."""

from __future__ import annotations

import re

from linter.fastdc import dataclass
from linter.lazyre import lazy
from linter.model import Location
from linter.source import SourceFile

_LINE = lazy(
    r"^(?P<indent>\s*)(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(?P<rest>.*)$"
)


@dataclass(frozen=True)
class EnvEntry:
    """A ``NAME=value`` line of an env file, with the columns of its name and value."""

    name: str
    value: str  # unquoted value, inline comment removed
    line: int
    name_col: int  # 1-based
    value_col: int  # 1-based
    quoted: bool


@dataclass(frozen=True)
class EnvFile:
    """A parsed env file (``.env.example`` and the like)."""

    source: SourceFile
    entries: tuple[EnvEntry, ...]

    def names(self) -> frozenset[str]:
        return frozenset(e.name for e in self.entries)

    def name_loc(self, entry: EnvEntry) -> Location:
        return Location(
            self.source.path,
            entry.line,
            entry.name_col,
            entry.line,
            entry.name_col + len(entry.name),
        )

    def value_loc(self, entry: EnvEntry) -> Location:
        text = self.source.line(entry.line)
        return Location(
            self.source.path,
            entry.line,
            entry.value_col,
            entry.line,
            max(entry.value_col + 1, len(text.rstrip()) + 1),
        )


def _value(rest: str) -> tuple[str, bool]:
    rest = rest.rstrip()
    if rest[:1] in ("'", '"'):
        q = rest[0]
        end = rest.find(q, 1)
        while q == '"' and end > 0 and rest[end - 1] == "\\":
            end = rest.find(q, end + 1)
        return (rest[1:end] if end > 0 else rest[1:]), True
    hash_at = re.search(r"\s#", rest)
    if hash_at:
        rest = rest[: hash_at.start()]
    return rest.strip(), False


def parse_env(src: SourceFile) -> EnvFile:
    entries: list[EnvEntry] = []
    for n, raw in enumerate(src.lines, start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _LINE.match(raw)
        if not m:
            continue
        value, quoted = _value(m.group("rest"))
        name_col = raw.index(m.group("name"), len(m.group("indent"))) + 1
        value_col = m.start("rest") + 1
        entries.append(EnvEntry(m.group("name"), value, n, name_col, value_col, quoted))
    return EnvFile(src, tuple(entries))
