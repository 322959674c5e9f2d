"""Prefilters: does a text contain any of a few dozen ASCII literals?

A full scan asks this of every file, several times (the code index's, the secret scan's and
bandit's literals): ``any(lit in text for lit in literals)`` makes one pass over the text per
literal, a fifth of the time a worker spends on a file of plain code. RE2 (google-re2) finds
an alternation of literals in one pass with its DFA, three to five times faster for 10-40
literals. Importing it costs ~10 ms, more than a run on a few files saves, so a
:class:`Literals` uses the loop for its first :data:`BULK_AFTER` texts and RE2 from then on.
Both answer exactly the same (``tests/test_literals.py``); without RE2 the loop goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

#: texts tested with the loop before a :class:`Literals` switches to RE2
BULK_AFTER = 256


class Literals:
    """``Literals(lits)(text)`` is ``any(lit in text for lit in lits)`` (ASCII literals)."""

    __slots__ = ("_calls", "_test", "literals")

    def __init__(self, literals: Iterable[str]) -> None:
        self.literals = tuple(dict.fromkeys(literals))
        if not self.literals or not all(lit and lit.isascii() for lit in self.literals):
            raise ValueError("literals must be non-empty ASCII strings")
        self._calls = 0
        self._test: Callable[[str], bool] = self._counted

    def __call__(self, text: str) -> bool:
        return self._test(text)

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


def _re2_pattern(literals: tuple[str, ...]) -> Any:
    try:
        import re2

        return re2.compile(pattern(literals))
    except Exception:  # not installed, or a build that fails to load: the loop it is
        return None
