"""ruamel.yaml round trip that keeps a file's comments and formatting, or refuses.

The indentation style is detected by trying the usual layouts until one reproduces the file.
When ruamel reproduces every line but a few (it writes ``[{a: 1}]`` as ``[a: 1]``), the edit is
applied as a line diff onto the original text, so untouched lines keep their bytes, and the
result must load to the same data as ruamel's own output. Anything else is refused
(:class:`FixError`): a fix never reformats lines it did not mean to touch.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from linter.fastdc import dataclass
from linter.lazyre import lazy

#: (mapping indent, sequence indent, sequence dash offset)
LAYOUTS = ((2, 2, 0), (2, 4, 2), (4, 4, 0), (4, 6, 2), (4, 4, 2), (2, 3, 1), (3, 3, 0))


class FixError(Exception):
    """A fixer cannot edit this file safely; the message says why."""


def _yaml(layout: tuple[int, int, int]) -> YAML:
    y = YAML(typ="rt", pure=True)
    y.preserve_quotes = True
    y.allow_duplicate_keys = True
    y.width = 4096
    y.indent(mapping=layout[0], sequence=layout[1], offset=layout[2])
    return y


def _dump(y: YAML, doc: Any) -> str:
    buf = io.StringIO()
    y.dump(doc, buf)
    return buf.getvalue()


_SEPARATOR = lazy(r"^(?:---|\.\.\.)[ \t]*(?:#.*)?$")


def _is_trivia(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith(("#", "%"))


@dataclass
class _Chunk:
    """One document: raw leading/trailing trivia (comments, blank lines, separators) around a
    core that ruamel reproduces exactly with ``yaml``."""

    head: str
    core: str
    tail: str
    yaml: YAML | None = None
    data: Any = None
    before: str = ""  # ruamel's dump of the unmodified document (== core, or line-aligned)


def _split(body: str) -> list[_Chunk]:
    chunks: list[list[str]] = [[]]
    for line in body.splitlines(keepends=True):
        if _SEPARATOR.match(line.rstrip("\n")):
            chunks[-1].append(line)  # a separator stays raw, at the end of the chunk before it
            chunks.append([])
        else:
            chunks[-1].append(line)
    out: list[_Chunk] = []
    for lines in chunks:
        a = 0
        while a < len(lines) and _is_trivia(lines[a]) and not _SEPARATOR.match(lines[a].rstrip()):
            a += 1
        b = len(lines)
        # trailing trivia: blank lines and comments at column 0 only (an indented `#` line may
        # be the end of a block scalar)
        while b > a and (
            not lines[b - 1].strip()
            or lines[b - 1].startswith("#")
            or _SEPARATOR.match(lines[b - 1].rstrip())
        ):
            b -= 1
        out.append(_Chunk("".join(lines[:a]), "".join(lines[a:b]), "".join(lines[b:])))
    return out


def _load(chunk: _Chunk) -> None:
    core_lines = chunk.core.splitlines(keepends=True)
    best: tuple[int, YAML, Any, str] | None = None
    for layout in LAYOUTS:
        y = _yaml(layout)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                data = y.load(chunk.core)
                dumped = _dump(y, data)
        except (YAMLError, ValueError, TypeError, AttributeError, RecursionError) as exc:
            raise FixError(f"YAML does not load ({type(exc).__name__}); fix by hand") from None
        if dumped == chunk.core:
            chunk.yaml, chunk.data, chunk.before = y, data, dumped
            return
        lines = dumped.splitlines(keepends=True)
        if len(lines) == len(core_lines):
            differ = sum(1 for a, b in zip(lines, core_lines, strict=True) if a != b)
            if best is None or differ < best[0]:
                best = (differ, y, data, dumped)
    if best is None:
        raise FixError("ruamel.yaml cannot rewrite this file without reformatting it; fix by hand")
    _, chunk.yaml, chunk.data, chunk.before = best


def _merge(original: str, before: str, after: str) -> str:
    """Apply the line diff ``before`` → ``after`` to ``original`` (line-aligned with
    ``before``): unchanged lines come from ``original``, changed ones from ``after``."""
    o = original.splitlines(keepends=True)
    b = before.splitlines(keepends=True)
    a = after.splitlines(keepends=True)
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, b, a, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        out.extend(o[i1:i2] if tag == "equal" else a[j1:j2])
    return "".join(out)


def _same_data(left: str, right: str) -> bool:
    safe = YAML(typ="safe", pure=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return bool(safe.load(left) == safe.load(right))
    except (YAMLError, ValueError, TypeError, AttributeError, RecursionError):
        return False


def _emit(chunk: _Chunk) -> str:
    if chunk.yaml is None:
        return chunk.core
    after = _dump(chunk.yaml, chunk.data)
    if after == chunk.before:
        return chunk.core
    if chunk.before == chunk.core:
        return after
    merged = _merge(chunk.core, chunk.before, after)
    if not _same_data(merged, after):
        raise FixError("ruamel.yaml cannot rewrite this file without reformatting it; fix by hand")
    return merged


class Doc(NamedTuple):
    """A loaded document and the number of file lines before it: ruamel's 0-based positions
    inside ``data`` plus ``offset`` are 0-based file lines."""

    offset: int
    data: Any


def rewrite(text: str, mutate: Callable[[list[Doc]], bool]) -> str:
    """Load every document, let ``mutate`` edit them in place, dump with the file's own layout.

    Each document is rewritten on its own between raw separators and comments (ruamel loses
    blank lines before ``---`` and comments above the first one). Returns ``text`` unchanged
    when ``mutate`` returns False. Line endings (LF/CRLF) are kept.
    """
    crlf = "\r\n" in text
    body = text.replace("\r\n", "\n")
    if not body.endswith("\n"):
        body += "\n"
    chunks = _split(body)
    docs: list[Doc] = []
    offset = 0
    for c in chunks:
        offset += c.head.count("\n")
        if c.core:
            _load(c)
            if c.data is not None:
                docs.append(Doc(offset, c.data))
        offset += c.core.count("\n") + c.tail.count("\n")
    if not mutate(docs):
        return text
    out = "".join(c.head + _emit(c) + c.tail for c in chunks)
    return out.replace("\n", "\r\n") if crlf else out


def last_line(node: Any) -> int:
    """0-based line of the last node inside ``node`` (from ruamel positions)."""
    best = -1
    lc = getattr(node, "lc", None)
    if lc is not None and lc.line is not None:
        best = int(lc.line)
    if isinstance(node, dict):
        for k, v in node.items():
            for getter in (lc.key, lc.value) if lc is not None else ():
                with contextlib.suppress(KeyError, TypeError, AttributeError, IndexError):
                    best = max(best, int(getter(k)[0]))
            best = max(best, last_line(v))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            if lc is not None:
                with contextlib.suppress(KeyError, TypeError, AttributeError, IndexError):
                    best = max(best, int(lc.item(i)[0]))
            best = max(best, last_line(v))
    return best


def first_line(seq: Any, index: int, item: Any) -> int:
    """0-based line where item ``index`` of ``seq`` starts."""
    lc = getattr(seq, "lc", None)
    try:
        return int(lc.item(index)[0]) if lc is not None else -1
    except (KeyError, TypeError, AttributeError, IndexError):
        lc2 = getattr(item, "lc", None)
        return int(lc2.line) if lc2 is not None and lc2.line is not None else -1


def insert_after(mapping: Any, after: str, key: str, value: Any) -> None:
    """Insert ``key`` right after ``after`` (or append), keeping the mapping's comments."""
    keys = list(mapping.keys())
    pos = keys.index(after) + 1 if after in keys else len(keys)
    mapping.insert(pos, key, value)
