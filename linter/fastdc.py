"""``dataclass``, as the standard library's, but quicker to define.

Python 3.11 writes a dataclass's ``__init__``, ``__repr__``, ``__eq__`` and ``__hash__`` (and, when
frozen, ``__setattr__`` and ``__delattr__``) as source text and ``exec``s each: about 1.3 ms
for a frozen class, and a pre-commit run on one file defines about 45 classes before it checks
anything. Here the standard decorator writes ``__init__`` and the frozen guards only; ``__repr__``,
``__eq__`` and ``__hash__`` are closures over each class's field names, made without ``exec``
(about 0.55 ms a class in all). They behave as the generated ones do: the same fields (``repr``,
``compare``, ``hash`` flags), the same text, tuple comparison against the same class only,
``hash`` of the same tuple, ``"..."`` for a recursive repr, a method the class body defines kept,
and the standard rules for when ``__hash__`` is added, set to None or left alone.
``tests/test_fastdc.py`` compares both decorators on the same classes. ``order=True`` and
``unsafe_hash=True`` take the standard decorator unchanged.

Every dataclass of prodready uses this one (ruff bans ``dataclasses.dataclass`` in ``linter/``
and ``policies/``); ``field``, ``replace``, ``fields`` and the rest come from :mod:`dataclasses`
as usual.
"""

from __future__ import annotations

import copyreg
import dataclasses
from _thread import get_ident
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform, overload

_T = TypeVar("_T")


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The tuple of the named attributes of an object, as ``(self.a, self.b)`` makes it."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = names[0]
        return lambda obj: (getattr(obj, one),)
    return lambda obj: ()


def _named(cls: type, fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    fn.__name__ = name
    fn.__qualname__ = f"{cls.__qualname__}.{name}"
    fn.__module__ = cls.__module__
    return fn


def _repr_of(names: tuple[str, ...]) -> Callable[[Any], str]:
    running: set[tuple[int, int]] = set()

    def __repr__(self: Any) -> str:
        key = id(self), get_ident()
        if key in running:
            return "..."
        running.add(key)
        try:
            shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in names)
        finally:
            running.discard(key)
        return f"{self.__class__.__qualname__}({shown})"

    return __repr__


def _eq_of(names: tuple[str, ...]) -> Callable[[Any, Any], Any]:
    get = _getter(names)

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return get(self) == get(other)
        return NotImplemented

    return __eq__


def _hash_of(names: tuple[str, ...]) -> Callable[[Any], int]:
    get = _getter(names)

    def __hash__(self: Any) -> int:
        return hash(get(self))

    return __hash__


def _rebuild_slots(cls: Any, values: tuple[Any, ...]) -> Any:
    """An instance of a slots class from its fields' values, made as pickle's default makes one
    (no ``__init__``, no ``__post_init__``)."""
    obj = cls.__new__(cls)
    for name, value in zip(cls.__dict__["__fastdc_fields__"], values, strict=True):
        object.__setattr__(obj, name, value)
    return obj


def _rebuild_dict(cls: Any, values: tuple[Any, ...]) -> Any:
    """:func:`_rebuild_slots` for a class whose instances keep their attributes in a dict."""
    obj = cls.__new__(cls)
    obj.__dict__.update(zip(cls.__dict__["__fastdc_fields__"], values, strict=True))
    return obj


def _reduce_of(
    cls: type, names: tuple[str, ...], slots: bool, by_init: bool
) -> Callable[[Any], Any]:
    """``__reduce__``: an instance pickles as its class and its fields' values, in field order.
    The default pickles a dict of them (or, for a frozen slots class, a list made by a
    ``fields()`` call per object, and set back by another), and the workers' results hold tens
    of thousands of these objects (the code facts of a repository): this takes half the time to
    write and two thirds to read. An instance with attributes beyond its fields (a
    ``cached_property``'s value), a subclass's, or one missing a field pickles the default way."""
    get = _getter(names)
    rebuild = _rebuild_slots if slots else _rebuild_dict
    keys = frozenset(names)

    def __reduce__(self: Any) -> Any:
        if type(self) is cls and (slots or self.__dict__.keys() == keys):
            try:
                values = get(self)
            except AttributeError:  # a field never set (init=False, no default)
                pass
            else:  # ``by_init``: the generated ``__init__`` only sets the fields (no
                # ``__post_init__``, each field a positional parameter), the fastest way
                return (cls, values) if by_init else (rebuild, (cls, values))
        return copyreg.__newobj__, (type(self),), self.__getstate__()  # type: ignore[attr-defined]

    __reduce__._fastdc = True  # type: ignore[attr-defined]
    return __reduce__


def _pickles_by_default(cls: type) -> bool:
    """Whether instances of ``cls`` pickle the default way: no pickling method of its own or of
    a base class, other than those of :mod:`dataclasses` (a frozen slots class) and ours."""
    for name, default in (
        ("__reduce__", object.__reduce__),
        ("__reduce_ex__", object.__reduce_ex__),
        ("__getstate__", object.__getstate__),
    ):
        method = getattr(cls, name)
        if method is default or getattr(method, "_fastdc", False):
            continue
        if getattr(method, "__name__", "") != "_dataclass_getstate":
            return False
    setstate = getattr(cls, "__setstate__", None)
    return setstate is None or getattr(setstate, "__name__", "") == "_dataclass_setstate"


def _process(
    cls: type[_T],
    *,
    init: bool,
    repr: bool,
    eq: bool,
    order: bool,
    unsafe_hash: bool,
    frozen: bool,
    match_args: bool,
    kw_only: bool,
    slots: bool,
) -> type[_T]:
    options = {"init": init, "frozen": frozen, "match_args": match_args, "kw_only": kw_only}
    if order or unsafe_hash:  # rare: the standard decorator does it all
        return dataclasses.dataclass(
            cls, repr=repr, eq=eq, order=order, unsafe_hash=unsafe_hash, slots=slots, **options
        )
    own = dict(cls.__dict__)  # the class body's, before the decorator (a slots class is new)
    class_hash = own.get("__hash__", dataclasses.MISSING)
    explicit_hash = not (
        class_hash is dataclasses.MISSING or (class_hash is None and "__eq__" in own)
    )
    out = dataclasses.dataclass(cls, repr=False, eq=False, slots=slots, **options)
    fields = dataclasses.fields(out)  # type: ignore[arg-type]
    if repr and "__repr__" not in own:
        names = tuple(f.name for f in fields if f.repr)
        out.__repr__ = _named(out, _repr_of(names), "__repr__")  # type: ignore[method-assign]
    if _pickles_by_default(out):
        names = tuple(f.name for f in fields)
        code = getattr(out.__init__, "__code__", None)
        by_init = (
            not slots
            and "__init__" not in own
            and not hasattr(out, "__post_init__")
            and all(f.init for f in fields)
            # its parameters are the fields, positional (not an InitVar or keyword-only one)
            and code is not None
            and (code.co_argcount, code.co_kwonlyargcount) == (len(names) + 1, 0)
        )
        out.__fastdc_fields__ = names  # type: ignore[attr-defined]
        reduce = _reduce_of(out, names, slots, by_init)
        out.__reduce__ = _named(out, reduce, "__reduce__")  # type: ignore[method-assign]
    if eq:
        if "__eq__" not in own:
            names = tuple(f.name for f in fields if f.compare)
            out.__eq__ = _named(out, _eq_of(names), "__eq__")  # type: ignore[method-assign]
        if not explicit_hash:
            if frozen:
                names = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
                out.__hash__ = _named(out, _hash_of(names), "__hash__")  # type: ignore[method-assign]
            else:
                out.__hash__ = None  # type: ignore[assignment]
    return out


@overload
def dataclass(cls: type[_T], /) -> type[_T]: ...


@overload
def dataclass(
    *,
    init: bool = True,
    repr: bool = True,
    eq: bool = True,
    order: bool = False,
    unsafe_hash: bool = False,
    frozen: bool = False,
    match_args: bool = True,
    kw_only: bool = False,
    slots: bool = False,
) -> Callable[[type[_T]], type[_T]]: ...


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def dataclass(
    cls: type[_T] | None = None,
    /,
    *,
    init: bool = True,
    repr: bool = True,
    eq: bool = True,
    order: bool = False,
    unsafe_hash: bool = False,
    frozen: bool = False,
    match_args: bool = True,
    kw_only: bool = False,
    slots: bool = False,
) -> type[_T] | Callable[[type[_T]], type[_T]]:
    """:func:`dataclasses.dataclass` (same options but ``weakref_slot``), quicker to define."""

    def wrap(c: type[_T]) -> type[_T]:
        return _process(
            c,
            init=init,
            repr=repr,
            eq=eq,
            order=order,
            unsafe_hash=unsafe_hash,
            frozen=frozen,
            match_args=match_args,
            kw_only=kw_only,
            slots=slots,
        )

    return wrap if cls is None else wrap(cls)
