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

The ``__init__`` and the frozen guards the standard decorator still writes are compiled once per
install, not once per run: their compiled code is kept, by source text, in a file next to this
module's bytecode (``__pycache__/fastdc.<tag>.methods``), as Python keeps a module's. Compiling
them took about 10 ms of a 100 ms pre-commit run; see :func:`_cached_exec`.

Every dataclass of prodready uses this one (ruff bans ``dataclasses.dataclass`` in ``linter/``
and ``policies/``); ``field``, ``replace``, ``fields`` and the rest come from :mod:`dataclasses`
as usual.
"""

from __future__ import annotations
import __future__

import binascii
import copyreg
import dataclasses
import importlib.util
import marshal
import os
import sys
from _thread import get_ident
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from operator import attrgetter
from types import CodeType
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


# -- the compiled code of the generated methods, kept between runs ---------------------------
#: the first bytes of the file: what wrote it and the bytecode's version (a Python whose magic
#: number differs cannot run this code); the prodready version follows, then a CRC of the rest
_HEADER = b"prodready fastdc methods\0" + importlib.util.MAGIC_NUMBER
#: at most this many kept; a bigger file keeps only the code the run that writes it used
MAX_KEPT = 4096


def _version() -> bytes:
    from linter import __version__

    return __version__.encode() + b"\0"


def _future_flags() -> int:
    """The compiler flags of :mod:`dataclasses`' own ``from __future__`` imports: ``exec`` of a
    string compiles it with the calling module's, and so must :func:`_cached_exec` (under this
    module's ``annotations`` import, the generated ``__init__``'s annotations would be strings)."""
    feature = type(__future__.annotations)
    return sum(f.compiler_flag for f in vars(dataclasses).values() if isinstance(f, feature))


class _Codes:
    """Compiled code by source text: what the file held, and what this process compiled."""

    def __init__(self) -> None:
        self.path: str | None = None
        self.known: dict[str, CodeType] | None = None  # None: the file is not read yet
        self.used: set[str] = set()
        self.added = 0
        self.compiled = 0  # compiles by this process (the tests count them)
        self.flags = _future_flags()

    def load(self) -> dict[str, CodeType]:
        if self.known is None:
            self.path = code_cache_path()
            self.known = _read(self.path) if self.path is not None else {}
        return self.known

    def code(self, source: str) -> CodeType:
        known = self.load()
        self.used.add(source)
        code = known.get(source)
        if code is None:
            code = compile(source, "<string>", "exec", flags=self.flags, dont_inherit=True)
            self.compiled += 1
            self.added += 1
            known[source] = code
        return code


_CODES = _Codes()


def code_cache_path() -> str | None:
    """Where the compiled methods are kept: beside this module's bytecode (under
    ``sys.pycache_prefix`` when that is set); None where Python keeps no bytecode."""
    try:
        pyc = importlib.util.cache_from_source(__file__)
    except (NotImplementedError, ValueError):  # no cache tag (sys.implementation)
        return None
    return pyc.removesuffix(".pyc") + ".methods"


def _read(path: str) -> dict[str, CodeType]:
    """The file's code by source text; empty when it is missing, of another version, damaged
    (its CRC) or not what this module writes."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return {}
    head = _HEADER + _version()
    if not data.startswith(head) or len(data) < len(head) + 4:
        return {}
    crc, payload = data[len(head) : len(head) + 4], data[len(head) + 4 :]
    if binascii.crc32(payload).to_bytes(4, "big") != crc:
        return {}
    try:
        known = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return {}
    if not isinstance(known, dict) or not all(
        isinstance(k, str) and isinstance(v, CodeType) for k, v in known.items()
    ):
        return {}
    return known


def save_code_cache(*, force: bool = False) -> bool:
    """Write the file again when this process compiled something new; as Python writes a
    module's bytecode: not when ``sys.dont_write_bytecode`` is set (unless ``force``: an
    explicit request, as ``compileall`` is), atomically, and silently not where it cannot.
    Returns whether it wrote."""
    codes = _CODES
    if codes.added == 0 or codes.known is None or codes.path is None:
        return False
    if sys.dont_write_bytecode and not force:
        return False
    known = codes.known
    if len(known) > MAX_KEPT:
        known = {src: known[src] for src in codes.used}
    payload = marshal.dumps(known)
    data = _HEADER + _version() + binascii.crc32(payload).to_bytes(4, "big") + payload
    tmp = f"{codes.path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(codes.path), exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, codes.path)
    except OSError:
        with suppress(OSError):
            os.unlink(tmp)
        return False
    codes.added = 0
    return True


def _cached_exec(source: Any, globals: Any = None, locals: Any = None, /) -> None:
    """``exec`` as :mod:`dataclasses` calls it, with the compiled code of a source text it
    compiled before (in this run or, through the file, an earlier one); a code object is what
    ``compile`` gives for the same text, flags and name, as a module's ``.pyc`` is."""
    code = _CODES.code(source) if isinstance(source, str) else source
    exec(code, globals, locals)


@contextmanager
def _compiles_cached() -> Iterator[None]:
    """:mod:`dataclasses` calls the ``exec`` its module globals give, then the builtin: for the
    standard decorator's run on one of our classes, they give :func:`_cached_exec`."""
    space = vars(dataclasses)
    before = space.get("exec", _MISSING)
    space["exec"] = _cached_exec
    try:
        yield
    finally:
        if before is _MISSING:
            space.pop("exec", None)
        else:
            space["exec"] = before


_MISSING = object()


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
        with _compiles_cached():
            return dataclasses.dataclass(
                cls, repr=repr, eq=eq, order=order, unsafe_hash=unsafe_hash, slots=slots, **options
            )
    own = dict(cls.__dict__)  # the class body's, before the decorator (a slots class is new)
    class_hash = own.get("__hash__", dataclasses.MISSING)
    explicit_hash = not (
        class_hash is dataclasses.MISSING or (class_hash is None and "__eq__" in own)
    )
    with _compiles_cached():
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
