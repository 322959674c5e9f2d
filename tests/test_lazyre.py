"""Module-level patterns compiled on first use (linter/lazyre.py): each method answers as the
compiled pattern's does, before and after the compile, and every pattern of prodready compiles."""

from __future__ import annotations

import importlib
import pickle
import pkgutil
import re
from typing import Any

import pytest

import linter
import policies
from linter.lazyre import LazyPattern, lazy

TEXT = "key=value; Key=Other; token = abc123\nsecond line key=x"


def _calls() -> list[tuple[str, tuple[Any, ...]]]:
    return [
        ("search", (TEXT,)),
        ("search", (TEXT, 5, 30)),
        ("match", (TEXT,)),
        ("match", (TEXT, 10)),
        ("fullmatch", ("key=value",)),
        ("findall", (TEXT,)),
        ("sub", ("<\\1>", TEXT)),
        ("sub", (lambda m: m.group(0).upper(), TEXT, 1)),
        ("subn", ("-", TEXT)),
        ("split", (TEXT,)),
        ("split", (TEXT, 1)),
    ]


def _same(got: Any, want: Any) -> None:
    if isinstance(want, re.Match):
        assert isinstance(got, re.Match)
        assert (got.span(), got.groups()) == (want.span(), want.groups())
    else:
        assert got == want


@pytest.mark.parametrize("first", range(len(_calls())))
def test_every_method_answers_as_the_compiled_pattern(first: int) -> None:
    """Whichever method is called first (it compiles), then every method."""
    compiled = re.compile(r"(?i)(\w+)\s*=\s*(\w+)", re.M)
    lazy_one = lazy(r"(?i)(\w+)\s*=\s*(\w+)", re.M)
    calls = _calls()
    order = [calls[first], *calls]
    for name, args in order:
        _same(getattr(lazy_one, name)(*args), getattr(compiled, name)(*args))
    assert [m.span() for m in lazy_one.finditer(TEXT)] == [
        m.span() for m in compiled.finditer(TEXT)
    ]
    assert lazy_one.compiled() is compiled  # re's own cache: the same pattern object


def test_not_compiled_until_used() -> None:
    broken = lazy("(unclosed")
    assert "_re" not in vars(broken)
    with pytest.raises(re.error):
        broken.search("x")
    used = lazy("a+")
    assert used.pattern == "a+" and used.flags == 0
    assert used.search("baa") is not None
    # the compiled pattern's own methods are on the instance now: no wrapper is called
    assert vars(used)["search"].__self__ is used.compiled()


def test_pickles_before_and_after_use() -> None:
    fresh = lazy(r"\d+")
    assert pickle.loads(pickle.dumps(fresh)).findall("a1b22") == ["1", "22"]
    fresh.search("1")
    again = pickle.loads(pickle.dumps(fresh))
    assert again.sub("#", "a1b22") == "a#b#"


def _modules() -> list[str]:
    names = []
    for package in (linter, policies):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            names.append(info.name)
    return sorted(names)


def test_every_module_level_pattern_compiles() -> None:
    """A pattern no test uses would otherwise fail only when some input first reaches it."""
    found = []
    for name in _modules():
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if isinstance(value, LazyPattern):
                value.compiled()
                found.append(f"{name}.{attr}")
    assert "linter.classify._K8S_API" in found
    assert "policies.secrets.detect._URL_CRED" in found


def test_no_module_compiles_a_text_pattern_at_import() -> None:
    """New module-level patterns use ``lazy`` too (bytes patterns stay compiled: ``lazy`` is
    for text)."""
    compiled = []
    for name in _modules():
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                compiled.append(f"{name}.{attr}")
    assert compiled == []
