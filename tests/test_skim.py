"""Context parses with big CRDs' specs blanked (linter/skim.py): the same objects but those specs,
used only for context files of runs on named files, and only for bytes parsed in full before."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from linter import skim
from linter.engine import ScanOptions, scan
from linter.model import ArtifactKind
from linter.parsers.k8s import parse_k8s
from linter.parsers.yaml import parse_yaml
from linter.source import SourceFile
from tests.conftest import parsed_paths


def _crd(name: str, props: int, spec_first: bool = False) -> str:
    """A CustomResourceDefinition whose spec holds ``props`` properties (4 lines each)."""
    schema = "".join(
        f"              field{i}:\n                type: string\n"
        f"                description: the field number {i}\n"
        f"                maxLength: {i + 10}\n"
        for i in range(props)
    )
    spec = (
        "spec:\n  group: example.com\n  names:\n    kind: Widget\n    plural: widgets\n"
        "  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n"
        "    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n"
        "          spec:\n            type: object\n            properties:\n" + schema
    )
    head = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
    meta = f"metadata:\n  name: {name}\n  labels:\n    app: widgets\n"
    return spec + head + meta if spec_first else head + meta + spec


SERVICE = (
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: api-svc\nspec:\n  selector:\n"
    "    app: api\n  ports:\n  - port: 80\n"
)
DEPLOYMENT = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  selector:\n"
    "    matchLabels:\n      app: api\n  template:\n    metadata:\n      labels:\n"
    "        app: api\n    spec:\n      containers:\n      - name: api\n"
    "        image: registry.example.com/api:1.2.3\n"
)
# a CRD first, then a Service, a CRD with a status after its spec, a small CRD, a CRD whose
# spec comes first, a List holding a CRD, and a last CRD ended by "..."
MANIFEST = (
    _crd("widgets.example.com", 20)
    + "---\n"
    + SERVICE
    + "---\n"
    + _crd("gadgets.example.com", 15)
    + "status:\n  acceptedNames:\n    kind: Gadget\n"
    + "---\n"
    + _crd("tiny.example.com", 1)
    + "---\n"
    + _crd("first.example.com", 15, spec_first=True)
    + "---\napiVersion: v1\nkind: List\nitems:\n"
    + "".join(
        "- " + ln + "\n" if i == 0 else "  " + ln + "\n"
        for i, ln in enumerate(_crd("listed.example.com", 15).splitlines())
    )
    + "---\n"
    + _crd("last.example.com", 15)
    + "...\n"
)


def _manifest(text: str, path: str = "deploy/crds.yaml") -> object:
    return parse_k8s(parse_yaml(SourceFile(path, "/r/" + path, ArtifactKind.K8S, text)))


def _without_crd_specs(manifest: object, skimmed: set[str]) -> list[tuple[object, ...]]:
    out = []
    for o in manifest.objects:  # type: ignore[attr-defined]
        data = dict(o.data)
        if o.name in skimmed:
            data.pop("spec")
        out.append((o.kind, o.name, o.namespace, o.start_line, o.end_line, repr(data)))
    return out


def test_spans_cover_big_top_level_crd_specs() -> None:
    full = _manifest(MANIFEST)
    found = skim.spans(full)  # type: ignore[arg-type]
    lines = MANIFEST.split("\n")
    # three CRDs qualify: not the small one, not the one whose spec is first, not the listed one
    assert [lines[start - 1] for start, _ in found] == ["spec:"] * 3
    assert [lines[end] for _, end in found] == ["---", "status:", "..."]
    assert [lines[start - 2] for start, _ in found] == ["    app: widgets"] * 3


def test_blanked_text_gives_the_same_objects_but_the_specs() -> None:
    full = _manifest(MANIFEST)
    lines = MANIFEST.split("\n")
    for start, end in skim.spans(full):  # type: ignore[arg-type]
        lines[start - 1 : end] = [""] * (end - start + 1)
    blanked = _manifest("\n".join(lines))
    skimmed = {"widgets.example.com", "gadgets.example.com", "last.example.com"}
    assert _without_crd_specs(blanked, set()) == _without_crd_specs(full, skimmed)

    # the status after a blanked spec is kept, with its position
    def status_at(m: object) -> object:
        (gadget,) = [o for o in m.objects if o.name == "gadgets.example.com"]  # type: ignore[attr-defined]
        return gadget.data.lc.key("status")

    assert status_at(blanked) == status_at(full)


def _git_repo(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    subprocess.run(["git", "init", "-q", str(root)], check=True)


def _scan(root: Path, paths: list[str], cache: bool = True) -> object:
    old = os.getcwd()
    os.chdir(root)
    try:
        return scan(ScanOptions(paths=paths, cache_dir="" if cache else None))
    finally:
        os.chdir(old)


def _findings(result: object, path: str) -> list[tuple[str, int, int, str, str]]:
    return sorted(
        (f.location.path, f.location.start_line, f.location.start_col, f.rule_id, f.message)
        for f in result.findings  # type: ignore[attr-defined]
        if f.location.path == path
    )


def _parsed_texts(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The text each source was parsed from by the index, by path (from now on)."""
    import linter.index as index_module

    texts: dict[str, str] = {}
    real = index_module._parse

    def spy(src: SourceFile, *rest: object) -> object:
        texts[src.path] = src.text
        return real(src, *rest)

    monkeypatch.setattr(index_module, "_parse", spy)
    return texts


def _entries(root: Path) -> list[str]:
    cache = root / ".prodready_cache"
    return sorted(n for n in os.listdir(cache) if n.startswith("skim-")) if cache.is_dir() else []


def test_named_run_parses_context_crds_without_their_specs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _git_repo(tmp_path, {"deploy/crds.yaml": MANIFEST, "deploy/app.yaml": DEPLOYMENT})
    full = _scan(tmp_path, ["."], cache=False)
    want = _findings(full, "deploy/app.yaml")
    # the Service of the CRD file selects the Deployment: the join sees it
    assert any("api-svc" in f[4] for f in want)
    texts = _parsed_texts(monkeypatch)
    first = _scan(tmp_path, ["deploy/app.yaml"])
    assert texts["deploy/crds.yaml"] == MANIFEST  # no entry yet: parsed in full, recorded
    assert len(_entries(tmp_path)) == 1
    texts.clear()
    second = _scan(tmp_path, ["deploy/app.yaml"])
    blanked = texts["deploy/crds.yaml"]
    assert blanked != MANIFEST and blanked.count("\n") == MANIFEST.count("\n")
    assert "field19" not in blanked and "kind: Gadget" in blanked  # a spec out, a status kept
    assert _findings(first, "deploy/app.yaml") == want
    assert _findings(second, "deploy/app.yaml") == want
    # a target is parsed in full, whatever the cache holds
    texts.clear()
    _scan(tmp_path, ["deploy/crds.yaml"])
    assert texts["deploy/crds.yaml"] == MANIFEST


def test_changed_bytes_are_parsed_in_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _git_repo(tmp_path, {"deploy/crds.yaml": MANIFEST, "deploy/app.yaml": DEPLOYMENT})
    _scan(tmp_path, ["deploy/app.yaml"])
    edited = MANIFEST.replace("field3:", "fieldThree:")
    (tmp_path / "deploy/crds.yaml").write_text(edited)
    texts = _parsed_texts(monkeypatch)
    _scan(tmp_path, ["deploy/app.yaml"])
    assert texts["deploy/crds.yaml"] == edited
    assert len(_entries(tmp_path)) == 2  # the new bytes recorded too


def test_unreadable_entry_is_noted_and_the_file_parsed_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _git_repo(tmp_path, {"deploy/crds.yaml": MANIFEST, "deploy/app.yaml": DEPLOYMENT})
    want = _findings(_scan(tmp_path, ["."], cache=False), "deploy/app.yaml")
    _scan(tmp_path, ["deploy/app.yaml"])
    (entry,) = _entries(tmp_path)
    for bad in ('{"spans": [[5, 4]]}', '{"spans": [[1, 99999]]}', "{not json", '{"spans": 3}'):
        (tmp_path / ".prodready_cache" / entry).write_text(bad)
        texts = _parsed_texts(monkeypatch)
        result = _scan(tmp_path, ["deploy/app.yaml"])
        assert texts["deploy/crds.yaml"] == MANIFEST
        assert [n.code for n in result.notifications if "manifest cache" in n.message] == [  # type: ignore[attr-defined]
            "prodready-cache-ignored"
        ]
        assert _findings(result, "deploy/app.yaml") == want


@pytest.mark.parametrize(
    "path, text",
    [
        ("deploy/crds.yaml", MANIFEST.replace("\n", "\r\n")),  # another line break
        ("deploy/crds.json", '{"apiVersion": "v1", "kind": "CustomResourceDefinition"}'),
    ],
)
def test_texts_not_taking_part(tmp_path: Path, path: str, text: str) -> None:
    _git_repo(tmp_path, {path: text, "deploy/app.yaml": DEPLOYMENT})
    _scan(tmp_path, ["."])
    assert _entries(tmp_path) == []


def test_no_cache_writes_no_entry(tmp_path: Path) -> None:
    _git_repo(tmp_path, {"deploy/crds.yaml": MANIFEST, "deploy/app.yaml": DEPLOYMENT})
    _scan(tmp_path, ["deploy/app.yaml"], cache=False)
    assert not (tmp_path / ".prodready_cache").exists()


def _crd_json(name: str) -> str:
    props = {f"field{i}": {"type": "string", "maxLength": i} for i in range(30)}
    doc = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": name},
        "spec": {"group": "example.com", "versions": [{"name": "v1", "schema": props}]},
    }
    return json.dumps(doc, indent=2) + "\n"


def test_context_json_crd_is_read_without_the_yaml_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service_json = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "api-svc", "labels": {"note": "CustomResourceDefinition"}},
            "spec": {"selector": {"app": "api"}, "ports": [{"port": 80}]},
        },
        indent=2,
    )
    files = {
        "deploy/crd.json": _crd_json("widgets.example.com"),
        "deploy/svc.json": service_json,
        "deploy/app.yaml": DEPLOYMENT,
    }
    _git_repo(tmp_path, files)
    full = _scan(tmp_path, ["."], cache=False)
    want = _findings(full, "deploy/app.yaml")
    assert any("api-svc" in f[4] for f in want)  # the JSON Service is in the join
    import linter.parsers.yaml as yaml_module

    loaded = parsed_paths(monkeypatch, yaml_module, "_load_all")
    named = _scan(tmp_path, ["deploy/app.yaml"], cache=False)
    assert _findings(named, "deploy/app.yaml") == want
    # the CRD: json.loads alone; the Service (not a CRD) with its positions
    assert "deploy/crd.json" not in loaded and "deploy/svc.json" in loaded
    (crd,) = [
        o
        for o in named.index.artifacts(ArtifactKind.K8S)
        for o in o.objects
        if o.kind != "Service" and o.kind != "Deployment"
    ]  # type: ignore[attr-defined]
    assert (crd.kind, crd.name, crd.start_line) == (
        "CustomResourceDefinition",
        "widgets.example.com",
        1,
    )
    loaded.clear()
    _scan(tmp_path, ["deploy/crd.json"], cache=False)  # a target: parsed in full
    assert loaded == ["deploy/crd.json"]
