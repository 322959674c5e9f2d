"""env-template-incomplete: the per-template view of the code ↔ template contract, and the
named-files (pre-commit) runs that motivated it: a template committed alone is checked."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import run_scan, triples

RULE = "env-template-incomplete"
PER_READ = "env-missing-from-template"


def _tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def _git_tree(root: Path, files: dict[str, str]) -> None:
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    _tree(root, files)


def _repo(root: Path) -> None:
    """A git repo whose app.py reads two variables and whose template declares only one."""
    _git_tree(
        root,
        {
            "svc/.env.example": "DB_URL=\n",
            "svc/app.py": 'import os\nA = os.environ["DB_URL"]\nB = os.getenv("API_KEY")\n',
        },
    )


def test_only_the_template_named(tmp_path: Path) -> None:
    """The developer deleted `API_KEY=` from the template and commits only the template."""
    _repo(tmp_path)
    result = run_scan(["svc/.env.example"], cwd=tmp_path, select=[RULE, PER_READ])
    assert triples(result) == ["svc/.env.example:1:1 env-template-incomplete"]
    (finding,) = result.findings
    assert finding.message == (
        "`svc/.env.example` lacks 1 variable the code reads: `API_KEY` (app.py:3)."
    )
    related = [(r.path, r.start_line, r.start_col) for r in finding.related]
    assert related == [("svc/app.py", 3, 16)]


def test_only_the_code_named(tmp_path: Path) -> None:
    """The template is not a target: only the per-read rule reports, at the read."""
    _repo(tmp_path)
    result = run_scan(["svc/app.py"], cwd=tmp_path, select=[RULE, PER_READ])
    assert triples(result) == ["svc/app.py:3:16 env-missing-from-template"]


def test_whole_repo_reports_both_views(tmp_path: Path) -> None:
    _repo(tmp_path)
    result = run_scan(["."], cwd=tmp_path, select=[RULE, PER_READ])
    assert sorted(triples(result)) == [
        "svc/.env.example:1:1 env-template-incomplete",
        "svc/app.py:3:16 env-missing-from-template",
    ]


def test_complete_template_named(tmp_path: Path) -> None:
    _repo(tmp_path)
    (tmp_path / "svc/.env.example").write_text("DB_URL=\nAPI_KEY=\n")
    assert triples(run_scan(["svc/.env.example"], cwd=tmp_path, select=[RULE])) == []


def test_a_nearer_template_takes_its_code(tmp_path: Path) -> None:
    """Code below a nested template belongs to that template, not to the outer one."""
    _git_tree(
        tmp_path,
        {
            ".env.example": "ROOT_VAR=\n",
            "app.py": 'import os\nA = os.environ["ROOT_VAR"]\n',
            "sub/.env.example": "SUB_VAR=\n",
            "sub/job.py": 'import os\nA = os.environ["SUB_VAR"]\nB = os.environ["ELSEWHERE"]\n',
        },
    )
    assert triples(run_scan([".env.example"], cwd=tmp_path, select=[RULE])) == []
    result = run_scan(["sub/.env.example"], cwd=tmp_path, select=[RULE])
    assert [f.message for f in result.findings] == [
        "`sub/.env.example` lacks 1 variable the code reads: `ELSEWHERE` (job.py:3)."
    ]


def test_options_are_shared_with_the_per_read_rule(tmp_path: Path) -> None:
    """One `ignore` / `include-tests` config serves both rules."""
    _git_tree(
        tmp_path,
        {
            ".env.example": "A=\n",
            "app.py": 'import os\nx = os.environ["HOME"]\ny = os.environ["LOCAL_ONLY"]\n',
            "tests/test_app.py": 'import os\nz = os.environ["TEST_DB"]\n',
        },
    )
    default = run_scan([".env.example"], cwd=tmp_path, select=[RULE])
    assert [f.message for f in default.findings] == [
        "`.env.example` lacks 1 variable the code reads: `LOCAL_ONLY` (app.py:3)."
    ]
    cfg = tmp_path / ".prodready.yaml"
    cfg.write_text(
        "rules:\n"
        f"  {RULE}:\n    ignore: [LOCAL_ONLY]\n    include-tests: true\n"
        f"  {PER_READ}:\n    ignore: [LOCAL_ONLY]\n    include-tests: true\n"
    )
    configured = run_scan(
        [".env.example", "app.py", "tests/test_app.py"],
        cwd=tmp_path,
        select=[RULE, PER_READ],
        config_path=str(cfg),
    )
    assert sorted(triples(configured)) == [
        ".env.example:1:1 env-template-incomplete",
        "app.py:2:17 env-missing-from-template",
        "tests/test_app.py:2:17 env-missing-from-template",
    ]
    (template,) = [f for f in configured.findings if f.rule_id == RULE]
    assert template.message == (
        "`.env.example` lacks 2 variables the code reads: `HOME` (app.py:2), "
        "`TEST_DB` (tests/test_app.py:2)."
    )
