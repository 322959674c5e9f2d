"""The checklist report: the built-in checklist mirrors CHECKLIST.md, statuses, formats, errors."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from linter.checklist.cli import github_link_base
from linter.checklist.evaluate import Report, SectionResult, Status, evaluate_item
from linter.checklist.model import Item, load
from linter.checklist.render import render
from linter.cli import main
from linter.model import ArtifactKind, Confidence, Finding, Location, Severity, Suppression
from linter.registry import load as load_registry
from tests.conftest import SHARED

DEPLOY_OK = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.2.3
          readinessProbe:
            httpGet: {path: /ready, port: 8080}
"""

CUSTOM = """\
title: Team checklist
sections:
  - title: Kubernetes
    items:
      - id: readiness
        title: Readiness probes
        kind: auto
        rules: [k8s-missing-readiness-probe]
      - id: liveness
        title: Liveness probes
        kind: auto
        rules: [k8s-missing-liveness-probe]
      - id: docker-user
        title: Images run as non-root
        kind: auto
        rules: [docker-runs-as-root]
      - id: future
        title: Something a plugin will check
        kind: auto
        rules: [acme-not-installed-yet]
      - id: probes-evidence
        title: Probe evidence
        kind: partial
        rules: [k8s-missing-liveness-probe]
  - title: People
    items:
      - title: Game day held
        kind: manual
      - title: Redis failover
        kind: partial
        evidence-only: lives in the platform repo
"""


def _checklist_md_rows() -> list[tuple[str, str, list[str]]]:
    """(section, kind, rule ids) for every item row of ../shared/CHECKLIST.md."""
    rows: list[tuple[str, str, list[str]]] = []
    section = ""
    for line in (SHARED / "CHECKLIST.md").read_text().splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        m = re.match(r"^\|(.+)\|\s*(auto|partial|manual)\s*\|(.*)\|$", line)
        if m:
            ids = re.findall(r"`([a-z0-9]+(?:-[a-z0-9]+)+)`", m.group(3))
            rows.append((section, m.group(2), ids))
    return rows


#: rules the built-in checklist adds to an item beyond ../shared/CHECKLIST.md: a second view
#: of a listed rule (env-template-incomplete reports env-missing-from-template's contract per
#: template, for pre-commit runs that name only the template)
ADDED_RULES = frozenset({"env-template-incomplete"})


def test_builtin_checklist_mirrors_checklist_md() -> None:
    builtin = load()
    mine = [
        (s.title, i.kind, [r for r in i.rules if r not in ADDED_RULES])
        for s in builtin.sections
        for i in s.items
    ]
    assert mine == _checklist_md_rows()
    for s in builtin.sections:
        for i in s.items:
            if i.kind != "manual" and not i.rules:
                assert i.evidence_only, f"{i.id} has no rules and no evidence-only reason"


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def repo(chdir_tmp: Path) -> Path:
    (chdir_tmp / "svc" / "k8s").mkdir(parents=True)
    (chdir_tmp / "svc" / "k8s" / "deploy.yaml").write_text(DEPLOY_OK)
    (chdir_tmp / "team.yaml").write_text(CUSTOM)
    return chdir_tmp


def test_statuses_and_scores_json(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        ["checklist", "svc", "--checklist", "team.yaml", "--format", "json"], capsys
    )
    assert code == 0
    doc = json.loads(out)
    items = {i["id"]: i for s in doc["sections"] for i in s["items"]}
    assert {k: v["status"] for k, v in items.items()} == {
        "readiness": "pass",
        "liveness": "fail",
        "docker-user": "not-applicable",
        "future": "manual",
        "probes-evidence": "partial",
        "game-day-held": "manual",
        "redis-failover": "partial",
    }
    assert items["liveness"]["findings"] == [
        {
            "rule": "k8s-missing-liveness-probe",
            "path": "svc/k8s/deploy.yaml",
            "line": 12,
            "column": 11,
            "severity": "medium",
            "message": "Container `api` of Deployment/api has no liveness probe.",
        }
    ]
    assert items["docker-user"]["reason"] == "No dockerfile artifact in the scan."
    assert items["readiness"]["reason"] == (
        "k8s-missing-readiness-probe found nothing in 1 relevant file."
    )
    assert items["future"]["not_installed"] == ["acme-not-installed-yet"]
    assert "acme-not-installed-yet" in items["future"]["reason"]
    assert items["redis-failover"]["reason"] == "Evidence only: lives in the platform repo"
    assert doc["score"] == {"passed": 1, "failed": 1, "percent": 50}
    assert doc["sections"][1]["score"] == {"passed": 0, "failed": 0, "percent": None}
    assert doc["counts"] == {
        "pass": 1,
        "fail": 1,
        "partial": 2,
        "not-applicable": 1,
        "manual": 2,
    }


def test_markdown_links_and_escaping(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        [
            "checklist",
            "svc",
            "--checklist",
            "team.yaml",
            "--format",
            "markdown",
            "--link-base",
            "https://example.test/blob/abc/",
        ],
        capsys,
    )
    assert code == 0
    assert out.startswith("## Team checklist\n")
    assert "**svc**: 1/2 (50%) of decided items pass" in out
    assert (
        "| ❌ fail | Liveness probes | 1 finding.<br>"
        "[`svc/k8s/deploy.yaml:12`](https://example.test/blob/abc/svc/k8s/deploy.yaml#L12) "
        "`k8s-missing-liveness-probe` Container `api` of Deployment/api has no liveness probe. |"
    ) in out
    assert (
        "| ➖ not applicable | Images run as non-root | No dockerfile artifact in the scan. |"
        in out
    )


def test_markdown_without_link_base(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_SHA", raising=False)
    _, out, _ = _run(
        ["checklist", "svc", "--checklist", "team.yaml", "--format", "markdown"], capsys
    )
    assert "1 finding.<br>`svc/k8s/deploy.yaml:12` `k8s-missing-liveness-probe`" in out


def test_github_link_base() -> None:
    env = {
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/api",
        "GITHUB_SHA": "0123abc",
    }
    assert github_link_base(env) == "https://github.com/acme/api/blob/0123abc/"
    assert github_link_base({}) is None


def test_text_report_and_output_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        ["checklist", "svc", "--checklist", "team.yaml", "-o", "report.txt"], capsys
    )
    assert (code, out) == (0, "")
    text = (repo / "report.txt").read_text()
    assert "Overall 1/2 (50%) of decided items pass" in text
    assert (
        "svc/k8s/deploy.yaml:12  k8s-missing-liveness-probe  Container `api` of Deployment/api "
        "has no liveness probe." in text
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "sections:\n  - title: A\n    items:\n      - {title: x, kind: sometimes}\n",
            "invalid checklist at sections[0].items[0].kind: 'sometimes' is not one of",
        ),
        (
            "sections:\n  - title: A\n    items:\n      - {title: x, kind: auto}\n",
            "invalid checklist at sections[0].items[0]: 'rules' is a required property",
        ),
        (
            "sections:\n  - title: A\n    items:\n      - {title: x, kind: partial, rules: []}\n",
            "invalid checklist at sections[0].items[0]",
        ),
        ("sections: [", "invalid checklist: not valid YAML"),
        ("- just a list\n", "invalid checklist at (top level): ['just a list'] is not of type"),
        (
            "sections:\n  - title: A\n    items:\n      - {title: x, kind: manual}\n"
            "      - {title: x, kind: manual}\n",
            "duplicate item id 'x' in section 'a'",
        ),
    ],
)
def test_invalid_checklist_exits_2(
    repo: Path, capsys: pytest.CaptureFixture[str], body: str, message: str
) -> None:
    (repo / "bad.yaml").write_text(body)
    code, out, err = _run(["checklist", "svc", "--checklist", "bad.yaml"], capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("prodready: error: bad.yaml: ")
    assert message in err
    assert "Traceback" not in err


def test_missing_checklist_file_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["checklist", "svc", "--checklist", "nope.yaml"], capsys)
    assert code == 2
    assert "nope.yaml: cannot read checklist" in err


def test_check_prints_checklist_summary(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        ["check", "svc", "--select", "k8s-missing-liveness-probe", "--checklist-summary"], capsys
    )
    assert code == 1
    last = out.rstrip("\n").splitlines()[-1]
    assert re.fullmatch(r"Checklist: \d+/\d+ \(\d+%\) of decided items pass \(.*\)\.", last), last
    _, plain, _ = _run(["check", "svc", "--select", "k8s-missing-liveness-probe"], capsys)
    assert "Checklist:" not in plain


def _html(repo: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code, _, _ = _run(
        ["checklist", "svc", "--checklist", "team.yaml", "--format", "html", "-o", "r.html"],
        capsys,
    )
    assert code == 0
    return (repo / "r.html").read_text()


def test_html_is_self_contained(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = _html(repo, capsys)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert not re.search(r"<link\b", page)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not installed (Debian: apt-get install chromium); "
    "the HTML report is only checked statically",
)
def test_html_renders_in_headless_chromium(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _html(repo, capsys)
    assert CHROMIUM is not None
    proc = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            (repo / "r.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    dom = proc.stdout
    assert "<h1>Team checklist</h1>" in dom
    assert re.search(r'<tr id="kubernetes--liveness" data-status="fail">', dom)
    assert re.search(r'<tr id="kubernetes--docker-user" data-status="not-applicable">', dom)
    assert "<code>svc/k8s/deploy.yaml:12</code>" in dom
    assert "Overall: 1/2 (50%)" in dom


def _finding(rule: str, message: str, suppressed: bool = False) -> Finding:
    return Finding(
        rule_id=rule,
        message=message,
        severity=Severity.MEDIUM,
        confidence=Confidence.HIGH,
        location=Location("k8s/a.yaml", 3, 5),
        suppression=Suppression("inSource", "accepted") if suppressed else None,
    )


def _report(findings: list[Finding]) -> Report:
    metas = {m.id: m for m in load_registry().all_metas()}
    item = Item("liveness", "Liveness <probes> | all", "auto", ("k8s-missing-liveness-probe",))
    res = evaluate_item(
        item,
        metas,
        frozenset({"k8s-missing-liveness-probe"}),
        {ArtifactKind.K8S: 2},
        {"k8s-missing-liveness-probe": findings},
    )
    return Report("T", "test", "repo", (SectionResult("s", "S", (res,)),), 2)


def test_suppressed_findings_do_not_fail_an_item() -> None:
    report = _report([_finding("k8s-missing-liveness-probe", "x", suppressed=True)])
    (item,) = report.items
    assert item.status is Status.PASS
    assert item.suppressed == 1
    assert "(1 suppressed)" in render("text", report)


def test_untrusted_text_is_escaped_in_markdown_and_html() -> None:
    msg = "Container `<script>alert(1)</script>` | broken"
    report = _report([_finding("k8s-missing-liveness-probe", msg)])
    md = render("markdown", report)
    # in a code span as written (GFM shows a code span's characters as text; an entity there
    # would show as "&lt;"), and nowhere outside one
    code = "`<script>alert(1)</script>`"
    assert f"{code} \\| broken" in md
    assert "<script>" not in md.replace(code, "")
    assert "| Liveness &lt;probes&gt; \\| all |" in md
    page = render("html", report, "https://x.test/?a=1&b=2/")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="https://x.test/?a=1&amp;b=2/k8s/a.yaml#L3"' in page
