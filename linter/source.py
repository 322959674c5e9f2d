"""A file that has been read: its path, kind and text."""

from __future__ import annotations

from dataclasses import field
from functools import cached_property
from typing import Any

from linter.fastdc import dataclass
from linter.model import ArtifactKind


@dataclass(eq=False)
class SourceFile:
    """A file's text, with its display and absolute paths and its kind."""

    path: str
    abspath: str
    kind: ArtifactKind
    text: str
    _lines: list[str] | None = field(default=None, repr=False)
    #: which prefilters' literals occur in the text (``linter.literals``: computed once)
    literal_hits: Any = field(default=None, repr=False)

    @cached_property
    def lines(self) -> list[str]:
        """The file's lines without line endings (CRLF and lone CR handled like LF)."""
        return self.text.splitlines()

    def line(self, number: int) -> str:
        """1-based line text, or '' when out of range."""
        if 1 <= number <= len(self.lines):
            return self.lines[number - 1]
        return ""

    @property
    def line_count(self) -> int:
        return max(1, len(self.lines))

    @property
    def directory(self) -> str:
        head, _, _ = self.path.rpartition("/")
        return head
