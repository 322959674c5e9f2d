"""Parses of context YAML files kept in the cache directory, for runs on named files.

A run on named files (pre-commit) parses the other files a finding on a named file depends on:
a Dockerfile's run parses the manifest that runs its image. Those files rarely change between
two runs, and parsing one costs more in imports than in parsing: PyYAML and ruamel.yaml take
~30 ms to import, a third of a one-file run. So when a run on named files parses a context file
(not one of the named files) on the fast path (:mod:`linter.parsers.fastyaml`), the documents
are written to ``parse-<key>.json`` (keyed by the SHA-256 of the text parsed, prodready's
install and the YAML libraries' files), and a later run rebuilds them from it without
importing either library.

The rebuilt documents hold the same data and positions in :class:`PosMap` and :class:`PosSeq`:
an ``OrderedDict`` and a ``list``, as ruamel's ``CommentedMap`` and ``CommentedSeq`` are, with
the ``.lc`` interface the policies read (``line``, ``col``, ``key()``, ``value()``,
``item()``). Scalars are what JSON holds: ``str``, ``int``, ``bool``, ``None`` and finite
``float``. ruamel's subclasses of these (a block scalar's ``LiteralScalarString``, an octal
``ScalarInt``, a ``ScalarFloat``) keep only formatting for its dumper, which no scan reads, and
become the plain type; a document holding any other scalar (a timestamp) or a non-scalar key
gets no entry. A text the fast path refuses (anchors, tags, ...) gets none either.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from linter import __version__
from linter.model import Notification
from linter.replay import (
    cache_ignored,
    file_stamp,
    install_stamp,
    read_cache_file,
    write_cache_file,
)

FORMAT = 1
#: entries kept in the cache directory (the newest)
KEEP = 2048
#: a longer text gets no entry (an entry is a few times the text: 2,048 of them stay small)
MAX_TEXT = 1_000_000


class LineCol:
    """0-based positions of a collection and of its keys, values or items (ruamel's ``LineCol``
    interface: ``key``/``value``/``item`` give None for an empty collection, and raise KeyError
    for an unknown key)."""

    __slots__ = ("col", "data", "line")

    def __init__(self, line: int, col: int, data: dict[Any, list[int]] | None) -> None:
        self.line = line
        self.col = col
        self.data = data

    def key(self, k: Any) -> tuple[int, int] | None:
        if self.data is None:
            return None
        d = self.data[k]
        return d[0], d[1]

    def value(self, k: Any) -> tuple[int, int] | None:
        if self.data is None:
            return None
        d = self.data[k]
        return d[2], d[3]

    def item(self, idx: int) -> tuple[int, int] | None:
        if self.data is None:
            return None
        d = self.data[idx]
        return d[0], d[1]

    def __repr__(self) -> str:
        return f"LineCol({self.line}, {self.col})"


class PosMap(OrderedDict[Any, Any]):
    """A mapping rebuilt from the cache, with its positions in ``lc``."""

    lc: LineCol


class PosSeq(list[Any]):
    """A sequence rebuilt from the cache, with its positions in ``lc``."""

    lc: LineCol


class NotCacheable(Exception):
    """The documents hold something an entry cannot hold."""


_KEYS = (str, int, bool, type(None))


def _scalar(value: Any) -> Any:
    if value is None or type(value) in (str, int, bool):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and math.isfinite(value):
        return float(value)
    raise NotCacheable(type(value).__name__)


def encode(documents: Sequence[Any]) -> list[Any]:
    """The documents as JSON values: a mapping is ``["m", line, col, [[key, key line, key col,
    value line, value col, value], ...]]``, a sequence ``["s", line, col, [[line, col, item],
    ...]]``, a scalar itself. Raises NotCacheable."""
    return [_encode(doc) for doc in documents]


def _encode(node: Any) -> Any:
    lc = getattr(node, "lc", None)
    if isinstance(node, dict):
        if lc is None or lc.line is None:
            raise NotCacheable("a mapping without a position")
        pos = lc.data or {}
        items = []
        for key, value in node.items():
            if type(key) not in _KEYS:
                raise NotCacheable(f"a {type(key).__name__} key")
            kl, kc, vl, vc = pos[key]
            items.append([key, kl, kc, vl, vc, _encode(value)])
        return ["m", lc.line, lc.col, items]
    if isinstance(node, list):
        if lc is None or lc.line is None:
            raise NotCacheable("a sequence without a position")
        pos = lc.data or {}
        return ["s", lc.line, lc.col, [[*pos[i][:2], _encode(v)] for i, v in enumerate(node)]]
    return _scalar(node)


def decode(raw: Any) -> list[Any]:
    """The documents of an entry (raises ValueError, TypeError, KeyError or IndexError on an
    entry of another shape)."""
    if not isinstance(raw, list):
        raise ValueError("not a list of documents")
    return [_decode(doc) for doc in raw]


def _int(value: Any) -> int:
    if type(value) is not int:
        raise TypeError(f"position {value!r}")
    return value


def _decode(node: Any) -> Any:
    if not isinstance(node, list):
        if node is None or type(node) in (str, int, bool, float):
            return node
        raise TypeError(f"scalar {type(node).__name__}")
    tag, line, col, items = node
    if tag == "m":
        out: Any = PosMap()
        data: dict[Any, list[int]] = {}
        for key, kl, kc, vl, vc, value in items:
            if type(key) not in _KEYS:
                raise TypeError(f"key {type(key).__name__}")
            data[key] = [_int(kl), _int(kc), _int(vl), _int(vc)]
            out[key] = _decode(value)
    elif tag == "s":
        out = PosSeq()
        data = {}
        for i, (il, ic, value) in enumerate(items):
            data[i] = [_int(il), _int(ic)]
            out.append(_decode(value))
    else:
        raise ValueError(f"node tag {tag!r}")
    out.lc = LineCol(_int(line), _int(col), data or None)
    return out


def _library_stamp() -> list[Any]:
    """(path, size, mtime) of the YAML libraries' package files, found without importing them:
    an upgrade of either changes every key."""
    out: list[Any] = []
    for name in ("yaml", "ruamel.yaml"):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        origin = spec.origin if spec is not None else None
        out.append([origin, file_stamp(origin) if origin else None])
    return out


def entry_path(cache_dir: str, text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    payload = [FORMAT, __version__, install_stamp(), _library_stamp(), digest]
    key = hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:32]
    return os.path.join(cache_dir, f"parse-{key}.json")


_WHAT = "parse cache entry"
_THEN = "the file is parsed"


def load(cache_dir: str, text: str, notes: list[Notification]) -> list[Any] | None:
    """The documents of ``text`` from its entry, or None (no entry, or one that cannot be used:
    noted)."""
    raw = read_cache_file(entry_path(cache_dir, text), _WHAT, notes, _THEN)
    if raw is None:
        return None
    try:
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ValueError("not a parse entry")
        return decode(raw["documents"])
    except (ValueError, TypeError, KeyError, IndexError, RecursionError) as exc:
        notes.append(cache_ignored(_WHAT, exc, _THEN))
        return None


def store(cache_dir: str, text: str, documents: Sequence[Any]) -> None:
    """Write the entry for ``text`` (nothing when its documents cannot be held, or when the
    text is longer than :data:`MAX_TEXT`)."""
    if len(text) > MAX_TEXT:
        return
    try:
        encoded = encode(documents)
    except (NotCacheable, KeyError, TypeError, ValueError):
        return
    write_cache_file(
        entry_path(cache_dir, text), {"format": FORMAT, "documents": encoded}, keep=KEEP
    )
