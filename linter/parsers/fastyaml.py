"""A fast path for ruamel's round-trip load: libyaml parses, this module builds ruamel's objects.

ruamel's round-trip loader is pure Python; on a repo of manifests its scanner, parser and
constructor are most of the scan time. When PyYAML was built with libyaml, its C parser gives the
events (positions included) ten times faster, and :func:`_document` builds from them the very
objects ruamel's ``RoundTripConstructor`` would: ``CommentedMap``/``CommentedSeq`` with their
``.lc`` positions and flow style, scalars resolved with ruamel's YAML 1.2 resolver. Strings,
decimal integers, booleans and nulls are made directly; other scalars by ruamel's constructor.

Only plain documents take this path: a text with anchors, aliases, explicit tags, directives,
tabs, merge keys, duplicate keys, a block scalar whose first line is blank, a ``...`` that ends
no document (libyaml skips it, ruamel refuses it), or an empty plain scalar anywhere but as a
block mapping's value or a whole document (which ruamel represents with extra wrapper types,
places differently, or reads differently), and any text libyaml rejects, is loaded by the pure
ruamel loader instead, so results and error messages stay ruamel's. An empty block mapping value
(``key:``) is None placed where the next token starts, as ruamel places it (libyaml: right after
the colon); with a comment or an explicit ``?`` key before that token, ruamel places it
elsewhere, and the text takes the pure path. Comments are not kept (no policy reads ``.ca``).
``tests/test_fuzz.py`` (generated texts) and ``tests/test_corpus.py`` (real files) check that
both loaders build the same objects.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

try:  # PyYAML with libyaml is optional: without it every file takes the pure path
    import yaml as _pyyaml  # type: ignore[import-untyped]
    from yaml._yaml import CParser as _CParser  # type: ignore[import-untyped]

    AVAILABLE = bool(getattr(_pyyaml, "__with_libyaml__", False))
except ImportError:  # pragma: no cover - depends on the build of PyYAML
    _CParser = object
    AVAILABLE = False

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedKeyMap, CommentedKeySeq, CommentedMap, CommentedSeq
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.tag import Tag

from linter.lazyre import lazy

#: (node class, scalar value, implicit flags) -> resolved Tag; the YAML 1.2 resolution is pure
_TAGS: dict[tuple[Any, Any, Any], Any] = {}
_SHARED: dict[str, Any] = {}


class Unsupported(Exception):
    """The text is not for the fast path; use the pure loader."""


_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_DECIMAL = lazy(r"[-+]?[1-9][0-9]*")  # "0", "007": ruamel makes a ScalarInt


def _document(parser: Any, resolver: Any, constructor: Any, text: str, ends: list[int]) -> Any:
    """One document, built from libyaml's events as ruamel's round-trip constructor builds it
    (``CommentedMap``/``CommentedSeq`` with their ``.lc`` positions and flow style), or
    ``_END`` at the end of the stream. Plain strings, decimal integers, booleans and nulls are
    made here; any other scalar is made by ruamel's constructor from a node. Collections are
    kept on an explicit stack (no recursion: a deeply nested text cannot exhaust the C stack)."""
    ev = _pyyaml.events
    event = parser.get_event()
    if isinstance(event, ev.StreamStartEvent):
        event = parser.get_event()
    if isinstance(event, ev.StreamEndEvent):
        return _END
    if not isinstance(event, ev.DocumentStartEvent) or event.version or event.tags:
        raise Unsupported("directive")
    cache = _TAGS

    def resolve(kind: Any, value: Any, implicit: Any) -> Any:
        key = (kind, value, implicit)
        tag = cache.get(key)
        if tag is None:
            if len(cache) > 20_000:
                cache.clear()
            # one shared Tag per tag string: it caches its decoded value
            text = str(resolver.resolve(kind, value, implicit))
            tag = cache[key] = _SHARED.setdefault(text, Tag(suffix=text))
        return tag

    def scalar(event: Any) -> Any:
        value = event.value
        if event.style in ("|", ">"):
            # a blank first line: ruamel refuses some indentations of leading blank lines
            # that libyaml takes
            header_end = text.find("\n", event.start_mark.index)
            if header_end >= 0:
                line_end = text.find("\n", header_end + 1)
                if not text[header_end + 1 : line_end if line_end >= 0 else None].strip():
                    raise Unsupported("block scalar with leading blank lines")
        tag = resolve(ScalarNode, value, event.implicit)
        if event.tag is None and event.style not in ("|", ">"):
            suffix = tag.suffix
            if suffix == _STR:
                return value
            if suffix == _NULL:
                return None
            if suffix == _BOOL:
                return constructor.bool_values[value.lower()]
            if suffix == _INT and _DECIMAL.fullmatch(value):
                return int(value)
        node = ScalarNode(tag, value, event.start_mark, event.end_mark, style=event.style or None)
        return constructor.construct_object(node, deep=True)

    stack: list[list[Any]] = []  # the open collections
    root: Any = _END
    #: an empty value of a block mapping whose position is the next event's start (see below)
    empty: tuple[Any, Any, Any, int] | None = None
    try:
        while True:
            event = parser.get_event()
            cls = type(event)
            if empty is not None:
                parent, key, kmark, after = empty
                mark = event.start_mark
                between = text[after : mark.index]
                if "#" in between or "?" in between:
                    # ruamel places it after the colon then, or at the end of an explicit "?"
                    raise Unsupported("empty value before a comment or an explicit key")
                line, column = mark.line, mark.column
                if mark.index >= len(text) and column == 0 and not text.endswith("\n"):
                    # the end of a text without a final newline: libyaml counts one more line
                    # there, ruamel does not
                    tail = text[text.rfind("\n") + 1 :]
                    if any(c in tail for c in "\r\x85\u2028\u2029"):
                        raise Unsupported("empty value at an unusual end of text")
                    line, column = line - 1, len(tail)
                parent._yaml_set_kv_line_col(key, [kmark.line, kmark.column, line, column])
                empty = None
            if cls is ev.DocumentEndEvent:
                ends[0] += bool(event.explicit)
                return root
            if cls is ev.MappingEndEvent or cls is ev.SequenceEndEvent:
                data, flow, _, _, key_mark = stack.pop()
                if key_mark is not None:  # a collection as a key: ruamel's hashable kinds
                    data = _as_key(data)
                if len(data):
                    if flow is True:
                        data.fa.set_flow_style()
                    elif flow is False:
                        data.fa.set_block_style()
                if key_mark is not None:
                    _pending_key(stack[-1], data, key_mark)
                continue
            if cls is ev.AliasEvent or event.anchor is not None:
                raise Unsupported("anchor or alias")
            if event.tag is not None and event.tag != "!":
                raise Unsupported("explicit tag")
            mark = event.start_mark
            value: Any
            blank = cls is ev.ScalarEvent and event.value == "" and not event.style
            if blank and (
                event.tag is not None
                or (
                    stack
                    and (
                        type(stack[-1][0]) is not CommentedMap
                        or stack[-1][1] is not False
                        or stack[-1][2] is _NO_KEY
                    )
                )
            ):
                # tagged, or a key, an item or a flow value: placed elsewhere by ruamel (an empty
                # document is None, with no position)
                raise Unsupported("empty plain scalar")
            if cls is ev.ScalarEvent:
                value = scalar(event)
            elif cls is ev.MappingStartEvent or cls is ev.SequenceStartEvent:
                if event.tag is not None:
                    raise Unsupported("tagged collection")
                value = CommentedMap() if cls is ev.MappingStartEvent else CommentedSeq()
                value._yaml_set_line_col(mark.line, mark.column)
            else:  # pragma: no cover - libyaml emits nothing else inside a document
                raise Unsupported(cls.__name__)
            # attach the new value to its parent
            key_mark = None
            if stack:
                top = stack[-1]
                parent = top[0]
                if type(parent) is CommentedSeq:
                    parent._yaml_set_idx_line_col(len(parent), [mark.line, mark.column])
                    parent.append(value)
                elif top[2] is _NO_KEY:
                    if cls is not ev.ScalarEvent:
                        key_mark = mark  # a key, once its end is seen
                    elif resolve(ScalarNode, event.value, event.implicit).suffix == _MERGE:
                        raise Unsupported("merge key")
                    else:
                        _pending_key(top, value, mark)
                else:
                    key, kmark = top[2], top[3]
                    parent._yaml_set_kv_line_col(
                        key, [kmark.line, kmark.column, mark.line, mark.column]
                    )
                    parent[key] = value
                    top[2] = _NO_KEY
                    if blank:
                        # ruamel places an empty value where the next token starts (libyaml:
                        # right after the colon), unless a comment comes first
                        empty = (parent, key, kmark, mark.index)
            else:
                root = value
            if cls is not ev.ScalarEvent:
                if len(stack) >= MAX_DEPTH:
                    raise RecursionError("YAML nested too deeply")
                # [object, flow style, pending key, its mark, its own mark if it is a key]
                stack.append([value, event.flow_style, _NO_KEY, None, key_mark])
    finally:
        constructor.constructed_objects.clear()


def _pending_key(frame: list[Any], key: Any, mark: Any) -> None:
    """A mapping's next key (ruamel keeps a duplicate key's first value; left to it)."""
    if key in frame[0]:
        raise Unsupported("duplicate key")
    frame[2], frame[3] = key, mark


def _as_key(data: Any) -> Any:
    """A sequence or mapping used as a key, as ruamel makes it hashable."""
    out = CommentedKeySeq(data) if type(data) is CommentedSeq else CommentedKeyMap(data)
    out._yaml_set_line_col(data.lc.line, data.lc.col)
    return out


#: a document end marker line
_DOC_END = lazy(r"^\.\.\.(?=[ \r\n]|$)", re.M)
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_MERGE = "tag:yaml.org,2002:merge"
#: deeper documents are refused (RecursionError, as ruamel's recursive loader refuses them):
#: what reads the objects (policies, the schema check) recurses into them
MAX_DEPTH = 200
_END = object()  # the end of the stream
_SHARED_LOADER: list[Any] = []  # ruamel's round-trip constructor and resolver, made once
_NO_KEY = object()  # a mapping waiting for its next key


def load_all(text: str) -> list[Any]:
    """Every document of ``text`` as ruamel's round-trip loader builds it, or raise Unsupported
    (also for a duplicate key: the pure loader decides what that means)."""
    if not AVAILABLE or "\t" in text:
        raise Unsupported("not for the fast path")
    # one constructor and resolver for every text: the constructor only makes scalars here, and
    # a text with a directive (another YAML version) is not for this path
    if not _SHARED_LOADER:
        y = YAML(typ="rt", pure=True)
        _SHARED_LOADER.extend((y.constructor, y.resolver))
    constructor, resolver = _SHARED_LOADER
    parser = _CParser(text)
    out: list[Any] = []
    ends = [0]  # the explicit document ends ("...") libyaml reported
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            while True:
                data = _document(parser, resolver, constructor, text, ends)
                if data is _END:
                    break
                out.append(data)
    except (Unsupported, RecursionError):
        raise
    except Exception as exc:  # libyaml or construction refused it: let ruamel decide and word it
        raise Unsupported(str(exc)) from None
    finally:
        parser.dispose()
    if "..." in text and len(_DOC_END.findall(text)) != ends[0]:
        # libyaml skips a "..." that ends no document; ruamel refuses it
        raise Unsupported("a document end marker that ends no document")
    return out
