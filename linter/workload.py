"""Shared views of Kubernetes workloads: pod specs and containers, with positions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.fastdc import dataclass
from linter.model import Location
from linter.parsers.k8s import K8sObject
from linter.positions import item_loc, key_loc, value_loc

WORKLOAD_KINDS = frozenset(
    {
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "ReplicationController",
        "Pod",
        "Job",
        "CronJob",
    }
)
JOB_KINDS = frozenset({"Job", "CronJob"})


def pod_spec(obj: K8sObject) -> tuple[dict[str, Any], str] | None:
    """The pod spec of a workload and its logical path (``spec.template.spec`` …)."""
    if obj.kind not in WORKLOAD_KINDS:
        return None
    if obj.kind == "Pod":
        path: tuple[str, ...] = ("spec",)
    elif obj.kind == "CronJob":
        path = ("spec", "jobTemplate", "spec", "template", "spec")
    else:
        path = ("spec", "template", "spec")
    cur: Any = obj.data
    for key in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(key)
    if not isinstance(cur, dict):
        return None
    return cur, ".".join(path)


@dataclass(frozen=True)
class Container:
    """A container (or init container) of a workload's pod spec."""

    obj: K8sObject
    data: dict[str, Any]
    seq: list[Any]
    index: int
    init: bool
    logical: str

    @property
    def name(self) -> str:
        return str(self.data.get("name") or f"#{self.index}")

    def name_loc(self) -> Location:
        """Where a "missing X in this container" finding points: its ``name:`` key."""
        loc = key_loc(self.obj.source, self.data, "name", self.logical)
        if loc is None:
            loc = item_loc(self.obj.source, self.seq, self.index, self.logical)
        return loc or self.obj.kind_loc().with_logical(self.logical)

    def key_loc(self, key: str) -> Location:
        return key_loc(self.obj.source, self.data, key, self.logical) or self.name_loc()

    def value_loc(self, key: str) -> Location:
        return value_loc(self.obj.source, self.data, key, self.logical) or self.name_loc()


def containers(obj: K8sObject, include_init: bool = False) -> Iterator[Container]:
    found = pod_spec(obj)
    if found is None:
        return
    spec, base = found
    fields = ("initContainers", "containers") if include_init else ("containers",)
    for field_name in fields:
        seq = spec.get(field_name)
        if not isinstance(seq, list):
            continue
        for i, c in enumerate(seq):
            if isinstance(c, dict):
                logical = f"{obj.label} › {base}.{field_name}[{i}]"
                yield Container(obj, c, seq, i, field_name == "initContainers", logical)


def is_job(obj: K8sObject) -> bool:
    return obj.kind in JOB_KINDS
