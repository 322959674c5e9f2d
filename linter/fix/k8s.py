"""Kubernetes fixers: a ``resources`` skeleton and a container ``securityContext`` block.

Only missing keys are added; a value someone wrote (even a wrong one) is left for a person.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from linter.fastdc import dataclass
from linter.fix.yamlrt import Doc, first_line, insert_after, last_line
from linter.lazyre import lazy

POD_PATHS = {
    "Pod": ("spec",),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
WORKLOADS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}
)

#: requests/limits the resources fixer writes when the config (``fix.resources``) says nothing
DEFAULT_RESOURCES: Mapping[str, Mapping[str, str]] = {
    "requests": {"cpu": "100m", "memory": "128Mi"},
    "limits": {"cpu": "500m", "memory": "256Mi"},
}


@dataclass(frozen=True)
class ContainerNode:
    """A container mapping of a manifest with the lines it (and its object) spans."""

    data: Any  # CommentedMap
    first: int  # 1-based first line
    last: int  # 1-based last line
    obj_first: int
    obj_last: int
    pod: Any = None  # the pod spec (CommentedMap)


def _pod_spec(doc: Any) -> Any:
    kind = doc.get("kind")
    if not isinstance(kind, str) or (kind not in WORKLOADS and kind not in POD_PATHS):
        return None
    cur: Any = doc
    for key in POD_PATHS.get(kind, ("spec", "template", "spec")):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(key)
    return cur if isinstance(cur, dict) else None


def containers(docs: list[Doc]) -> Iterator[ContainerNode]:
    for off, doc in docs:
        if not isinstance(doc, dict):
            continue
        spec = _pod_spec(doc)
        if spec is None:
            continue
        lc = getattr(doc, "lc", None)
        obj_first = (int(lc.line) if lc is not None and lc.line is not None else 0) + 1 + off
        obj_last = last_line(doc) + 1 + off
        for field in ("initContainers", "containers"):
            seq = spec.get(field)
            if not isinstance(seq, list):
                continue
            for i, c in enumerate(seq):
                if isinstance(c, CommentedMap) and not c.fa.flow_style():
                    yield ContainerNode(
                        c,
                        first_line(seq, i, c) + 1 + off,
                        last_line(c) + 1 + off,
                        obj_first,
                        obj_last,
                        spec,
                    )


def targeted(docs: list[Doc], lines: Collection[int] | None) -> list[ContainerNode]:
    """Containers a finding points into; a finding on a workload line (its ``kind:``) means all
    of that workload's containers. ``lines=None``: every container."""
    found = list(containers(docs))
    if lines is None:
        return found
    out: list[ContainerNode] = []
    for c in found:
        for t in lines:
            inside = c.first <= t <= c.last
            on_object = c.obj_first <= t <= c.obj_last and not any(
                o.first <= t <= o.last for o in found
            )
            if inside or on_object:
                out.append(c)
                break
    return out


_SUFFIX = {
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2.0**10,
    "Mi": 2.0**20,
    "Gi": 2.0**30,
    "Ti": 2.0**40,
    "Pi": 2.0**50,
    "Ei": 2.0**60,
}
_QUANTITY = lazy(r"^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$")


def quantity(value: object) -> float | None:
    """A Kubernetes quantity (``500m``, ``1``, ``256Mi``) as a number; None when unparseable."""
    m = _QUANTITY.match(str(value).strip())
    if not m:
        return None
    return float(m.group(1)) * _SUFFIX.get(m.group(2) or "", 1.0)


def _pick(default: Any, other: Any, which: str) -> Any:
    """The value to write for a missing request/limit so that request <= limit holds."""
    if other in (None, ""):
        return default
    d, o = quantity(default), quantity(other)
    if d is None or o is None:
        return other
    too_big = d > o if which == "requests" else d < o
    return other if too_big else default


def _child_map(parent: Any, key: str, after: str | None = None) -> Any:
    """``parent[key]`` as a mapping, created (after ``after``, else at the end) when missing or
    null; None when it is something else. A flow mapping stays flow."""
    cur = parent.get(key)
    if cur is None:
        cur = CommentedMap()
        if key in parent:
            parent[key] = cur
        else:
            insert_after(parent, after or "", key, cur)
    return cur if isinstance(cur, dict) else None


def fix_resources(
    docs: list[Doc], lines: Collection[int] | None, options: Mapping[str, Any], which: str
) -> bool:
    """Add missing ``resources.<which>`` cpu/memory (which: "limits" or "requests")."""
    defaults = dict(DEFAULT_RESOURCES[which])
    defaults.update(options.get("resources", {}).get(which, {}))
    other = "requests" if which == "limits" else "limits"
    changed = False
    for c in targeted(docs, lines):
        res = c.data.get("resources")
        current = res.get(which) if isinstance(res, dict) else None
        limits = res.get("limits") if isinstance(res, dict) else None
        missing = [
            k
            for k in ("cpu", "memory")
            if (not isinstance(current, dict) or current.get(k) in (None, ""))
            # a limit without a request makes Kubernetes request the limit: nothing is missing
            and not (which == "requests" and isinstance(limits, dict) and limits.get(k))
        ]
        if not missing:
            continue
        res = _child_map(c.data, "resources")
        if res is None:
            continue
        target = _child_map(res, which)
        if target is None:
            continue
        counterpart = res.get(other) if isinstance(res.get(other), dict) else {}
        for k in missing:
            # a limit below an existing request (or a request above an existing limit) would be
            # rejected by the API server: then the value already written for the other side wins
            target[k] = _pick(defaults[k], counterpart.get(k), which)
        changed = True
    return changed


#: rule id → (key in the container's securityContext, value)
SECURITY_KEYS: Mapping[str, tuple[str, Any]] = {
    "k8s-privilege-escalation": ("allowPrivilegeEscalation", False),
    "k8s-writable-root-fs": ("readOnlyRootFilesystem", True),
    "k8s-run-as-root": ("runAsNonRoot", True),
}
CAPABILITIES_RULE = "k8s-capabilities-not-dropped"
RUN_AS_ROOT = "k8s-run-as-root"


def _sets_user(c: ContainerNode) -> bool:
    """Whether the container or its pod already says who it runs as: then adding
    ``runAsNonRoot: true`` could stop a pod with ``runAsUser: 0`` from starting."""
    for holder in (c.data, c.pod):
        sc = holder.get("securityContext") if isinstance(holder, dict) else None
        if isinstance(sc, dict) and ("runAsUser" in sc or "runAsNonRoot" in sc):
            return True
    return False


def fix_security_context(docs: list[Doc], lines: Collection[int] | None, rule_id: str) -> bool:
    """Add the hardening setting ``rule_id`` asks for to each targeted container."""
    changed = False
    for c in targeted(docs, lines):
        sc = c.data.get("securityContext")
        if sc is not None and not isinstance(sc, dict):
            continue
        if rule_id == RUN_AS_ROOT and _sets_user(c):
            continue  # an explicit user (e.g. runAsUser: 0) is a decision for a person
        if rule_id in SECURITY_KEYS:
            key, value = SECURITY_KEYS[rule_id]
            if isinstance(sc, dict) and key in sc:
                continue  # an explicit value is a decision for a person
            sc = _child_map(c.data, "securityContext")
            sc[key] = value
            changed = True
        elif rule_id == CAPABILITIES_RULE:
            caps = sc.get("capabilities") if isinstance(sc, dict) else None
            drop = caps.get("drop") if isinstance(caps, dict) else None
            if isinstance(drop, list) and any(str(d).upper() == "ALL" for d in drop):
                continue
            if drop is not None and not isinstance(drop, list):
                continue
            if caps is not None and not isinstance(caps, dict):
                continue
            sc = _child_map(c.data, "securityContext")
            caps = _child_map(sc, "capabilities")
            if isinstance(drop, list):
                drop.append("ALL")
            else:
                seq = CommentedSeq(["ALL"])
                seq.fa.set_flow_style()
                caps["drop"] = seq
            changed = True
    return changed
