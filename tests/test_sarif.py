"""SARIF: schema-valid, complete rule metadata, suppressions, notifications, deterministic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attr
import sarif_om as om
from hypothesis import given, settings
from hypothesis import strategies as st

from linter.model import Confidence, Finding, Location, Severity, Suppression
from linter.output import render, sarif
from tests.conftest import run_scan, validate_sarif


def _repo(tmp_path: Path) -> Path:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text(
        'FROM node:20.11-slim\nCMD ["node", "server.js"]\n'
        "# prodready: ignore[docker-runs-as-root] legacy base image needs root\nUSER root\n"
    )
    (tmp_path / "k8s dir").mkdir()
    (tmp_path / "k8s dir" / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        "    - name: app\n      image: nginx\n"
    )
    (tmp_path / "bad.yaml").write_text("apiVersion: v1\nkind: Pod\nspec: [\n")
    return tmp_path


def test_sarif_document(tmp_path: Path) -> None:
    result = run_scan(["."], cwd=_repo(tmp_path))
    doc = validate_sarif(render("sarif", result))
    assert doc["version"] == "2.1.0"
    [run] = doc["runs"]  # type: ignore[index]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(r["id"] for r in rules)
    for rule in rules:
        assert rule["name"] and rule["shortDescription"]["text"]
        assert rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["helpUri"] in rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert rule["properties"]["precision"] in ("very-high", "high", "medium", "low")
        assert len(rule["properties"]["tags"]) <= 20
        if "security" in rule["properties"]["tags"]:
            assert isinstance(rule["properties"]["security-severity"], str)
    by_id = {r["id"]: r for r in rules}
    assert by_id["docker-runs-as-root"]["properties"]["security-severity"] == "8.0"
    assert "external/cwe/cwe-250" in by_id["docker-runs-as-root"]["properties"]["tags"]
    results = run["results"]
    uris = sorted(
        {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    )
    assert uris == ["k8s%20dir/pod.yaml", "svc/Dockerfile"]
    for r in results:
        assert r["ruleIndex"] == [x["id"] for x in rules].index(r["ruleId"])
        assert r["partialFingerprints"]["prodready/v1"]
        assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    suppressed = [r for r in results if r.get("suppressions")]
    assert [(r["ruleId"], r["suppressions"]) for r in suppressed] == [
        (
            "docker-runs-as-root",
            [
                {
                    "kind": "inSource",
                    "status": "accepted",
                    "justification": "legacy base image needs root",
                    "location": {
                        "physicalLocation": {
                            "artifactLocation": {"uri": "svc/Dockerfile", "uriBaseId": "%SRCROOT%"},
                            "region": {
                                "startLine": 3,
                                "startColumn": 1,
                                "endLine": 3,
                                "endColumn": 70,
                            },
                        }
                    },
                }
            ],
        )
    ]
    [inv] = run["invocations"]
    assert inv["executionSuccessful"] is True
    [note] = inv["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["descriptor"]["id"] == "prodready-parse-error"
    assert note["locations"][0]["physicalLocation"]["region"]["startLine"] == 4
    assert "automationDetails" not in run


def test_output_is_deterministic(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    for fmt in ("sarif", "json", "text", "github", "markdown"):
        first = render(fmt, run_scan(["."], cwd=repo, check_sarif=False))
        second = render(fmt, run_scan(["."], cwd=repo, check_sarif=False))
        assert first == second, fmt


def test_json_shape(tmp_path: Path) -> None:
    result = run_scan(["."], cwd=_repo(tmp_path))
    doc = json.loads(render("json", result))
    first = doc["findings"][0]
    assert set(first) == {
        "rule_id",
        "severity",
        "confidence",
        "message",
        "location",
        "snippet",
        "related",
        "fingerprint",
        "suppressed",
        "properties",
    }
    assert first["location"]["path"] == "k8s dir/pod.yaml"
    assert doc["notifications"][0]["code"] == "prodready-parse-error"


_CLASSES = [
    om.Result,
    om.Location,
    om.PhysicalLocation,
    om.Region,
    om.ArtifactLocation,
    om.Suppression,
    om.LogicalLocation,
    om.Message,
]


@st.composite
def _object_values(draw: st.DrawFn) -> tuple[type, dict[str, Any]]:
    """A sarif-om class and values for some of its attributes: JSON leaves, None, or the
    attribute's own default (left out unless SARIF needs it written)."""
    cls = draw(st.sampled_from(_CLASSES))
    fields = attr.fields(cls)
    chosen = draw(st.lists(st.sampled_from(fields), unique=True, max_size=8))
    values: dict[str, Any] = {}
    for f in draw(st.permutations(chosen)):
        leaf = st.one_of(st.none(), st.text(max_size=5), st.integers(-2, 3), st.booleans())
        if f.default is not attr.NOTHING:
            leaf = st.one_of(leaf, st.just(f.default))
        values[f.name] = draw(leaf)
    return cls, values


@settings(max_examples=300, deadline=None)
@given(_object_values())
def test_direct_objects_encode_as_sarif_om_objects(case: tuple[type, dict[str, Any]]) -> None:
    """Results and locations are written as dicts directly: the same names, order, defaults
    and left-out values as encoding the sarif-om object (a required attribute is given)."""
    cls, values = case
    required = {
        f.name: "x" for f in attr.fields(cls) if f.default is attr.NOTHING and f.name not in values
    }
    values = {**values, **required}
    direct = sarif._obj(cls, **values)
    assert list(direct.items()) == list(sarif.encode(cls(**values)).items())


_paths = st.sampled_from(["a.yaml", "k8s dir/pod #1.yaml", "/abs/x.py", "s/ü.js", "%41"])


@st.composite
def _locations(draw: st.DrawFn) -> Location:
    line = draw(st.integers(1, 50))
    return Location(
        draw(_paths),
        line,
        draw(st.integers(1, 9)),
        draw(st.integers(0, 60)),
        draw(st.integers(0, 12)),
        draw(st.sampled_from(["", "Deployment/api/containers/app"])),
    )


@st.composite
def _findings(draw: st.DrawFn) -> Finding:
    suppression = draw(
        st.one_of(
            st.none(),
            st.builds(
                Suppression,
                st.sampled_from(["inSource", "external"]),
                st.text(max_size=5),
                st.one_of(st.none(), _locations()),
            ),
        )
    )
    return Finding(
        draw(st.sampled_from(["k8s-missing-pdb", "docker-runs-as-root", "not-a-rule"])),
        draw(st.text(max_size=8)),
        draw(st.sampled_from(list(Severity))),
        draw(st.sampled_from(list(Confidence))),
        draw(_locations()),
        tuple(draw(st.lists(_locations(), max_size=2))),
        (),
        draw(
            st.dictionaries(
                st.sampled_from(["severity", "image", "n"]),
                st.one_of(st.text(max_size=4), st.integers(-3, 3)),
                max_size=2,
            )
        ),
        suppression,
    )


def _om_physical(loc: Location, snippet: str | None = None) -> om.PhysicalLocation:
    uri, base = sarif._uri(loc.path)
    return om.PhysicalLocation(
        artifact_location=om.ArtifactLocation(uri=uri, uri_base_id=base),
        region=om.Region(
            start_line=loc.start_line,
            start_column=loc.start_col,
            end_line=loc.end_line,
            end_column=loc.end_col,
            snippet=om.ArtifactContent(text=snippet) if snippet is not None else None,
        ),
    )


def _om_location(loc: Location, snippet: str | None = None) -> om.Location:
    logical = [om.LogicalLocation(fully_qualified_name=loc.logical_path, kind="object")]
    return om.Location(
        physical_location=_om_physical(loc, snippet),
        logical_locations=logical if loc.logical_path else None,
    )


@settings(max_examples=300, deadline=None)
@given(_findings(), st.one_of(st.none(), st.text(max_size=6)))
def test_results_are_what_sarif_om_objects_encode_to(f: Finding, snippet: str | None) -> None:
    """A result is written as a dict directly: the names, order and values (left out: None
    and defaults; written: kind and level) of encoding the sarif-om Result."""
    rule_index = {"k8s-missing-pdb": 0, "docker-runs-as-root": 7}
    snippets = {} if snippet is None else {(f.location.path, f.location.start_line): snippet}
    sup = f.suppression
    props: dict[str, Any] = {"severity": f.severity.label, "confidence": f.confidence.label}
    props.update({k: v for k, v in f.properties.items() if k not in props})
    want = om.Result(
        message=om.Message(text=f.message),
        kind="fail",
        level=sarif.LEVEL[f.severity],
        locations=[_om_location(f.location, snippet)],
        partial_fingerprints={sarif.VERSION_KEY: "fp"},
        properties=props,
        related_locations=[
            om.Location(id=i, physical_location=_om_physical(r)) for i, r in enumerate(f.related, 1)
        ]
        or None,
        rule_id=f.rule_id,
        rule_index=rule_index.get(f.rule_id, -1),
        suppressions=None
        if sup is None
        else [
            om.Suppression(
                kind=sup.kind,
                state="accepted",
                justification=sup.justification,
                location=_om_location(sup.location) if sup.location is not None else None,
            )
        ],
    )
    got = sarif._result(f, "fp", rule_index, snippets)
    assert json.dumps(got) == json.dumps(sarif.encode(want))


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
    | st.text(" \t\n\x0b\x1c\x85\xa0\u2028\u3000a", max_size=12)
)
def test_fingerprint_normalisation_is_the_regex_one(text: str) -> None:
    import re

    from linter.fingerprint import _norm

    assert _norm(text) == re.sub(r"\s+", " ", text).strip()
