"""YAML (and JSON) with positions, via ruamel.yaml's round-trip loader."""

from __future__ import annotations

import json
import warnings
from typing import TYPE_CHECKING, Any

from linter.fastdc import dataclass
from linter.model import Notification, NotificationLevel
from linter.positions import node_start
from linter.source import SourceFile

if TYPE_CHECKING:
    from ruamel.yaml import YAML

#: where a parse may be cached: a cache directory, and the notes of a cache entry not used
ParseCache = tuple[str, list[Notification]]

# ruamel.yaml is imported when a file is first parsed (about 45 ms): a run on a code or env file
# may parse no YAML at all

#: an alias bomb expands a few hundred bytes to billions of nodes: stop counting here
MAX_EXPANDED_NODES = 500_000


@dataclass(frozen=True)
class YamlDocument:
    """A document of a YAML stream, with the lines it spans."""

    data: Any
    number: int  # 0-based position in the stream
    start_line: int  # 1-based
    end_line: int  # 1-based, inclusive


@dataclass(frozen=True)
class YamlFile:
    """A parsed YAML (or JSON) file: its documents."""

    source: SourceFile
    documents: tuple[YamlDocument, ...]


class ParseError(Exception):
    """A file that cannot be parsed; its notification says why."""

    def __init__(self, notification: Notification) -> None:
        super().__init__(notification.message)
        self.notification = notification


def _loader() -> YAML:
    from ruamel.yaml import YAML

    y = YAML(typ="rt", pure=True)
    y.allow_duplicate_keys = True
    return y


def expanded_size(node: Any, limit: int = MAX_EXPANDED_NODES) -> int:
    """Node count with aliases expanded, memoised by identity so an alias bomb costs little."""
    memo: dict[int, int] = {}

    def size(n: Any, depth: int) -> int:
        if isinstance(n, dict | list):
            key = id(n)
            if key in memo:
                return memo[key]
            memo[key] = limit + 1  # a cycle counts as too big
            if depth > 500:
                total = limit + 1
            else:
                total = 1
                children = n.values() if isinstance(n, dict) else n
                for child in children:
                    total += size(child, depth + 1)
                    if total > limit:
                        break
            memo[key] = total
            return total
        return 1

    return size(node, 0)


def _error_note(src: SourceFile, exc: Exception) -> Notification:
    from ruamel.yaml.error import MarkedYAMLError

    line = col = None
    problem = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            line, col = mark.line + 1, mark.column + 1
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or problem
    where = f" (line {line}, column {col})" if line else ""
    return Notification(
        f"invalid YAML{where}: {problem}; file skipped",
        level=NotificationLevel.ERROR,
        path=src.path,
        line=line,
        column=col,
        code="prodready-parse-error",
    )


def parse_yaml(src: SourceFile, cache: ParseCache | None = None) -> YamlFile:
    """Parse every document. Raises ParseError (with a positioned notification) on bad input.
    With ``cache`` (a cache directory and the list its notes go to), the fast path's documents
    are read from and written to :mod:`linter.parsecache`."""
    text = src.text
    if src.path.lower().endswith(".json"):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            line = getattr(exc, "lineno", None)
            col = getattr(exc, "colno", None)
            raise ParseError(
                Notification(
                    f"invalid JSON: {exc}; file skipped",
                    level=NotificationLevel.ERROR,
                    path=src.path,
                    line=line,
                    column=col,
                    code="prodready-parse-error",
                )
            ) from None
        # positions come from ruamel when it can read the file as YAML; else line 1
        try:
            loaded, _ = _load_all(src, cache)
            if len(loaded) == 1:
                return YamlFile(src, (YamlDocument(loaded[0], 0, 1, src.line_count),))
        except ParseError:
            pass
        return YamlFile(src, (YamlDocument(data, 0, 1, src.line_count),))
    loaded, aliased = _load_all(src, cache)
    docs: list[YamlDocument] = []
    starts: list[int] = []
    for data in loaded:
        pos = node_start(data)
        starts.append(pos[0] + 1 if pos else 1)
    ends = document_ends(starts, src.line_count)
    for i, data in enumerate(loaded):
        if data is None:
            continue
        end = ends[i]
        if aliased and expanded_size(data) > MAX_EXPANDED_NODES:
            raise ParseError(
                Notification(
                    f"YAML document {i + 1} expands to more than {MAX_EXPANDED_NODES:,} nodes "
                    "through aliases (alias bomb?); file skipped",
                    level=NotificationLevel.ERROR,
                    path=src.path,
                    line=starts[i],
                    code="prodready-parse-error",
                )
            )
        docs.append(YamlDocument(data, i, starts[i], max(end, starts[i])))
    return YamlFile(src, tuple(docs))


def document_ends(starts: list[int], last_line: int) -> list[int]:
    """Each document's last line: the line before the first later document that starts after it
    (the next greater start), else the file's last line. One pass with a stack: a file of 20,000
    documents took seconds with a scan of the later starts per document."""
    ends = [last_line] * len(starts)
    waiting: list[int] = []  # documents whose end is not known yet (their starts non-increasing)
    for j, start in enumerate(starts):
        while waiting and starts[waiting[-1]] < start:
            ends[waiting.pop()] = start - 1
        waiting.append(j)
    return ends


def _load_all(src: SourceFile, cache: ParseCache | None = None) -> tuple[list[Any], bool]:
    """The documents, and whether they may share nodes through aliases (the fast path takes no
    text with an anchor: its documents are no bigger than the text, no alias bomb)."""
    if cache is not None:
        from linter import parsecache

        kept = parsecache.load(cache[0], src.text, cache[1])
        if kept is not None:
            return kept, False
    from linter.parsers import fastyaml

    try:  # libyaml parses plain documents ~10x faster; fastyaml builds ruamel's objects
        loaded = fastyaml.load_all(src.text)
    except fastyaml.Unsupported:
        pass
    except RecursionError:
        raise ParseError(
            Notification(
                "YAML nesting is too deep to parse; file skipped",
                level=NotificationLevel.ERROR,
                path=src.path,
                code="prodready-parse-error",
            )
        ) from None
    else:
        if cache is not None:
            from linter import parsecache

            parsecache.store(cache[0], src.text, loaded)
        return loaded, False
    from ruamel.yaml.error import YAMLError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return list(_loader().load_all(src.text)), True
    except (YAMLError, ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
        raise ParseError(_error_note(src, exc)) from None
    except NotImplementedError as exc:  # ruamel's comment handling gives up on some layouts
        raise ParseError(
            Notification(
                f"YAML that ruamel.yaml cannot load ({str(exc)[:60]}...); file skipped",
                level=NotificationLevel.ERROR,
                path=src.path,
                code="prodready-parse-error",
            )
        ) from None
    except RecursionError:
        raise ParseError(
            Notification(
                "YAML nesting is too deep to parse; file skipped",
                level=NotificationLevel.ERROR,
                path=src.path,
                code="prodready-parse-error",
            )
        ) from None
