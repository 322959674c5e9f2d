"""The language-neutral facts extracted from one source file.

Extractors (``pyextract``, ``tsextract``, ``goextract``; the tree-sitter ones share
``treesitter.TreeExtractor``) turn a syntax tree into calls, imports and assignments with 1-based
positions; ``facts`` derives routes, server starts and signal handlers from those, so policies
never look at a syntax tree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import field

from linter.fastdc import dataclass
from linter.model import Location

#: a value kind: str num bool null obj list name call func template concat other
ValueKind = str


@dataclass(frozen=True, slots=True)
class Value:
    """An argument, keyword value, object property or assigned value."""

    kind: ValueKind
    #: unquoted literal for str/num/bool; source text (whitespace collapsed) otherwise
    text: str
    loc: Location
    #: obj: (key, value) pairs; list: ("", value) items
    items: tuple[tuple[str, Value], ...] = ()
    #: call: its callee; func: ""
    callee: str = ""
    #: func: number of parameters
    params: int = 0
    #: dotted identifiers referenced inside (for template/concat/other/call/name)
    refs: tuple[str, ...] = ()
    #: template/concat: the literal string parts
    parts: tuple[str, ...] = ()
    #: call: its arguments
    args: tuple[Value, ...] = ()

    def get(self, key: str) -> Value | None:
        for k, v in self.items:
            if k == key:
                return v
        return None

    def walk(self) -> Iterator[Value]:
        """This value and every value nested in it (object properties, items, call args)."""
        stack: list[Value] = [self]
        while stack:
            v = stack.pop()
            yield v
            stack.extend(reversed([x for _, x in v.items] + list(v.args)))

    def props(self) -> Iterator[tuple[str, Value]]:
        """Every (key, value) property nested in this value."""
        for v in self.walk():
            yield from ((k, x) for k, x in v.items if k)

    @property
    def is_true(self) -> bool:
        return self.kind == "bool" and self.text.lower() == "true"

    @property
    def is_false(self) -> bool:
        return self.kind == "bool" and self.text.lower() == "false"


@dataclass(frozen=True, slots=True)
class Call:
    """A call, a ``new`` expression, a decorator call or (Go) a composite literal."""

    callee: str  # dotted source text: "app.use", "signal.signal", "tls.Config"
    args: tuple[Value, ...]
    kwargs: tuple[tuple[str, Value], ...]
    loc: Location
    decorator: bool = False
    #: Nest: the enclosing ``@Controller('prefix')`` path for method decorators
    context: str = ""

    @property
    def method(self) -> str:
        return self.callee.rsplit(".", 1)[-1]

    @property
    def receiver(self) -> str:
        head, _, _ = self.callee.rpartition(".")
        return head

    def arg(self, i: int) -> Value | None:
        return self.args[i] if 0 <= i < len(self.args) else None

    def kw(self, name: str) -> Value | None:
        for k, v in self.kwargs:
            if k == name:
                return v
        return None

    def all_values(self) -> tuple[Value, ...]:
        return self.args + tuple(v for _, v in self.kwargs)


@dataclass(frozen=True, slots=True)
class Import:
    """An import statement (or ``require``) and what it names."""

    module: str  # as written: "express", "./lib/shutdown", "flask_limiter", ".shutdown"
    loc: Location
    names: tuple[str, ...] = ()  # Python ``from m import a, b``


@dataclass(frozen=True, slots=True)
class Assign:
    """An assignment of a literal or a call: the target as written and its value."""

    target: str  # source text of the assigned target
    value: Value
    loc: Location


@dataclass(frozen=True, slots=True)
class Route:
    """An HTTP route a server registers."""

    method: str  # GET, POST, … or ANY
    path: str
    loc: Location


@dataclass
class CodeFile:
    """The facts of one code file: imports, calls, assignments, and the routes and handlers derived
    from them."""

    path: str
    lang: str  # python | javascript | typescript | go
    imports: list[Import] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    assigns: list[Assign] = field(default_factory=list)
    #: a Go program's ``package main`` or Python ``if __name__ == "__main__"``
    main_guard: bool = False
    # derived (facts.derive)
    routes: list[Route] = field(default_factory=list)
    listens: list[Call] = field(default_factory=list)
    signals: list[Call] = field(default_factory=list)

    def modules(self) -> set[str]:
        return {i.module for i in self.imports}


def char_col(line: str, byte_col: int) -> int:
    """1-based character column of a 0-based UTF-8 byte offset in ``line``."""
    if line.isascii():
        return byte_col + 1
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", "replace")) + 1


class Positions:
    """Convert (0-based row, byte column) pairs of one file into 1-based Locations."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = text.splitlines() or [""]
        self._ascii: dict[int, bool] = {}

    def line(self, row0: int) -> str:
        return self.lines[row0] if 0 <= row0 < len(self.lines) else ""

    def col(self, row0: int, byte_col: int) -> int:
        ascii_line = self._ascii.get(row0)
        if ascii_line is None:
            ascii_line = self._ascii[row0] = self.line(row0).isascii()
        return byte_col + 1 if ascii_line else char_col(self.line(row0), byte_col)

    def loc(self, start: tuple[int, int], end: tuple[int, int]) -> Location:
        sr, sc = start
        er, ec = end
        return Location(
            self.path, max(1, sr + 1), self.col(sr, sc), max(1, er + 1), self.col(er, ec)
        )
