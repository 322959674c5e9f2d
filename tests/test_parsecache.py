"""Parses of context YAML files kept in the cache (linter/parsecache.py): the same data and
positions as the parse, rebuilt without PyYAML or ruamel, only for what an entry can hold."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given

from linter import parsecache
from linter.model import Notification
from linter.parsers import fastyaml
from linter.replay import CORRUPT
from tests.conftest import SHARED, corpus_yaml_texts
from tests.test_fuzz import FAST, yaml_texts

ROOT = Path(__file__).resolve().parent.parent


def _plain(value: Any) -> str:
    for base in (bool, int, float, str):
        if isinstance(value, base):
            return base.__name__
    assert value is None, type(value)
    return "None"


def _shape(node: Any) -> Any:
    """What a policy can observe: values, plain types, and every position the ``lc`` interface
    gives (the node's own, and each key's, value's and item's)."""
    lc = getattr(node, "lc", None)
    if isinstance(node, dict):
        assert isinstance(node, dict) and lc is not None
        return (
            "map",
            (lc.line, lc.col),
            [(repr(k), lc.key(k), lc.value(k), _shape(v)) for k, v in node.items()],
            lc.key("no such key") if not node else None,
        )
    if isinstance(node, list):
        assert lc is not None
        return ("seq", (lc.line, lc.col), [(lc.item(i), _shape(v)) for i, v in enumerate(node)])
    plain = _plain(node)
    return (
        plain,
        repr(
            node
            if node is None
            else {"bool": bool, "int": int, "float": float, "str": str}[plain](node)
        ),
    )


def _entries(directory: Path) -> list[str]:
    return sorted(n for n in os.listdir(directory) if n.startswith("parse-"))


def _round_trip(documents: list[Any]) -> list[Any]:
    """Encoded, through JSON text, and decoded, as an entry goes."""
    return parsecache.decode(json.loads(json.dumps(parsecache.encode(documents))))


def _assert_rebuilt(text: str) -> bool:
    """The fast path's documents of ``text`` and their round trip are the same (False when the
    fast path or an entry cannot take the text)."""
    try:
        documents = fastyaml.load_all(text)
    except (fastyaml.Unsupported, RecursionError):
        return False
    try:
        rebuilt = _round_trip(documents)
    except parsecache.NotCacheable:
        return False
    assert [_shape(d) for d in rebuilt] == [_shape(d) for d in documents]
    for old, new in zip(documents, rebuilt, strict=True):
        assert new == old
        if isinstance(old, dict):
            assert isinstance(new, parsecache.PosMap) and list(new) == list(old)
        elif isinstance(old, list):
            assert isinstance(new, parsecache.PosSeq)
    return True


@FAST
@given(yaml_texts())
def test_round_trip_keeps_data_and_positions(text: str) -> None:
    _assert_rebuilt(text)


def test_scalars_become_their_plain_types() -> None:
    text = (
        "a: plain\nb: 'quoted'\nc: |\n  block\n  text\nd: >\n  folded\ne: 0o17\nf: 007\n"
        "g: 0x1F\nh: 0.5\ni: 1e3\nj: -.5\nk: true\nl: null\nm: ~\nn:\no: [1, 2.5, x]\n"
        "p: {q: r}\n10: int key\ntrue: bool key\n"
    )
    assert _assert_rebuilt(text)
    (doc,) = _round_trip(fastyaml.load_all(text))
    assert [(k, type(v).__name__) for k, v in doc.items()] == [
        ("a", "str"),
        ("b", "str"),
        ("c", "str"),
        ("d", "str"),
        ("e", "int"),
        ("f", "int"),
        ("g", "int"),
        ("h", "float"),
        ("i", "float"),
        ("j", "float"),
        ("k", "bool"),
        ("l", "NoneType"),
        ("m", "NoneType"),
        ("n", "NoneType"),
        ("o", "PosSeq"),
        ("p", "PosMap"),
        (10, "str"),
        (True, "str"),
    ]
    assert (doc["c"], doc["e"], doc["g"], doc["h"], doc["i"]) == ("block\ntext\n", 15, 31, 0.5, 1e3)
    assert (doc.lc.key("c"), doc.lc.value("c"), doc["o"].lc.item(2)) == ((2, 0), (2, 3), (17, 12))
    assert (doc["p"].lc.line, doc["p"].lc.col, doc.lc.value("n")) == (18, 3, (17, 0))


@pytest.mark.parametrize(
    "text",
    [
        "when: 2024-05-01\n",  # a timestamp
        "? [a, b]\n: sequence key\n",
        "? {a: b}\n: mapping key\n",
        "1.5: float key\n",
        "big: .inf\n",
        "nan: .nan\n",
    ],
)
def test_what_an_entry_cannot_hold_gets_no_entry(tmp_path: Path, text: str) -> None:
    documents = fastyaml.load_all(text)
    with pytest.raises(parsecache.NotCacheable):
        parsecache.encode(documents)
    parsecache.store(str(tmp_path), text, documents)
    assert _entries(tmp_path) == []
    notes: list[Notification] = []
    assert parsecache.load(str(tmp_path), text, notes) is None
    assert notes == []


def test_a_long_text_gets_no_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "a: 1\nb: [2, 3]\n"
    monkeypatch.setattr(parsecache, "MAX_TEXT", len(text) - 1)
    parsecache.store(str(tmp_path), text, fastyaml.load_all(text))
    assert _entries(tmp_path) == []
    monkeypatch.setattr(parsecache, "MAX_TEXT", len(text))
    parsecache.store(str(tmp_path), text, fastyaml.load_all(text))
    assert len(_entries(tmp_path)) == 1


def test_store_then_load(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: api\n---\n- 1\n- [2]\n"
    documents = fastyaml.load_all(text)
    parsecache.store(str(tmp_path), text, documents)
    (entry,) = _entries(tmp_path)
    assert entry.endswith(".json")
    notes: list[Notification] = []
    loaded = parsecache.load(str(tmp_path), text, notes)
    assert loaded is not None and notes == []
    assert [_shape(d) for d in loaded] == [_shape(d) for d in documents]
    # another text has another entry
    assert parsecache.load(str(tmp_path), text + "# edited\n", notes) is None


@pytest.mark.parametrize(
    "payload",
    [
        "{not json",
        json.dumps([1, 2]),
        json.dumps({"format": 0, "documents": []}),
        json.dumps({"format": parsecache.FORMAT}),
        json.dumps({"format": parsecache.FORMAT, "documents": {}}),
        json.dumps({"format": parsecache.FORMAT, "documents": [["x", 0, 0, []]]}),
        json.dumps({"format": parsecache.FORMAT, "documents": [["m", 0, 0, [["k", 0]]]]}),
        json.dumps({"format": parsecache.FORMAT, "documents": [["m", "0", 0, []]]}),
        json.dumps({"format": parsecache.FORMAT, "documents": [["s", 0, 0, [[0, 0.5, 1]]]]}),
        json.dumps(
            {"format": parsecache.FORMAT, "documents": [["m", 0, 0, [[[1], 0, 0, 0, 0, 1]]]]}
        ),
        json.dumps({"format": parsecache.FORMAT, "documents": [{"a": 1}]}),
        json.dumps({"format": parsecache.FORMAT, "documents": [["s", 0, 0, []]] * 0})[:-2]
        + "[" * 100_000,
        '{"format": 1, "documents": [' + '["s", 0, 0, [[0, 0, ' * 5000 + "1" + "]]]" * 5000 + "]}",
    ],
)
def test_an_entry_of_another_shape_is_noted_and_not_used(tmp_path: Path, payload: str) -> None:
    text = "a: 1\n"
    path = parsecache.entry_path(str(tmp_path), text)
    Path(path).write_text(payload)
    notes: list[Notification] = []
    assert parsecache.load(str(tmp_path), text, notes) is None
    assert [(n.code, n.message.split(" (")[0]) for n in notes] == [
        (CORRUPT, "parse cache entry ignored")
    ]
    assert notes[0].message.endswith("; the file is parsed")


@pytest.mark.skipif(SHARED is None, reason="../shared (corpus) not found")
def test_round_trip_on_real_files() -> None:
    """Every 3rd YAML file of the corpus (up to 200 kB): most take the fast path and can be
    kept, and what is kept comes back the same."""
    assert SHARED is not None
    fast = kept = 0
    for _, text in corpus_yaml_texts(3, 200_000):
        try:
            fastyaml.load_all(text)
        except (fastyaml.Unsupported, RecursionError):
            continue
        fast += 1
        kept += _assert_rebuilt(text)
    assert fast > 500
    assert kept > fast * 0.9


# -- in a run on named files ----------------------------------------------------------------------
DOCKERFILE = (
    "FROM node:20.11-slim\nENV NODE_OPTIONS=--max-old-space-size=4096\nCOPY . .\nUSER node\n"
    'CMD ["node", "server.js"]\n'
)
DEPLOYMENT = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n"
    "    spec:\n      containers:\n      - name: api\n"
    "        image: registry.example.com/shop/api:1.2.3\n"
    "        resources:\n          limits:\n            memory: 512Mi\n"
)
# a run like the console script's, then: were the YAML libraries (and shutil, which imports
# three compression modules, and is needed only when a renderer binary is looked up) imported?
_RUN = (
    "import json, sys\nfrom linter import cli\n"
    "code = cli.main(sys.argv[1:])\n"
    "print(json.dumps([m in sys.modules for m in ('yaml', 'ruamel.yaml', 'shutil')]),"
    " file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _run(repo: Path, *args: str) -> tuple[list[tuple[str, int, int, str]], list[bool]]:
    proc = subprocess.run(
        [sys.executable, "-c", _RUN, "check", "--format", "json", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    findings = [
        (loc["path"], loc["line"], loc["column"], f["rule_id"])
        for f in report["findings"]
        for loc in [f["location"]]
    ]
    return sorted(findings), json.loads(proc.stderr.strip().splitlines()[-1])


def test_a_named_dockerfile_reads_its_manifest_from_the_cache(tmp_path: Path) -> None:
    """The heap-vs-limit join needs the manifest running the Dockerfile's image: parsed on the
    first run and kept; the next run (the Dockerfile edited, as in pre-commit) rebuilds it from
    the cache, imports neither YAML library, and reports the same."""
    (tmp_path / "services/api").mkdir(parents=True)
    (tmp_path / "deploy").mkdir()
    dockerfile = tmp_path / "services/api/Dockerfile"
    dockerfile.write_text(DOCKERFILE)
    (tmp_path / "services/api/server.js").write_text(
        "require('http').createServer().listen(8080)\n"
    )
    (tmp_path / "deploy/api.yaml").write_text(DEPLOYMENT)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    want = ("services/api/Dockerfile", 2, 1, "code-node-heap-exceeds-limit")

    first, imported = _run(tmp_path, "services/api/Dockerfile")
    assert want in first and imported[:2] == [True, True]
    entries = _entries(tmp_path / ".prodready_cache")
    assert len(entries) == 1

    dockerfile.write_text(DOCKERFILE + "# edited\n")
    again, imported = _run(tmp_path, "services/api/Dockerfile")
    assert again == first and imported == [False, False, False]

    uncached, imported = _run(tmp_path, "--no-cache", "services/api/Dockerfile")
    assert uncached == first and imported[:2] == [True, True]

    # the manifest itself named: a target is parsed (and kept for no one)
    named, imported = _run(tmp_path, "deploy/api.yaml", "services/api/Dockerfile")
    assert imported[:2] == [True, True]
    assert _entries(tmp_path / ".prodready_cache") == entries
    assert want in named
