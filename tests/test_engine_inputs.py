"""Bad inputs: each gives a clear notification at the right place, and the scan goes on."""

from __future__ import annotations

import builtins
import os
from pathlib import Path
from typing import Any

import pytest

from linter.cli import main
from tests.conftest import run_scan, triples

GOOD_DOCKERFILE = "FROM python:3.12-slim\nCMD python app.py\n"
SHELL_FORM = "Dockerfile:2:1 docker-shell-form-entrypoint"


def _notes(result: Any) -> list[tuple[str | None, int | None, str, str]]:
    return [(n.path, n.line, n.code, n.message) for n in result.notifications]


def _setup(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(GOOD_DOCKERFILE)


def _scan(tmp_path: Path) -> Any:
    return run_scan(["."], cwd=tmp_path, select=["docker-shell-form-entrypoint", "k8s"])


def test_invalid_yaml_is_a_positioned_notification(tmp_path: Path) -> None:
    _setup(tmp_path)
    (tmp_path / "bad.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: x\nspec: []\n")
    result = _scan(tmp_path)
    assert triples(result) == [SHELL_FORM]
    [(path, line, code, message)] = _notes(result)
    assert (path, line, code) == ("bad.yaml", 4, "prodready-parse-error")
    assert message.startswith("invalid YAML (line 4, column 5): while parsing a flow mapping")
    assert message.endswith("; file skipped")


def test_tab_indentation(tmp_path: Path) -> None:
    _setup(tmp_path)
    (tmp_path / "tabs.yaml").write_text("apiVersion: v1\nkind: Pod\nspec:\n\tcontainers: []\n")
    result = _scan(tmp_path)
    assert triples(result) == [SHELL_FORM]
    [(path, line, code, message)] = _notes(result)
    assert (path, line, code) == ("tabs.yaml", 4, "prodready-parse-error")
    assert "'\\t'" in message


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    _setup(tmp_path)
    lines = ["apiVersion: v1", "kind: ConfigMap", "data:", '  a: &a ["lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghijklmnop":
        lines.append(f"  {name}: &{name} [{', '.join(['*' + prev] * 9)}]")
        prev = name
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n")
    result = _scan(tmp_path)
    assert triples(result) == [SHELL_FORM]
    [(path, line, code, message)] = _notes(result)
    assert (path, line, code) == ("bomb.yaml", 1, "prodready-parse-error")
    assert "alias bomb" in message


def test_binary_file_with_yaml_name(tmp_path: Path) -> None:
    _setup(tmp_path)
    (tmp_path / "blob.yaml").write_bytes(b"apiVersion: v1\x00\x01\x02kind: Pod\n")
    result = _scan(tmp_path)
    assert triples(result) == [SHELL_FORM]
    assert _notes(result) == [
        ("blob.yaml", None, "prodready-skipped-file", "binary file (NUL bytes); skipped")
    ]


def test_zero_byte_dockerfile(tmp_path: Path) -> None:
    _setup(tmp_path)
    (tmp_path / "worker").mkdir()
    (tmp_path / "worker" / "Dockerfile").write_bytes(b"")
    (tmp_path / "empty.yaml").write_bytes(b"")
    result = _scan(tmp_path)
    assert triples(result) == [SHELL_FORM]
    [(path, _line, code, message)] = _notes(result)
    assert (path, code) == ("worker/Dockerfile", "prodready-parse-error")
    assert message == "Dockerfile does not parse: file with no instructions; file skipped"


def test_non_utf8_file(tmp_path: Path) -> None:
    _setup(tmp_path)
    (tmp_path / "latin1.yaml").write_bytes(
        "apiVersion: v1\nkind: Pod\n# caf\xe9\n".encode("latin-1")
    )
    result = _scan(tmp_path)
    assert triples(result) == [SHELL_FORM]
    assert _notes(result) == [
        (
            "latin1.yaml",
            None,
            "prodready-skipped-file",
            "not valid UTF-8 (byte 0xe9 at offset 30); skipped",
        )
    ]


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_bytes(GOOD_DOCKERFILE.encode("utf-16"))
    result = _scan(tmp_path)
    assert triples(result) == [SHELL_FORM]
    assert _notes(result) == []


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _setup(tmp_path)
    secret = tmp_path / "k8s.yaml"
    secret.write_text("apiVersion: v1\nkind: Pod\n")
    real_open = builtins.open

    def fake_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(secret):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    real_os_open = os.open

    def fake_os_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file) == str(secret):
            raise PermissionError(13, "Permission denied")
        return real_os_open(file, *args, **kwargs)

    # tests run as root, who can read anything: both ways of opening a file are refused
    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(os, "open", fake_os_open)
    result = _scan(tmp_path)
    assert triples(result) == [SHELL_FORM]
    assert _notes(result) == [
        (
            "k8s.yaml",
            None,
            "prodready-skipped-file",
            "cannot read file (Permission denied); skipped",
        )
    ]


def test_symlink_loops_are_not_followed(tmp_path: Path) -> None:
    _setup(tmp_path)
    os.symlink("loop-b", tmp_path / "loop-a")
    os.symlink("loop-a", tmp_path / "loop-b")
    os.symlink(".", tmp_path / "self")
    result = _scan(tmp_path)
    assert triples(result) == [SHELL_FORM]
    notes = _notes(result)
    assert [(p, c) for p, _l, c, _m in notes] == [
        ("loop-a", "prodready-skipped-file"),
        ("loop-b", "prodready-skipped-file"),
        ("self", "prodready-skipped-file"),
    ]
    assert notes[0][3].startswith("broken or looping symlink (Too many levels of symbolic links")
    assert notes[2][3] == "symlink to a directory is not followed"


def test_oversize_file(tmp_path: Path) -> None:
    _setup(tmp_path)
    (tmp_path / ".prodready.yaml").write_text("max-file-size: 100\n")
    (tmp_path / "big.yaml").write_text("apiVersion: v1\nkind: Pod\n" + "# pad\n" * 40)
    result = _scan(tmp_path)
    assert triples(result) == [SHELL_FORM]
    assert _notes(result) == [
        (
            "big.yaml",
            None,
            "prodready-skipped-file",
            "file is 265 bytes, over the 100-byte limit (max-file-size); skipped",
        )
    ]


def test_gitignore_and_excludes(tmp_path: Path) -> None:
    _setup(tmp_path)
    for d in ("ignored", "excluded", "node_modules/pkg", "kept"):
        (tmp_path / d).mkdir(parents=True)
        (tmp_path / d / "Dockerfile").write_text(GOOD_DOCKERFILE)
    (tmp_path / ".gitignore").write_text("ignored/\n")
    (tmp_path / "kept" / ".gitignore").write_text("Dockerfile.local\n")
    (tmp_path / "kept" / "Dockerfile.local").write_text(GOOD_DOCKERFILE)
    (tmp_path / ".prodready.yaml").write_text("exclude: [excluded/]\n")
    result = _scan(tmp_path)
    assert triples(result) == [SHELL_FORM, "kept/Dockerfile:2:1 docker-shell-form-entrypoint"]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ("select: [k8s-nope]\n", "select: 'k8s-nope' matches no rule"),
        ("fail-on: severe\n", "fail-on: 'severe' is not one of"),
        ("rules: {docker-runs-as-root: {bogus: 1}}\n", "rules.docker-runs-as-root:"),
        ("unknown-key: 1\n", "Additional properties are not allowed ('unknown-key'"),
        ("select: [\n", "invalid YAML"),
        ("- a list\n", "the configuration must be a mapping"),
    ],
)
def test_bad_config_exits_2_with_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: str, expected: str
) -> None:
    _setup(tmp_path)
    (tmp_path / ".prodready.yaml").write_text(config)
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        code = main(["check", "."])
    finally:
        os.chdir(old)
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("prodready: error: ")
    assert expected in err
    assert "Traceback" not in err


def test_pyproject_config(tmp_path: Path) -> None:
    _setup(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.prodready]\nignore = ["docker-shell-form-entrypoint"]\n'
        '[tool.prodready.severity]\n"docker-runs-as-root" = "critical"\n'
    )
    result = run_scan(
        ["."], cwd=tmp_path, select=["docker-runs-as-root", "docker-shell-form-entrypoint"]
    )
    assert triples(result) == ["Dockerfile:1:1 docker-runs-as-root"]
    assert result.findings[0].severity.label == "critical"


def _check_code(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    old = os.getcwd()
    os.chdir(root)
    try:
        code = main(["check", ".", "--no-cache"])
    finally:
        os.chdir(old)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("kind", ["directory", "broken symlink", "symlink to a device"])
def test_a_config_path_that_is_not_a_file_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    """A .prodready.yaml that is not a regular file used to mean "no config" (the defaults,
    silently): exit 2 and say what it is."""
    _setup(tmp_path)
    config = tmp_path / ".prodready.yaml"
    if kind == "directory":
        config.mkdir()
    else:
        config.symlink_to(tmp_path / "gone.yaml" if kind == "broken symlink" else "/dev/null")
    code, err = _check_code(tmp_path, capsys)
    assert code == 2
    assert err == (
        f"prodready: error: {config}: not a regular file (a directory, a broken symlink or a "
        "device)\n"
    )


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ('[tool.prodready]\nignore = ["docker-shell-form-entrypoint"\n', 2),  # broken, ours
        ('[ tool . prodready . severity ]\n"x" = \n', 2),
        ("[tool.black]\nline-length = = 99\n", 1),  # broken, not ours: the defaults
        ("[project]\nname = 'x'\n\xff\n", 1),
        ("tool = 1\n", 1),  # a "tool" that is not a table (it used to crash)
        ("[tool]\nprodready = 1\n", 2),  # ours, not a table
    ],
)
def test_a_broken_pyproject_toml_is_an_error_only_when_it_holds_our_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, code: int
) -> None:
    _setup(tmp_path)
    (tmp_path / "pyproject.toml").write_bytes(text.encode("utf-8", "surrogateescape"))
    got, err = _check_code(tmp_path, capsys)
    assert got == code, err
    assert "Traceback" not in err
    if code == 2:
        assert err.startswith(f"prodready: error: {tmp_path}/pyproject.toml: ")


def test_an_explicit_pyproject_config_whose_tool_is_not_a_table_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--config pyproject.toml`` with ``tool = 1`` raised an AttributeError (a traceback)."""
    _setup(tmp_path)
    (tmp_path / "pyproject.toml").write_text("tool = 1\n")
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        code = main(["check", ".", "--no-cache", "--config", "pyproject.toml"])
    finally:
        os.chdir(old)
    assert code == 2
    assert capsys.readouterr().err == (
        "prodready: error: pyproject.toml: the configuration must be a mapping\n"
    )


def test_named_files_report_only_their_own_notifications(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    _setup(tmp_path)
    (tmp_path / "bad.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: x\n")
    (tmp_path / "worse.yaml").write_text("apiVersion: v1\nkind: Service\nspec: [\n")
    result = run_scan(
        ["Dockerfile", "worse.yaml"], cwd=tmp_path, select=["docker-shell-form-entrypoint", "k8s"]
    )
    assert triples(result) == [SHELL_FORM]
    assert [(p, c) for p, _l, c, _m in _notes(result)] == [("worse.yaml", "prodready-parse-error")]


def test_per_file_ignores_and_selector_prefixes(tmp_path: Path) -> None:
    _setup(tmp_path)
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "Dockerfile").write_text(GOOD_DOCKERFILE)
    (tmp_path / ".prodready.yaml").write_text("per-file-ignores:\n  'legacy/**': [docker-shell]\n")
    result = run_scan(
        ["."], cwd=tmp_path, select=["docker-shell-form-entrypoint", "docker-runs-as-root"]
    )
    assert triples(result) == [
        "Dockerfile:1:1 docker-runs-as-root",
        SHELL_FORM,
        "legacy/Dockerfile:1:1 docker-runs-as-root",
    ]
