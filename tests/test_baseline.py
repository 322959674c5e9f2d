"""Baselines: write, move code, re-run (nothing new); fix one (a stale entry is reported)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linter.cli import main
from tests.conftest import validate_sarif

RULES = "k8s-missing-resource-limits,docker-shell-form-entrypoint"
DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.2.0
        - name: worker
          image: ghcr.io/acme/api:1.2.0
"""
DOCKERFILE = "FROM node:20.11-slim\nUSER node\nCMD npm start\n"


@pytest.fixture
def repo(chdir_tmp: Path) -> Path:
    (chdir_tmp / ".git").mkdir()
    (chdir_tmp / "deploy.yaml").write_text(DEPLOY)
    (chdir_tmp / "Dockerfile").write_text(DOCKERFILE)
    return chdir_tmp


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    code = main(["check", "--select", RULES, "--format", "json", *args, "."])
    return code, json.loads(capsys.readouterr().out)


def _active(doc: dict[str, object]) -> list[str]:
    findings = doc["findings"]
    assert isinstance(findings, list)
    return [
        f"{f['location']['path']}:{f['location']['line']} {f['rule_id']}"
        for f in findings
        if f["suppressed"] is None
    ]


def _notes(doc: dict[str, object]) -> list[tuple[str, str]]:
    notes = doc["notifications"]
    assert isinstance(notes, list)
    return [(n["code"], n["path"]) for n in notes]


def test_round_trip_move_then_fix(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = _json(capsys)
    assert code == 1
    assert _active(doc) == [
        "Dockerfile:3 docker-shell-form-entrypoint",
        "deploy.yaml:9 k8s-missing-resource-limits",
        "deploy.yaml:11 k8s-missing-resource-limits",
    ]

    assert main(["check", "--select", RULES, "--write-baseline", "baseline.json", "."]) == 0
    err = capsys.readouterr().err
    assert "wrote 3 baseline entries to baseline.json" in err
    written = json.loads((repo / "baseline.json").read_text())
    assert [(e["path"], e["line"], e["rule_id"]) for e in written["findings"]] == [
        ("Dockerfile", 3, "docker-shell-form-entrypoint"),
        ("deploy.yaml", 9, "k8s-missing-resource-limits"),
        ("deploy.yaml", 11, "k8s-missing-resource-limits"),
    ]

    # move every finding down by 10 lines
    pad = "# moved\n" * 10
    (repo / "deploy.yaml").write_text(pad + DEPLOY)
    (repo / "Dockerfile").write_text(pad + DOCKERFILE)
    code, doc = _json(capsys, "--baseline", "baseline.json")
    assert code == 0
    assert _active(doc) == []
    assert _notes(doc) == []
    suppressed = [f for f in doc["findings"] if f["suppressed"]]  # type: ignore[union-attr]
    assert [f["location"]["line"] for f in suppressed] == [13, 19, 21]
    assert {f["suppressed"]["kind"] for f in suppressed} == {"external"}

    # fix the worker container: its baseline entry is now stale (a notification, exit 0)
    fixed = DEPLOY + "          resources:\n            limits: {cpu: 500m, memory: 256Mi}\n"
    (repo / "deploy.yaml").write_text(pad + fixed)
    code, doc = _json(capsys, "--baseline", "baseline.json")
    assert code == 0
    assert _active(doc) == []
    assert _notes(doc) == [("prodready-stale-baseline", "deploy.yaml")]
    msg = doc["notifications"][0]["message"]  # type: ignore[index]
    assert msg.startswith("stale baseline entry: k8s-missing-resource-limits (was line 11:")

    # a new problem is reported, baselined ones are not
    (repo / "Dockerfile").write_text(pad + DOCKERFILE.replace("CMD", "ENTRYPOINT"))
    code, doc = _json(capsys, "--baseline", "baseline.json")
    assert code == 1
    assert _active(doc) == ["Dockerfile:13 docker-shell-form-entrypoint"]


def test_text_output_shows_the_stale_entry(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--select", RULES, "--write-baseline", "b.json", "."]) == 0
    capsys.readouterr()
    (repo / "Dockerfile").write_text('FROM node:20.11-slim\nUSER node\nCMD ["npm", "start"]\n')
    assert main(["check", "--select", RULES, "--baseline", "b.json", "."]) == 0
    out = capsys.readouterr().out
    assert "Dockerfile: note: stale baseline entry: docker-shell-form-entrypoint" in out
    assert out.endswith("No problems found (2 suppressed).\n")


def test_stale_only_for_enabled_rules_and_scanned_files(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--select", RULES, "--write-baseline", "b.json", "."]) == 0
    capsys.readouterr()
    # the docker rule is not selected: its entry is not stale
    code = main(
        [
            "check",
            "--select",
            "k8s-missing-resource-limits",
            "--format",
            "json",
            "--baseline",
            "b.json",
            ".",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["notifications"] == []
    # only deploy.yaml scanned: the Dockerfile entry is out of scope, not stale
    code = main(
        ["check", "--select", RULES, "--format", "json", "--baseline", "b.json", "deploy.yaml"]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["notifications"] == []


def test_sarif_marks_baselined_results_suppressed(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--select", RULES, "--write-baseline", "b.json", "."]) == 0
    capsys.readouterr()
    assert main(["check", "--select", RULES, "--format", "sarif", "--baseline", "b.json", "."]) == 0
    doc = validate_sarif(capsys.readouterr().out)
    results = doc["runs"][0]["results"]  # type: ignore[index]
    assert [r["suppressions"][0]["kind"] for r in results] == ["external"] * 3
    assert [r["suppressions"][0]["status"] for r in results] == ["accepted"] * 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "baseline is not valid JSON"),
        ('{"version": 1}', "not a prodready baseline"),
        ('{"version": 9, "findings": []}', "baseline version 9 is not supported"),
        ('{"version": 1, "findings": [{"rule_id": "x"}]}', "baseline entry 0 needs"),
    ],
)
def test_bad_baseline_is_exit_2(
    repo: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    (repo / "b.json").write_text(content)
    assert main(["check", "--select", RULES, "--baseline", "b.json", "."]) == 2
    assert message in capsys.readouterr().err


def test_missing_baseline_is_exit_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--baseline", "nope.json", "."]) == 2
    assert "nope.json: cannot read baseline" in capsys.readouterr().err


def test_stale_entry_is_a_sarif_tool_notification(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--select", RULES, "--write-baseline", "b.json", "."]) == 0
    (repo / "Dockerfile").write_text('FROM node:20.11-slim\nUSER node\nCMD ["npm", "start"]\n')
    capsys.readouterr()
    assert main(["check", "--select", RULES, "--format", "sarif", "--baseline", "b.json", "."]) == 0
    doc = validate_sarif(capsys.readouterr().out)
    notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]  # type: ignore[index]
    assert [(n["descriptor"]["id"], n["level"]) for n in notes] == [
        ("prodready-stale-baseline", "note")
    ]
    uri = notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "Dockerfile"
