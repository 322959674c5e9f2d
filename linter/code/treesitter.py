"""What the tree-sitter extractors (``goextract``, ``tsextract``) share: bounded node text,
positions, the names an expression refers to, call values, string concatenations, and running
an extractor with the file's bytes at hand."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

from linter.code.model import CodeFile, Positions, Value
from linter.lazyre import lazy
from linter.model import Location

_WS = lazy(r"\s+")
#: the bytes of the file being extracted (node.text would copy whole subtrees)
_SRC: contextvars.ContextVar[bytes] = contextvars.ContextVar("_SRC", default=b"")
MAX_TEXT = 200
#: how deep values nest (objects, lists, call arguments) before they are left as text
MAX_DEPTH = 6


def node_text(node: Any) -> str:
    """The node's source with whitespace removed, at most MAX_TEXT characters (bounded work:
    a huge function body is never copied whole)."""
    start = node.start_byte
    raw: bytes = _SRC.get()[start : min(node.end_byte, start + 4 * MAX_TEXT)]
    return _WS.sub("", raw.decode("utf-8", "replace"))[:MAX_TEXT]


def extract_with(parser: Any, text: str, make: Callable[[bytes], CodeFile]) -> CodeFile:
    """Parse ``text`` and run ``make`` on the tree's root with the file's bytes at hand."""
    data = text.encode("utf-8", "surrogatepass")
    tree = parser.parse(data)
    token = _SRC.set(data)
    try:
        return make(tree.root_node)
    finally:
        _SRC.reset(token)


class TreeExtractor:
    """One file's facts from its syntax tree (subclasses know their grammar's node types)."""

    #: node types recorded as names an expression refers to
    REF_TYPES: frozenset[str] = frozenset()
    #: of those, the ones whose children are not searched further
    REF_LEAVES: frozenset[str] = frozenset()
    #: string node types inside a ``+`` concatenation
    STRING_TYPES: frozenset[str] = frozenset()

    def __init__(self, path: str, text: str, lang: str) -> None:
        self.pos = Positions(path, text)
        self.out = CodeFile(path, lang)

    def loc(self, node: Any) -> Location:
        return self.pos.loc(
            (node.start_point[0], node.start_point[1]), (node.end_point[0], node.end_point[1])
        )

    def refs(self, node: Any) -> tuple[str, ...]:
        """The names (at most 20) the expression refers to, in source order."""
        found: list[str] = []
        stack = [node]
        while stack and len(found) < 20:
            n = stack.pop()
            if n.type in self.REF_TYPES:
                found.append(node_text(n))
                if n.type in self.REF_LEAVES:
                    continue
            stack.extend(reversed(n.named_children))
        return tuple(found)

    def value(self, node: Any, depth: int = 0) -> Value:
        raise NotImplementedError

    def string_parts(self, node: Any) -> list[str]:
        """The literal text of a string node of ``STRING_TYPES``."""
        raise NotImplementedError

    def call_value(self, node: Any, fn: Any, depth: int) -> Value:
        argn = node.child_by_field_name("arguments")
        args = tuple(self.value(a, depth + 1) for a in argn.named_children) if argn else ()
        return Value(
            "call",
            node_text(node),
            self.loc(node),
            callee=node_text(fn) if fn is not None else "",
            refs=self.refs(node),
            args=args,
        )

    def concat_value(self, node: Any) -> Value | None:
        """A ``+`` chain holding string literals: their text in order (None: not one)."""
        op = node.child_by_field_name("operator")
        if op is None or op.type != "+":
            return None
        parts: list[str] = []
        stack = [node]
        while stack:
            n = stack.pop()
            if n.type == "binary_expression":
                stack.extend(reversed(n.named_children))
            elif n.type in self.STRING_TYPES:
                parts.extend(self.string_parts(n))
        if not parts:
            return None
        return Value(
            "concat", node_text(node), self.loc(node), refs=self.refs(node), parts=tuple(parts)
        )

    def other_value(self, node: Any) -> Value:
        return Value("other", node_text(node), self.loc(node), refs=self.refs(node))
