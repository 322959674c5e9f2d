"""JavaScript / TypeScript / TSX facts through tree-sitter (grammars imported lazily)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from linter.code.model import Assign, Call, CodeFile, Import, Positions, Value

_WS = re.compile(r"\s+")
MAX_TEXT = 200


@cache
def _parser(dialect: str) -> Any:
    import tree_sitter as ts

    if dialect == "tsx":
        import tree_sitter_typescript as tst

        lang = ts.Language(tst.language_tsx())
    elif dialect == "typescript":
        import tree_sitter_typescript as tst

        lang = ts.Language(tst.language_typescript())
    else:
        import tree_sitter_javascript as tsj

        lang = ts.Language(tsj.language())
    return ts.Parser(lang)


def dialect_of(path: str) -> str:
    low = path.lower()
    if low.endswith(".tsx"):
        return "tsx"
    if low.endswith((".ts", ".mts", ".cts")):
        return "typescript"
    return "javascript"


def _text(node: Any) -> str:
    raw: bytes = node.text or b""
    return _WS.sub("", raw.decode("utf-8", "replace"))[:MAX_TEXT]


def _str_value(node: Any) -> str:
    """The content of a string / no-substitution template literal."""
    raw: bytes = node.text or b""
    s = raw.decode("utf-8", "replace")
    if len(s) >= 2 and s[0] in "'\"`" and s[-1] == s[0]:
        return s[1:-1]
    return s


class _Extractor:
    def __init__(self, path: str, text: str, lang: str) -> None:
        self.pos = Positions(path, text)
        self.out = CodeFile(path, lang)

    def loc(self, node: Any) -> Any:
        return self.pos.loc(
            (node.start_point[0], node.start_point[1]), (node.end_point[0], node.end_point[1])
        )

    def refs(self, node: Any) -> tuple[str, ...]:
        found: list[str] = []
        stack = [node]
        while stack and len(found) < 20:
            n = stack.pop()
            if n.type in ("identifier", "member_expression", "subscript_expression"):
                found.append(_text(n))
                if n.type == "identifier":
                    continue
            stack.extend(reversed(n.named_children))
        return tuple(found)

    def value(self, node: Any, depth: int = 0) -> Value:
        t = node.type
        loc = self.loc(node)
        if t in ("parenthesized_expression", "as_expression", "satisfies_expression") and (
            node.named_child_count
        ):
            return self.value(node.named_children[0], depth)
        if t == "string":
            return Value("str", _str_value(node), loc)
        if t == "template_string":
            subs = [c for c in node.named_children if c.type == "template_substitution"]
            if not subs:
                return Value("str", _str_value(node), loc)
            frags = tuple(
                (c.text or b"").decode("utf-8", "replace")
                for c in node.named_children
                if c.type == "string_fragment"
            )
            return Value("template", _text(node), loc, refs=self.refs(node), parts=frags)
        if t == "number":
            return Value("num", _text(node), loc)
        if t in ("true", "false"):
            return Value("bool", t, loc)
        if t in ("null", "undefined"):
            return Value("null", t, loc)
        if t in ("identifier", "member_expression", "subscript_expression", "this"):
            return Value("name", _text(node), loc, refs=(_text(node),))
        if t == "object" and depth < 6:
            items: list[tuple[str, Value]] = []
            for c in node.named_children:
                if c.type == "pair":
                    key = c.child_by_field_name("key")
                    val = c.child_by_field_name("value")
                    if key is None or val is None:
                        continue
                    k = _str_value(key) if key.type == "string" else _text(key)
                    items.append((k, self.value(val, depth + 1)))
                elif c.type == "shorthand_property_identifier":
                    items.append((_text(c), Value("name", _text(c), self.loc(c), refs=(_text(c),))))
            return Value("obj", _text(node), loc, items=tuple(items))
        if t == "array" and depth < 6:
            return Value(
                "list",
                _text(node),
                loc,
                items=tuple(("", self.value(c, depth + 1)) for c in node.named_children),
            )
        if t in ("arrow_function", "function_expression", "function"):
            params = node.child_by_field_name("parameters")
            n = 1 if params is None else params.named_child_count
            if params is None and node.child_by_field_name("parameter") is None:
                n = 0
            return Value("func", "", loc, params=n)
        if t in ("call_expression", "new_expression") and depth < 6:
            fn = node.child_by_field_name("function") or node.child_by_field_name("constructor")
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
                    elif n.type == "string":
                        parts.append(_str_value(n))
                    elif n.type == "template_string":
                        parts.extend(
                            (c.text or b"").decode("utf-8", "replace")
                            for c in n.named_children
                            if c.type == "string_fragment"
                        )
                if parts:
                    return Value(
                        "concat", _text(node), loc, refs=self.refs(node), parts=tuple(parts)
                    )
        return Value("other", _text(node), loc, refs=self.refs(node))

    def call(self, node: Any, decorator: bool, context: str) -> None:
        fn = node.child_by_field_name("function") or node.child_by_field_name("constructor")
        if fn is None:
            return
        callee = _text(fn)
        argn = node.child_by_field_name("arguments")
        args = tuple(self.value(a) for a in argn.named_children) if argn is not None else ()
        is_import = callee == "require" or fn.type == "import"
        if is_import and args and args[0].kind == "str":
            self.out.imports.append(Import(args[0].text, self.loc(node)))
        start = fn if decorator else node
        loc = self.pos.loc(
            (start.start_point[0], start.start_point[1]),
            (node.end_point[0], node.end_point[1]),
        )
        if node.type == "new_expression":
            loc = self.loc(node)
        self.out.calls.append(Call(callee, args, (), loc, decorator, context))

    def run(self, root: Any) -> CodeFile:
        # iterative walk; context = the Nest controller prefix of the enclosing class
        stack: list[tuple[Any, str]] = [(root, "")]
        while stack:
            node, context = stack.pop()
            t = node.type
            if t in ("class_declaration", "class", "abstract_class_declaration"):
                context = self._controller_prefix(node)
            if t in ("call_expression", "new_expression"):
                parent = node.parent
                self.call(node, parent is not None and parent.type == "decorator", context)
            elif t == "import_statement" or t == "export_statement":
                src = node.child_by_field_name("source")
                if src is not None:
                    self.out.imports.append(Import(_str_value(src), self.loc(node)))
            elif t == "assignment_expression":
                left = node.child_by_field_name("left")
                right = node.child_by_field_name("right")
                if left is not None and right is not None:
                    self.out.assigns.append(Assign(_text(left), self.value(right), self.loc(node)))
            elif t == "jsx_attribute" and node.named_child_count >= 2:
                name_node, val = node.named_children[0], node.named_children[-1]
                if val.type == "jsx_expression" and val.named_child_count:
                    self.out.assigns.append(
                        Assign(_text(name_node), self.value(val.named_children[0]), self.loc(node))
                    )
            elif t == "variable_declarator":
                name = node.child_by_field_name("name")
                val = node.child_by_field_name("value")
                if name is not None and val is not None:
                    self.out.assigns.append(Assign(_text(name), self.value(val), self.loc(node)))
            stack.extend((c, context) for c in reversed(node.named_children))
        return self.out

    def _controller_prefix(self, cls: Any) -> str:
        decorators = [c for c in cls.named_children if c.type == "decorator"]
        parent = cls.parent
        if parent is not None and parent.type == "export_statement":
            decorators += [c for c in parent.named_children if c.type == "decorator"]
        for d in decorators:
            for c in d.named_children:
                if c.type != "call_expression":
                    continue
                fn = c.child_by_field_name("function")
                if fn is None or _text(fn) != "Controller":
                    continue
                argn = c.child_by_field_name("arguments")
                first = argn.named_children[0] if argn and argn.named_child_count else None
                if first is None:
                    return "/"
                if first.type == "string":
                    return "/" + _str_value(first).strip("/")
                if first.type == "object":
                    v = self.value(first).get("path")
                    return "/" + v.text.strip("/") if v and v.kind == "str" else "/"
                return "/"
        return ""


def extract(path: str, text: str, lang: str) -> CodeFile:
    tree = _parser(dialect_of(path)).parse(text.encode("utf-8", "surrogatepass"))
    return _Extractor(path, text, lang).run(tree.root_node)
