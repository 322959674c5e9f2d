"""CI model, gates and CI image builds, on small repos written in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from linter.ci import all_commands, pipelines, untrusted_contexts
from linter.ci_images import image_builds
from linter.services import services
from tests.conftest import run_scan, triples


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


WORKFLOW = """\
on: [push]
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: |
          docker build -t ghcr.io/acme/api:${{ github.sha }} \\
            -f api/Dockerfile api
      - run: docker build --tag acme/billing:2.0 .
        working-directory: ./services/billing
      - uses: docker/build-push-action@4f58ea79222b3b9dc2c8bbdd6debcef730109a75
        with:
          context: ./worker
          tags: |
            ghcr.io/acme/worker:1.0
            ghcr.io/acme/worker-alias:1.0
"""

GITLAB = """\
include:
  - local: ci/build.yml
  - remote: https://example.com/x.yml
test:
  script: [pytest]
"""

GITLAB_BUILD = """\
build:
  script:
    - docker buildx build --platform linux/amd64 -t $CI_REGISTRY_IMAGE/web:$CI_COMMIT_SHA web
    - /kaniko/executor --context $CI_PROJECT_DIR/jobs --dockerfile jobs/Dockerfile
        --destination registry.example.com/acme/jobs:1.2
"""


def test_image_builds_from_gha_and_gitlab(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            ".github/workflows/build.yml": WORKFLOW,
            ".gitlab-ci.yml": GITLAB,
            "ci/build.yml": GITLAB_BUILD,
            "api/Dockerfile": "FROM python:3.12\n",
        },
    )
    result = run_scan(["."], cwd=tmp_path, select=["ci-no-test-step"])
    assert result.index is not None
    assert sorted(image_builds(result.index)) == [
        ("api", "ghcr.io/acme/api:${{ github.sha }}"),
        ("jobs", "registry.example.com/acme/jobs:1.2"),
        ("services/billing", "acme/billing:2.0"),
        ("web", "$CI_REGISTRY_IMAGE/web:$CI_COMMIT_SHA"),
        ("worker", "ghcr.io/acme/worker-alias:1.0"),
        ("worker", "ghcr.io/acme/worker:1.0"),
    ]
    # the service join picks the CI image name up for the api/ build context
    api = [s for s in services(result.index) if s.directory == "api"]
    assert api and "api" in api[0].image_names
    # the remote include is noted once, with its position; the local one is followed
    notes = [(n.path, n.line, n.code) for n in result.notifications]
    assert notes == [(".gitlab-ci.yml", 3, "prodready-ci-include")]
    paths = [p.path for p in pipelines(result.index)]
    assert "ci/build.yml" in paths


def test_missing_local_include_is_a_warning(tmp_path: Path) -> None:
    _write(tmp_path, {".gitlab-ci.yml": "include: ci/none.yml\ntest:\n  script: [pytest]\n"})
    result = run_scan(["."], cwd=tmp_path, select=["ci-no-test-step"])
    assert [(n.line, n.message) for n in result.notifications] == [
        (1, "GitLab local include `ci/none.yml` not found in the scanned tree")
    ]
    assert triples(result) == []


def test_no_coverage_gate_points_at_the_test_step(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            ".github/workflows/ci.yml": (
                "on: push\npermissions: {}\njobs:\n  t:\n    runs-on: x\n    steps:\n"
                "      - run: |\n          pip install .\n          python -m pytest -q\n"
            )
        },
    )
    result = run_scan(["."], cwd=tmp_path, select=["ci-no-coverage-threshold"])
    assert triples(result) == [".github/workflows/ci.yml:9:21 ci-no-coverage-threshold"]
    assert result.active[0].message.startswith("No coverage threshold is enforced")


def test_coverage_minimum_is_configurable(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            ".prodready.yaml": "rules:\n  ci-no-coverage-threshold:\n    minimum: 95\n",
            ".gitlab-ci.yml": "test:\n  script:\n    - pytest --cov-fail-under 90\n",
        },
    )
    result = run_scan(["."], cwd=tmp_path, select=["ci-no-coverage-threshold"])
    assert triples(result) == [".gitlab-ci.yml:3:14 ci-no-coverage-threshold"]
    assert "90 %" in result.active[0].message and "95 %" in result.active[0].message


def test_gates_silent_without_pipeline_and_pipeline_rule_without_readme(tmp_path: Path) -> None:
    _write(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n"})
    result = run_scan(["."], cwd=tmp_path, select=["ci"])
    assert triples(result) == ["pyproject.toml:1:1 ci-missing-pipeline"]


def test_other_ci_system_counts_and_is_searched(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "README.md": "# x\n",
            "Jenkinsfile": "pipeline { stages { stage('t') { steps { sh 'go test ./...' } } } }\n",
        },
    )
    result = run_scan(["."], cwd=tmp_path, select=["ci-missing-pipeline", "ci-no-test-step"])
    assert triples(result) == []


def test_untrusted_contexts() -> None:
    text = (
        "${{ github.event.issue.title }} ${{ github.event.issue.number }} "
        "${{ toJSON(github.event.commits[0].message) }} ${{ github.event['comment']['body'] }}"
    )
    assert [c for _, c in untrusted_contexts(text)] == [
        "github.event.issue.title",
        "github.event.commits[0].message",
        "github.event.comment.body",
    ]


def test_broken_workflow_is_a_notification(tmp_path: Path) -> None:
    _write(tmp_path, {".github/workflows/ci.yml": "on: [push\njobs: {}\n", "README.md": "# x\n"})
    result = run_scan(["."], cwd=tmp_path, select=["ci", "gha"])
    assert [n.code for n in result.notifications] == ["prodready-parse-error"]
    assert not any(n.code == "prodready-internal-error" for n in result.notifications)


def test_installing_a_tool_is_not_running_it(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            ".gitlab-ci.yml": (
                "test:\n  script:\n    - pip install tox bandit  # later\n"
                "    - pip install pip-audit && pip-audit -r requirements.txt\n"
            ),
        },
    )
    result = run_scan(["."], cwd=tmp_path, select=["ci-no-test-step", "ci-no-security-scan"])
    assert triples(result) == [".gitlab-ci.yml:1:1 ci-no-test-step"]


def test_pin_policy_can_cover_github_owned_actions(tmp_path: Path) -> None:
    wf = (
        "on: push\npermissions: {}\njobs:\n  t:\n    runs-on: x\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - uses: github/codeql-action/init@v3\n"
    )
    _write(tmp_path, {".github/workflows/ci.yml": wf})
    result = run_scan(["."], cwd=tmp_path, select=["gha-action-not-pinned"])
    assert triples(result) == []
    (tmp_path / "cfg.yaml").write_text("rules:\n  gha-action-not-pinned:\n    exempt: []\n")
    result = run_scan(["."], cwd=tmp_path, select=["gha-action-not-pinned"], config_path="cfg.yaml")
    assert triples(result) == [
        ".github/workflows/ci.yml:7:15 gha-action-not-pinned",
        ".github/workflows/ci.yml:8:15 gha-action-not-pinned",
    ]


MAKEFILE = """\
.PHONY: ci test
VERSION := 1.0
ci: lint test
\t@echo done
lint:
\truff check .
test:
\tpytest --cov=app --cov-fail-under=75
"""


def test_make_targets_and_npm_scripts_are_followed(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            ".gitlab-ci.yml": "ci:\n  script:\n    - make ci\n    - npm run verify\n",
            "Makefile": MAKEFILE,
            "package.json": '{"scripts": {"verify": "npm audit --audit-level=high"}}\n',
        },
    )
    result = run_scan(["."], cwd=tmp_path, select=["ci"])
    # make ci → test → pytest: tests run; npm run verify → npm audit: security scan runs;
    # the coverage gate is found in the Makefile recipe, below the minimum
    assert triples(result) == [
        ".gitlab-ci.yml:1:1 ci-no-load-test",
        "Makefile:8:19 ci-no-coverage-threshold",
    ]


def test_a_composite_action_alone_is_not_a_pipeline(tmp_path: Path) -> None:
    action = "name: a\nruns:\n  using: composite\n  steps:\n    - run: pytest\n      shell: bash\n"
    _write(tmp_path, {"README.md": "# x\n", "action.yml": action})
    result = run_scan(["."], cwd=tmp_path, select=["ci"])
    assert triples(result) == ["README.md:1:1 ci-missing-pipeline"]


def test_gitlab_reference_tags_and_child_pipelines(tmp_path: Path) -> None:
    root = (
        ".scan:\n  script:\n    - trivy fs .\n"
        "audit:\n  script:\n    - !reference [.scan, script]\n"
        "child:\n  trigger:\n    include:\n      - local: ci/child.yml\n"
    )
    child = "unit:\n  image: python\n  script: [pytest]\n"
    _write(tmp_path, {".gitlab-ci.yml": root, "ci/child.yml": child})
    result = run_scan(
        ["."],
        cwd=tmp_path,
        select=["ci-no-test-step", "ci-no-security-scan", "gitlab-image-tag-mutable"],
    )
    assert triples(result) == ["ci/child.yml:2:10 gitlab-image-tag-mutable"]
    assert result.notifications == []
    assert result.index is not None
    audit = [(c.text, c.loc.start_line) for c in all_commands(result.index) if c.job == "audit"]
    assert audit == [("trivy fs .", 3)]  # where the referenced text is written


def test_root_pipeline_is_primary_over_nested_ones(tmp_path: Path) -> None:
    nested = "on: push\npermissions: {}\njobs:\n  t:\n    runs-on: x\n    steps: [{run: pytest}]\n"
    _write(
        tmp_path,
        {
            "examples/demo/.github/workflows/ci.yml": nested,
            ".gitlab-ci.yml": "build:\n  script: [make]\n",
        },
    )
    result = run_scan(["."], cwd=tmp_path, select=["ci-no-security-scan"])
    assert triples(result) == [".gitlab-ci.yml:1:1 ci-no-security-scan"]


ODD_FILES = {
    ".github/workflows/a.yml": "on: 5\npermissions: 7\njobs: [1, 2]\n",
    ".github/workflows/b.yml": (
        "on: {pull_request_target: null}\njobs:\n  x:\n    steps: 'nope'\n"
        "  y:\n    permissions: [a]\n    steps:\n      - uses: 5\n      - run: 7\n"
        "      - uses: actions/github-script@v7\n        with: {script: 5}\n"
        "      - uses: actions/checkout@v4\n        with: 3\n      - 12\n"
    ),
    ".github/workflows/c.yml": "",
    ".github/workflows/d.yml": "- just\n- a list\n",
    "action.yml": "runs: {using: composite, steps: {a: b}}\n",
    ".gitlab-ci.yml": (
        "include: 5\nimage: {name: 7}\nservices: [3, {name: []}]\n"
        "job:\n  script: {a: b}\n  image: [x]\nother:\n  script: [[[]], 5, !reference [.nope, x]]\n"
        "kid:\n  trigger: {include: [{local: 9}]}\n"
    ),
    "requirements.txt": "==1.0\n\\\n-r\nfoo==\nbar===1.0\nbaz==1.*\n",
    "pyproject.toml": "[project\n",
    "web/package-lock.json": '{"packages": [1, 2]}\n',
    "pylock.toml": "packages = 5\n",
}


def test_odd_ci_and_dependency_files_never_crash(tmp_path: Path) -> None:
    _write(tmp_path, ODD_FILES)
    result = run_scan(["."], cwd=tmp_path, select=["ci", "gha", "gitlab", "deps"], check_sarif=True)
    assert result.internal_errors == 0, [n.message for n in result.notifications]


@pytest.mark.parametrize(
    "pyproject",
    [
        'dependency-groups = 3\n[project]\ndependencies = "flask"\n'
        "optional-dependencies = [1]\n[tool]\npoetry = {group = 5}\n",
        "tool = 1\n",
        "[tool]\npoetry = 1\n",
        "[tool.poetry]\ndependencies = 1\n",
        "[tool.poetry.dependencies]\nflask = 1\n",
        "project = [1]\n",
    ],
)
def test_odd_pyproject_shapes_never_crash(tmp_path: Path, pyproject: str) -> None:
    """Every rule, not only the dependency ones: `tool = 1` crashed the project rules
    (code-missing-metrics, repo-missing-api-spec, repo-missing-migrations)."""
    _write(
        tmp_path,
        {
            "pyproject.toml": pyproject,
            "Dockerfile": "FROM python:3.12\n",
            "app.py": "from flask import Flask\napp = Flask(__name__)\n",
        },
    )
    result = run_scan(["."], cwd=tmp_path, select=["ALL"])
    assert result.internal_errors == 0, [n.message for n in result.notifications]
