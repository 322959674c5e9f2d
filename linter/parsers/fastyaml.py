"""A fast path for ruamel's round-trip load: libyaml composes, ruamel constructs.

ruamel's round-trip loader is pure Python; on a repo of manifests its scanner and parser are most of
the scan time. When PyYAML was built with libyaml, its C parser composes the node tree (positions
included) ten times faster, and ruamel's own ``RoundTripConstructor`` builds the very same
``CommentedMap``/``CommentedSeq`` objects (with ``.lc``) from it, with ruamel's YAML 1.2 resolver.

Only plain documents take this path: a text with anchors, aliases, explicit tags, directives or
tabs (which ruamel represents with extra wrapper types, or reads differently), and any text libyaml
rejects, is loaded by the pure ruamel loader instead, so results and error messages stay ruamel's.
Comments are not kept (no policy reads ``.ca``). ``tests/test_fuzz_yaml.py`` checks that both
loaders agree.
"""

from __future__ import annotations

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
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.tag import Tag

#: (node class, scalar value, implicit flags) -> resolved Tag; the YAML 1.2 resolution is pure
_TAGS: dict[tuple[Any, Any, Any], Any] = {}
_SHARED: dict[str, Any] = {}


class Unsupported(Exception):
    """The text is not for the fast path; use the pure loader."""


def _compose(parser: Any, resolver: Any) -> Any:
    """One document's node tree from libyaml's events, with an explicit stack (no recursion, so a
    deeply nested text cannot exhaust the C stack). Returns None at the end of the stream."""
    ev = _pyyaml.events
    event = parser.get_event()
    if isinstance(event, ev.StreamStartEvent):
        event = parser.get_event()
    if isinstance(event, ev.StreamEndEvent):
        return None
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

    # each open collection: [node, pending key (mappings) or None]
    stack: list[list[Any]] = []
    root: Any = None
    while True:
        event = parser.get_event()
        cls = type(event)
        if cls is ev.DocumentEndEvent:
            return root
        if cls is ev.MappingEndEvent or cls is ev.SequenceEndEvent:
            stack.pop()[0].end_mark = event.end_mark
            continue

        if cls is ev.AliasEvent or event.anchor is not None:
            raise Unsupported("anchor or alias")
        tag = event.tag
        if tag is not None and tag != "!":
            raise Unsupported("explicit tag")
        node: Any
        if cls is ev.ScalarEvent:
            node = ScalarNode(
                resolve(ScalarNode, event.value, event.implicit),
                event.value,
                event.start_mark,
                event.end_mark,
                style=event.style or None,
            )
            if event.value == "" and not event.style:
                # ruamel places an empty value where the next token starts; libyaml does not
                raise Unsupported("empty plain scalar")
        elif cls is ev.MappingStartEvent:
            node = MappingNode(
                resolve(MappingNode, None, event.implicit),
                [],
                event.start_mark,
                None,
                flow_style=event.flow_style,
            )
        elif cls is ev.SequenceStartEvent:
            node = SequenceNode(
                resolve(SequenceNode, None, event.implicit),
                [],
                event.start_mark,
                None,
                flow_style=event.flow_style,
            )
        else:  # pragma: no cover - libyaml emits nothing else inside a document
            raise Unsupported(cls.__name__)
        # attach the new node to its parent
        if stack:
            top = stack[-1]
            if isinstance(top[0], SequenceNode):
                top[0].value.append(node)
            elif top[1] is None:
                top[1] = node
            else:
                top[0].value.append((top[1], node))
                top[1] = None
        else:
            root = node
        if cls is ev.MappingStartEvent or cls is ev.SequenceStartEvent:
            stack.append([node, None])


def load_all(text: str, allow_duplicate_keys: bool = True) -> list[Any]:
    """Every document of ``text`` as ruamel's round-trip loader builds it, or raise Unsupported."""
    if not AVAILABLE or "\t" in text:
        raise Unsupported("not for the fast path")
    y = YAML(typ="rt", pure=True)
    y.allow_duplicate_keys = allow_duplicate_keys
    constructor = y.constructor
    resolver = y.resolver
    parser = _CParser(text)
    out: list[Any] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            while True:
                node = _compose(parser, resolver)
                if node is None:
                    break
                out.append(constructor.construct_document(node))
    except (Unsupported, RecursionError):
        raise
    except Exception as exc:  # libyaml or construction refused it: let ruamel decide and word it
        raise Unsupported(str(exc)) from None
    finally:
        parser.dispose()
    return out
