"""Kubernetes objects from YAML/JSON documents (multi-document files and ``kind: List``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.fastdc import dataclass
from linter.model import Location
from linter.parsers.yaml import YamlFile
from linter.positions import key_loc, node_start
from linter.source import SourceFile


@dataclass(frozen=True)
class K8sObject:
    """A Kubernetes object of a manifest, with the lines it spans."""

    source: SourceFile
    data: Any  # the object's mapping (ruamel CommentedMap when positions are known)
    kind: str
    api_version: str
    name: str
    namespace: str
    start_line: int
    end_line: int

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.name}" if self.name else self.kind

    @property
    def metadata(self) -> dict[str, Any]:
        md = self.data.get("metadata")
        return md if isinstance(md, dict) else {}

    @property
    def labels(self) -> dict[str, Any]:
        lb = self.metadata.get("labels")
        return lb if isinstance(lb, dict) else {}

    @property
    def annotations(self) -> dict[str, Any]:
        an = self.metadata.get("annotations")
        return an if isinstance(an, dict) else {}

    def kind_loc(self) -> Location:
        """Where a finding about the whole object points: its ``kind:`` line."""
        loc = key_loc(self.source, self.data, "kind", self.label)
        if loc is not None:
            return loc
        return Location(self.source.path, self.start_line, 1, logical_path=self.label)


@dataclass(frozen=True)
class K8sManifest:
    """A manifest file's Kubernetes objects."""

    source: SourceFile
    objects: tuple[K8sObject, ...]


def _obj(src: SourceFile, data: Any, start: int, end: int) -> K8sObject | None:
    if not isinstance(data, dict):
        return None
    kind = data.get("kind")
    api = data.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(api, str):
        return None
    md = data.get("metadata")
    md = md if isinstance(md, dict) else {}
    name = md.get("name") or md.get("generateName") or ""
    ns = md.get("namespace") or ""
    pos = node_start(data)
    if pos is not None:
        start = pos[0] + 1
    return K8sObject(src, data, kind, api, str(name), str(ns), start, max(start, end))


def objects_of(yf: YamlFile) -> Iterator[K8sObject]:
    for doc in yf.documents:
        data = doc.data
        if not isinstance(data, dict):
            continue
        kind = data.get("kind")
        items = data.get("items")
        if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
            starts = [(node_start(it) or (doc.start_line - 1, 0))[0] + 1 for it in items]
            for i, item in enumerate(items):
                end = starts[i + 1] - 1 if i + 1 < len(starts) else doc.end_line
                obj = _obj(yf.source, item, starts[i], end)
                if obj is not None:
                    yield obj
            continue
        obj = _obj(yf.source, data, doc.start_line, doc.end_line)
        if obj is not None:
            yield obj


def parse_k8s(yf: YamlFile) -> K8sManifest:
    return K8sManifest(yf.source, tuple(objects_of(yf)))
