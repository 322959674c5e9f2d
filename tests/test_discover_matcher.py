"""discover.Matcher answers what pathspec answers; classify.name_and_suffix what pathlib does."""

from __future__ import annotations

from pathlib import PurePosixPath

import pathspec
from hypothesis import given, settings
from hypothesis import strategies as st

from linter.classify import name_and_suffix
from linter.discover import DEFAULT_EXCLUDES, Matcher

segment = st.sampled_from(["a", "b", "build", "node_modules", "x.py", "y.egg-info", "*", "**", "?"])
pattern = st.builds(
    lambda neg, lead, parts, trail: ("!" if neg else "") + lead + "/".join(parts) + trail,
    st.booleans(),
    st.sampled_from(["", "/", "**/"]),
    st.lists(segment, min_size=1, max_size=3),
    st.sampled_from(["", "/", "/**"]),
)
name = st.sampled_from(["a", "b", "build", "node_modules", "x.py", "y.egg-info", "c.txt"])
path = st.builds(
    lambda parts, is_dir: "/".join(parts) + ("/" if is_dir else ""),
    st.lists(name, min_size=1, max_size=4),
    st.booleans(),
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(pattern | st.sampled_from(["", "# comment"]), max_size=5), st.lists(path, max_size=8)
)
def test_same_answers_as_pathspec(lines: list[str], paths: list[str]) -> None:
    ours = Matcher(lines)
    theirs = pathspec.GitIgnoreSpec.from_lines(lines)
    for p in paths:
        assert ours.match_file(p) == theirs.match_file(p), (lines, p)


def test_default_excludes_use_one_regex() -> None:
    m = Matcher(DEFAULT_EXCLUDES)
    assert m._regex is not None
    assert m.match_file("a/node_modules/")
    assert m.match_file("pkg.egg-info/")
    assert m.match_file("node_modules/x/y.js")
    assert not m.match_file("src/builder.py")


def test_negation_falls_back_to_pathspec() -> None:
    m = Matcher(["*.log", "!keep.log"])
    assert m._regex is None
    assert m.match_file("a.log")
    assert not m.match_file("keep.log")


segment_chars = st.text(alphabet="ab.-_", min_size=1, max_size=6).filter(
    lambda s: s not in (".", "..")
)


@settings(max_examples=400, deadline=None)
@given(st.lists(segment_chars, min_size=1, max_size=4), st.booleans())
def test_name_and_suffix_match_pathlib(segments: list[str], absolute: bool) -> None:
    path = ("/" if absolute else "") + "/".join(segments)
    p = PurePosixPath(path)
    assert name_and_suffix(path) == (p.name, p.suffix)
