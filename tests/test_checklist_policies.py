"""Edge cases of the repo-level policies behind the checklist (fixtures cover the main cases)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_scan, triples


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def test_missing_docs_without_readme_points_at_manifest(tmp_path: Path) -> None:
    _write(tmp_path, {"package.json": '{"name": "x"}\n', "src/a.js": "x = 1\n"})
    result = run_scan(["."], cwd=tmp_path, select=["repo-missing-docs"])
    assert triples(result) == ["package.json:1:1 repo-missing-docs"]
    assert result.active[0].message == "Repo has no README, runbook or SECURITY.md."


def test_missing_docs_quiet_on_a_subfolder_scan(tmp_path: Path) -> None:
    _write(tmp_path, {"k8s/deploy.yaml": "apiVersion: v1\nkind: ConfigMap\n"})
    assert triples(run_scan(["k8s"], cwd=tmp_path, select=["repo-missing-docs"])) == []


def test_missing_docs_paths_relative_to_cwd(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "svc/README.md": "# svc\n",
            "svc/SECURITY.md": "x\n",
            "svc/RUNBOOK.md": "x\n",
            "other/README.md": "# other\n",
            "other/Dockerfile": "FROM scratch\n",
        },
    )
    assert triples(run_scan(["svc"], cwd=tmp_path, select=["repo-missing-docs"])) == []
    assert triples(run_scan(["other"], cwd=tmp_path, select=["repo-missing-docs"])) == [
        "other/README.md:1:1 repo-missing-docs"
    ]


def test_shared_migrations_folder_counts_for_a_sub_service(tmp_path: Path) -> None:
    pkg = '{\n  "dependencies": {\n    "fastify": "^4.0.0",\n    "knex": "^3.1.0"\n  }\n}\n'
    _write(tmp_path, {"services/api/package.json": pkg})
    assert triples(run_scan(["."], cwd=tmp_path, select=["repo-missing-migrations"])) == [
        "services/api/package.json:4:5 repo-missing-migrations"
    ]
    _write(tmp_path, {"db/migrations/20240101_init.js": "exports.up = () => {};\n"})
    assert triples(run_scan(["."], cwd=tmp_path, select=["repo-missing-migrations"])) == []


def test_pyproject_and_go_mod_services(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "py/pyproject.toml": '[project]\nname = "x"\ndependencies = [\n  "django>=5",\n]\n',
            "go/go.mod": "module example.com/x\n\ngo 1.22\n\nrequire (\n"
            "\tgithub.com/gin-gonic/gin v1.10.0\n)\n",
        },
    )
    result = run_scan(["."], cwd=tmp_path, select=["code-missing-metrics"])
    assert triples(result) == [
        "go/go.mod:6:2 code-missing-metrics",
        "py/pyproject.toml:4:1 code-missing-metrics",
    ]


def test_bad_class_regex_is_reported_not_raised(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "rules.yml": "groups:\n  - name: a\n    rules:\n"
            "      - alert: X\n        expr: up == 0\n",
            "cfg.yaml": "rules:\n  obs-missing-critical-alerts:\n    classes: {broken: '(('}\n"
            "    required: [broken]\n",
        },
    )
    result = run_scan(
        ["."], cwd=tmp_path, select=["obs-missing-critical-alerts"], config_path="cfg.yaml"
    )
    assert triples(result) == []
    assert any(
        "option classes.broken is not a valid regular expression" in n.message
        for n in result.notifications
    )


def test_no_alert_rules_means_no_finding(tmp_path: Path) -> None:
    _write(tmp_path, {"README.md": "# x\n"})
    assert triples(run_scan(["."], cwd=tmp_path, select=["obs-missing-critical-alerts"])) == []


def test_missing_docs_finds_a_runbook_by_any_spelling(tmp_path: Path) -> None:
    """A runbook is any file or directory whose name holds ``runbook`` or ``run-book``, in any
    case (the Kelvin sign counts as a ``k``, as the pattern's case folding has it)."""
    base = {"README.md": "# x\n", "SECURITY.md": "x\n", "package.json": '{"name": "x"}\n'}
    for name in (
        "docs/RunBook.md",
        "ops/Run-Books/db.md",
        "docs/oncall-runbooks.txt",
        "ops/RUNBOO\u212a.md",
    ):
        root = tmp_path / str(abs(hash(name)))
        _write(root, {**base, name: "x\n"})
        assert triples(run_scan(["."], cwd=root, select=["repo-missing-docs"])) == [], name
    root = tmp_path / "none"
    _write(root, {**base, "docs/run_book.md": "x\n", "docs/book.md": "x\n"})
    result = run_scan(["."], cwd=root, select=["repo-missing-docs"])
    assert triples(result) == ["README.md:1:1 repo-missing-docs"]
    assert result.active[0].message == "Repo has no runbook."
