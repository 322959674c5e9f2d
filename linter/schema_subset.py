"""Exact yes/no validation for the subset of JSON Schema 2020-12 that Kubernetes schemas use.

``jsonschema`` walks every keyword of every node through its generic machinery: about 0.9 ms
per manifest, the largest single cost of a scan's main process. The Kubernetes schemas use
only ``type``, ``enum``, ``required``, ``properties``, ``additionalProperties``, ``items``,
``$ref`` and ``oneOf`` (plus annotations), so a checker compiled from those keywords answers
"valid?" about fifteen times faster. It never explains: a scan asks ``jsonschema`` for the
errors of the rare object this checker rejects, so messages come from one place.

The answer is exact or absent. A node with any other keyword, a reference it cannot resolve
or a value it does not compare the way ``jsonschema`` does raises :class:`Unsupported`, and
the caller falls back to ``jsonschema``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urljoin

Check = Callable[[Any], bool]


class Unsupported(Exception):
    """The schema (or a value met) is outside the subset: ask jsonschema."""


#: keywords that assert nothing in draft 2020-12 without a format checker
ANNOTATIONS = frozenset(
    {
        "description",
        "format",
        "$schema",
        "default",
        "title",
        "$comment",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "$defs",
    }
)
ASSERTIONS = frozenset(
    {"type", "enum", "required", "properties", "additionalProperties", "items", "$ref", "oneOf"}
)


def _is_integer(v: Any) -> bool:
    return (isinstance(v, int) and not isinstance(v, bool)) or (
        isinstance(v, float) and v.is_integer()
    )


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": _is_integer,
    "number": _is_number,
}


class Resource:
    """A schema document with an absolute ``$id``: the base its ``$ref`` s resolve against."""

    def __init__(self, contents: Mapping[str, Any]) -> None:
        uri = contents.get("$id")
        if not isinstance(uri, str) or "#" in uri:
            raise Unsupported("a schema document without an absolute $id")
        self.uri = uri
        self.contents = contents


class Compiler:
    """Compiles schema nodes of a set of resources into checks (each node once)."""

    def __init__(self, *resources: Resource) -> None:
        self._resources = {r.uri: r for r in resources}
        self._done: dict[int, Check] = {}
        self._keep: list[Any] = []  # nodes whose id() keys ``_done`` stay alive

    def compile(self, resource: Resource) -> Check:
        return self._node(resource.contents, resource, root=True)

    def _node(self, node: Any, base: Resource, root: bool = False) -> Check:
        if node is True:
            return lambda v: True
        if node is False:
            return lambda v: False
        if not isinstance(node, dict):
            raise Unsupported("a schema that is neither an object nor a boolean")
        key = id(node)
        done = self._done.get(key)
        if done is not None:
            return done
        if "$id" in node and not root:
            raise Unsupported("an embedded $id")
        for kw in node:
            if (
                kw != "$id"
                and kw not in ASSERTIONS
                and kw not in ANNOTATIONS
                and not kw.startswith("x-")
            ):
                raise Unsupported(f"keyword {kw!r}")
        # a slot first: recursive schemas ($ref cycles) find it and call through it
        slot: list[Check] = []

        def deferred(v: Any) -> bool:
            return slot[0](v)

        self._done[key] = deferred
        self._keep.append(node)
        checks = [self._keyword(kw, node[kw], node, base) for kw in node if kw in ASSERTIONS]
        check = _all(checks)
        slot.append(check)
        self._done[key] = check
        return check

    def _keyword(self, kw: str, value: Any, node: dict[str, Any], base: Resource) -> Check:
        if kw == "type":
            return _type(value)
        if kw == "enum":
            return _enum(value)
        if kw == "required":
            if not isinstance(value, list):
                raise Unsupported("required that is not a list")
            names = tuple(value)
            return lambda v: not isinstance(v, dict) or all(n in v for n in names)
        if kw == "properties":
            if not isinstance(value, dict):
                raise Unsupported("properties that is not an object")
            props = {name: self._node(sub, base) for name, sub in value.items()}
            return _properties(props)
        if kw == "additionalProperties":
            known = node.get("properties", {})
            return _additional(frozenset(known), self._node(value, base))
        if kw == "items":
            return _items(self._node(value, base))
        if kw == "$ref":
            return self._ref(value, base)
        if kw == "oneOf":
            if not isinstance(value, list) or not value:
                raise Unsupported("oneOf that is not a non-empty list")
            subs = [self._node(sub, base) for sub in value]
            return lambda v: sum(1 for s in subs if s(v)) == 1
        raise Unsupported(f"keyword {kw!r}")  # pragma: no cover - ASSERTIONS is exhaustive

    def _ref(self, ref: Any, base: Resource) -> Check:
        if not isinstance(ref, str):
            raise Unsupported("a $ref that is not a string")
        uri, _, fragment = urljoin(base.uri, ref).partition("#")
        target = self._resources.get(uri)
        if target is None:
            raise Unsupported(f"an unknown $ref target {uri!r}")
        node: Any = target.contents
        if fragment:
            if not fragment.startswith("/"):
                raise Unsupported("an anchor $ref")
            for part in fragment[1:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(node, dict) or part not in node or "%" in part:
                    raise Unsupported(f"an unresolvable $ref {ref!r}")
                node = node[part]
        compiled: list[Check] = []

        def check(v: Any) -> bool:  # compiled on first use: definitions are many, few are used
            if not compiled:
                compiled.append(self._node(node, target, root=node is target.contents))
            return compiled[0](v)

        return check


def _all(checks: list[Check]) -> Check:
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    items = tuple(checks)
    return lambda v: all(c(v) for c in items)


def _type(value: Any) -> Check:
    names = value if isinstance(value, list) else [value]
    try:
        tests = tuple(_TYPES[n] for n in names)
    except (KeyError, TypeError):
        raise Unsupported(f"type {value!r}") from None
    if len(tests) == 1:
        return tests[0]
    return lambda v: any(t(v) for t in tests)


def _enum(value: Any) -> Check:
    if not isinstance(value, list) or not all(isinstance(x, str) or x is None for x in value):
        raise Unsupported("an enum of values other than strings and null")
    allowed = frozenset(x for x in value if x is not None)
    has_null = None in value

    def check(v: Any) -> bool:
        if isinstance(v, str):
            return v in allowed
        if v is None:
            return has_null
        # jsonschema's equality (1 != True, 1 == 1.0) decides for other values
        raise Unsupported("an enum compared with a value that is not a string")

    return check


def _properties(props: dict[str, Check]) -> Check:
    def check(v: Any) -> bool:
        if not isinstance(v, dict):
            return True
        for name, value in v.items():
            sub = props.get(name)
            if sub is not None and not sub(value):
                return False
        return True

    return check


def _additional(known: frozenset[str], sub: Check) -> Check:
    def check(v: Any) -> bool:
        if not isinstance(v, dict):
            return True
        return all(sub(value) for name, value in v.items() if name not in known)

    return check


def _items(sub: Check) -> Check:
    return lambda v: not isinstance(v, list) or all(sub(x) for x in v)
