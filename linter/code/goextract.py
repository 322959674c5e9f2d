"""Go facts through tree-sitter (grammar imported lazily).

Composite literals (``tls.Config{InsecureSkipVerify: true}``) become calls whose keyword
arguments are the keyed elements, so policies treat them like constructor calls.
"""

from __future__ import annotations

import contextvars
import re
from functools import cache
from typing import Any

from linter.code.model import Assign, Call, CodeFile, Import, Positions, Value
from linter.model import Location

_WS = re.compile(r"\s+")
_SRC: contextvars.ContextVar[bytes] = contextvars.ContextVar("_SRC", default=b"")
MAX_TEXT = 200


@cache
def _parser() -> Any:
    import tree_sitter as ts
    import tree_sitter_go as tsg

    return ts.Parser(ts.Language(tsg.language()))


@cache
def _query() -> Any:
    import tree_sitter as ts

    types = (
        "package_clause",
        "import_spec",
        "call_expression",
        "composite_literal",
        "assignment_statement",
    )
    return ts.Query(_parser().language, " ".join(f"({t}) @n" for t in types))


def _text(node: Any) -> str:
    """Whitespace-free source of the node, bounded (never copies a whole function body)."""
    start = node.start_byte
    raw: bytes = _SRC.get()[start : min(node.end_byte, start + 4 * MAX_TEXT)]
    return _WS.sub("", raw.decode("utf-8", "replace"))[:MAX_TEXT]


def _str(node: Any) -> str:
    raw: bytes = node.text or b""
    s = raw.decode("utf-8", "replace")
    return s[1:-1] if len(s) >= 2 and s[0] in '"`' else s


class _Extractor:
    def __init__(self, path: str, text: str) -> None:
        self.pos = Positions(path, text)
        self.out = CodeFile(path, "go")

    def loc(self, node: Any) -> Location:
        return self.pos.loc(
            (node.start_point[0], node.start_point[1]), (node.end_point[0], node.end_point[1])
        )

    def refs(self, node: Any) -> tuple[str, ...]:
        found: list[str] = []
        stack = [node]
        while stack and len(found) < 20:
            n = stack.pop()
            if n.type in ("identifier", "selector_expression"):
                found.append(_text(n))
                continue
            stack.extend(reversed(n.named_children))
        return tuple(found)

    def value(self, node: Any, depth: int = 0) -> Value:
        t = node.type
        loc = self.loc(node)
        if t in ("literal_element", "parenthesized_expression") and node.named_child_count:
            return self.value(node.named_children[0], depth)
        if t == "unary_expression" and _text(node).startswith("&") and node.named_child_count:
            return self.value(node.named_children[-1], depth)
        if t in ("interpreted_string_literal", "raw_string_literal"):
            return Value("str", _str(node), loc)
        if t in ("int_literal", "float_literal"):
            return Value("num", _text(node), loc)
        if t in ("true", "false"):
            return Value("bool", t, loc)
        if t == "nil":
            return Value("null", "nil", loc)
        if t in ("identifier", "selector_expression"):
            return Value("name", _text(node), loc, refs=(_text(node),))
        if t == "func_literal":
            params = node.child_by_field_name("parameters")
            n = params.named_child_count if params is not None else 0
            return Value("func", "", loc, params=n)
        if t == "composite_literal" and depth < 6:
            body = node.child_by_field_name("body")
            typ = node.child_by_field_name("type")
            items: list[tuple[str, Value]] = []
            for c in body.named_children if body is not None else ():
                if c.type == "keyed_element" and c.named_child_count >= 2:
                    key = c.named_children[0]
                    items.append((_text(key), self.value(c.named_children[1], depth + 1)))
                elif c.type == "literal_element":
                    items.append(("", self.value(c, depth + 1)))
            kind = "obj" if any(k for k, _ in items) else "list"
            return Value(
                kind, _text(node), loc, items=tuple(items), callee=_text(typ) if typ else ""
            )
        if t == "call_expression" and depth < 6:
            fn = node.child_by_field_name("function")
            argn = node.child_by_field_name("arguments")
            args = tuple(self.value(a, depth + 1) for a in argn.named_children) if argn else ()
            return Value(
                "call",
                _text(node),
                loc,
                callee=_text(fn) if fn is not None else "",
                refs=self.refs(node),
                args=args,
            )
        if t == "binary_expression":
            op = node.child_by_field_name("operator")
            if op is not None and op.type == "+":
                parts: list[str] = []
                stack = [node]
                while stack:
                    n = stack.pop()
                    if n.type == "binary_expression":
                        stack.extend(reversed(n.named_children))
                    elif n.type in ("interpreted_string_literal", "raw_string_literal"):
                        parts.append(_str(n))
                if parts:
                    return Value(
                        "concat", _text(node), loc, refs=self.refs(node), parts=tuple(parts)
                    )
        return Value("other", _text(node), loc, refs=self.refs(node))

    def run(self, root: Any) -> CodeFile:
        import tree_sitter as ts

        captures = ts.QueryCursor(_query()).captures(root)
        for node in sorted(captures.get("n", []), key=lambda n: (n.start_byte, -n.end_byte)):
            t = node.type
            if t == "package_clause":
                self.out.main_guard = _text(node) == "packagemain"
            elif t == "import_spec":
                path = node.child_by_field_name("path")
                if path is not None:
                    self.out.imports.append(Import(_str(path), self.loc(node)))
            elif t == "call_expression":
                fn = node.child_by_field_name("function")
                argn = node.child_by_field_name("arguments")
                if fn is not None:
                    args = (
                        tuple(self.value(a) for a in argn.named_children)
                        if argn is not None
                        else ()
                    )
                    self.out.calls.append(Call(_text(fn), args, (), self.loc(node)))
            elif t == "composite_literal":
                v = self.value(node)
                if v.callee:
                    kwargs = tuple((k, x) for k, x in v.items if k)
                    args = tuple(x for k, x in v.items if not k)
                    self.out.calls.append(Call(v.callee, args, kwargs, self.loc(node)))
            elif t == "assignment_statement":
                left = node.child_by_field_name("left")
                right = node.child_by_field_name("right")
                if left is not None and right is not None and right.named_child_count:
                    self.out.assigns.append(
                        Assign(_text(left), self.value(right.named_children[0]), self.loc(node))
                    )
        return self.out


def extract(path: str, text: str) -> CodeFile:
    data = text.encode("utf-8", "surrogatepass")
    tree = _parser().parse(data)
    token = _SRC.set(data)
    try:
        return _Extractor(path, text).run(tree.root_node)
    finally:
        _SRC.reset(token)
