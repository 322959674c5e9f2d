"""Where a file's comments are, for the inline suppressions (``linter/suppress.py``).

A ``prodready: ignore[...]`` directive counts only where the file's own syntax makes it a
comment. Text that merely quotes one — a Python docstring or string, a JavaScript string, a JSON
value (a SARIF log's rule help), a Markdown heading or code example — is not a directive: it used
to be one, and each was reported as an unused suppression (107 in this repository's generated
rule docs alone). Files of other kinds keep the plain rule: the comment marker that starts the
directive is the comment (YAML, Dockerfile, shell, env and TOML files use ``#``).
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Callable

from linter.model import ArtifactKind
from linter.source import SourceFile

K = ArtifactKind

#: is the comment marker at (1-based line, 0-based column) of the line's text a comment?
IsComment = Callable[[int, int, str], bool]

_MARKDOWN = (".md", ".markdown", ".mdx")
_JSON_SUFFIXES = (".json", ".sarif", ".jsonc")
_C_LIKE = frozenset({K.JAVASCRIPT, K.TYPESCRIPT, K.GO})


def comment_test(src: SourceFile) -> IsComment:
    """The test for ``src``'s kind (see the module docstring)."""
    lower = src.path.lower()
    if lower.endswith(_MARKDOWN):
        return _markdown(src)
    if src.kind in (K.JSON, K.PACKAGE_JSON) or lower.endswith(_JSON_SUFFIXES):
        return _json_comment_line
    if src.kind == K.PYTHON:
        return _python(src)
    if src.kind in _C_LIKE:
        return _c_like
    return _anywhere


def _anywhere(line: int, col: int, text: str) -> bool:
    return True


def _json_comment_line(line: int, col: int, text: str) -> bool:
    """JSON has no comments; JSONC (tsconfig.json) has ``//`` and ``/*``: a line that starts
    with one (a JSON string cannot start a line) is a comment."""
    return not text[:col].strip() and text.startswith(("//", "/*"), col)


def _markdown(src: SourceFile) -> IsComment:
    """An HTML comment (``<!--``) outside fenced code blocks: ``#`` starts a heading."""
    fenced: set[int] = set()
    fence = ""
    for n, text in enumerate(src.lines, 1):
        stripped = text.lstrip()
        if fence:
            fenced.add(n)
            if stripped.startswith(fence) and not stripped[len(fence) :].strip(fence[0]).strip():
                fence = ""
        elif stripped.startswith(("```", "~~~")):
            fenced.add(n)
            mark = stripped[0]
            fence = mark * (len(stripped) - len(stripped.lstrip(mark)))

    def test(line: int, col: int, text: str) -> bool:
        return line not in fenced and text.startswith("<!--", col)

    return test


def _python(src: SourceFile) -> IsComment:
    """Inside a comment token of Python's tokenizer (not a string or docstring). A file the
    tokenizer refuses keeps the plain rule."""
    spans: dict[int, list[tuple[int, int]]] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(src.text).readline):
            if tok.type == tokenize.COMMENT:
                spans.setdefault(tok.start[0], []).append((tok.start[1], tok.end[1]))
    except (tokenize.TokenError, SyntaxError, ValueError):
        return _anywhere

    def test(line: int, col: int, text: str) -> bool:
        return any(start <= col < end for start, end in spans.get(line, ()))

    return test


def _c_like(line: int, col: int, text: str) -> bool:
    """``//`` or ``/*`` outside the line's string literals ('…', "…", `…`)."""
    if not text.startswith(("//", "/*"), col):
        return False
    quote = ""
    i = 0
    while i < col:
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"`":
            quote = ch
        elif text.startswith(("//", "/*"), i):
            return True  # a comment already started: the marker is inside it
        i += 1
    return not quote
