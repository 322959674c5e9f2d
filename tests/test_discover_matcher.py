"""discover.Matcher answers what pathspec answers; classify.name_and_suffix what pathlib does."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

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


def test_the_default_excludes_need_no_pathspec_and_match_as_pathspec_does() -> None:
    """Matcher(DEFAULT_EXCLUDES) uses a stored regex (no pathspec import): the very alternation
    pathspec's patterns give (a comment line makes Matcher build it from pathspec)."""
    built = Matcher([*DEFAULT_EXCLUDES, "# built by pathspec"])
    stored = Matcher(DEFAULT_EXCLUDES)
    assert stored._spec is None and built._spec is not None
    assert stored._regex is not None and built._regex is not None
    assert stored._regex.pattern == built._regex.pattern
    assert stored.dirs_only and built.dirs_only


dir_pattern = st.builds(
    lambda lead, parts: lead + "/".join(parts) + "/",
    st.sampled_from(["", "/", "**/"]),
    st.lists(segment, min_size=1, max_size=3),
)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(dir_pattern | st.sampled_from(["", "# c"]), max_size=5),
    st.lists(name, min_size=1, max_size=4),
)
def test_directory_patterns_match_a_file_only_under_a_matching_directory(
    lines: list[str], parts: list[str]
) -> None:
    """What the walk relies on to skip files when every exclude pattern is a directory one:
    a file matches only when one of the directories above it does."""
    m = Matcher(lines)
    assert m.dirs_only
    above = ["/".join(parts[:i]) + "/" for i in range(1, len(parts))]
    if m.match_file("/".join(parts)):
        assert any(m.match_file(d) for d in above), (lines, parts)


def test_a_negation_or_a_file_pattern_is_not_directories_only() -> None:
    assert not Matcher(["build/", "*.log"]).dirs_only
    assert not Matcher(["build/", "!build/keep/"]).dirs_only
    assert Matcher(["build/", "", "# note", "/dist/"]).dirs_only


def test_the_walk_applies_file_and_directory_excludes(tmp_path: Path) -> None:
    from linter.discover import walk

    for rel in ("a.log", "keep.py", "sub/b.log", "sub/c.py", "gen/d.py", "build/e.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    for excludes, want in (
        ([], ["a.log", "gen/d.py", "keep.py", "sub/b.log", "sub/c.py"]),
        (["gen/"], ["a.log", "keep.py", "sub/b.log", "sub/c.py"]),
        (["*.log", "gen/"], ["keep.py", "sub/c.py"]),
    ):
        found = walk(str(tmp_path), str(tmp_path), excludes, [], stamps=False)
        assert [f.path for f in found] == want, excludes
