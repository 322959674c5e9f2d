"""RepoIndex.sources_of looks only at the files whose names allow the kinds asked: it must give
exactly what checking every discovered file's kind gives, in discovery order."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from linter.config import Config
from linter.index import RepoIndex
from linter.model import ArtifactKind

K = ArtifactKind
CONTENTS = {
    "k8s": "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n",
    "prom": "groups:\n- name: a\n  rules:\n  - alert: Down\n",
    "plain": "a: 1\n",
    "json-k8s": '{"apiVersion": "v1", "kind": "Pod"}\n',
}
NAMES = [
    "Dockerfile",
    "app.dockerfile",
    ".env.example",
    ".env",
    "docker-compose.yml",
    "Chart.yaml",
    "templates/deploy.yaml",
    "deploy.yaml",
    "rules.yml",
    "data.json",
    "package.json",
    "requirements.txt",
    "go.mod",
    "main.py",
    "index.ts",
    "logo.png",
    "README.md",
    ".github/workflows/ci.yml",
]
entry = st.tuples(
    st.sampled_from(["", "svc/", "chart/", "a/b/"]),
    st.sampled_from(NAMES),
    st.sampled_from(sorted(CONTENTS)),
)
ASKED = [
    frozenset(c)
    for n in (1, 2, 3)
    for c in itertools.combinations(
        [
            K.DOCKERFILE,
            K.K8S,
            K.YAML,
            K.JSON,
            K.TEXT,
            K.HELM_TEMPLATE,
            K.PROMETHEUS_RULE,
            K.PYTHON,
            K.GO_MOD,
        ],
        n,
    )
][::5]


def _write(root: Path, files: list[tuple[str, str, str]]) -> None:
    for prefix, name, content in files:
        p = root / prefix / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(CONTENTS[content])


@settings(max_examples=40, deadline=None)
@given(st.lists(entry, min_size=1, max_size=12), st.booleans())
def test_sources_of_matches_every_files_kind(
    files: list[tuple[str, str, str]], all_wanted: bool
) -> None:
    wanted = frozenset(K) if all_wanted else frozenset({K.DOCKERFILE, K.PYTHON})
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write(root, files)
        for kinds in ASKED:
            fast = RepoIndex(str(root), str(root), Config(), wanted)
            naive = RepoIndex(str(root), str(root), Config(), wanted)
            expected = [f.path for f in naive.all_found() if naive.kind_of(f) in kinds]
            assert [s.path for s in fast.sources_of(kinds)] == expected, kinds
            listed = RepoIndex(str(root), str(root), Config(), wanted)
            assert [f.path for f in listed.files_of(kinds)] == expected, kinds


@settings(max_examples=30, deadline=None)
@given(st.lists(entry, min_size=1, max_size=12), st.sampled_from(NAMES))
def test_named_gives_the_files_with_matching_names_in_discovery_order(
    files: list[tuple[str, str, str]], wanted_name: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write(root, files)
        index = RepoIndex(str(root), str(root), Config(), frozenset(K))
        last = wanted_name.rsplit("/", 1)[-1]
        for match in (lambda n: n == last, lambda n: n.endswith((".yaml", ".yml")), bool):
            expected = [f for f in index.all_found() if match(f.path.rsplit("/", 1)[-1])]
            assert index.named(match) == expected
