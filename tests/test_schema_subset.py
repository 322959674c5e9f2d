"""linter/schema_subset.py answers "valid?" exactly as jsonschema does, or not at all."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from linter import k8s_schema as ks
from linter.schema_subset import Compiler, Resource, Unsupported
from tests.conftest import SHARED

SCHEMA_DIR = ks.schema_dir_for(ks.DEFAULT_VERSION)
CORPUS = SHARED / "corpus"

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "api", "labels": {"app": "api"}},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "api"}},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}},
        "template": {
            "metadata": {"labels": {"app": "api"}},
            "spec": {
                "securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
                "containers": [
                    {
                        "name": "api",
                        "image": "ghcr.io/acme/api:1.4.2",
                        "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                        "env": [{"name": "LOG_LEVEL", "value": "info"}],
                        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
                        "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}},
                        "resources": {
                            "limits": {"cpu": "500m", "memory": "512Mi"},
                            "requests": {"cpu": 0.1, "memory": 134217728},
                        },
                    }
                ],
            },
        },
    },
}


def _kind(kind: str, api: str) -> ks.KindSchema:
    assert SCHEMA_DIR is not None
    found = ks.validator_for(SCHEMA_DIR, kind, api)
    assert found is not None
    return found


def _both(kind: ks.KindSchema, data: Any) -> tuple[bool | None, bool]:
    return kind.is_valid_fast(data), bool(kind.validator.is_valid(data))


def test_decides_a_valid_and_an_invalid_deployment() -> None:
    dep = _kind("Deployment", "apps/v1")
    assert _both(dep, DEPLOYMENT) == (True, True)
    bad = copy.deepcopy(DEPLOYMENT)
    bad["spec"]["template"]["spec"]["containers"][0]["livenessprobe"] = {}
    assert _both(dep, bad) == (False, False)
    bad = copy.deepcopy(DEPLOYMENT)
    bad["spec"]["replicas"] = "two"
    assert _both(dep, bad) == (False, False)
    bad = copy.deepcopy(DEPLOYMENT)
    del bad["spec"]["selector"]
    assert _both(dep, bad) == (False, False)


# -- random mutations of a valid Deployment ------------------------------------------------------
_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 70000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["", "x", "80", "TCP", "Always", "RollingUpdate", "25%", "1Gi", "http"]),
    st.just([]),
    st.just({}),
    st.just([{"name": "a"}]),
    st.just({"name": "a", "value": 1}),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


_ALL_PATHS = _paths(DEPLOYMENT)[1:]


@st.composite
def _mutants(draw: Any) -> Any:
    doc = copy.deepcopy(DEPLOYMENT)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_ALL_PATHS))
        parent: Any = doc
        try:
            for part in path[:-1]:
                parent = parent[part]
            action = draw(st.sampled_from(["set", "add", "delete"]))
            if action == "set":
                parent[path[-1]] = draw(_values)
            elif action == "add" and isinstance(parent, dict):
                parent[draw(st.sampled_from(["extra", "Name", "image", "port"]))] = draw(_values)
            elif isinstance(parent, dict):
                del parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation replaced part of the path
    return doc


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(_mutants())
def test_mutated_deployments_get_jsonschemas_answer(doc: Any) -> None:
    fast, slow = _both(_kind("Deployment", "apps/v1"), doc)
    assert fast is None or fast == slow


# -- what the subset refuses ---------------------------------------------------------------------
def _compile(schema: dict[str, Any]) -> Any:
    res = Resource({"$id": "https://example.test/s", **schema})
    return Compiler(res).compile(res)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer", "minimum": 1},
        {"patternProperties": {"^x": {"type": "string"}}},
        {"allOf": [{"type": "string"}]},
        {"type": "hex"},
        {"$ref": "https://elsewhere.test/s"},
        {"$ref": "#anchor"},
        {"$ref": "#/$defs/missing"},
        {"properties": {"a": {"$id": "https://example.test/inner", "type": "string"}}},
        {"enum": [1, 2]},
    ],
)
def test_keywords_outside_the_subset_are_refused(schema: dict[str, Any]) -> None:
    with pytest.raises(Unsupported):
        check = _compile(schema)
        check({"a": "x"})  # $ref targets compile on first use


def test_enum_against_a_non_string_is_left_to_jsonschema() -> None:
    check = _compile({"enum": ["a", None]})
    assert check("a") is True and check(None) is True and check("b") is False
    with pytest.raises(Unsupported):
        check(1)


def test_recursive_refs_boolean_schemas_and_one_of() -> None:
    schema = {
        "$defs": {
            "tree": {
                "type": "object",
                "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/tree"}}},
                "additionalProperties": False,
            },
            "never": False,
        },
        "properties": {
            "t": {"$ref": "#/$defs/tree"},
            "n": {"$ref": "#/$defs/never"},
            "q": {"oneOf": [{"type": "string"}, {"type": "number"}]},
            "i": {"oneOf": [{"type": "integer"}, {"type": "number"}]},
        },
    }
    check = _compile(schema)
    ref = jsonschema.Draft202012Validator({"$id": "https://example.test/s", **schema})
    for doc in [
        {"t": {"kids": [{"kids": []}, {}]}},
        {"t": {"kids": [{"kids": [{"x": 1}]}]}},
        {"n": 1},
        {"q": "1Gi"},
        {"q": 1.5},
        {"q": True},
        {"i": 2},  # integer and number both match: oneOf fails
        {"i": 2.5},
        {"i": 2.0},
    ]:
        assert check(doc) == ref.is_valid(doc), doc


@pytest.mark.parametrize(
    "type_", ["string", "object", "array", "boolean", "null", "integer", "number"]
)
def test_types_as_jsonschema_reads_them(type_: str) -> None:
    check = _compile({"type": [type_]})
    ref = jsonschema.Draft202012Validator({"type": [type_]})
    for value in ["1", 1, 1.0, 1.5, True, False, None, [], {}, 0]:
        assert check(value) == ref.is_valid(value), (type_, value)


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
def test_every_corpus_object_gets_jsonschemas_answer() -> None:
    """Every object of a built-in kind in the corpus: decided, and decided as jsonschema does."""
    yaml = YAML(typ="safe")
    seen = {True: 0, False: 0}
    for path in sorted(CORPUS.rglob("*.y*ml")):
        try:
            docs = list(yaml.load_all(path.read_bytes()))
        except Exception:
            continue
        for doc in docs:
            if not isinstance(doc, dict):
                continue
            kind, api = doc.get("kind"), doc.get("apiVersion")
            if not isinstance(kind, str) or not isinstance(api, str) or SCHEMA_DIR is None:
                continue
            schema = ks.validator_for(SCHEMA_DIR, kind, api)
            if schema is None:
                continue
            data = ks.to_plain(doc)
            fast, slow = _both(schema, data)
            assert fast == slow, (path, kind)
            seen[slow] += 1
    assert seen[True] > 100 and seen[False] > 10, seen  # both answers were exercised


def test_a_valid_manifest_is_checked_without_importing_jsonschema(tmp_path: Path) -> None:
    (tmp_path / "deploy.yaml").write_text(
        YAML_TEXT,
        encoding="utf-8",
    )
    code = (
        "import sys\n"
        "from linter.engine import ScanOptions, scan\n"
        f"r = scan(ScanOptions(paths=[{str(tmp_path)!r}], select=['k8s-schema-invalid'],"
        " jobs=1, cache_dir=None))\n"
        "assert not r.findings, r.findings\n"
        "print('jsonschema' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "False"


YAML_TEXT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
"""


def _plain_by_own_iteration(value: Any) -> Any:
    """:func:`k8s_schema.to_plain` as written with the ruamel objects' own iteration."""
    if isinstance(value, dict):
        return {ks._plain_key(k): _plain_by_own_iteration(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_by_own_iteration(v) for v in value]
    return ks.to_plain(value)


MERGED = """\
base: &base {a: 1, b: [x, {c: 2}]}
top:
  <<: *base
  b: [y]
  d: 2024-01-02
  ? {k: v}
  : flow key
list:
- *base
- {<<: *base, e: 3}
"""


def test_to_plain_reads_ruamel_objects_as_their_own_iteration_does() -> None:
    """Merge keys (the merged keys are in the mapping's storage), nested sequences, flow-mapping
    keys, dates: the same plain values as iterating the ruamel objects themselves."""
    from linter.model import ArtifactKind
    from linter.parsers.yaml import ParseError, parse_yaml
    from linter.source import SourceFile

    texts = [MERGED]
    if CORPUS.is_dir():
        texts += [p.read_text("utf-8", "replace") for p in sorted(CORPUS.rglob("*.y*ml"))[:400]]
    compared = 0
    for text in texts:
        try:
            parsed = parse_yaml(SourceFile("x.yaml", "/x.yaml", ArtifactKind.YAML, text))
        except ParseError:
            continue
        for doc in parsed.documents:
            assert ks.to_plain(doc.data) == _plain_by_own_iteration(doc.data)
            compared += 1
    assert compared > 1
    parsed = parse_yaml(SourceFile("x.yaml", "/x.yaml", ArtifactKind.YAML, MERGED))
    assert ks.to_plain(parsed.documents[0].data)["top"] == {
        "a": 1,
        "b": ["y"],
        "d": "2024-01-02",
        "{k}": "flow key",
    }
