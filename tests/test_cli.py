"""The command line: exit codes, default command, output files, rules/explain, JSON shape,
GitHub annotation escaping, --diff REV, --quiet/--verbose/--statistics, init, progress."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from linter import __version__
from linter.cli import main
from linter.docs import rule_page
from linter.index import RepoIndex
from linter.progress import ProgressBar, format_timings, wanted
from linter.registry import load
from tests.conftest import FIXTURES, ROOT, validate_sarif

SHELL_CMD = "FROM node:20.11-slim\nUSER node\nCMD npm start\n"  # one medium finding
GOOD = 'FROM node:20.11-slim\nUSER node\nCMD ["node", "server.js"]\n'
RULE = "docker-shell-form-entrypoint"
Cap = pytest.CaptureFixture[str]


@pytest.fixture
def repo(chdir_tmp: Path) -> Path:
    (chdir_tmp / ".git").mkdir()
    (chdir_tmp / "Dockerfile").write_text(SHELL_CMD)
    return chdir_tmp


def test_exit_1_on_findings_and_text_format(repo: Path, capsys: Cap) -> None:
    assert main(["check", "--select", RULE, "."]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"Dockerfile:3:1: {RULE} [medium] CMD uses shell form")
    assert "  3 | CMD npm start\n" in out
    assert out.endswith("Found 1 problem in 1 file.\n")


def _broken(*args: object, **kwargs: object) -> None:
    raise RuntimeError("the engine broke")


BROKEN_LINE = _broken.__code__.co_firstlineno + 1
REPORT = (
    f"This is a bug in prodready {__version__}: please report it with the command that failed "
    "(PRODREADY_TRACEBACK=1 shows the traceback).\n"
)


def test_an_internal_error_exits_2_with_a_message_not_a_traceback(
    repo: Path, capsys: Cap, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in the engine (a failing policy is a notification and the scan goes on) must not
    exit 1, which means "findings", nor print a traceback."""
    monkeypatch.setattr(RepoIndex, "targets", _broken)
    monkeypatch.delenv("PRODREADY_TRACEBACK", raising=False)
    assert main(["check", "."]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "prodready: internal error: RuntimeError: the engine broke "
        f"(test_cli.py:{BROKEN_LINE})\n" + REPORT
    )


def test_a_failing_rule_is_a_notification_naming_where_and_the_scan_goes_on(
    repo: Path, capsys: Cap, monkeypatch: pytest.MonkeyPatch
) -> None:
    import policies.docker.runtime

    monkeypatch.setattr(policies.docker.runtime, "effective_command", _broken)
    assert main(["check", "--select", f"{RULE},docker-missing-dockerignore", "."]) == 2
    out = capsys.readouterr().out
    assert out.startswith("Dockerfile:1:1: docker-missing-dockerignore [medium]")  # it ran
    assert out.endswith(
        f"\nDockerfile: error: internal error: policy {RULE} failed on Dockerfile: RuntimeError: "
        f"the engine broke (test_cli.py:{BROKEN_LINE})\n\nFound 1 problem in 1 file.\n"
    )


def test_prodready_traceback_adds_the_traceback(
    repo: Path, capsys: Cap, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(RepoIndex, "targets", _broken)
    monkeypatch.setenv("PRODREADY_TRACEBACK", "1")
    assert main(["check", "."]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):\n")
    assert f'test_cli.py", line {BROKEN_LINE}, in _broken\n' in err
    assert err.endswith(f"RuntimeError: the engine broke\n{err.splitlines()[-2]}\n{REPORT}")


def test_exit_0_when_clean(repo: Path, capsys: Cap) -> None:
    (repo / "Dockerfile").write_text(GOOD)
    assert main(["check", "--select", RULE, "."]) == 0
    assert capsys.readouterr().out == "No problems found.\n"


@pytest.mark.parametrize(("fail_on", "code"), [("high", 0), ("medium", 1), ("info", 1)])
def test_fail_on(repo: Path, capsys: Cap, fail_on: str, code: int) -> None:
    assert main(["check", "--select", RULE, "--fail-on", fail_on, "."]) == code


def test_exit_zero(repo: Path, capsys: Cap) -> None:
    assert main(["check", "--select", RULE, "--exit-zero", "."]) == 0
    assert "Found 1 problem" in capsys.readouterr().out


def test_default_command_is_check(repo: Path, capsys: Cap) -> None:
    assert main(["--select", RULE, "."]) == 1
    via_default = capsys.readouterr().out
    assert main(["check", "--select", RULE, "."]) == 1
    assert capsys.readouterr().out == via_default
    assert main([str(repo / "Dockerfile"), "--select", RULE]) == 1
    assert "Dockerfile:3:1" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "--no-such-option"], "No such option '--no-such-option'"),
        (["check", "--format", "xml", "."], "Invalid value for '--format'"),
        (["check", "--fail-on", "sometimes", "."], "Invalid value for '--fail-on'"),
        (["check", "missing-dir"], "missing-dir: no such file or directory"),
    ],
)
def test_usage_errors_exit_2(repo: Path, capsys: Cap, args: list[str], message: str) -> None:
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_unknown_rule_in_select_exit_2(repo: Path, capsys: Cap) -> None:
    assert main(["check", "--select", "no-such-rule", "."]) == 2
    assert capsys.readouterr().err == (
        "prodready: error: --select: 'no-such-rule' matches no rule (see `prodready rules`)\n"
    )


def test_bad_config_exit_2(repo: Path, capsys: Cap) -> None:
    (repo / ".prodready.yaml").write_text("fail-on: sometimes\nselect: docker\n")
    assert main(["check", "."]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"prodready: error: {repo}/.prodready.yaml: invalid configuration:\n")
    assert "  fail-on: 'sometimes' is not one of" in err
    assert "  select: 'docker' is not of type 'array'" in err


_BOMB = "".join(
    f"{c}: &{c} [{', '.join([f'*{p}' for _ in range(9)] if p else ['lol'] * 9)}]\n"
    for p, c in zip(["", *"abcdefghi"], "abcdefghij", strict=False)
)


def test_config_alias_bomb_is_refused_at_once(repo: Path, capsys: Cap) -> None:
    """A repo's .prodready.yaml whose aliases expand to 9^10 values: refused by its expanded
    size, before validating it (and quoting it in the message) would expand it."""
    (repo / ".prodready.yaml").write_text(_BOMB + "exclude: *j\n")
    assert main(["check", "."]) == 2
    assert capsys.readouterr().err == (
        f"prodready: error: {repo}/.prodready.yaml: invalid config: more than 100,000 values "
        "with its YAML aliases expanded (an alias bomb?)\n"
    )


def test_config_message_quotes_at_most_300_characters_of_a_value(repo: Path, capsys: Cap) -> None:
    (repo / ".prodready.yaml").write_text(f"exclude: [[{', '.join(['x' * 20] * 100)}]]\n")
    assert main(["check", "."]) == 2
    err = capsys.readouterr().err
    line = err.splitlines()[1]
    assert line.startswith("  exclude.0: [") and line.endswith("…")
    assert len(line) == len("  exclude.0: ") + 300 + 1


def test_checklist_alias_bomb_is_refused(repo: Path, capsys: Cap) -> None:
    (repo / "list.yaml").write_text(_BOMB + "title: *j\n")
    assert main(["checklist", "--checklist", "list.yaml", "."]) == 2
    assert capsys.readouterr().err == (
        "prodready: error: list.yaml: invalid checklist: more than 100,000 values with its YAML "
        "aliases expanded (an alias bomb?)\n"
    )


def test_output_file(repo: Path, capsys: Cap) -> None:
    assert main(["check", "--select", RULE, "--format", "json", "-o", "out.json", "."]) == 1
    assert capsys.readouterr().out == ""
    doc = json.loads((repo / "out.json").read_text())
    assert [f["rule_id"] for f in doc["findings"]] == [RULE]


@pytest.mark.parametrize("command", ["check", "checklist"])
def test_an_output_file_that_cannot_be_written_is_refused_before_the_scan(
    repo: Path, capsys: Cap, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    import linter.engine

    def no_scan(*args: Any) -> None:
        raise AssertionError("scanned")

    monkeypatch.setattr(linter.engine, "scan", no_scan)
    assert main([command, "-o", "missing/out.txt", "."]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == f"prodready: error: missing/out.txt: cannot write output: no directory {repo}/missing\n"
    )
    (repo / "adir").mkdir()  # (click's own check)
    assert main([command, "-o", "adir", "."]) == 2
    assert "'adir' is a directory" in capsys.readouterr().err


def test_an_output_file_failing_at_write_time_is_exit_2_with_a_message(
    repo: Path, capsys: Cap, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(A full disk, a read-only file system: what the early check cannot see.)"""
    import builtins

    real_open = builtins.open

    def full(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if str(file) == "out.json" and "w" in mode:
            raise OSError(28, "No space left on device")
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", full)
    assert main(["check", "--no-cache", "--format", "json", "-o", "out.json", "."]) == 2
    err = capsys.readouterr().err
    assert err == "prodready: error: out.json: cannot write output: No space left on device\n"


def test_json_shape(repo: Path, capsys: Cap) -> None:
    assert main(["check", "--select", RULE, "--format", "json", "."]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert list(doc) == ["tool", "version", "findings", "notifications", "summary"]
    assert doc["tool"] == "prodready"
    (f,) = doc["findings"]
    assert list(f) == [
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
    ]
    assert f["location"] == {
        "path": "Dockerfile",
        "line": 3,
        "column": 1,
        "end_line": 3,
        "end_column": 14,
        "logical_path": None,
    }
    assert (f["severity"], f["snippet"], f["suppressed"]) == ("medium", "CMD npm start", None)
    assert len(f["fingerprint"]) == 32
    assert doc["summary"] == {"findings": 1, "suppressed": 0, "rules_enabled": 1}


def test_github_annotations_escape_properties_and_data(chdir_tmp: Path, capsys: Cap) -> None:
    (chdir_tmp / ".git").mkdir()
    weird = chdir_tmp / "we,ird:100%"
    weird.mkdir()
    (weird / "Dockerfile").write_text("FROM node:20.11-slim\nUSER node\nCMD run%me\n")
    assert main(["check", "--select", RULE, "--format", "github", "."]) == 1
    out = capsys.readouterr().out
    assert out == (
        "::warning file=we%2Cird%3A100%25/Dockerfile,line=3,col=1,endLine=3,endColumn=11,"
        f"title={RULE}::CMD uses shell form, so `/bin/sh -c` is PID 1 and SIGTERM never "
        "reaches `run%25me`.\n"
    )


def test_markdown_format(repo: Path, capsys: Cap) -> None:
    assert main(["check", "--select", RULE, "--format", "markdown", "."]) == 1
    out = capsys.readouterr().out
    assert out.startswith("## prodready\n\n**1 problems**: 1 medium\n")
    assert f"| medium | `{RULE}` | `Dockerfile:3` |" in out


def test_quiet_drops_the_summary(repo: Path, capsys: Cap) -> None:
    assert main(["check", "--select", RULE, "-q", "."]) == 1
    out = capsys.readouterr().out
    assert "Found 1 problem" not in out and out.startswith("Dockerfile:3:1:")
    (repo / "Dockerfile").write_text(GOOD)
    assert main(["check", "--select", RULE, "-q", "."]) == 0
    assert capsys.readouterr().out == ""


def test_statistics(repo: Path, capsys: Cap) -> None:
    assert main(["check", "--select", RULE, "--statistics", "."]) == 1
    assert f"     1  {RULE}\n" in capsys.readouterr().out


def test_verbose_prints_phase_timings_on_stderr(repo: Path, capsys: Cap) -> None:
    assert main(["check", "--select", RULE, "--verbose", "."]) == 1
    captured = capsys.readouterr()
    assert "prodready: scanned 1 files with 1 rules\n" in captured.err
    for phase in ("setup and discovery", "file policies", "repo policies", "total"):
        assert f"prodready: {phase} " in captured.err
    assert "ms" not in captured.out


def test_rules_command(capsys: Cap) -> None:
    assert main(["rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["id", "severity", "enabled", "artifact", "summary"]
    assert any(line.split()[:3] == [RULE, "medium", "yes"] for line in lines[1:])
    assert main(["rules", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    row = next(r for r in rows if r["id"] == RULE)
    assert row == {
        "id": RULE,
        "severity": "medium",
        "artifacts": "dockerfile",
        "summary": load().meta(RULE).summary,  # type: ignore[union-attr]
        "enabled": True,
    }


def test_explain(capsys: Cap) -> None:
    assert main(["explain", RULE]) == 0
    assert capsys.readouterr().out == rule_page(load().meta(RULE))  # type: ignore[arg-type]
    assert main(["explain", "no-such-rule"]) == 2
    assert "unknown rule 'no-such-rule'" in capsys.readouterr().err


# -- changed-files mode --------------------------------------------------------------------
def _git(cwd: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


@pytest.fixture
def git_repo(chdir_tmp: Path) -> Path:
    _git(chdir_tmp, "init", "-q")
    (chdir_tmp / "api").mkdir()
    (chdir_tmp / "web").mkdir()
    (chdir_tmp / "api" / "Dockerfile").write_text(SHELL_CMD)
    (chdir_tmp / "web" / "Dockerfile").write_text(SHELL_CMD)
    _git(chdir_tmp, "add", ".")
    _git(chdir_tmp, "commit", "-q", "-m", "init")
    return chdir_tmp


def test_diff_reports_only_changed_files(git_repo: Path, capsys: Cap) -> None:
    assert main(["check", "--select", RULE, "--diff", "HEAD", "."]) == 0
    assert capsys.readouterr().out == "No problems found.\n"
    (git_repo / "web" / "Dockerfile").write_text("# changed\n" + SHELL_CMD)
    (git_repo / "new").mkdir()
    (git_repo / "new" / "Dockerfile").write_text(SHELL_CMD)  # untracked counts as changed
    assert main(["check", "--select", RULE, "--diff", "HEAD", "-q", "."]) == 1
    out = capsys.readouterr().out
    heads = [line.split(" ")[0] for line in out.splitlines() if RULE in line]
    assert heads == ["new/Dockerfile:3:1:", "web/Dockerfile:4:1:"]


def test_diff_outside_git_is_exit_2(repo: Path, capsys: Cap) -> None:
    # `repo` has a bare .git directory, which is not a repository
    assert main(["check", "--diff", "HEAD", "."]) == 2
    assert "is not inside a git repository" in capsys.readouterr().err


def test_diff_unknown_revision_is_exit_2(git_repo: Path, capsys: Cap) -> None:
    assert main(["check", "--diff", "no-such-branch", "."]) == 2
    assert "unknown git revision 'no-such-branch'" in capsys.readouterr().err
    assert main(["check", "--diff", "--output=x", "."]) == 2


# -- init ------------------------------------------------------------------------------------
def test_init_writes_a_valid_commented_config_and_refuses_to_overwrite(
    repo: Path, capsys: Cap
) -> None:
    assert main(["init"]) == 0
    assert capsys.readouterr().out == f"wrote {os.path.join('.', '.prodready.yaml')}\n"
    text = (repo / ".prodready.yaml").read_text()
    assert text.startswith("# prodready configuration")
    assert sum(1 for line in text.splitlines() if line.lstrip().startswith("#")) > 10
    # the starter config is valid and keeps the defaults
    assert main(["check", "--select", RULE, "."]) == 1
    capsys.readouterr()
    (repo / ".prodready.yaml").write_text("# mine\n")
    assert main(["init"]) == 2
    assert "already exists; not overwriting it" in capsys.readouterr().err
    assert (repo / ".prodready.yaml").read_text() == "# mine\n"


def test_init_starter_fix_section_is_valid_when_uncommented(repo: Path, capsys: Cap) -> None:
    from linter.init import STARTER

    body = STARTER.replace("# fix:\n#   resources:", "fix:\n  resources:").replace("#     ", "    ")
    (repo / ".prodready.yaml").write_text(body)
    assert main(["check", "--select", RULE, "."]) == 1


# -- progress bar ------------------------------------------------------------------------------
class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_tty_and_never_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CI", "PRE_COMMIT", "GITHUB_ACTIONS", "PRODREADY_NO_PROGRESS"):
        monkeypatch.delenv(name, raising=False)
    assert wanted(_Tty()) is True
    assert wanted(io.StringIO()) is False
    monkeypatch.setenv("PRE_COMMIT", "1")
    assert wanted(_Tty()) is False
    monkeypatch.delenv("PRE_COMMIT")
    monkeypatch.setenv("CI", "true")
    assert wanted(_Tty()) is False


def test_progress_bar_waits_then_draws_then_erases() -> None:
    stream = _Tty()
    bar = ProgressBar(stream, delay=3600)
    bar("files", 1, 10)
    assert stream.getvalue() == ""  # a short scan draws nothing
    bar = ProgressBar(stream, delay=0, width=10, every=0)
    bar("files", 5, 10)
    assert stream.getvalue() == "\rprodready: [#####-----] 5/10 files"
    bar.close()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_no_progress_output_when_stderr_is_not_a_tty(repo: Path, capsys: Cap) -> None:
    assert main(["check", "--select", RULE, "."]) == 1
    assert capsys.readouterr().err == ""


def test_format_timings() -> None:
    text = format_timings({"a": 0.001}, {"b": 0.002})
    assert text.splitlines() == [
        "prodready: a                                  1.0 ms",
        "prodready: b                                  2.0 ms",
        "prodready: total                              3.0 ms",
    ]


# -- the GitHub action ---------------------------------------------------------------------------
def _action() -> dict[str, Any]:
    from ruamel.yaml import YAML

    doc: dict[str, Any] = YAML(typ="safe", pure=True).load((ROOT / "action.yml").read_text())
    return doc


def test_action_is_composite_and_pins_actions_by_sha() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    uses = [s["uses"] for s in steps if "uses" in s]
    assert [u.split("@")[0] for u in uses] == [
        "actions/setup-python",
        "github/codeql-action/upload-sarif",
    ]
    for u in uses:
        assert re.fullmatch(r"[\w./-]+@[0-9a-f]{40}", u), u
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/"))
    assert upload["if"].startswith("always()")
    assert upload["with"] == {
        "sarif_file": "${{ inputs.sarif-file }}",
        "category": "${{ inputs.category }}",
    }
    assert action["inputs"]["category"]["default"] == "prodready"
    # inputs reach shell scripts through env, never spliced into the script text
    for s in steps:
        assert "${{" not in s.get("run", ""), s["name"]


def test_action_scan_and_summary_scripts_produce_valid_output(tmp_path: Path) -> None:
    steps = {s["name"]: s for s in _action()["runs"]["steps"]}
    scan, summary = steps["Run prodready"], steps["Job summary"]
    assert 'prodready check $PATHS --format sarif -o "$SARIF_FILE" $ARGS' in scan["run"]
    src = tmp_path / "src"
    (src / "k8s").mkdir(parents=True)
    (src / ".git").mkdir()
    (src / "Dockerfile").write_text(SHELL_CMD)
    shutil.copy(FIXTURES / "fix" / "k8s-run-as-root" / "before" / "deploy.yaml", src / "k8s")
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PATHS": f"{src}/Dockerfile {src}/k8s/deploy.yaml",
        "ARGS": "--select docker-shell-form-entrypoint,k8s-run-as-root --fail-on high",
        "SARIF_FILE": str(tmp_path / "prodready.sarif"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    for step in (scan, summary):
        proc = subprocess.run(
            ["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stderr
    code = (tmp_path / "output").read_text()
    assert code == "exit-code=1\n"  # k8s-run-as-root is high
    doc = validate_sarif((tmp_path / "prodready.sarif").read_text())
    assert doc["runs"][0]["tool"]["driver"]["name"] == "prodready"  # type: ignore[index]
    results = doc["runs"][0]["results"]  # type: ignore[index]
    assert sorted(r["ruleId"] for r in results) == [
        "docker-shell-form-entrypoint",
        "k8s-run-as-root",
    ]
    summary_md = (tmp_path / "summary.md").read_text()
    assert summary_md.startswith("## prodready\n\n**2 problems**: 1 high, 1 medium\n")


def test_progress_bar_is_wired_to_the_scan(
    repo: Path, capsys: Cap, monkeypatch: pytest.MonkeyPatch
) -> None:
    import linter.adopt

    monkeypatch.setattr(linter.adopt, "wanted", lambda: True)
    monkeypatch.setattr(linter.adopt, "ProgressBar", lambda: ProgressBar(delay=0, width=4, every=0))
    (repo / "b").mkdir()
    (repo / "b" / "Dockerfile").write_text(SHELL_CMD)
    assert main(["check", "--select", RULE, "."]) == 1
    err = capsys.readouterr().err
    assert err == ("\rprodready: [----] 0/2 files\rprodready: [##--] 1/2 files\r\x1b[K")
    # --quiet never draws it
    assert main(["check", "--select", RULE, "--quiet", "."]) == 1
    assert capsys.readouterr().err == ""


def test_console_script_exits_at_once_with_all_output(repo: Path, capsys: Cap) -> None:
    """``entry`` (the console script) leaves with ``os._exit`` after main: the exit code, the
    whole of a big output on a pipe, and an output file are all there."""
    for i in range(300):  # ~300 findings: far more than a pipe's buffer
        (repo / f"s{i}").mkdir()
        (repo / f"s{i}" / "Dockerfile").write_text(SHELL_CMD)
    assert main(["check", "--select", RULE, "--format", "json", "."]) == 1
    want = capsys.readouterr().out
    cmd = [sys.executable, "-m", "linter.cli", "check", "--select", RULE, "--format", "json"]
    proc = subprocess.run([*cmd, "."], capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert proc.stdout == want
    assert len(json.loads(proc.stdout)["findings"]) == 301
    proc = subprocess.run([*cmd, "-o", "out.json", "."], capture_output=True, check=False)
    assert proc.returncode == 1
    assert (repo / "out.json").read_text() == want
    clean = subprocess.run([*cmd, "--exit-zero", "."], capture_output=True, check=False)
    assert clean.returncode == 0


def _python(code: str, cwd: Path, *, check: bool) -> subprocess.CompletedProcess[str]:
    """``python -c code`` in ``cwd``, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
        cwd=cwd,
    )


def test_a_run_parsing_no_yaml_does_not_import_ruamel(tmp_path: Path) -> None:
    """ruamel.yaml costs ~45 ms to import: a pre-commit run on a code or env file that parses
    no YAML (a Dockerfile and a Python file here, no manifest) must not import it."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text(SHELL_CMD)
    (tmp_path / "app.py").write_text("import os\nprint(os.environ['HOME'])\n")
    code = (
        "import sys\n"
        "from linter.cli import main\n"
        "code = main(['check', 'app.py', 'Dockerfile'])\n"
        "print(code, sorted({m.split('.')[0] for m in sys.modules if m.startswith('ruamel')}))\n"
    )
    out = _python(code, tmp_path, check=True)
    assert out.stdout.strip().splitlines()[-1] == "1 []"


@pytest.mark.parametrize(("fmt", "warms"), [("sarif", True), ("json", False), ("text", False)])
def test_check_hands_the_scan_its_reporters_warm_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, warms: bool
) -> None:
    from linter import adopt

    seen: list[Any] = []
    real = adopt.run

    def spy(opts: Any, extras: Any) -> Any:
        seen.append(opts.warm_up)
        return real(opts, extras)

    monkeypatch.setattr(adopt, "run", spy)
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\nUSER app\n")
    out = tmp_path / "out"
    code = main(["check", str(tmp_path), "--no-cache", "--format", fmt, "-o", str(out)])
    assert code in (0, 1)
    assert len(seen) == 1 and (seen[0] is not None) == warms


def _many_files(root: Path, services: int) -> None:
    (root / ".git").mkdir()
    for i in range(services):
        svc = root / f"svc{i}"
        (svc / "k8s").mkdir(parents=True)
        (svc / "k8s" / "deploy.yaml").write_text(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc{i}\nspec:\n"
            f"  selector:\n    matchLabels: {{app: svc{i}}}\n  template:\n"
            f"    metadata:\n      labels: {{app: svc{i}}}\n    spec:\n      containers:\n"
            f"        - name: app\n          image: registry.example/svc{i}:1.0\n"
            "          ports: [{containerPort: 8080}]\n"
            "          env: [{name: A, value: b}, {name: C, value: d}]\n"
        )
        (svc / "app.py").write_text(
            "import os\nfrom flask import Flask\napp = Flask(__name__)\n\n"
            "@app.route('/healthz')\ndef health():\n    return os.environ.get('DB_URL', '')\n"
        )
        (svc / "Dockerfile").write_text(
            'FROM python:3.12-slim\nUSER app\nCMD ["python", "app.py"]\n'
        )


def test_a_scan_runs_no_cyclic_collection_and_main_restores_the_thresholds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scan's objects live to its end, so collecting them is all cost (GC_THRESHOLDS): a scan
    holding well over the former thresholds' 50,000 containers at its end runs no collection,
    and main() gives its caller the thresholds back."""
    import gc

    import linter.output

    _many_files(tmp_path, 250)
    collections: list[int] = []
    during: list[int] = []
    alive: list[int] = []
    render = linter.output.render

    def seen(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    def counted(*args: Any, **kwargs: Any) -> str:
        alive.append(gc.get_count()[0])  # the scan's result is alive: what it allocated
        during.extend(
            collections
        )  # (main() restores the thresholds later: a collection may follow)
        return render(*args, **kwargs)

    monkeypatch.setattr(linter.output, "render", counted)
    gc.collect()
    before = gc.get_threshold()
    gc.callbacks.append(seen)
    try:
        code = main(["check", str(tmp_path), "--no-cache", "--jobs", "1", "-o", os.devnull])
    finally:
        gc.callbacks.remove(seen)
    assert code == 1
    assert during == []
    assert alive[0] > 50_000, alive
    assert gc.get_threshold() == before


def test_the_console_script_leaves_the_scan_to_its_exit(tmp_path: Path) -> None:
    """entry() ends the process with os._exit: from its start to that exit no collection runs
    (main() restoring the thresholds made the next allocation collect every object the scan
    had allocated) and the scan's result is still alive (freeing it object by object on the
    way out was work for nothing). The output is written and flushed before."""
    _many_files(tmp_path, 250)
    code = (
        "import gc, os, sys\n"
        "from linter import cli\n"
        "from linter.engine import ScanResult\n"
        "runs = []\n"
        "gc.callbacks.append(lambda phase, info: runs.append(info['generation']) "
        "if phase == 'start' else None)\n"
        "exit = os._exit\n"
        "def ending(code):\n"
        "    kept = [type(o).__name__ for o in cli._KEPT_FOR_EXIT or ()]\n"
        "    sys.stderr.write(f'{code} {runs} {kept}\\n')\n"
        "    sys.stderr.flush()\n"
        "    exit(code)\n"
        "os._exit = ending\n"
        f"sys.argv = ['prodready', 'check', {str(tmp_path)!r}, '--no-cache', '--jobs', '1',"
        " '--format', 'json', '-o', 'out.json']\n"
        "cli.entry()\n"
    )
    proc = _python(code, tmp_path, check=False)
    assert proc.stderr == "1 [] ['ScanResult', 'str']\n"
    assert proc.returncode == 1
    assert len(json.loads((tmp_path / "out.json").read_text())["findings"]) > 250


def _prodready(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", "from linter.cli import entry; entry()", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False, **kwargs)


def test_a_closed_stdout_is_an_error_unless_the_output_goes_to_a_file(tmp_path: Path) -> None:
    """Started with stdout closed (`>&-`), check raised an AttributeError, and the console
    script's last flush another."""
    (tmp_path / "Dockerfile").write_text(SHELL_CMD)

    def close_stdout() -> None:
        os.close(1)

    cmd = ["check", str(tmp_path), "--no-cache"]
    bare = _prodready(cmd, preexec_fn=close_stdout)
    assert (bare.returncode, bare.stderr) == (
        2,
        "prodready: error: standard output is closed; give -o FILE\n",
    )
    out = tmp_path / "out.txt"
    to_file = _prodready([*cmd, "-o", str(out)], preexec_fn=close_stdout)
    assert (to_file.returncode, to_file.stderr) == (1, "")
    assert "docker-shell-form-entrypoint" in out.read_text()


def test_a_deleted_working_directory_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(SHELL_CMD)
    gone = tmp_path / "gone"
    gone.mkdir()

    def enter_and_delete() -> None:
        os.chdir(gone)
        os.rmdir(gone)

    proc = _prodready(["check", str(tmp_path), "--no-cache"], preexec_fn=enter_and_delete)
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        2,
        "",
        "prodready: error: the current directory no longer exists\n",
    )
