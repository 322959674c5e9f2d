"""Python facts through the standard library's ``ast``."""

from __future__ import annotations

import ast

from linter.code.model import Assign, Call, CodeFile, Import, Positions, Value
from linter.model import Location

MAX_TEXT = 200


def dotted(node: ast.AST) -> str:
    """``a.b.c`` for Name/Attribute chains; ``f().x`` keeps the call's callee."""
    parts: list[str] = []
    cur = node
    while True:
        if isinstance(cur, ast.Attribute):
            parts.append(cur.attr)
            cur = cur.value
        elif isinstance(cur, ast.Name):
            parts.append(cur.id)
            break
        elif isinstance(cur, ast.Call):
            parts.append(dotted(cur.func) + "()")
            break
        elif isinstance(cur, ast.Subscript):
            parts.append(_unparse(cur))
            break
        else:
            parts.append("?")
            break
    return ".".join(reversed(parts))


def _unparse(node: ast.AST) -> str:
    try:
        return ast.unparse(node)[:MAX_TEXT]
    except (ValueError, RecursionError):
        return "?"


class _Extractor:
    def __init__(self, path: str, text: str) -> None:
        self.pos = Positions(path, text)
        self.out = CodeFile(path, "python")

    def loc(self, node: ast.AST) -> Location:
        line = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0)
        end_line = getattr(node, "end_lineno", None) or line
        end_col = getattr(node, "end_col_offset", None) or col + 1
        return self.pos.loc((line - 1, col), (end_line - 1, end_col))

    def refs(self, node: ast.AST) -> tuple[str, ...]:
        found: list[str] = []
        for n in ast.walk(node):
            if isinstance(n, ast.Attribute | ast.Name | ast.Subscript):
                found.append(dotted(n) if not isinstance(n, ast.Subscript) else _unparse(n))
            if len(found) >= 20:
                break
        return tuple(found)

    def value(self, node: ast.AST, depth: int = 0) -> Value:
        loc = self.loc(node)
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool):
                return Value("bool", str(v).lower(), loc)
            if v is None:
                return Value("null", "None", loc)
            if isinstance(v, str):
                return Value("str", v, loc)
            if isinstance(v, int | float):
                return Value("num", str(v), loc)
            return Value("other", _unparse(node), loc)
        if isinstance(node, ast.Name | ast.Attribute):
            d = dotted(node)
            return Value("name", d, loc, refs=(d,))
        if isinstance(node, ast.Subscript):
            return Value("name", _unparse(node), loc, refs=self.refs(node))
        if isinstance(node, ast.Dict) and depth < 6:
            items = tuple(
                (
                    k.value
                    if isinstance(k, ast.Constant) and isinstance(k.value, str)
                    else _unparse(k),
                    self.value(v, depth + 1),
                )
                for k, v in zip(node.keys, node.values, strict=True)
                if k is not None
            )
            return Value("obj", _unparse(node), loc, items=items)
        if isinstance(node, ast.List | ast.Tuple | ast.Set) and depth < 6:
            return Value(
                "list",
                _unparse(node),
                loc,
                items=tuple(("", self.value(e, depth + 1)) for e in node.elts),
            )
        if isinstance(node, ast.Lambda):
            return Value("func", "", loc, params=len(node.args.args))
        if isinstance(node, ast.Call) and depth < 6:
            return Value(
                "call",
                _unparse(node),
                loc,
                callee=dotted(node.func),
                refs=self.refs(node),
                args=tuple(self.value(a, depth + 1) for a in node.args),
            )
        if isinstance(node, ast.JoinedStr):
            parts = tuple(
                v.value
                for v in node.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            )
            return Value("template", _unparse(node), loc, refs=self.refs(node), parts=parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
            strs = tuple(
                n.value
                for n in ast.walk(node)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            )
            if strs:
                return Value("concat", _unparse(node), loc, refs=self.refs(node), parts=strs)
        return Value("other", _unparse(node), loc, refs=self.refs(node))

    def run(self, tree: ast.Module) -> CodeFile:
        decorators: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                decorators.update(id(d) for d in node.decorator_list)
            if isinstance(node, ast.Call):
                self.out.calls.append(
                    Call(
                        dotted(node.func),
                        tuple(self.value(a) for a in node.args),
                        tuple((k.arg, self.value(k.value)) for k in node.keywords if k.arg),
                        self.loc(node),
                        decorator=id(node) in decorators,
                    )
                )
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.out.imports.append(Import(alias.name, self.loc(node)))
            elif isinstance(node, ast.ImportFrom):
                mod = "." * node.level + (node.module or "")
                names = tuple(a.name for a in node.names)
                self.out.imports.append(Import(mod, self.loc(node), names))
            elif isinstance(node, ast.Assign):
                val = self.value(node.value)
                for target in node.targets:
                    self.out.assigns.append(Assign(_unparse(target), val, self.loc(node)))
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                self.out.assigns.append(
                    Assign(_unparse(node.target), self.value(node.value), self.loc(node))
                )
            elif isinstance(node, ast.If) and _is_main_guard(node.test):
                self.out.main_guard = True
        return self.out


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def extract(path: str, text: str) -> CodeFile:
    """Raises SyntaxError / ValueError / RecursionError on unparsable input."""
    tree = ast.parse(text, filename=path)
    return _Extractor(path, text).run(tree)
