"""env-missing-from-template: nearest template, options, and per-file (pre-commit) runs."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_scan, triples

RULE = "env-missing-from-template"


def _tree(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def _scan(root: Path, paths: list[str], config: str | None = None) -> list[str]:
    cfg = None
    if config is not None:
        (root / ".prodready.yaml").write_text(config)
        cfg = str(root / ".prodready.yaml")
    return triples(run_scan(paths, cwd=root, select=[RULE], config_path=cfg))


def test_nearest_template_wins(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            ".env.example": "ROOT_ONLY=\n",
            "svc/.env.sample": "SVC_VAR=\n",
            "svc/app.py": 'import os\nA = os.environ["SVC_VAR"]\nB = os.environ["ROOT_ONLY"]\n',
            "other/app.py": 'import os\nA = os.environ["ROOT_ONLY"]\nB = os.environ["NOPE"]\n',
        },
    )
    assert _scan(tmp_path, ["."]) == [
        "other/app.py:3:17 env-missing-from-template",
        "svc/app.py:3:17 env-missing-from-template",
    ]
    result = run_scan(["."], cwd=tmp_path, select=[RULE])
    messages = {f.location.path: f.message for f in result.findings}
    assert "`svc/.env.sample`" in messages["svc/app.py"]
    assert "`.env.example`" in messages["other/app.py"]


def test_named_file_run_still_sees_the_template(tmp_path: Path) -> None:
    """pre-commit passes only the changed code file; the template is read from the repo."""
    (tmp_path / ".git").mkdir()
    _tree(
        tmp_path,
        {
            "api/.env.example": "DB_URL=\n",
            "api/server.js": "const a = process.env.DB_URL;\nconst b = process.env.MISSING;\n",
            "api/other.js": "const c = process.env.ALSO_MISSING;\n",
        },
    )
    assert _scan(tmp_path, ["api/server.js"]) == ["api/server.js:2:23 env-missing-from-template"]


def test_options_ignore_and_include_tests(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            ".env.example": "A=\n",
            "app.py": 'import os\nX = os.getenv("FEATURE_FLAG")\nH = os.environ["HOME"]\n',
            "tests/test_app.py": 'import os\nT = os.environ["TEST_DB"]\n',
        },
    )
    assert _scan(tmp_path, ["."]) == ["app.py:2:16 env-missing-from-template"]
    config = f"rules:\n  {RULE}:\n    ignore: [FEATURE_FLAG]\n    include-tests: true\n"
    assert _scan(tmp_path, ["."], config) == [
        "app.py:3:17 env-missing-from-template",  # HOME is no longer ignored
        "tests/test_app.py:2:17 env-missing-from-template",
    ]


def test_compose_defaults_are_optional(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            ".env.example": "DB_URL=\n",
            "compose.yaml": (
                "services:\n"
                "  api:\n"
                "    image: api:${TAG:-dev}\n"
                "    environment:\n"
                "      DB_URL: ${DB_URL}\n"
                "      QUEUE: ${QUEUE_URL:?required}\n"
                "      PLAIN: $PLAIN\n"
            ),
        },
    )
    assert _scan(tmp_path, ["."]) == [
        "compose.yaml:6:16 env-missing-from-template",
        "compose.yaml:7:15 env-missing-from-template",
    ]


def test_no_template_no_finding(tmp_path: Path) -> None:
    _tree(tmp_path, {"app.py": 'import os\nA = os.environ["ANYTHING"]\n'})
    assert _scan(tmp_path, ["."]) == []
