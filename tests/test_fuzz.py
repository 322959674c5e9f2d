"""Property tests for the front ends: no exception escapes but ParseError, positions stay in range,
and the libyaml fast path builds exactly what ruamel's pure round-trip loader builds.

``make fuzz`` runs the atheris harness (bench/fuzz.py) on the same front ends for minutes; any crash
it finds is saved in tests/fixtures/fuzz/ and replayed here by ``test_saved_crashes``.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from linter.parsers import fastyaml
from linter.parsers.dockerfile import parse_dockerfile
from linter.parsers.envfile import parse_env
from linter.parsers.yaml import ParseError, parse_yaml
from linter.source import SourceFile
from linter.suppress import parse_directives

SAVED = Path(__file__).parent / "fixtures" / "fuzz"
FAST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)

# -- strategies ----------------------------------------------------------------------------------
_scalar = st.one_of(
    st.sampled_from(
        [
            "a",
            "1",
            "0x1f",
            "1_000",
            "1.5",
            ".inf",
            "true",
            "yes",
            "on",
            "null",
            "~",
            "",
            "2024-01-02",
        ]
    ),
    st.sampled_from(['"q"', "'s'", '"a\\"b"', "'it''s'", "|\n  lit", ">\n  fold"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8),
)
_key = st.sampled_from(["a", "b", "name", "kind", "apiVersion", "x y", '"k"', "? c", "<<", "1"])


@st.composite
def yaml_texts(draw: Any) -> str:
    """Line-oriented YAML-ish text: mappings, sequences, flow, comments, documents, junk."""
    lines = []
    for _ in range(draw(st.integers(1, 14))):
        indent = " " * draw(st.sampled_from([0, 0, 2, 4, 6, 1, 3]))
        form = draw(st.integers(0, 8))
        if form == 0:
            lines.append(f"{indent}{draw(_key)}: {draw(_scalar)}")
        elif form == 1:
            lines.append(f"{indent}{draw(_key)}:")
        elif form == 2:
            lines.append(f"{indent}- {draw(_scalar)}")
        elif form == 3:
            lines.append(f"{indent}- {draw(_key)}: {draw(_scalar)}")
        elif form == 4:
            lines.append(f"{indent}{draw(_key)}: [{draw(_scalar)}, {{{draw(_key)}: 1}}]")
        elif form == 5:
            lines.append(
                draw(st.sampled_from(["---", "...", "# c", "", "%YAML 1.2", "&a x", "*a"]))
            )
        elif form == 6:
            lines.append(f"{indent}{draw(_key)}: {draw(_scalar)}  # note")
        else:
            lines.append(draw(st.text(max_size=12)))
    return "\n".join(lines) + draw(st.sampled_from(["", "\n"]))


#: scalars of every kind ruamel's round-trip loader types differently (ScalarInt for "0" and
#: "007", HexInt, ScalarFloat, TimeStamp, LiteralScalarString, ...)
_TYPED = st.sampled_from(
    [
        *("0", "007", "12", "-3", "+4", "0x1F", "0o17", "1_000", "1.5", "-0.0", ".inf", ".nan"),
        *("1e3", "true", "False", "yes", "~", "null", "2024-01-02", "2024-01-02T03:04:05Z"),
        *("'q'", '"d"', "plain text", "http://x:8080/y", "|\n  block\n", ">\n  folded\n  more\n"),
        "|-\n  s\n",
    ]
)
_FLOW_TYPED = st.sampled_from(["0", "12", "0x1F", "1.5", "true", "~", "'q'", "plain", "2024-01-02"])
_NESTED_KEY = st.sampled_from(["a", "b", "1", "true", "null", "'q'", "3.5", "[1, 2]", "{x: 1}"])


def _block(tree: Any, ind: int) -> str:
    """Block-style YAML for a tree of ("map", pairs) / ("seq", items) / ("flow", items) / str."""
    if isinstance(tree, str):
        return tree
    kind, items = tree
    if kind == "flow":
        return "[" + ", ".join(items) + "]"
    if not items:
        return "{}" if kind == "map" else "[]"
    pad, out = " " * ind, []
    for item in items:
        lead, value = (f"{item[0]}:", item[1]) if kind == "map" else ("-", item)
        if isinstance(value, str):  # a block scalar's lines are indented under its key
            out.append(f"{pad}{lead} " + value.replace("\n  ", "\n" + pad + "  ").rstrip("\n"))
            continue
        inner = _block(value, ind + 2)
        nl = "\n" if value[0] != "flow" and value[1] else " "
        out.append(f"{pad}{lead}{nl}{inner}")
    return "\n".join(out)


_trees = st.recursive(
    _TYPED,
    lambda children: st.one_of(
        st.tuples(st.just("map"), st.lists(st.tuples(_NESTED_KEY, children), max_size=4)),
        st.tuples(st.just("seq"), st.lists(children, max_size=4)),
        st.tuples(st.just("flow"), st.lists(_FLOW_TYPED, max_size=3)),
    ),
    max_leaves=12,
)


def _src(text: str, path: str = "f.yaml", kind: Any = None) -> SourceFile:
    from linter.model import ArtifactKind

    return SourceFile(path, "/" + path, kind or ArtifactKind.YAML, text)


def _positions(node: Any, out: list[tuple[int, int]]) -> list[tuple[int, int]]:
    lc = getattr(node, "lc", None)
    if lc is not None and lc.line is not None:
        out.append((lc.line, lc.col))
        for v in (lc.data or {}).values():
            out.extend([(v[0], v[1])] + ([(v[2], v[3])] if len(v) > 2 else []))
    if isinstance(node, dict):
        for v in node.values():
            _positions(v, out)
    elif isinstance(node, list):
        for v in node:
            _positions(v, out)
    return out


def _pure(text: str) -> list[Any]:
    y = YAML(typ="rt", pure=True)
    y.allow_duplicate_keys = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return list(y.load_all(text))


def _shape(node: Any) -> Any:
    """Values, types and positions: what a policy can observe."""
    lc = getattr(node, "lc", None)
    where = None
    if lc is not None:
        where = (lc.line, lc.col, sorted((repr(k), tuple(v)) for k, v in (lc.data or {}).items()))
    if isinstance(node, dict):
        return (type(node).__name__, where, [(repr(k), _shape(v)) for k, v in node.items()])
    if isinstance(node, list):
        return (type(node).__name__, where, [_shape(v) for v in node])
    return (type(node).__name__, repr(node))


# -- YAML ------------------------------------------------------------------------------------------
@FAST
@given(yaml_texts())
def test_yaml_front_end_never_raises_and_positions_are_in_range(text: str) -> None:
    src = _src(text)
    try:
        yf = parse_yaml(src)
    except ParseError as exc:
        assert exc.notification.code == "prodready-parse-error"
        assert exc.notification.path == "f.yaml"
        return
    lines = src.lines
    for doc in yf.documents:
        assert 1 <= doc.start_line <= doc.end_line <= max(1, len(lines))
        for line0, col0 in _positions(doc.data, []):
            assert 0 <= line0 <= len(lines)
            assert 0 <= col0 <= (len(lines[line0]) if line0 < len(lines) else 0)


@FAST
@given(yaml_texts() | st.text(max_size=200))
def test_fast_path_equals_ruamel(text: str) -> None:
    """On YAML-like texts and on any text: what the fast path loads, ruamel loads the same."""
    try:
        fast = fastyaml.load_all(text)
    except (fastyaml.Unsupported, RecursionError):
        return
    assert [_shape(d) for d in fast] == [_shape(d) for d in _pure(text)]


#: lines around empty mapping values: comments, explicit keys, document markers, block scalars
_EMPTY_LINES = st.tuples(
    st.sampled_from([0, 0, 2, 2, 4, 6]),
    st.sampled_from(
        [
            *("k:", "k2:", "k: v", "j: 1", "- k:", "- v", "-", "# c", "k:  # c", "---", "..."),
            *("", "? q", ": v", "k: |", "  text", "k: [a, b]", "k: {}", "   "),
        ]
    ),
)


@settings(
    max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(
    st.lists(_EMPTY_LINES, min_size=1, max_size=12),
    st.sampled_from(["", "\n", "\n\n", " ", "\n# end"]),
)
def test_fast_path_equals_ruamel_around_empty_values(lines: list[Any], end: str) -> None:
    """``key:`` with nothing after it: the fast path places the None where ruamel does, or
    leaves the text to ruamel (a comment or an explicit key before the next token)."""
    text = "\n".join(" " * indent + line for indent, line in lines) + end
    try:
        fast = fastyaml.load_all(text)
    except (fastyaml.Unsupported, RecursionError):
        return
    try:
        pure = _pure(text)
    except NotImplementedError:  # ruamel gives up on some comment layouts; libyaml does not
        return
    assert [_shape(d) for d in fast] == [_shape(d) for d in pure], text


@pytest.mark.parametrize(
    "text",
    [
        "a:\nb: 1\n",
        "a:\n  b:\n  c: 2\nd:\n",
        "volumes:\n  data:",  # the end of a text without a final newline
        "- a:\n  b:\n- c:\n",
        "x:\n  y:\nz: 1\n...\n",
        "a: 1\n---\n",  # an empty document
        "---\n---\na:\n",
    ],
)
def test_empty_values_take_the_fast_path(text: str) -> None:
    assert [_shape(d) for d in fastyaml.load_all(text)] == [_shape(d) for d in _pure(text)]


@pytest.mark.parametrize(
    "text",
    [
        "a:  # why\nb: 1\n",  # ruamel places the None after the colon
        "a:\n? c: d\n",  # or at the end of the "?"
        "- \n- a\n",  # an empty item
        "{a: }\n",  # a flow value
        "a: !\n",  # a tagged one
        "- a\n...\n...\n",  # a "..." ending no document: ruamel refuses it
        "k: |\n   \n    k:\n",  # a block scalar's blank first line: ruamel refuses this one
    ],
)
def test_texts_left_to_ruamel(text: str) -> None:
    with pytest.raises(fastyaml.Unsupported):
        fastyaml.load_all(text)


@FAST
@given(st.lists(_trees, min_size=1, max_size=2))
def test_fast_path_equals_ruamel_on_nested_documents(docs: list[Any]) -> None:
    """Nested block and flow documents with typed scalars (most take the fast path)."""
    text = "\n---\n".join(_block(d, 0) for d in docs) + "\n"
    try:
        fast = fastyaml.load_all(text)
    except (fastyaml.Unsupported, RecursionError):
        return
    assert [_shape(d) for d in fast] == [_shape(d) for d in _pure(text)], text


@FAST
@given(st.text(max_size=300))
def test_json_front_end(text: str) -> None:
    try:
        parse_yaml(_src(text, "f.json"))
    except ParseError as exc:
        assert exc.notification.path == "f.json"


# -- Dockerfile ------------------------------------------------------------------------------------
_instr = st.sampled_from(
    [
        "FROM python:3.12 AS base",
        "FROM base",
        "RUN echo hi \\\n  && echo there",
        'CMD ["python", "app.py"]',
        "CMD python app.py",
        "ENTRYPOINT [",
        "USER 1000",
        "ARG X=1",
        "ENV A=b C=d",
        "COPY --from=base /a /b",
        "HEALTHCHECK CMD curl -f http://localhost/",
        "RUN <<EOF\necho heredoc\nEOF",
        "# comment",
        "",
        "\\",
        "ONBUILD RUN x",
    ]
)


@FAST
@given(st.lists(st.one_of(_instr, st.text(max_size=20)), max_size=12))
def test_dockerfile_front_end(lines: list[str]) -> None:
    from linter.model import ArtifactKind

    src = _src("\n".join(lines) + "\n", "Dockerfile", ArtifactKind.DOCKERFILE)
    try:
        art = parse_dockerfile(src)
    except ParseError as exc:
        assert exc.notification.path == "Dockerfile"
        return
    n = src.line_count
    for ins in art.instructions:
        assert 1 <= ins.start_line <= ins.end_line
        assert ins.start_line <= n + 1
        loc = art.loc(ins)
        assert loc.start_line >= 1 and loc.start_col >= 1


# -- env files -------------------------------------------------------------------------------------
_env_line = st.one_of(
    st.sampled_from(
        ["A=1", "export B='x y'", 'C="q\\"r" # c', "D=v # comment", "# c", "", "  E = f", "=x"]
    ),
    st.text(max_size=25),
)


@FAST
@given(st.lists(_env_line, max_size=15))
def test_env_front_end(lines: list[str]) -> None:
    from linter.model import ArtifactKind

    src = _src("\n".join(lines), ".env.example", ArtifactKind.ENV_TEMPLATE)
    env = parse_env(src)
    for e in env.entries:
        text = src.line(e.line)
        assert 1 <= e.line <= src.line_count
        assert text[e.name_col - 1 : e.name_col - 1 + len(e.name)] == e.name
        assert 1 <= e.value_col <= len(text) + 1
        assert env.name_loc(e).start_line == e.line
        assert env.value_loc(e).start_col == e.value_col


# -- suppression comments --------------------------------------------------------------------------
_directive = st.builds(
    lambda lead, ids, reason, pre: f"{pre}{lead} prodready: ignore[{ids}]{reason}",
    st.sampled_from(["#", "//", "/*", "<!--", "--", ";"]),
    st.text(alphabet="abc-,] [", max_size=15),
    st.text(max_size=15),
    st.sampled_from(["", "x = 1  ", "  ", "CMD a "]),
)


@FAST
@given(st.lists(st.one_of(_directive, st.text(max_size=30)), max_size=10))
def test_suppression_parser(lines: list[str]) -> None:
    src = _src("\n".join(lines), "a.py")
    n = src.line_count
    for d in parse_directives(src):
        assert 1 <= d.location.start_line <= n
        assert 1 <= d.location.start_col <= len(src.line(d.location.start_line)) + 1
        assert d.applies_from == d.location.start_line
        assert d.applies_to in (d.applies_from, d.applies_from + 1)
        assert all(i.strip() == i and i for i in d.rule_ids)


# -- crashes found by `make fuzz` ------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", sorted(SAVED.glob("*/*")) if SAVED.is_dir() else [], ids=lambda p: p.name
)
def test_saved_crashes(path: Path) -> None:
    from bench.fuzz import TARGETS

    TARGETS[path.parent.name](path.read_bytes())


def test_fast_path_refuses_documents_nested_deeper_than_max_depth() -> None:
    # an explicit stack would build any depth; what reads the objects recurses into them
    n = fastyaml.MAX_DEPTH
    assert len(fastyaml.load_all("[" * n + "]" * n)) == 1
    with pytest.raises(RecursionError):
        fastyaml.load_all("[" * (n + 1) + "]" * (n + 1))


@given(st.lists(st.integers(min_value=1, max_value=60), max_size=40), st.integers(1, 100))
def test_document_ends_is_the_next_greater_start(starts: list[int], last: int) -> None:
    """parse_yaml's document ends, in one pass, as the definition gives them: the line before
    the first later start greater than this one, else the file's last line."""
    from linter.parsers.yaml import document_ends

    want = []
    for i, s in enumerate(starts):
        later = [t for t in starts[i + 1 :] if t > s]
        want.append(later[0] - 1 if later else last)
    assert document_ends(starts, last) == want
