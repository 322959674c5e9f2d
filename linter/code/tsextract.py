"""JavaScript / TypeScript / TSX facts through tree-sitter (grammars imported lazily)."""

from __future__ import annotations

from functools import cache
from typing import Any

from linter.code.model import Assign, Call, CodeFile, Import, Value
from linter.code.treesitter import MAX_DEPTH, TreeExtractor, extract_with
from linter.code.treesitter import node_text as _text


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


NODE_TYPES = (
    "call_expression",
    "new_expression",
    "import_statement",
    "export_statement",
    "assignment_expression",
    "variable_declarator",
    "jsx_attribute",
)


@cache
def _query(dialect: str) -> Any:
    """One query capturing every node type the extractor reads (matched in C, not Python)."""
    import tree_sitter as ts

    lang = _parser(dialect).language
    if dialect in ("javascript", "tsx"):
        types = list(NODE_TYPES)
    else:
        types = [t for t in NODE_TYPES if t != "jsx_attribute"]
    return ts.Query(lang, " ".join(f"({t}) @n" for t in types))


def dialect_of(path: str) -> str:
    low = path.lower()
    if low.endswith(".tsx"):
        return "tsx"
    if low.endswith((".ts", ".mts", ".cts")):
        return "typescript"
    return "javascript"


def _str_value(node: Any) -> str:
    """The content of a string / no-substitution template literal."""
    raw: bytes = node.text or b""
    s = raw.decode("utf-8", "replace")
    if len(s) >= 2 and s[0] in "'\"`" and s[-1] == s[0]:
        return s[1:-1]
    return s


class _Extractor(TreeExtractor):
    REF_TYPES = frozenset({"identifier", "member_expression", "subscript_expression"})
    REF_LEAVES = frozenset({"identifier"})
    STRING_TYPES = frozenset({"string", "template_string"})

    def string_parts(self, node: Any) -> list[str]:
        if node.type == "string":
            return [_str_value(node)]
        return [
            (c.text or b"").decode("utf-8", "replace")
            for c in node.named_children
            if c.type == "string_fragment"
        ]

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
            frags = tuple(self.string_parts(node))
            return Value("template", _text(node), loc, refs=self.refs(node), parts=frags)
        if t == "number":
            return Value("num", _text(node), loc)
        if t in ("true", "false"):
            return Value("bool", t, loc)
        if t in ("null", "undefined"):
            return Value("null", t, loc)
        if t in ("identifier", "member_expression", "subscript_expression", "this"):
            return Value("name", _text(node), loc, refs=(_text(node),))
        if t == "object" and depth < MAX_DEPTH:
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
        if t == "array" and depth < MAX_DEPTH:
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
        if t in ("call_expression", "new_expression") and depth < MAX_DEPTH:
            fn = node.child_by_field_name("function") or node.child_by_field_name("constructor")
            return self.call_value(node, fn, depth)
        if t == "binary_expression":
            concat = self.concat_value(node)
            if concat is not None:
                return concat
        return self.other_value(node)

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

    def run(self, root: Any, dialect: str) -> CodeFile:
        import tree_sitter as ts

        captures = ts.QueryCursor(_query(dialect)).captures(root)
        nodes = sorted(captures.get("n", []), key=lambda n: (n.start_byte, -n.end_byte))
        prefixes: dict[int, str] = {}
        for node in nodes:
            t = node.type
            if t in ("call_expression", "new_expression"):
                parent = node.parent
                is_dec = parent is not None and parent.type == "decorator"
                self.call(node, is_dec, self._context(node, prefixes) if is_dec else "")
            elif t in ("import_statement", "export_statement"):
                src = node.child_by_field_name("source")
                if src is not None:
                    self.out.imports.append(Import(_str_value(src), self.loc(node)))
            elif t == "assignment_expression":
                left = node.child_by_field_name("left")
                right = node.child_by_field_name("right")
                if left is not None and right is not None:
                    self.out.assigns.append(Assign(_text(left), self.value(right), self.loc(node)))
            elif t == "jsx_attribute" and node.named_child_count >= 2:
                name_node, expr = node.named_children[0], node.named_children[-1]
                if expr.type == "jsx_expression" and expr.named_child_count:
                    self.out.assigns.append(
                        Assign(_text(name_node), self.value(expr.named_children[0]), self.loc(node))
                    )
            elif t == "variable_declarator":
                name = node.child_by_field_name("name")
                val = node.child_by_field_name("value")
                if name is not None and val is not None:
                    self.out.assigns.append(Assign(_text(name), self.value(val), self.loc(node)))
        return self.out

    def _context(self, node: Any, cache: dict[int, str]) -> str:
        """The Nest controller prefix of the class enclosing a decorator call."""
        cur: Any = node.parent
        while cur is not None:
            if cur.type in ("class_declaration", "class", "abstract_class_declaration"):
                key = cur.start_byte
                if key not in cache:
                    cache[key] = self._controller_prefix(cur)
                return cache[key]
            cur = cur.parent
        return ""

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
    dialect = dialect_of(path)
    extractor = _Extractor(path, text, lang)
    return extract_with(_parser(dialect), text, lambda root: extractor.run(root, dialect))
