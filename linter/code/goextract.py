"""Go facts through tree-sitter (grammar imported lazily).

Composite literals (``tls.Config{InsecureSkipVerify: true}``) become calls whose keyword
arguments are the keyed elements, so policies treat them like constructor calls.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from linter.code.model import Assign, Call, CodeFile, Import, Value
from linter.code.treesitter import MAX_DEPTH, TreeExtractor, extract_with
from linter.code.treesitter import node_text as _text


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


def _str(node: Any) -> str:
    raw: bytes = node.text or b""
    s = raw.decode("utf-8", "replace")
    return s[1:-1] if len(s) >= 2 and s[0] in '"`' else s


class _Extractor(TreeExtractor):
    REF_TYPES = REF_LEAVES = frozenset({"identifier", "selector_expression"})
    STRING_TYPES = frozenset({"interpreted_string_literal", "raw_string_literal"})

    def string_parts(self, node: Any) -> list[str]:
        return [_str(node)]

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
        if t == "composite_literal" and depth < MAX_DEPTH:
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
        if t == "call_expression" and depth < MAX_DEPTH:
            return self.call_value(node, node.child_by_field_name("function"), depth)
        if t == "binary_expression":
            concat = self.concat_value(node)
            if concat is not None:
                return concat
        return self.other_value(node)

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
    return extract_with(_parser(), text, _Extractor(path, text, "go").run)
