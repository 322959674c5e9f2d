"""The one place where parser positions (0-based, ruamel ``.lc``) become 1-based Locations."""

from __future__ import annotations

from typing import Any

from linter.model import Location
from linter.source import SourceFile


def token_end(line: str, col0: int) -> int:
    """0-based exclusive end of the YAML token (key or scalar) starting at ``col0``."""
    if col0 >= len(line):
        return col0 + 1
    ch = line[col0]
    if ch in "\"'":
        i = col0 + 1
        while i < len(line):
            if line[i] == ch:
                if ch == "'" and i + 1 < len(line) and line[i + 1] == "'":
                    i += 2
                    continue
                return i + 1
            if ch == '"' and line[i] == "\\":
                i += 1
            i += 1
        return len(line)
    if ch in "|>[{":
        return col0 + 1
    i = col0
    while i < len(line):
        if line[i] == ":" and (i + 1 == len(line) or line[i + 1] in " \t"):
            return i
        if line[i] == "#" and i > col0 and line[i - 1] in " \t":
            break
        if line[i] in ",]}" and line[col0 - 1 : col0] in ("[", "{", " ", ","):
            break
        i += 1
    return max(col0 + 1, len(line[:i].rstrip()))


def span(src: SourceFile, line0: int, col0: int, logical: str = "") -> Location:
    """Location of the YAML token at 0-based (line0, col0)."""
    text = src.line(line0 + 1)
    return Location(
        src.path, line0 + 1, col0 + 1, line0 + 1, token_end(text, col0) + 1, logical_path=logical
    )


def line_loc(src: SourceFile, line: int, col: int = 1, logical: str = "") -> Location:
    """Location covering a 1-based line from ``col`` to its end (trailing blanks excluded)."""
    text = src.line(line)
    end = max(col + 1, len(text.rstrip()) + 1)
    return Location(src.path, max(1, line), max(1, col), max(1, line), end, logical_path=logical)


def node_start(node: Any) -> tuple[int, int] | None:
    lc = getattr(node, "lc", None)
    if lc is None or lc.line is None:
        return None
    return int(lc.line), int(lc.col)


def key_loc(src: SourceFile, mapping: Any, key: Any, logical: str = "") -> Location | None:
    lc = getattr(mapping, "lc", None)
    if lc is None:
        return None
    try:
        line0, col0 = lc.key(key)
    except (KeyError, TypeError, AttributeError):
        return None
    return span(src, line0, col0, logical)


def value_loc(src: SourceFile, mapping: Any, key: Any, logical: str = "") -> Location | None:
    lc = getattr(mapping, "lc", None)
    if lc is None:
        return None
    try:
        line0, col0 = lc.value(key)
    except (KeyError, TypeError, AttributeError):
        return None
    return span(src, line0, col0, logical)


def item_loc(src: SourceFile, seq: Any, index: int, logical: str = "") -> Location | None:
    lc = getattr(seq, "lc", None)
    if lc is None:
        return None
    try:
        line0, col0 = lc.item(index)
    except (KeyError, TypeError, AttributeError, IndexError):
        return None
    return span(src, line0, col0, logical)
