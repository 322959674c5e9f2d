"""linter.literals: the RE2 test answers exactly what the ``in`` loop answers."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linter import literals
from linter.code import bandit_run
from linter.code import index as code_index
from linter.literals import Literals
from policies.secrets import detect

# ASCII literals with regex metacharacters, sharing and nesting prefixes
literal = st.text("ab.(*?|\\[]^$-{}x0\t", min_size=1, max_size=5)
# texts: those characters, non-ASCII letters, astral characters, NUL and lone surrogates
text = st.text(
    st.one_of(
        st.sampled_from("ab.(*?|\\[]^$-{}x0\t\n\x00éß€"),
        st.characters(min_codepoint=0x80, max_codepoint=0x10FFFF),
    ),
    max_size=40,
)

pytest.importorskip("re2")  # a dependency; without it every Literals stays on the loop


@settings(max_examples=800, deadline=None)
@given(st.lists(literal, min_size=1, max_size=8), text)
def test_re2_answers_as_the_loop(lits: list[str], sample: str) -> None:
    lit = Literals(lits)
    bulk = lit.bulk()
    assert bulk != lit.loop  # RE2 is installed: the bulk test is RE2's
    assert bulk(sample) == any(x in sample for x in lits)
    # a literal planted in the text is found by both
    planted = sample[: len(sample) // 2] + lits[-1] + sample[len(sample) // 2 :]
    assert bulk(planted) and lit.loop(planted)


def test_the_pattern_escapes_every_non_alphanumeric_character() -> None:
    assert literals.pattern(["a.b", "x(", "ok"]) == rb"a\x2eb|x\x28|ok"


def test_a_literals_switches_to_re2_after_bulk_after_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(literals, "BULK_AFTER", 3)
    calls: list[str] = []
    real = literals._re2_pattern

    def spy(lits: tuple[str, ...]) -> Any:
        calls.append("compiled")
        return real(lits)

    monkeypatch.setattr(literals, "_re2_pattern", spy)
    lit = Literals(["needle", "pin"])
    answers = [lit(t) for t in ("a needle", "hay", "pin", "hay", "x needle", "hay")]
    assert answers == [True, False, True, False, True, False]
    assert calls == ["compiled"]  # once, on the fourth text


def test_without_re2_the_loop_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "re2", None)  # import re2 raises ImportError
    lit = Literals(["needle"])
    assert lit.bulk() == lit.loop
    monkeypatch.setattr(literals, "BULK_AFTER", 0)
    assert [lit(t) for t in ("needle", "hay", "needle")] == [True, False, True]


def test_literals_must_be_non_empty_ascii() -> None:
    for bad in ([], [""], ["caf\u00e9"]):
        with pytest.raises(ValueError):
            Literals(bad)


@pytest.mark.parametrize(
    ("test", "lower"),
    [
        (code_index._PREFILTER, False),
        (bandit_run._LITERALS, True),
        (detect._FILE_NEEDLES, True),
    ],
    ids=["code-index", "bandit", "secrets"],
)
def test_the_prefilters_answer_as_before_in_bulk(
    monkeypatch: pytest.MonkeyPatch, test: Literals, lower: bool
) -> None:
    """The prefilters as the scan asks them (``in_source``: the RE2 set pass), in bulk."""
    from linter.model import ArtifactKind
    from linter.source import SourceFile

    monkeypatch.setattr(test, "_calls", literals.BULK_AFTER + 1)
    lits = test.literals
    texts = ["nothing here", "import os", "x = PASSWORD", "Ev" + "al(x)", "SELECT 1", "Ünïcødé"]
    texts += [f"{lit.upper()} {lit}" for lit in lits] + [lit.upper() for lit in lits]
    for t in texts:
        want = any(x in (t.lower() if lower else t) for x in lits)
        src = SourceFile("x.py", "/x.py", ArtifactKind.PYTHON, t)
        assert test.in_source(src) == want, t
        assert src.literal_hits not in (None, False)  # answered by the set


def test_the_secret_scan_file_prefilter_in_bulk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(literals, "BULK_AFTER", 0)
    monkeypatch.setattr(detect, "_FILE_NEEDLES", Literals(detect.FILE_NEEDLES))
    assert detect._needle_lines("nothing to see") is None
    assert detect._needle_lines("db_pass = 1\nother\n") == {3}


def test_a_run_on_a_few_files_stays_on_the_loop(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pre-commit run reads a few files: no prefilter switches to RE2 (nor compiles it)."""
    from linter.cli import main

    compiled: list[object] = []
    monkeypatch.setattr(literals, "_re2_pattern", lambda lits: compiled.append(lits))
    monkeypatch.setattr(literals, "_re2_set", lambda tests: compiled.append(tests))
    monkeypatch.setattr(literals, "_SET", None)
    for prefilter in (code_index._PREFILTER, bandit_run._LITERALS, detect._FILE_NEEDLES):
        monkeypatch.setattr(prefilter, "_calls", 0)
        monkeypatch.setattr(prefilter, "_test", prefilter._counted)
    for i in range(5):
        (tmp_path / f"app{i}.py").write_text("import os\nTOKEN = os.environ['TOKEN']\n")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "app0.py", "app1.py", "--no-cache"]) in (0, 1)
    assert main(["check", ".", "--no-cache"]) in (0, 1)
    assert compiled == []
    assert 0 < code_index._PREFILTER._calls <= literals.BULK_AFTER


# texts with the characters lower-casing and RE2's case folding treat apart
folded = st.lists(
    st.sampled_from(
        ["a", "b", "ab", "A", "B", "k", "K", "\u212a", "i", "I", "\u0130", "\u017f", "s"]
    ),
    max_size=12,
).map("".join)


def _source(text: str) -> Any:
    from linter.model import ArtifactKind
    from linter.source import SourceFile

    return SourceFile("x.txt", "/x.txt", ArtifactKind.TEXT, text)


@settings(max_examples=600, deadline=None)
@given(folded)
def test_in_source_answers_as_the_loop_with_one_set_pass(sample: str) -> None:
    """In bulk, each test's answer for a file comes from one RE2 set pass kept with the file;
    a lowered test answers exactly as its literals in the lower-cased text (the Kelvin sign
    lower-cases to ``k``, ``İ`` to ``i`` and a combining dot, ``ſ`` stays itself)."""
    tests = _set_tests()
    src = _source(sample)
    for lit in tests:
        want = lit.loop(sample.lower() if lit.lowered else sample)
        assert lit.in_source(src) == want, (lit.literals, lit.lowered)
    assert src.literal_hits is not None and src.literal_hits is not False


_SET_TESTS: list[Literals] = []


def _set_tests() -> list[Literals]:
    """Tests made before the set is compiled (their slots are in it), all in bulk."""
    if not _SET_TESTS:
        _SET_TESTS.extend(
            [
                Literals(["ai", "ik", "ks"], lowered=True),
                Literals(["ab", "bk"], lowered=True),
                Literals(["Ab", "K", "i"]),
            ]
        )
        literals._SET = None  # compiled again, with them
    for lit in _SET_TESTS:
        lit._calls = literals.BULK_AFTER + 1
    return _SET_TESTS


def test_in_source_cases_and_a_test_made_after_the_set() -> None:
    lowered, _, plain = _set_tests()
    cases = {
        "a\u0130k": True,
        "A\u212aS": True,
        "A\u212a": False,
        "xKs": True,
        "\u212as": True,
        "pa\u017f": False,
    }
    for text, want in cases.items():
        assert lowered.in_source(_source(text)) == want, text
    assert plain.in_source(_source("xab")) is False and plain.in_source(_source("xAb")) is True
    src = _source("late needle")
    assert lowered.in_source(src) is False  # the set is compiled now, and the pass kept
    late = Literals(["needle"], lowered=True)
    late._calls = literals.BULK_AFTER + 1
    assert late.in_source(src) is True  # not in the set: its own test
    assert late.in_source(_source("hay")) is False


def test_lowered_literals_must_be_lower_case() -> None:
    with pytest.raises(ValueError):
        Literals(["Token"], lowered=True)
