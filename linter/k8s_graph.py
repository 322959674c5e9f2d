"""The Kubernetes object graph of a scan: workloads, Services, HPAs, PDBs and what targets what.

Built once per scan from every K8S artifact of the repo index (plain manifests and rendered
Helm charts / kustomizations) and memoised with ``index.memo``. Objects are matched by
namespace (an object without ``metadata.namespace`` matches any namespace: kustomize or
``kubectl -n`` decide it at deploy time), name and label selectors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import field
from typing import TYPE_CHECKING, Any

from linter.fastdc import dataclass
from linter.model import ArtifactKind
from linter.parsers.k8s import K8sObject
from linter.workload import WORKLOAD_KINDS

if TYPE_CHECKING:
    from linter.index import RepoIndex

#: workloads that keep pods running behind a Service and that an HPA can scale
SCALABLE_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"})
HPA_KIND = "HorizontalPodAutoscaler"
PDB_KIND = "PodDisruptionBudget"
#: the kinds of the objects the graph's users report on: workloads (and their containers),
#: Services and HPAs (an object of any other kind has no pod spec, see ``workload.pod_spec``)
REPORTED_KINDS = WORKLOAD_KINDS | {"Service", HPA_KIND}


def get_path(data: Any, *keys: str) -> Any:
    """``data[k1][k2]…`` or None when a level is missing or not a mapping."""
    cur = data
    for key in keys:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(key)
    return cur


def pod_template_labels(obj: K8sObject) -> dict[str, str]:
    """Labels of the pods a workload creates (a Pod's own labels)."""
    if obj.kind == "Pod":
        labels = obj.labels
    elif obj.kind == "CronJob":
        labels = get_path(obj.data, "spec", "jobTemplate", "spec", "template", "metadata", "labels")
    else:
        labels = get_path(obj.data, "spec", "template", "metadata", "labels")
    if not isinstance(labels, dict):
        return {}
    return {str(k): str(v) for k, v in labels.items()}


def replicas(obj: K8sObject) -> int | None:
    """Declared ``spec.replicas`` (1 when unset on a scalable workload), None if not an int."""
    if obj.kind not in SCALABLE_KINDS:
        return None
    value = get_path(obj.data, "spec", "replicas")
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return int(value)


def selector_matches(selector: Any, labels: Mapping[str, str]) -> bool:
    """A LabelSelector (``matchLabels`` / ``matchExpressions``) against a label set.

    An empty or missing selector matches nothing here (a PDB with ``{}`` selects every pod of
    its namespace, but that is never what a readiness check wants to count on).
    """
    if not isinstance(selector, dict):
        return False
    match_labels = selector.get("matchLabels")
    exprs = selector.get("matchExpressions")
    if not match_labels and not exprs:
        return False
    if isinstance(match_labels, dict):
        for k, v in match_labels.items():
            if labels.get(str(k)) != str(v):
                return False
    elif match_labels is not None:
        return False
    if isinstance(exprs, list):
        for ex in exprs:
            if not isinstance(ex, dict):
                return False
            key = str(ex.get("key", ""))
            op = ex.get("operator")
            values = ex.get("values")
            vals = {str(v) for v in values} if isinstance(values, list) else set()
            if op == "In" and labels.get(key) not in vals:
                return False
            if op == "NotIn" and key in labels and labels[key] in vals:
                return False
            if op == "Exists" and key not in labels:
                return False
            if op == "DoesNotExist" and key in labels:
                return False
    return True


#: labels that controllers put on pods at run time: never in a pod template, so not matched
RUNTIME_LABELS = frozenset(
    {
        "statefulset.kubernetes.io/pod-name",
        "apps.kubernetes.io/pod-index",
        "pod-template-hash",
        "controller-revision-hash",
        "batch.kubernetes.io/job-name",
        "batch.kubernetes.io/controller-uid",
        "job-name",
        "controller-uid",
    }
)


def map_selector_matches(selector: Any, labels: Mapping[str, str]) -> bool:
    """A Service-style plain ``{key: value}`` selector (empty matches nothing).

    Keys that controllers add at run time (``statefulset.kubernetes.io/pod-name`` …) are
    ignored: they select one pod of a workload whose template cannot carry them.
    """
    if not isinstance(selector, dict) or not selector:
        return False
    static = {str(k): v for k, v in selector.items() if str(k) not in RUNTIME_LABELS}
    if not static:
        return False
    return all(labels.get(k) == str(v) for k, v in static.items())


def same_namespace(a: K8sObject, b: K8sObject) -> bool:
    return not a.namespace or not b.namespace or a.namespace == b.namespace


def _static_items(selector: Any) -> list[tuple[str, str]]:
    """A plain selector's ``(key, value)`` pairs that a pod template can carry."""
    if not isinstance(selector, dict):
        return []
    return sorted((str(k), str(v)) for k, v in selector.items() if str(k) not in RUNTIME_LABELS)


@dataclass(frozen=True)
class K8sGraph:
    """The objects, with lookup tables so that every question costs about the size of its
    answer, not the size of the repo (800 services: 800 workloads x 800 Services otherwise)."""

    objects: tuple[K8sObject, ...]
    _by_kind: dict[str, list[K8sObject]] = field(default_factory=dict, repr=False, compare=False)
    _labels: dict[int, dict[str, str]] = field(default_factory=dict, repr=False, compare=False)
    _pos: dict[int, int] = field(default_factory=dict, repr=False, compare=False)
    _named: dict[tuple[str, str], list[K8sObject]] = field(
        default_factory=dict, repr=False, compare=False
    )
    #: label pair -> workloads whose pod template carries it
    _carrying: dict[tuple[str, str], list[K8sObject]] = field(
        default_factory=dict, repr=False, compare=False
    )
    #: one pair of each Service's selector -> those Services (a match must have that pair)
    _svc_anchor: dict[tuple[str, str], list[K8sObject]] = field(
        default_factory=dict, repr=False, compare=False
    )
    #: scaleTargetRef (kind, name) -> HPAs
    _hpa_target: dict[tuple[Any, Any], list[K8sObject]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for i, o in enumerate(self.objects):
            self._pos[id(o)] = i
            self._by_kind.setdefault(o.kind, []).append(o)
            self._named.setdefault((o.kind, o.name), []).append(o)
            if o.kind in WORKLOAD_KINDS:
                labels = pod_template_labels(o)
                self._labels[id(o)] = labels
                for pair in labels.items():
                    self._carrying.setdefault(pair, []).append(o)
            elif o.kind == "Service":
                items = _static_items(get_path(o.data, "spec", "selector"))
                if items:
                    self._svc_anchor.setdefault(items[0], []).append(o)
            elif o.kind == HPA_KIND:
                ref = get_path(o.data, "spec", "scaleTargetRef")
                if isinstance(ref, dict):
                    key = (_hashable(ref.get("kind")), _hashable(ref.get("name")))
                    self._hpa_target.setdefault(key, []).append(o)

    def _in_order(self, objs: Iterable[K8sObject]) -> list[K8sObject]:
        unique = {id(o): o for o in objs}
        return sorted(unique.values(), key=lambda o: self._pos[id(o)])

    def of_kind(self, *kinds: str) -> list[K8sObject]:
        if len(kinds) == 1:
            return list(self._by_kind.get(kinds[0], ()))
        return [o for o in self.objects if o.kind in kinds]

    @property
    def workloads(self) -> list[K8sObject]:
        return [o for o in self.objects if id(o) in self._labels]

    def labels_of(self, workload: K8sObject) -> dict[str, str]:
        """Pod template labels of a workload of the graph (computed once)."""
        found = self._labels.get(id(workload))
        return pod_template_labels(workload) if found is None else found

    def find(self, kind: str, name: str, near: K8sObject) -> K8sObject | None:
        for o in self._named.get((kind, name), ()):
            if same_namespace(o, near):
                return o
        return None

    def services_selecting(self, workload: K8sObject) -> list[K8sObject]:
        labels = self.labels_of(workload)
        if not labels:
            return []
        candidates = (s for pair in labels.items() for s in self._svc_anchor.get(pair, ()))
        return self._in_order(
            s
            for s in candidates
            if same_namespace(s, workload)
            and map_selector_matches(get_path(s.data, "spec", "selector"), labels)
        )

    def workloads_selected_by(self, service: K8sObject) -> list[K8sObject]:
        selector = get_path(service.data, "spec", "selector")
        items = _static_items(selector)
        if not items:
            return []
        return [
            w
            for w in self._carrying.get(items[0], ())
            if same_namespace(w, service) and map_selector_matches(selector, self.labels_of(w))
        ]

    def hpas_targeting(self, workload: K8sObject) -> list[K8sObject]:
        return [
            h
            for h in self._hpa_target.get((workload.kind, workload.name), ())
            if same_namespace(h, workload)
        ]

    def scaled_by_keda(self, workload: K8sObject) -> bool:
        for so in self.of_kind("ScaledObject"):
            ref = get_path(so.data, "spec", "scaleTargetRef")
            if not isinstance(ref, dict) or ref.get("name") != workload.name:
                continue
            if ref.get("kind", "Deployment") == workload.kind and same_namespace(so, workload):
                return True
        return False

    def pdbs_selecting(self, workload: K8sObject) -> list[K8sObject]:
        labels = self.labels_of(workload)
        if not labels:
            return []
        return [
            p
            for p in self.of_kind(PDB_KIND)
            if same_namespace(p, workload)
            and selector_matches(get_path(p.data, "spec", "selector"), labels)
        ]


def _hashable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else repr(value)


def k8s_graph(index: RepoIndex) -> K8sGraph:
    """The scan's object graph (built once per scan).

    In a run on named files (pre-commit), only the manifests that can relate to a named one are
    parsed (:func:`_related`); when those hold no workload at all, the whole repo is, since
    "is there any workload?" is a question about all of it. When the named files hold no object
    the graph's users can report on (a CustomResourceDefinition, a ConfigMap), the graph is
    empty: nothing of it could be reported."""

    def build() -> K8sGraph:
        if index.named_files and not _names_reported_kind(index):
            return K8sGraph(())
        keep = _related(index) if index.named_files else None
        graph = _graph(index, keep)
        if keep is not None and not graph.workloads:
            graph = _graph(index, None)
        return graph

    return index.memo(("k8s-graph",), build)


def _names_reported_kind(index: RepoIndex) -> bool:
    """Do the named files (their manifests, and those rendered from the charts and
    kustomizations holding one) hold an object of :data:`REPORTED_KINDS`?"""
    from linter.render import named_objects

    return any(obj.kind in REPORTED_KINDS for obj in named_objects(index))


def _graph(index: RepoIndex, keep: Callable[[str], bool] | None) -> K8sGraph:
    """The graph of every K8S artifact, or (``keep``) of the named ones, the manifests whose
    text ``keep`` accepts and every rendered one, in the same order as the whole graph."""
    objs: list[K8sObject] = []
    if keep is None:
        for manifest in index.artifacts(ArtifactKind.K8S):
            objs.extend(manifest.objects)
        return K8sGraph(tuple(objs))
    from linter.render import rendered_manifests

    for src in index.sources_of({ArtifactKind.K8S}):
        if index.is_target(src.path) or keep(src.text):
            art = index.parsed(src)
            if art is not None:
                objs.extend(art.objects)
    for manifest in rendered_manifests(index):
        objs.extend(manifest.objects)
    return K8sGraph(tuple(objs))


#: the keys under which an object names the labels it carries or matches on
_RELATING_KEYS = frozenset({"labels", "selector", "matchLabels"})
#: target kinds an HPA may name that every manifest of a workload carries (no filter at all)
_CORE_TARGETS = SCALABLE_KINDS


def _scalars(node: Any, out: set[str]) -> None:
    """Every scalar below ``node`` as the graph compares it (``str(v)``: ``None`` too)."""
    if isinstance(node, dict):
        for value in node.values():
            _scalars(value, out)
    elif isinstance(node, list):
        for value in node:
            _scalars(value, out)
    else:
        out.add(str(node))


def _relating(node: Any, out: set[str]) -> None:
    """The scalars under every relating key of ``node`` (labels, selectors, scale targets)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if str(key) in _RELATING_KEYS:
                _scalars(value, out)
            elif key == "scaleTargetRef" and isinstance(value, dict):
                out.add(str(value.get("name")))
                if value.get("kind") not in _CORE_TARGETS:  # a custom kind: is it known?
                    out.add(str(value.get("kind")))
            else:
                _relating(value, out)
    elif isinstance(node, list):
        for value in node:
            _relating(value, out)


def _related(index: RepoIndex) -> Callable[[str], bool]:
    """Accepts the text of a manifest that can hold an object related to a named manifest's.

    Every relation the graph answers goes through a string the named objects carry: a name
    (an HPA's or a KEDA ScaledObject's ``scaleTargetRef``, ``find``), a kind (the custom kinds
    an HPA may target), a label value (a Service's or a PDB's ``matchLabels`` must carry one of
    the pod labels, and a workload one of a Service's selector values). A manifest's text holds
    its strings literally, except for escapes: a text with a backslash is kept, and so is one
    with ``matchExpressions`` (``Exists``/``NotIn`` select without naming a value)."""
    tokens: set[str] = set()
    for manifest in index.artifacts(ArtifactKind.K8S, targets_only=True):
        for obj in manifest.objects:
            tokens.add(obj.name)
            _relating(obj.data, tokens)
    needles = tuple(sorted(tokens, key=len, reverse=True))

    def keep(text: str) -> bool:
        return "\\" in text or "matchExpressions" in text or any(t in text for t in needles)

    return keep
