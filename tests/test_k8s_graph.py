"""The object graph's lookup tables answer what a scan of every object answers (same objects,
same order), for random mixes of workloads, Services and HPAs."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from linter.k8s_graph import (
    HPA_KIND,
    K8sGraph,
    get_path,
    map_selector_matches,
    same_namespace,
)
from linter.model import ArtifactKind
from linter.parsers.k8s import K8sObject
from linter.source import SourceFile

SRC = SourceFile("k8s.yaml", "/k8s.yaml", ArtifactKind.K8S, "")
label = st.sampled_from(["app", "tier", "pod-template-hash", "statefulset.kubernetes.io/pod-name"])
value = st.sampled_from(["a", "b", "1"])
labels = st.dictionaries(label, value, max_size=3)
names = st.sampled_from(["api", "web", "db"])
namespaces = st.sampled_from(["", "prod", "dev"])


def _obj(kind: str, name: str, ns: str, data: dict[str, Any]) -> K8sObject:
    data = {"kind": kind, "metadata": {"name": name, "namespace": ns}, **data}
    return K8sObject(SRC, data, kind, "v1", name, ns, 1, 1)


workload = st.builds(
    lambda kind, name, ns, lb: _obj(
        kind, name, ns, {"spec": {"template": {"metadata": {"labels": lb}}}}
    ),
    st.sampled_from(["Deployment", "StatefulSet"]),
    names,
    namespaces,
    labels,
)
service = st.builds(
    lambda name, ns, sel: _obj("Service", name, ns, {"spec": {"selector": sel}}),
    names,
    namespaces,
    labels | st.just(None),
)
hpa = st.builds(
    lambda name, ns, kind, target: _obj(
        HPA_KIND, name, ns, {"spec": {"scaleTargetRef": {"kind": kind, "name": target}}}
    ),
    names,
    namespaces,
    st.sampled_from(["Deployment", "StatefulSet", None]),
    names,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(workload | service | hpa, max_size=12))
def test_tables_answer_like_a_full_scan(objs: list[K8sObject]) -> None:
    g = K8sGraph(tuple(objs))
    svcs = [o for o in objs if o.kind == "Service"]
    works = [o for o in objs if o.kind in ("Deployment", "StatefulSet")]
    for w in works:
        want = [
            s
            for s in svcs
            if g.labels_of(w)
            and same_namespace(s, w)
            and map_selector_matches(get_path(s.data, "spec", "selector"), g.labels_of(w))
        ]
        assert g.services_selecting(w) == want
        hpas = [
            h
            for h in objs
            if h.kind == HPA_KIND
            and h.data["spec"]["scaleTargetRef"]["kind"] == w.kind
            and h.data["spec"]["scaleTargetRef"]["name"] == w.name
            and same_namespace(h, w)
        ]
        assert g.hpas_targeting(w) == hpas
    for s in svcs:
        sel = get_path(s.data, "spec", "selector")
        want = [
            w for w in works if same_namespace(w, s) and map_selector_matches(sel, g.labels_of(w))
        ]
        assert g.workloads_selected_by(s) == want
    for o in objs:
        first = next(
            (x for x in objs if x.kind == o.kind and x.name == o.name and same_namespace(x, o)),
            None,
        )
        assert g.find(o.kind, o.name, o) is first
