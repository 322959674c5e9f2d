"""Prefilters: does a text contain any of a few dozen ASCII literals?

A full scan asks this of every file, several times (the code index's, the secret scan's and
bandit's literals): ``any(lit in text for lit in literals)`` makes one pass over the text per
literal, a fifth of the time a worker spends on a file of plain code. RE2 (google-re2) finds
an alternation of literals in one pass with its DFA, three to five times faster for 10-40
literals. Importing it costs ~10 ms, more than a run on a few files saves, so a
:class:`Literals` uses the loop for its first :data:`BULK_AFTER` texts and RE2 from then on.
Both answer exactly the same (``tests/test_literals.py``); without RE2 the loop goes on. A
file asked several of these (:meth:`Literals.in_source`) is read once by an RE2 set of them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linter.source import SourceFile

#: texts tested with the loop before a :class:`Literals` switches to RE2
BULK_AFTER = 256

#: every :class:`Literals` made, by its slot: one pass of an RE2 set over a file answers all
#: of them (:meth:`Literals.in_source`)
_ALL: list[Literals] = []
#: the RE2 set of the first ``n`` of them (compiled on first use), or None without RE2
_SET: tuple[Any, int] | None = None
_NO_RE2 = False


class Literals:
    """``Literals(lits)(text)`` is ``any(lit in text for lit in lits)`` (ASCII literals).
    ``lowered``: the literals are lower case and :meth:`in_source` looks for them in the file's
    lower-cased text."""

    __slots__ = ("_calls", "_slot", "_test", "literals", "lowered")

    def __init__(self, literals: Iterable[str], lowered: bool = False) -> None:
        self.literals = tuple(dict.fromkeys(literals))
        if not self.literals or not all(lit and lit.isascii() for lit in self.literals):
            raise ValueError("literals must be non-empty ASCII strings")
        if lowered and any(lit != lit.lower() for lit in self.literals):
            raise ValueError("the literals of a lowered test must be lower case")
        self.lowered = lowered
        self._calls = 0
        self._test: Callable[[str], bool] = self._counted
        self._slot = len(_ALL)
        _ALL.append(self)

    def __call__(self, text: str) -> bool:
        return self._test(text)

    def in_source(self, src: SourceFile) -> bool:
        """``self(src.text.lower() if self.lowered else src.text)``. A full scan asks several of
        these of most files (the code index's, the secret scan's, bandit's): after
        :data:`BULK_AFTER` files, one pass of an RE2 set over a file answers every one of them
        (about half the time of their RE2 searches one by one), kept with the file. A lowered
        test's set pattern is case-insensitive, which finds more than the lower-cased text holds
        (``ſ`` matches ``s``), never less (of the characters ``str.lower`` makes ASCII, RE2
        folds the Kelvin sign to ``k``, and ``İ``, which it does not fold, is looked for in
        the loop): a file it finds is tested again the exact way."""
        text = src.text
        if self._calls <= BULK_AFTER:  # a run on a few files does not import RE2
            self._calls += 1
            return self.loop(text.lower() if self.lowered else text)
        hits = src.literal_hits
        if hits is None:
            hits = src.literal_hits = _set_hits(text)
        if hits is False or self._slot >= hits[1]:  # no RE2, or made after the set
            return self(text.lower() if self.lowered else text)
        if self._slot not in hits[0]:
            return self.lowered and "\u0130" in text and self.loop(text.lower())
        return self.loop(text.lower()) if self.lowered else True

    def loop(self, text: str) -> bool:
        return any(lit in text for lit in self.literals)

    def _counted(self, text: str) -> bool:
        self._calls += 1
        if self._calls > BULK_AFTER:
            self._test = self.bulk()
        return self.loop(text)

    def bulk(self) -> Callable[[str], bool]:
        """The RE2 test (the loop when RE2 cannot be imported)."""
        regex = _re2_pattern(self.literals)
        if regex is None:
            return self.loop
        search = regex.search
        loop = self.loop

        def test(text: str) -> bool:
            try:
                # UTF-8 is self-synchronising: an ASCII literal occurs in the text exactly
                # where its bytes occur in the text's bytes
                return search(text.encode("utf-8", "surrogatepass")) is not None
            except Exception:  # RE2 is a C++ engine: any surprise falls back to the loop
                return loop(text)

        return test


def pattern(literals: Iterable[str]) -> bytes:
    """An RE2 alternation matching exactly the literals: every character that is not a letter
    or a digit is written as a hex escape, which RE2 reads as that character."""
    parts = []
    for lit in literals:
        parts.append(
            "".join(ch if ch.isalnum() else f"\\x{ord(ch):02x}" for ch in lit).encode("ascii")
        )
    return b"|".join(parts)


def _set_hits(text: str) -> tuple[frozenset[int], int] | bool:
    """The slots of the :class:`Literals` whose set pattern occurs in ``text``, and how many
    the set has; False without RE2."""
    global _SET, _NO_RE2
    if _NO_RE2:
        return False
    if _SET is None:
        found = _re2_set(tuple(_ALL))
        if found is None:
            _NO_RE2 = True
            return False
        _SET = (found, len(_ALL))
    try:
        matched = _SET[0].Match(text.encode("utf-8", "surrogatepass"))
    except Exception:  # RE2 is a C++ engine: any surprise falls back to the loop
        return False
    return frozenset(matched or ()), _SET[1]


def _re2_set(tests: tuple[Literals, ...]) -> Any:
    """An RE2 set of the tests' alternations, by slot (a lowered test's case-insensitive)."""
    try:
        import re2

        found = re2.Set.SearchSet(re2.Options())
        for lit in tests:
            alternation = pattern(lit.literals)
            found.Add(b"(?i:" + alternation + b")" if lit.lowered else alternation)
        found.Compile()
    except Exception:  # not installed, or a build that fails to load: the loop it is
        return None
    return found


def _re2_pattern(literals: tuple[str, ...]) -> Any:
    try:
        import re2

        return re2.compile(pattern(literals))
    except Exception:  # not installed, or a build that fails to load: the loop it is
        return None
