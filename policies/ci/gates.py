"""Checklist gates: a CI pipeline exists and runs tests, a coverage gate, a security scan and a
load test. Repo-level: they look at every pipeline of the scan (GitHub Actions workflows and
composite actions, GitLab CI with its local includes, and the text of other CI systems)."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator

from linter.ci import Command, all_commands, pipelines, primary, root_display
from linter.index import RepoIndex
from linter.lazyre import LazyPattern, lazy
from linter.model import ArtifactKind, Confidence, Finding, Location, Severity
from linter.policy import CheckContext, policy
from linter.positions import line_loc
from policies.ci.coverage import thresholds

K = ArtifactKind
CI_KINDS = {K.GHA_WORKFLOW, K.GHA_ACTION, K.GITLAB_CI}

TEST_RE = lazy(
    r"""(?ix)
    (?<![\w./-])(?:
        pytest | py\.test | tox | nox | nosetests | unittest | coverage\s+run
      | (?:npm|pnpm|yarn|bun)\s+(?:run\s+)?(?:test[:\w-]*|t)
      | (?:npx\s+|pnpm\s+exec\s+|yarn\s+)?(?:jest|vitest|mocha|ava|playwright\s+test|cypress\s+run)
      | go\s+test | gotestsum | cargo\s+(?:test|nextest)
      | mvn\b[^\n]*\b(?:test|verify) | (?:\./)?gradlew?\b[^\n]*\b(?:test|check)
      | make\s+(?:test|tests|check|unit-test|unittest)
      | dotnet\s+test | rspec | phpunit | mix\s+test | ctest | deno\s+test | bats
      | hatch\s+(?:test|run\s+test) | cypress-io/github-action
    )(?![\w-])
    """
)
SECURITY_RE = lazy(
    r"""(?ix)
    (?<![\w-])(?:
        bandit | pip-audit | gh-action-pip-audit | safety\s+(?:check|scan)
      | (?:npm|pnpm|yarn)\s+audit | audit-ci | better-npm-audit | snyk | trivy | trivy-action
      | grype | anchore | semgrep | codeql | codeql-action | gosec | govulncheck | osv-scanner
      | checkov | tfsec | terrascan | kics | zizmor | gitleaks | trufflehog | detect-secrets
      | prodready | dependency-review-action | scorecard-action | docker\s+scout | scout-action
      | brakeman | bundler-audit | bundle-audit | cargo\s+audit | cargo\s+deny
      | dependency-check | sonar-scanner | sonarcloud-github-action | sonarqube-scan-action
      | njsscan | nancy
    )(?![\w-])
    """
)
GITLAB_SECURITY_TEMPLATE = lazy(
    r"(SAST|Dependency-Scanning|Secret-Detection|Container-Scanning|DAST|"
    r"License-Scanning|Coverage-Fuzzing|API-Fuzzing)",
    re.I,
)
LOAD_RE = lazy(
    r"""(?ix)
    (?<![\w-])(?:
        k6(?:\s+(?:run|cloud))? | setup-k6-action | k6-action | locust | artillery
      | gatling | jmeter | vegeta\s+attack | autocannon | bombardier | ddosify | tsung
      | wrk\s+-[tcd] | hey\s+-[nzc] | ab\s+-[nc] | siege\s+-
    )(?![\w-])
    """
)

README_NAMES = ("README.md", "README.rst", "README.txt", "README", "readme.md", "Readme.md")
MANIFESTS = (
    "pyproject.toml",
    "package.json",
    "go.mod",
    "setup.py",
    "Cargo.toml",
    "pom.xml",
    "build.gradle",
    "Dockerfile",
    "docker-compose.yml",
    "compose.yaml",
    "Makefile",
)


_INSTALL = lazy(
    r"\b(?:pip3?|uv\s+pip|pipx|npm|yarn|pnpm|bun|apt(?:-get)?|apk|brew|gem|go|cargo|choco)"
    r"\s+(?:install|add|i|get)\b"
)


def _strip_comments(text: str) -> str:
    """Script lines that can run a tool: no comments, no package installs (`pip install tox`)."""
    kept = []
    for line in text.splitlines():
        if line.lstrip().startswith(("#", "//")):
            continue
        parts = re.split(r"&&|\|\||;", line)
        kept.append(" && ".join(p for p in parts if not _INSTALL.search(p)))
    return "\n".join(kept)


_MAKE_CALL = lazy(r"\bmake\s+([^;&|\n]*)")
_SCRIPT_CALL = lazy(r"\b(?:npm|pnpm|yarn|bun)\s+(?:run(?:-script)?\s+)?([\w:.-]+)")
_MAKE_RULE = lazy(r"^([\w.-]+(?:\s+[\w.-]+)*)\s*::?(?!=)\s*([^#;]*)")


def _make_targets(text: str) -> dict[str, tuple[list[str], list[str]]]:
    """target → (prerequisites, recipe lines) of a Makefile."""
    rules: dict[str, tuple[list[str], list[str]]] = {}
    current: list[str] = []
    for line in text.splitlines():
        if line.startswith("\t"):
            for t in current:
                rules[t][1].append(line.strip())
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _MAKE_RULE.match(line)
        if m and "=" not in m.group(1):
            current = m.group(1).split()
            for t in current:
                rules.setdefault(t, ([], []))[0].extend(m.group(2).split())
        else:
            current = []
    return rules


def _root_file(index: RepoIndex, name: str) -> str | None:
    base = root_display(index)
    return index.read_text(posixpath.join(base, name) if base else name)


def _expansions(index: RepoIndex) -> tuple[dict[str, tuple[list[str], list[str]]], dict[str, str]]:
    def build() -> tuple[dict[str, tuple[list[str], list[str]]], dict[str, str]]:
        make = _root_file(index, "Makefile")
        rules = _make_targets(make) if make else {}
        scripts: dict[str, str] = {}
        pkg = _root_file(index, "package.json")
        if pkg:
            try:
                data = json.loads(pkg)
            except ValueError:
                data = None
            raw = data.get("scripts") if isinstance(data, dict) else None
            if isinstance(raw, dict):
                scripts = {str(k): str(v) for k, v in raw.items() if isinstance(v, str)}
        return rules, scripts

    return index.memo(("ci-gate-expansions",), build)


def expanded_text(index: RepoIndex, text: str) -> str:
    """A command's text plus what it runs through the root Makefile targets and package.json
    scripts it calls (two levels deep)."""
    rules, scripts = _expansions(index)
    if not rules and not scripts:
        return text
    parts = [text]
    frontier = [text]
    for _ in range(2):
        nxt: list[str] = []
        for chunk in frontier:
            for m in _MAKE_CALL.finditer(chunk):
                for target in m.group(1).split():
                    if target.startswith("-") or "=" in target or target not in rules:
                        continue
                    prereqs, recipe = rules[target]
                    body = "\n".join(recipe)
                    for pre in prereqs:
                        if pre in rules:
                            body += "\n" + "\n".join(rules[pre][1])
                    nxt.append(body)
            for m in _SCRIPT_CALL.finditer(chunk):
                name = "test" if m.group(1) == "t" else m.group(1)
                if name in scripts:
                    nxt.append(scripts[name])
        parts.extend(nxt)
        frontier = nxt
    return "\n".join(parts)


def matching(index: RepoIndex, pattern: LazyPattern) -> list[tuple[Command, str]]:
    """(command, matched text) for each command whose text, or what it runs through a root
    Makefile target or package.json script, matches ``pattern``."""
    out = []
    for cmd in all_commands(index):
        text = _strip_comments(cmd.search_text())
        if cmd.kind != "text":
            text = _strip_comments(expanded_text(index, text))
        m = pattern.search(text)
        if m:
            out.append((cmd, m.group(0)))
    return out


def _repo_anchor(index: RepoIndex) -> Location | None:
    """Line 1 of the root README, else of the first project manifest."""
    base = root_display(index)
    by_path = {f.path: f for f in index.all_found()}
    for name in (*README_NAMES, *MANIFESTS):
        f = by_path.get(posixpath.join(base, name) if base else name)
        if f is None:
            continue
        src = index.source(f)
        if src is not None:
            return line_loc(src, 1)
        return Location(f.path, 1)
    return None


def _gate_anchor(index: RepoIndex) -> Location | None:
    pipe = primary(index)
    return pipe.anchor if pipe is not None else None


def _pipeline_names(index: RepoIndex) -> str:
    names = [p.path for p in pipelines(index) if not p.included_from]
    shown = ", ".join(f"`{n}`" for n in names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


@policy(
    id="ci-missing-pipeline",
    kinds=CI_KINDS,
    severity=Severity.MEDIUM,
    summary="The repository has no CI pipeline",
    fix="Add a CI pipeline (e.g. `.github/workflows/ci.yml` or `.gitlab-ci.yml`) that builds, "
    "runs the tests with a coverage gate and a security scan on every push and pull request.",
    tags=("reliability", "ci"),
    section="Deployment and testing",
    scope="repo",
)
def missing_pipeline(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Reports a repository with no CI configuration at all: no GitHub Actions workflow
    (`.github/workflows/*.yml`; a composite `action.yml` alone is not a pipeline), no
    `.gitlab-ci.yml`, and none of the other CI systems'
    files (Jenkinsfile, `.circleci/config.yml`, `azure-pipelines.yml`,
    `bitbucket-pipelines.yml`, `.travis.yml`, `.drone.yml`, `cloudbuild.yaml`, …). The finding
    points at line 1 of the root README (or of the first project manifest when there is none).

    ## Why is this bad
    Without CI nothing guarantees that what is merged builds, passes its tests or was scanned;
    every other checklist gate (tests, coverage, security scan) depends on a pipeline.

    ## Example
    A repository holding only `README.md`, `app.py` and `Dockerfile` fails; adding
    `.github/workflows/ci.yml` makes it pass.
    """
    if primary(index) is not None:
        return
    loc = _repo_anchor(index)
    if loc is None:
        return
    yield ctx.finding(
        loc,
        "No CI pipeline found (no GitHub Actions workflow, .gitlab-ci.yml or other CI config).",
    )


@policy(
    id="ci-no-test-step",
    kinds=CI_KINDS,
    severity=Severity.MEDIUM,
    summary="No CI pipeline runs the tests",
    fix="Add a step that runs the test suite (`pytest`, `npm test`, `go test ./...`, …) on "
    "every push and pull request.",
    tags=("reliability", "ci"),
    section="Deployment and testing",
    scope="repo",
    confidence=Confidence.MEDIUM,
)
def no_test_step(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Looks through every CI pipeline (GitHub Actions `run:` steps and `uses:` actions, composite
    actions, GitLab `script:`/`before_script:` including local `include:` files, other CI files)
    for a test runner: `pytest`, `tox`, `nox`, `npm test`/`yarn test`/`pnpm test`, `jest`,
    `vitest`, `mocha`, `go test`, `cargo test`, `mvn verify`, `gradle test`, `make test`, … and
    reports the main pipeline when none is found.

    ## Why is this bad
    A pipeline that only builds and deploys ships whatever was merged; the checklist asks that CI
    runs the tests on every change.

    ## Example
    ```yaml
    jobs:                     # fails: the only step builds the image
      build:
        runs-on: ubuntu-latest
        steps:
          - run: docker build .
    ```
    Adding `- run: pytest` passes.
    """
    if matching(index, TEST_RE):
        return
    loc = _gate_anchor(index)
    if loc is None:
        return
    yield ctx.finding(loc, f"No CI step runs the tests (looked in {_pipeline_names(index)}).")


@policy(
    id="ci-no-coverage-threshold",
    kinds=CI_KINDS,
    severity=Severity.LOW,
    summary="CI does not enforce a minimum test coverage (or enforces less than the minimum)",
    fix="Fail the build below the minimum: `pytest --cov --cov-fail-under=80`, "
    "`[tool.coverage.report] fail_under = 80`, jest `coverageThreshold`, vitest "
    "`coverage.thresholds`, or `nyc/c8 --check-coverage --lines 80`.",
    tags=("reliability", "ci"),
    section="Deployment and testing",
    scope="repo",
    confidence=Confidence.MEDIUM,
    options={
        "type": "object",
        "properties": {
            "minimum": {
                "type": "number",
                "minimum": 0,
                "maximum": 100,
                "description": "Lowest acceptable coverage percentage.",
            }
        },
    },
    defaults={"minimum": 80},
)
def no_coverage_threshold(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    When the repository has a CI pipeline, looks for a coverage gate: `--cov-fail-under` (in CI
    commands or pytest `addopts`), coverage.py `fail_under` (pyproject.toml
    `[tool.coverage.report]`, `.coveragerc`, `setup.cfg`/`tox.ini` `[coverage:report]`),
    `coverage report --fail-under`, jest `coverageThreshold`, vitest `coverage.thresholds`,
    nyc/c8 `check-coverage`. Reports the test step (or the main pipeline) when there is none,
    and every gate whose percentage is below `minimum` (default 80).

    ## Why is this bad
    Without a gate, coverage erodes one pull request at a time; the checklist asks for ≥80 %.

    ## Example
    ```toml
    [tool.coverage.report]
    fail_under = 60      # fails: below 80
    ```
    ```yaml
    - run: pytest --cov=app --cov-fail-under=85   # passes
    ```
    """
    if primary(index) is None:
        return
    minimum = float(ctx.options.get("minimum", 80))
    found = thresholds(index)
    if not found:
        tests = matching(index, TEST_RE)
        if tests:
            cmd, what = tests[0]
            loc = cmd.locate(what.split()[0]) if cmd.kind != "uses" else cmd.loc
        else:
            anchor = _gate_anchor(index)
            if anchor is None:
                return
            loc = anchor
        yield ctx.finding(
            loc,
            f"No coverage threshold is enforced; the build should fail below {minimum:g} %.",
        )
        return
    for t in found:
        if t.value is not None and t.value < minimum:
            yield ctx.finding(
                t.loc,
                f"Coverage threshold is {t.value:g} % ({t.tool}), below the minimum of "
                f"{minimum:g} %.",
            )


@policy(
    id="ci-no-security-scan",
    kinds=CI_KINDS,
    severity=Severity.MEDIUM,
    summary="No CI pipeline runs a security scan",
    fix="Add a scan to CI: `pip-audit`, `npm audit --audit-level=high`, `bandit`, CodeQL "
    "(`github/codeql-action`), `trivy`, `semgrep`, GitLab `Security/SAST.gitlab-ci.yml`, or "
    "`prodready` itself.",
    tags=("security", "ci"),
    section="Security",
    scope="repo",
    confidence=Confidence.MEDIUM,
)
def no_security_scan(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Looks through every CI pipeline for a security scanner: bandit, pip-audit, safety,
    `npm/yarn/pnpm audit`, Snyk, Trivy, Grype, Semgrep, CodeQL, gosec, govulncheck,
    osv-scanner, Checkov, gitleaks, trufflehog, zizmor, dependency-review, Scorecard,
    prodready…, and GitLab security templates (`Security/SAST.gitlab-ci.yml`,
    `Jobs/Dependency-Scanning.gitlab-ci.yml`, …). Reports the main pipeline when none is found.

    ## Why is this bad
    Vulnerable dependencies, committed secrets and injection bugs reach production unless a scan
    runs on every change. (CodeQL "default setup" configured in the GitHub UI is invisible in the
    repository: suppress this rule if you use it.)

    ## Example
    ```yaml
    steps:
      - run: pytest            # fails: tests only
      - run: pip-audit -r requirements.txt    # passes
    ```
    """
    if matching(index, SECURITY_RE):
        return
    if any(GITLAB_SECURITY_TEMPLATE.search(t) for p in pipelines(index) for t in p.templates):
        return
    loc = _gate_anchor(index)
    if loc is None:
        return
    yield ctx.finding(loc, f"No CI step runs a security scan (looked in {_pipeline_names(index)}).")


@policy(
    id="ci-no-load-test",
    kinds=CI_KINDS,
    severity=Severity.INFO,
    summary="No CI pipeline runs a load test",
    fix="Add a load test job (k6, Locust, Artillery, Gatling, JMeter …), at least on a schedule "
    "or before releases, with thresholds that fail the job.",
    tags=("performance", "ci"),
    section="Performance and scalability",
    scope="repo",
    confidence=Confidence.LOW,
)
def no_load_test(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Looks through every CI pipeline for a load-testing tool (`k6 run`, `grafana/k6-action`,
    `locust`, `artillery run`, Gatling, JMeter, `vegeta attack`, `autocannon`, `wrk`, `hey`, `ab`)
    and reports the main pipeline when none is found. Informational: a load test that runs
    outside CI is evidence a person has to check.

    ## Why is this bad
    Capacity limits, slow queries and connection-pool exhaustion show up under load; without a
    repeatable load test they show up first in production.

    ## Example
    ```yaml
    - uses: grafana/setup-k6-action@<sha>
    - run: k6 run load/smoke.js        # passes
    ```
    """
    if matching(index, LOAD_RE):
        return
    loc = _gate_anchor(index)
    if loc is None:
        return
    yield ctx.finding(loc, f"No CI step runs a load test (looked in {_pipeline_names(index)}).")
