"""linter.fastdc.dataclass behaves as dataclasses.dataclass: each class here is defined with both
decorators and the two are compared on the same operations."""

from __future__ import annotations

import binascii
import copy
import copyreg
import dataclasses
import functools
import importlib.util
import marshal
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from linter import fastdc

Decorator = Callable[..., Any]
BOTH = pytest.mark.parametrize("dc", [dataclasses.dataclass, fastdc.dataclass], ids=["std", "fast"])


def _define(dc: Decorator, **options: Any) -> type:
    @dc(**options)
    class Point:
        """A point."""

        x: int
        y: int = 0
        label: str = dataclasses.field(default="", compare=False)
        secret: str = dataclasses.field(default="", repr=False)
        weight: float = dataclasses.field(default=1.0, hash=False)
        tags: tuple[str, ...] = ()
        kind: ClassVar[str] = "point"

    return Point


def _observe(cls: type) -> list[Any]:
    """What a program can see of a class's generated methods."""
    a = cls(1, 2, "a", "s", 0.5, ("t",))
    b = cls(1, 2, "b", "s", 0.5, ("t",))  # differs in a compare=False field
    c = cls(1, 3)
    seen: list[Any] = [
        repr(a),
        repr(c),
        a == b,
        a == c,
        a != c,
        a == (1, 2),
        a.__eq__((1, 2)),
        cls.__hash__ is None,
        "__hash__" in cls.__dict__,
        cls.__repr__.__qualname__,
        [f.name for f in dataclasses.fields(cls)],
        dataclasses.replace(a, y=5) == cls(1, 5, "a", "s", 0.5, ("t",)),
        copy.deepcopy(a) == a,
        cls.__match_args__,
    ]
    if cls.__hash__ is not None:
        seen += [hash(a) == hash(b), hash(a) == hash(cls(1, 2, weight=9.0, tags=("t",)))]
        seen.append(hash(a) == hash((1, 2, "s", ("t",))))  # the compared, hashed fields
    try:
        a.x = 9  # type: ignore[misc]
        seen.append(("assigned", a.x))
    except dataclasses.FrozenInstanceError as exc:
        seen.append(("frozen", str(exc)))
    return seen


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"frozen": True},
        {"frozen": True, "slots": True},
        {"eq": False},
        {"frozen": True, "eq": False},
        {"repr": False},
        {"slots": True},
    ],
    ids=str,
)
def test_same_behaviour_as_the_standard_decorator(options: dict[str, Any]) -> None:
    std = _observe(_define(dataclasses.dataclass, **options))
    fast = _observe(_define(fastdc.dataclass, **options))
    if options.get("repr") is False:  # object's repr: the addresses differ
        std, fast = std[2:], fast[2:]
    assert fast == std


def _picklable(name: str, dc: Decorator, **options: Any) -> type:
    cls = _define(dc, **options)
    cls.__qualname__ = cls.__name__ = name
    globals()[name] = cls
    return cls


@pytest.mark.parametrize(
    "options",
    [{}, {"frozen": True}, {"frozen": True, "slots": True}, {"slots": True}],
    ids=str,
)
def test_pickles_alike(options: dict[str, Any]) -> None:
    suffix = "".join(sorted(options))
    for dc, name in ((dataclasses.dataclass, "Std"), (fastdc.dataclass, "Fast")):
        cls = _picklable(f"Pickled{name}{suffix}", dc, **options)
        a = cls(1, 2, "a", "s", 0.5, ("t",))
        for back in (pickle.loads(pickle.dumps(a)), copy.copy(a), copy.deepcopy(a)):
            assert type(back) is cls
            assert back == a and repr(back) == repr(a)
            assert [getattr(back, f.name) for f in dataclasses.fields(cls)] == [
                1,
                2,
                "a",
                "s",
                0.5,
                ("t",),
            ]


def _checked(dc: Decorator, name: str) -> Any:
    """A frozen slots class that validates in ``__post_init__`` and sets ``n`` there
    (``init=False``), made by ``dc`` and importable as ``name`` (for pickle)."""

    @dc(frozen=True, slots=True)
    class Checked:
        a: int
        n: int = dataclasses.field(init=False)

        def __post_init__(self) -> None:
            if self.a < 0:
                raise ValueError("negative")
            object.__setattr__(self, "n", self.a * 2)

    Checked.__qualname__ = Checked.__name__ = name
    globals()[name] = Checked
    return Checked


_StdChecked = _checked(dataclasses.dataclass, "_StdChecked")
_FastChecked = _checked(fastdc.dataclass, "_FastChecked")


@fastdc.dataclass
class _FastCached:
    """Keeps a ``cached_property``'s value in its instance dict, beside its fields."""

    a: int
    b: list[int] = dataclasses.field(default_factory=list)

    @functools.cached_property
    def double(self) -> int:
        return self.a * 2


class _FastPlainChild(_FastCached):
    """Not decorated: inherits the fields, adds an attribute."""


@fastdc.dataclass
class _FastUnset:
    """A field with no default that ``__init__`` does not set."""

    a: int
    later: int = dataclasses.field(init=False)


@fastdc.dataclass(frozen=True)
class _FastOwnState:
    """Its own ``__getstate__``: kept, and used."""

    a: int

    def __getstate__(self) -> dict[str, int]:
        return {"a": self.a + 1}


@fastdc.dataclass(frozen=True)
class _FastOwnStateChild(_FastOwnState):
    """Inherits :class:`_FastOwnState`'s ``__getstate__``."""

    b: int = 0


def test_pickling_keeps_every_attribute_and_skips_post_init() -> None:
    """An unpickled instance is made as pickle's default makes one: ``__init__`` and
    ``__post_init__`` are not called (a field set only there keeps its value), and whatever the
    instance holds beyond its fields (a cached property's value, a plain subclass's attribute)
    comes back too."""
    for cls in (_StdChecked, _FastChecked):
        one = cls(3)
        object.__setattr__(one, "n", 99)  # not what __post_init__ would compute
        back = pickle.loads(pickle.dumps(one))
        assert (type(back), back.a, back.n) == (cls, 3, 99)
    cached = _FastCached(2, [1])
    assert cached.double == 4
    back_cached = pickle.loads(pickle.dumps(cached))
    assert vars(back_cached) == {"a": 2, "b": [1], "double": 4}
    child = _FastPlainChild(5)
    child.extra = "x"  # type: ignore[attr-defined]
    back_child = pickle.loads(pickle.dumps(child))
    assert (type(back_child), vars(back_child)) == (
        _FastPlainChild,
        {"a": 5, "b": [], "extra": "x"},
    )
    unset = pickle.loads(pickle.dumps(_FastUnset(1)))
    assert vars(unset) == {"a": 1}
    assert pickle.loads(pickle.dumps(_FastOwnState(1))).a == 2
    assert pickle.loads(pickle.dumps(_FastOwnStateChild(1, 5))).a == 2  # the base's, kept
    # the fields' values, in order, for instances holding their fields only; else the default
    assert _FastChecked(3).__reduce__() == (fastdc._rebuild_slots, (_FastChecked, (3, 6)))
    assert _FastCached(1).__reduce__() == (_FastCached, (1, []))  # its __init__ sets them
    assert _FastUnset(1).__reduce__()[0] is copyreg.__newobj__  # type: ignore[attr-defined]
    later = _FastUnset(1)
    later.later = 2
    assert later.__reduce__() == (fastdc._rebuild_dict, (_FastUnset, (1, 2)))
    assert pickle.loads(pickle.dumps(later)) == later
    assert cached.__reduce__()[0] is copyreg.__newobj__  # type: ignore[attr-defined]
    shared = [7]
    pair = pickle.loads(pickle.dumps([_FastCached(1, shared), _FastCached(2, shared)]))
    assert pair[0].b is pair[1].b  # one object, pickled once


def _with_body_methods(dc: Decorator, frozen: bool) -> list[Any]:
    @dc(frozen=frozen)
    class Own:
        """Defines __eq__ (so Python sets __hash__ to None) and __repr__."""

        a: int

        def __eq__(self, other: object) -> bool:
            return True

        def __repr__(self) -> str:
            return "own"

    @dc(frozen=frozen)
    class OwnHash:
        """Defines __hash__."""

        a: int

        def __hash__(self) -> int:
            return 7

    return [
        repr(Own(1)),
        Own(1) == Own(2),
        Own.__hash__ is None,
        hash(OwnHash(1)),
        OwnHash(1) == OwnHash(1),
        OwnHash(1) == OwnHash(2),
    ]


@pytest.mark.parametrize("frozen", [False, True])
def test_methods_of_the_class_body_are_kept(frozen: bool) -> None:
    assert _with_body_methods(fastdc.dataclass, frozen) == _with_body_methods(
        dataclasses.dataclass, frozen
    )


def _inheritance(dc: Decorator) -> list[Any]:
    @dc(frozen=True)
    class Base:
        """A base."""

        a: int

    @dc(frozen=True)
    class Child(Base):
        """Adds a field."""

        b: int = 2

    class Plain(Base):
        """Not decorated: inherits everything."""

    @dc(frozen=True, repr=False)
    class Quiet(Base):
        """Inherits the base's repr (its fields only)."""

        c: int = 3

    return [
        repr(Child(1)),
        repr(Plain(1)),
        repr(Quiet(1)),
        Child(1) == Base(1),
        Plain(1) == Base(1),
        Child(1, 2) == Child(1, 2),
        hash(Child(1, 2)) == hash((1, 2)),
    ]


def test_inheritance() -> None:
    assert _inheritance(fastdc.dataclass) == _inheritance(dataclasses.dataclass)


@BOTH
def test_recursive_repr(dc: Decorator) -> None:
    @dc
    class Node:
        """Holds anything, itself too."""

        items: list[Any]

    n = Node([])
    n.items.append(n)
    assert repr(n) == "test_recursive_repr.<locals>.Node(items=[...])"


@BOTH
def test_plain_decorator_and_empty_class(dc: Decorator) -> None:
    @dc
    class Empty:
        """No fields."""

    assert Empty() == Empty()
    assert repr(Empty()).endswith("Empty()")
    assert Empty.__hash__ is None


def test_order_and_unsafe_hash_take_the_standard_path() -> None:
    @fastdc.dataclass(order=True)
    class Ordered:
        """Ordered."""

        a: int

    @fastdc.dataclass(unsafe_hash=True)
    class Hashed:
        """Hashable though mutable."""

        a: int

    assert Ordered(1) < Ordered(2)
    assert hash(Hashed(1)) == hash((1,))
    assert "<lambda>" not in Ordered.__eq__.__qualname__


# -- the compiled methods kept between runs ----------------------------------------------------
def _body(dc: Decorator, **options: Any) -> type:
    """The same class body each call (a new class object), with every kind of field the
    generated ``__init__`` handles."""

    @dc(**options)
    class Record:
        name: str
        size: int = 0
        tags: list[str] = dataclasses.field(default_factory=list)
        note: dataclasses.InitVar[str] = ""
        hidden: int = dataclasses.field(default=7, init=False)

        def __post_init__(self, note: str) -> None:
            object.__setattr__(self, "hidden", len(note))

    return Record


@pytest.fixture
def codes(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh, empty store of compiled methods, kept in ``tmp_path``."""
    path = str(tmp_path / "__pycache__" / "fastdc.test.methods")
    monkeypatch.setattr(fastdc, "code_cache_path", lambda: path)
    fresh = fastdc._Codes()
    monkeypatch.setattr(fastdc, "_CODES", fresh)
    return fresh


CACHE_OPTIONS = [{}, {"frozen": True}, {"frozen": True, "slots": True}, {"kw_only": True}]


@pytest.mark.parametrize("options", CACHE_OPTIONS)
def test_cached_code_is_the_code_exec_compiles(codes: Any, options: dict[str, Any]) -> None:
    """The methods compiled through the cache are those ``exec`` gives the standard decorator:
    the same code and annotations (with this module's and fastdc's ``from __future__ import
    annotations``, code compiled inheriting fastdc's flags would hold string annotations), from
    a cold and from a warm cache."""
    std = _body(dataclasses.dataclass, **options)
    cold = _body(fastdc.dataclass, **options)
    assert codes.compiled > 0
    compiled = codes.compiled
    warm = _body(fastdc.dataclass, **options)
    assert codes.compiled == compiled  # the second class body took the code compiled for the first
    names = ["__init__"] + (["__setattr__", "__delattr__"] if options.get("frozen") else [])
    for cls in (cold, warm):
        for name in names:
            ours, theirs = getattr(cls, name), getattr(std, name)
            assert ours.__code__ == theirs.__code__, name
            assert ours.__annotations__ == theirs.__annotations__, name
            assert ours.__defaults__ == theirs.__defaults__, name
            assert ours.__kwdefaults__ == theirs.__kwdefaults__, name
        a = cls(name="a", size=2, note="abc")
        assert (a.name, a.size, a.tags, a.hidden) == ("a", 2, [], 3)
    assert "exec" not in vars(dataclasses)  # the standard module is as it was


def test_compiled_methods_are_kept_for_the_next_run(codes: Any) -> None:
    _body(fastdc.dataclass, frozen=True)
    assert codes.compiled > 0
    assert fastdc.save_code_cache(force=True)
    assert not fastdc.save_code_cache(force=True)  # nothing new since: not written again
    # the next run: a new process reads the file
    nxt = fastdc._Codes()
    fastdc._CODES = nxt
    cls = _body(fastdc.dataclass, frozen=True)
    assert nxt.compiled == 0
    assert cls(name="x", note="ab").hidden == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        cls(name="x").size = 1  # type: ignore[misc]


def _write_then_read(damage: Callable[[bytes], bytes]) -> dict[str, Any]:
    """What is read of the file a run wrote, once ``damage`` has changed its bytes."""
    path = fastdc.code_cache_path()
    if os.path.exists(path):
        os.unlink(path)
    fastdc._CODES = fastdc._Codes()
    _body(fastdc.dataclass)
    assert fastdc.save_code_cache(force=True)
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(damage(data))
    return fastdc._read(path)


def _valid_crc(payload: bytes) -> bytes:
    head = fastdc._HEADER + fastdc._version()
    return head + binascii.crc32(payload).to_bytes(4, "big") + payload


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.replace(b"self", b"selg", 1),  # still marshal data: the CRC differs
        lambda d: d[: len(d) // 2],  # cut short
        lambda d: d[:10],  # cut inside the header
        lambda d: b"",
        lambda d: d.replace(importlib.util.MAGIC_NUMBER, b"\0\0\r\n", 1),  # another Python
        lambda d: d.replace(fastdc._version(), b"0.0.0-other\0", 1),  # another prodready
        lambda d: _valid_crc(b"\xff\x00garbage"),  # not marshal data
        lambda d: _valid_crc(marshal.dumps({"def f(): pass": 1})),  # not code
        lambda d: _valid_crc(marshal.dumps(["def f(): pass"])),  # not a dict
    ],
    ids=["crc", "short", "header", "empty", "magic", "version", "garbage", "not-code", "list"],
)
def test_a_damaged_or_foreign_file_is_ignored(codes: Any, damage: Callable[[bytes], bytes]) -> None:
    assert _write_then_read(lambda d: d)  # undamaged, it is read
    assert _write_then_read(damage) == {}
    # and a run with it compiles the methods again, and works
    nxt = fastdc._Codes()
    fastdc._CODES = nxt
    assert _body(fastdc.dataclass)(name="y").size == 0
    assert nxt.compiled > 0


def test_written_as_python_writes_bytecode(
    codes: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _body(fastdc.dataclass)
    path = fastdc.code_cache_path()
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert not fastdc.save_code_cache()
    assert not os.path.exists(path)
    assert fastdc.save_code_cache(force=True)  # an explicit request writes it
    assert os.path.exists(path)
    # where it cannot be written: no error, no temporary file left
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a directory")
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    nxt = fastdc._Codes()
    fastdc._CODES = nxt
    monkeypatch.setattr(fastdc, "code_cache_path", lambda: str(blocked / "x.methods"))
    _body(fastdc.dataclass, frozen=True)
    assert nxt.compiled > 0
    assert not fastdc.save_code_cache()
    assert sorted(os.listdir(tmp_path)) == ["__pycache__", "blocked"]


def test_a_full_file_keeps_only_what_the_run_used(
    codes: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _body(fastdc.dataclass)
    _body(fastdc.dataclass, frozen=True)
    assert fastdc.save_code_cache(force=True)
    both = fastdc._read(fastdc.code_cache_path())
    nxt = fastdc._Codes()
    fastdc._CODES = nxt
    monkeypatch.setattr(fastdc, "MAX_KEPT", 1)
    _body(fastdc.dataclass, kw_only=True)  # a new __init__; the file's other code goes unused
    assert nxt.compiled == 1
    assert fastdc.save_code_cache(force=True)
    kept = fastdc._read(fastdc.code_cache_path())
    assert set(kept) == nxt.used
    assert len(kept) == 1 and not set(kept) & set(both)


def test_the_console_script_keeps_the_methods(tmp_path: Any) -> None:
    """A run of the console script writes the methods it compiled beside the bytecode (here
    under ``PYTHONPYCACHEPREFIX``); a second run reads them and, compiling nothing new, leaves
    the file as it was (one that compiled anything would write it again)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "Dockerfile").write_text("FROM python:3.12\nCMD python app.py\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "pyc")
    cmd = [sys.executable, "-c", "from linter.cli import entry; entry()"]
    seen = []
    for _ in range(2):
        r = subprocess.run(
            [*cmd, "check", "Dockerfile", "--no-cache"],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert r.returncode == 1, r.stderr
        (kept,) = (tmp_path / "pyc").rglob("fastdc.*.methods")
        seen.append((kept.stat().st_mtime_ns, kept.read_bytes()))
    assert seen[0] == seen[1]
    assert len(fastdc._read(str(kept))) > 10


def test_compiled_with_the_future_imports_of_dataclasses(monkeypatch: pytest.MonkeyPatch) -> None:
    """``exec`` compiles with its caller's ``__future__`` flags: those of :mod:`dataclasses`
    (none in the Pythons we know), never fastdc's own."""
    import __future__

    assert fastdc._future_flags() == 0
    monkeypatch.setattr(dataclasses, "annotations", __future__.annotations, raising=False)
    assert fastdc._future_flags() == __future__.annotations.compiler_flag
