"""Inline suppressions, Kubernetes annotations, reasonless and unused suppressions."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from linter.model import ArtifactKind
from linter.source import SourceFile
from linter.suppress import parse_directives
from tests.conftest import run_scan, triples

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api  # prodready: ignore[k8s-missing-liveness-probe] probes come from the mesh
          image: ghcr.io/acme/api:1.0.0
          readinessProbe: {httpGet: {path: /ready, port: 8080}}
          resources: {limits: {cpu: 100m, memory: 64Mi}}
        # prodready: ignore[k8s-missing-liveness-probe, k8s-image-tag-mutable] sidecar, vendor image
        - name: sidecar
          image: ghcr.io/acme/sidecar:1.0.0
          readinessProbe: {httpGet: {path: /ready, port: 8080}}
          resources: {limits: {cpu: 100m, memory: 64Mi}}
"""

#: the first k8s rules only: the k8s family grows and these tests pin exact findings
LEAD_K8S = [
    "k8s-missing-readiness-probe",
    "k8s-missing-liveness-probe",
    "k8s-missing-resource-limits",
    "k8s-image-tag-mutable",
]
#: the same for the Dockerfile family
LEAD_DOCKER = ["docker-runs-as-root", "docker-shell-form-entrypoint"]

ANNOTATED = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  annotations:
    prodready.io/ignore: "k8s-missing-readiness-probe: no traffic; k8s-missing-liveness-probe"
spec:
  template:
    spec:
      containers:
        - name: worker
          image: ghcr.io/acme/worker:1.0.0
          resources: {limits: {cpu: 100m, memory: 64Mi}}
"""

DOCKERFILE = """\
FROM node:20.11-slim
# prodready: ignore[docker-runs-as-root]
CMD ["node", "server.js"]  // prodready: ignore[docker-shell-form-entrypoint] stale
"""


def test_inline_yaml_suppression_same_line_and_line_above(tmp_path: Path) -> None:
    (tmp_path / "deploy.yaml").write_text(DEPLOY)
    result = run_scan(["."], cwd=tmp_path, select=[*LEAD_K8S, "prodready"])
    assert triples(result) == [
        "deploy.yaml:13:9 prodready-unused-suppression",
    ]
    assert triples(result, include_suppressed=True) == [
        "deploy.yaml:9:11 k8s-missing-liveness-probe",
        "deploy.yaml:13:9 prodready-unused-suppression",
        "deploy.yaml:14:11 k8s-missing-liveness-probe",
    ]
    suppressed = [f for f in result.findings if f.suppression is not None]
    assert [f.suppression.justification for f in suppressed if f.suppression] == [
        "probes come from the mesh",
        "sidecar, vendor image",
    ]
    unused = [f for f in result.findings if f.rule_id == "prodready-unused-suppression"]
    assert [f.message for f in unused] == [
        "Suppression of `k8s-image-tag-mutable` matched no finding; remove it."
    ]


def test_annotation_suppression(tmp_path: Path) -> None:
    (tmp_path / "worker.yaml").write_text(ANNOTATED)
    result = run_scan(["."], cwd=tmp_path, select=[*LEAD_K8S, "prodready"])
    assert triples(result) == ["worker.yaml:2:1 prodready-suppression-without-reason"]
    assert triples(result, include_suppressed=True) == [
        "worker.yaml:2:1 prodready-suppression-without-reason",
        "worker.yaml:11:11 k8s-missing-liveness-probe",
        "worker.yaml:11:11 k8s-missing-readiness-probe",
    ]


def test_reasonless_and_stale_dockerfile_directives(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    result = run_scan(["."], cwd=tmp_path, select=[*LEAD_DOCKER, "prodready"])
    # line 2's directive covers line 3 only, so the FROM finding on line 1 stays
    assert triples(result) == [
        "Dockerfile:1:1 docker-runs-as-root",
        "Dockerfile:2:1 prodready-suppression-without-reason",
        "Dockerfile:2:1 prodready-unused-suppression",
        "Dockerfile:3:28 prodready-unused-suppression",
    ]


def test_unknown_rule_in_directive(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        'FROM node:20.11-slim\nUSER node\nCMD ["node"]  # prodready: ignore[no-such-rule] x\n'
    )
    result = run_scan(["."], cwd=tmp_path, select=[*LEAD_DOCKER, "prodready"])
    assert [(f.rule_id, f.message) for f in result.active] == [
        ("prodready-unused-suppression", "Suppression names unknown rule `no-such-rule`.")
    ]


def test_disabled_rule_directive_is_not_reported(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM node:20.11-slim\nUSER node\n"
        'CMD ["node"]  # prodready: ignore[k8s-missing-liveness-probe] not this file\n'
    )
    result = run_scan(["."], cwd=tmp_path, select=[*LEAD_DOCKER, "prodready"])
    assert triples(result) == []


@given(st.text(max_size=300))
def test_directive_parser_never_crashes(text: str) -> None:
    src = SourceFile("f.py", "f.py", ArtifactKind.PYTHON, "x = 1  # prodready: " + text)
    for d in parse_directives(src):
        assert d.location.start_line >= 1
        assert all(i == i.strip() and i for i in d.rule_ids)


_PATHS = st.sampled_from(["a.yaml", "b.py"])
_RULES = st.sampled_from(["r1", "r2", "r3"])


@given(
    st.lists(
        st.tuples(
            _PATHS,
            st.lists(_RULES, max_size=3).map(tuple),
            st.integers(1, 120),
            st.integers(-2, 150),
        ),
        max_size=12,
    ),
    st.lists(st.tuples(_PATHS, _RULES, st.integers(1, 130)), max_size=20),
)
def test_each_finding_gets_the_first_covering_directive(
    raw_dirs: list[tuple[str, tuple[str, ...], int, int]], raw_findings: list[tuple[str, str, int]]
) -> None:
    """apply() finds the directive by lookups; what it picks is what a scan of the file's
    directives in order picks (narrow, wide, empty and overlapping ranges), with every
    directive filed by line and with the wider ones checked in turn (no line budget)."""
    from linter.model import Location
    from linter.suppress import Directive, _Covering

    dirs = [
        Directive(Location(path, start), rules, "why", start, start + span)
        for path, rules, start, span in raw_dirs
    ]
    for covering in (_Covering(dirs), _Covering(dirs, budget=0)):
        for path, rule, line in raw_findings:
            want = next(
                (
                    d
                    for d in dirs
                    if d.location.path == path
                    and rule in d.rule_ids
                    and d.applies_from <= line <= d.applies_to
                ),
                None,
            )
            assert covering.first(path, rule, line) is want


def _lines(path: str, kind: ArtifactKind, text: str) -> list[tuple[int, tuple[str, ...]]]:
    src = SourceFile(path, "/" + path, kind, text)
    return [(d.location.start_line, d.rule_ids) for d in parse_directives(src)]


def test_a_directive_counts_only_in_a_comment_of_the_files_syntax() -> None:
    """Quoted directives (a docstring, a string, a JSON value, a Markdown heading or code
    example) were directives, each then reported as an unused suppression."""
    py = (
        '"""Docs.\n\n# prodready: ignore[a] in a docstring\n"""\n'
        'x = "# prodready: ignore[b] in a string"\n'
        "y = 1  # prodready: ignore[c] a real comment\n"
        "# prodready: ignore[d] a comment line\n"
        'z = "# prodready: ignore[e] quoted"  # prodready: ignore[f] after the string\n'
    )
    assert _lines("app.py", ArtifactKind.PYTHON, py) == [(6, ("c",)), (7, ("d",)), (8, ("f",))]
    js = (
        "const s = '// prodready: ignore[a] quoted';\n"
        "foo(); // prodready: ignore[b] real\n"
        'const t = "x"; /* prodready: ignore[c] real */\n'
        "const u = `/* prodready: ignore[d] template`;\n"
    )
    assert _lines("server.js", ArtifactKind.JAVASCRIPT, js) == [(2, ("b",)), (3, ("c",))]
    json_text = (
        '{\n  "help": "# prodready: ignore[a] example",\n'
        '  // prodready: ignore[b] a JSONC comment line\n  "x": 1\n}\n'
    )
    assert _lines("tsconfig.json", ArtifactKind.JSON, json_text) == [(3, ("b",))]
    assert _lines("results.sarif", ArtifactKind.TEXT, json_text) == [(3, ("b",))]
    md = (
        "# prodready: ignore[a] a heading\n"
        "<!-- prodready: ignore[b] a real comment -->\n"
        "```yaml\nreplicas: 1  # prodready: ignore[c] an example\n"
        "<!-- prodready: ignore[d] in the example -->\n```\n"
        "~~~~\n# prodready: ignore[e] another fence\n~~~~\n"
        "<!-- prodready: ignore[f] after the fences -->\n"
    )
    assert _lines("README.md", ArtifactKind.TEXT, md) == [(2, ("b",)), (10, ("f",))]
    yaml = 'a: "# prodready: ignore[a] x"\nb: 1  # prodready: ignore[b] y\n'
    assert _lines("k.yaml", ArtifactKind.K8S, yaml) == [(1, ("a",)), (2, ("b",))]


def test_a_python_file_the_tokenizer_refuses_keeps_the_plain_rule() -> None:
    text = 'x = """never closed\n# prodready: ignore[a] reason\n'
    assert _lines("bad.py", ArtifactKind.PYTHON, text) == [(2, ("a",))]


def test_quoted_directives_are_not_unused_suppressions(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "rules.md").write_text(
        "## Example\n```dockerfile\nUSER root  # prodready: ignore[docker-runs-as-root] why\n```\n"
    )
    (tmp_path / "lint.py").write_text(
        'HELP = "add `# prodready: ignore[rule-id] reason` to the line"\n'
    )
    (tmp_path / "Dockerfile").write_text(
        "FROM node:20.11-slim\nUSER node\n"
        'CMD ["node"]  # prodready: ignore[docker-runs-as-root] x\n'
    )
    # the secret rules read every text file, so every file's directives are parsed
    result = run_scan(["."], cwd=tmp_path, select=["docker-runs-as-root", "secret", "prodready"])
    # the Dockerfile's comment is a directive, and stale; the quoted ones are not directives
    assert triples(result) == ["Dockerfile:3:15 prodready-unused-suppression"]


def test_a_directive_in_a_file_only_a_repo_scope_rule_reads(tmp_path: Path) -> None:
    """With only repo-scope rules on, the file phase reads no file: the directives of the files
    those rules read are found all the same (and an unused one is reported)."""
    (tmp_path / "requirements.txt").write_text(
        "flask>=2.0  # prodready: ignore[deps-unpinned] pinned by the lock file\n"
        "requests>=2.31\n"
        "gunicorn==22.0.0  # prodready: ignore[deps-unpinned] stale\n"
    )
    result = run_scan(["."], cwd=tmp_path, select=["deps-unpinned", "prodready"])
    assert triples(result) == [
        "requirements.txt:2:1 deps-unpinned",
        "requirements.txt:3:19 prodready-unused-suppression",
    ]
    assert triples(result, include_suppressed=True) == [
        "requirements.txt:1:1 deps-unpinned",
        "requirements.txt:2:1 deps-unpinned",
        "requirements.txt:3:19 prodready-unused-suppression",
    ]
