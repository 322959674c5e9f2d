"""Autofix: every fixer has a before/after fixture; the fix is exact, idempotent, keeps every
comment, produces a file that parses, and makes the rule's finding go away."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from linter.cli import main
from linter.fix import FIXERS, FixError, fix_text
from linter.fix.docker import exec_form
from linter.fix.k8s import quantity
from linter.model import ArtifactKind
from linter.parsers.dockerfile import parse_dockerfile
from linter.registry import load
from linter.source import SourceFile
from tests.conftest import FIXTURES, run_scan, triples

FIX_FIXTURES = FIXTURES / "fix"
RULES = sorted(p.name for p in FIX_FIXTURES.iterdir() if p.is_dir())


def _files(rule: str) -> list[tuple[Path, Path]]:
    before = FIX_FIXTURES / rule / "before"
    after = FIX_FIXTURES / rule / "after"
    pairs = [(p, after / p.relative_to(before)) for p in sorted(before.rglob("*")) if p.is_file()]
    assert pairs, f"{rule}: no before/ files"
    return pairs


def _comments(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        if "#" in line:
            out.append(line[line.index("#") :].strip())
    return out


def _parses(path: Path, text: str) -> None:
    if path.name == "Dockerfile":
        parse_dockerfile(SourceFile(path.name, str(path), ArtifactKind.DOCKERFILE, text))
    else:
        docs = list(YAML(typ="safe", pure=True).load_all(text))
        assert docs and all(d is not None for d in docs)


def test_every_fixer_has_a_fixture() -> None:
    assert sorted(FIXERS) == RULES


@pytest.mark.parametrize("rule", RULES)
def test_fixer_before_after(rule: str) -> None:
    for before, after in _files(rule):
        text = before.read_text()
        fixed = fix_text(text, {rule: None})
        assert fixed == after.read_text()
        assert fixed != text
        assert fix_text(fixed, {rule: None}) == fixed, "second run must change nothing"
        for comment in _comments(text):
            assert comment in fixed, f"comment lost: {comment}"
        _parses(after, fixed)


@pytest.mark.parametrize("rule", RULES)
def test_fixer_makes_the_finding_disappear(rule: str) -> None:
    if load().meta(rule) is None:
        pytest.skip(f"rule {rule} is not registered yet")
    before = run_scan(["."], cwd=FIX_FIXTURES / rule / "before", select=[rule])
    after = run_scan(["."], cwd=FIX_FIXTURES / rule / "after", select=[rule])
    assert [t for t in triples(before) if t.endswith(" " + rule)], "fixture must fail the rule"
    assert [t for t in triples(after) if t.endswith(" " + rule)] == []


@pytest.mark.parametrize("rule", RULES)
def test_fix_command_writes_the_after_fixture(rule: str, tmp_path: Path) -> None:
    if load().meta(rule) is None:
        pytest.skip(f"rule {rule} is not registered yet")
    work = tmp_path / "repo"
    shutil.copytree(FIX_FIXTURES / rule / "before", work)
    (work / ".git").mkdir()  # the scan root
    assert main(["fix", "--select", rule, str(work)]) == 0
    for before, after in _files(rule):
        rel = before.relative_to(FIX_FIXTURES / rule / "before")
        assert (work / rel).read_text() == after.read_text()
    # nothing left: --diff reports no change (exit 0)
    assert main(["fix", "--diff", "--select", rule, str(work)]) == 0


def test_fix_diff_shows_patch_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rule = "docker-shell-form-entrypoint"
    shutil.copytree(FIX_FIXTURES / rule / "before", tmp_path / "r")
    original = (tmp_path / "r" / "Dockerfile").read_text()
    assert main(["fix", "--diff", "--select", rule, str(tmp_path / "r")]) == 1
    out = capsys.readouterr().out
    assert "\n-CMD npm start\n" in out
    assert '\n+CMD ["npm", "start"]\n' in out
    assert out.startswith(f"--- {tmp_path}/r/Dockerfile\n")
    assert (tmp_path / "r" / "Dockerfile").read_text() == original
    # check --fix-diff prints the same patch instead of a report
    assert main(["check", "--fix-diff", "--select", rule, str(tmp_path / "r")]) == 1
    assert '+CMD ["npm", "start"]' in capsys.readouterr().out


def test_check_fix_writes_and_reports_what_is_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM node:20.11-slim\nUSER node\nENTRYPOINT node $APP\nCMD npm start\n"
    )
    code = main(["check", "--fix", "--select", "docker-shell-form-entrypoint", str(tmp_path)])
    captured = capsys.readouterr()
    # ENTRYPOINT uses a variable (needs a shell): left alone and still reported
    assert (tmp_path / "Dockerfile").read_text() == (
        'FROM node:20.11-slim\nUSER node\nENTRYPOINT node $APP\nCMD ["npm", "start"]\n'
    )
    assert code == 1
    assert "Dockerfile:3:1: docker-shell-form-entrypoint" in captured.out
    assert "Dockerfile:4:1" not in captured.out
    assert "fixed 1 finding in 1 file; 1 left to fix by hand." in captured.err


def test_only_the_reported_lines_are_fixed() -> None:
    text = (FIX_FIXTURES / "k8s-capabilities-not-dropped" / "before" / "deploy.yaml").read_text()
    # line 14 is inside the `metrics` container only
    fixed = fix_text(text, {"k8s-capabilities-not-dropped": {14}})
    assert "add: [NET_BIND_SERVICE]   # port 80\n          securityContext" not in fixed
    assert "              drop:\n                - NET_RAW\n                - ALL\n" in fixed
    assert "drop: [ALL]" not in fixed


def test_finding_on_the_kind_line_fixes_every_container_of_that_object() -> None:
    text = (FIX_FIXTURES / "k8s-capabilities-not-dropped" / "before" / "deploy.yaml").read_text()
    assert fix_text(text, {"k8s-capabilities-not-dropped": {2}}) == fix_text(
        text, {"k8s-capabilities-not-dropped": None}
    )


def test_full_hardening_block_keeps_explicit_values() -> None:
    text = (
        "kind: Pod\nspec:\n  containers:\n  - name: app  # main\n    image: a:1\n"
        "    securityContext:\n      allowPrivilegeEscalation: true  # needs sudo\n"
    )
    rules = {
        r: None
        for r in (
            "k8s-writable-root-fs",
            "k8s-privilege-escalation",
            "k8s-run-as-root",
            "k8s-capabilities-not-dropped",
        )
    }
    fixed = fix_text(text, rules)
    assert fixed == (
        "kind: Pod\nspec:\n  containers:\n  - name: app  # main\n    image: a:1\n"
        "    securityContext:\n      allowPrivilegeEscalation: true  # needs sudo\n"
        "      capabilities:\n        drop: [ALL]\n      runAsNonRoot: true\n"
        "      readOnlyRootFilesystem: true\n"
    )
    assert fix_text(fixed, rules) == fixed


def test_resources_defaults_are_configurable() -> None:
    text = "kind: Pod\nspec:\n  containers:\n  - name: app\n    image: a:1\n"
    opts = {"resources": {"limits": {"memory": "1Gi"}}}
    fixed = fix_text(text, {"k8s-missing-resource-limits": None}, opts)
    assert fixed.endswith("    resources:\n      limits:\n        cpu: 500m\n        memory: 1Gi\n")


def test_resources_defaults_from_config_file(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".prodready.yaml").write_text(
        "fix:\n  resources:\n    requests: {cpu: 250m, memory: 64Mi}\n"
    )
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
        "  - name: app\n    image: a:1.0.0\n"
    )
    assert main(["fix", "--select", "k8s-missing-resource-requests", str(tmp_path)]) == 0
    assert (
        (tmp_path / "pod.yaml")
        .read_text()
        .endswith("    resources:\n      requests:\n        cpu: 250m\n        memory: 64Mi\n")
    )


def test_crlf_and_multi_document_streams_are_kept() -> None:
    text = (
        "# top\r\n---\r\nkind: Pod\r\nspec:\r\n  containers:\r\n  - name: a\r\n    image: x:1\r\n"
        "\r\n---\r\n# second\r\nkind: Service\r\n"
    )
    fixed = fix_text(text, {"k8s-writable-root-fs": None})
    assert fixed == (
        "# top\r\n---\r\nkind: Pod\r\nspec:\r\n  containers:\r\n  - name: a\r\n    image: x:1\r\n"
        "    securityContext:\r\n      readOnlyRootFilesystem: true\r\n"
        "\r\n---\r\n# second\r\nkind: Service\r\n"
    )


def test_a_file_that_would_be_reformatted_is_refused() -> None:
    # ruamel joins a plain scalar continued on the next line: not line-aligned, so refused
    text = (
        "kind: Pod\nmetadata:\n  annotations:\n    note: a long\n      plain scalar\n"
        "spec:\n  containers:\n  - name: a\n    image: x:1\n"
    )
    with pytest.raises(FixError, match="without reformatting"):
        fix_text(text, {"k8s-writable-root-fs": None})


def test_lines_ruamel_would_reformat_keep_their_bytes() -> None:
    # ruamel writes `[{port: 80}]` as `[port: 80]` and drops the extra blanks: the edit is
    # applied as a line diff, so those lines stay as written
    text = (
        "kind: Pod\nspec:\n  containers:\n  - name:   a\n    image: x:1\n"
        "    ports: [{containerPort: 80}]\n"
    )
    fixed = fix_text(text, {"k8s-writable-root-fs": None})
    assert fixed == text + "    securityContext:\n      readOnlyRootFilesystem: true\n"
    assert fix_text(fixed, {"k8s-writable-root-fs": None}) == fixed


def test_refused_file_is_a_notification_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    note: a long\n"
        "      plain scalar\nspec:\n  containers:\n  - name: app\n    image: a:1.0.0\n"
    )
    before = (tmp_path / "pod.yaml").read_text()
    assert main(["fix", "--select", "k8s-writable-root-fs", str(tmp_path)]) == 0
    assert (tmp_path / "pod.yaml").read_text() == before
    assert "pod.yaml: not fixed (k8s-writable-root-fs)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("CMD npm start", 'CMD ["npm", "start"]'),
        ("  entrypoint node server.js", '  entrypoint ["node", "server.js"]'),
        ("CMD node $APP", None),
        ('CMD node "a b"', None),
        ("CMD a && b", None),
        ("CMD exec node x", None),
        ('CMD ["node"]', None),
        ("RUN make", None),
    ],
)
def test_exec_form_only_for_simple_commands(line: str, expected: str | None) -> None:
    assert exec_form(line) == expected


def test_quantities() -> None:
    assert quantity("500m") == 0.5
    assert quantity("1Gi") == 2**30
    assert quantity(2) == 2
    assert quantity("lots") is None


def test_write_keeps_bom_mode_and_symlink_target(tmp_path: Path) -> None:
    from linter.fix import FileFix, write

    real = tmp_path / "real.Dockerfile"
    real.write_bytes(b"\xef\xbb\xbfFROM a\nCMD run\n")
    real.chmod(0o640)
    link = tmp_path / "Dockerfile"
    link.symlink_to(real)
    fx = FileFix("Dockerfile", str(link), "FROM a\nCMD run\n", 'FROM a\nCMD ["run"]\n', (), 1)
    assert write([fx]) == []
    assert link.is_symlink()
    assert real.read_bytes() == b'\xef\xbb\xbfFROM a\nCMD ["run"]\n'
    assert real.stat().st_mode & 0o777 == 0o640


def test_write_skips_a_file_changed_since_the_scan(tmp_path: Path) -> None:
    from linter.fix import FileFix, write

    path = tmp_path / "Dockerfile"
    path.write_text("FROM a\nCMD other\n")
    fx = FileFix("Dockerfile", str(path), "FROM a\nCMD run\n", 'FROM a\nCMD ["run"]\n', (), 1)
    (note,) = write([fx])
    assert note.message == "not fixed: it changed on disk since the scan"
    assert path.read_text() == "FROM a\nCMD other\n"


def test_run_as_root_fix_leaves_an_explicit_user_alone() -> None:
    text = (
        "kind: Pod\nspec:\n  securityContext:\n    runAsUser: 0\n  containers:\n"
        "  - name: a\n    image: x:1\n  - name: b\n    image: x:1\n"
        "    securityContext:\n      runAsNonRoot: false\n"
    )
    assert fix_text(text, {"k8s-run-as-root": {4}}) == text
    assert fix_text(text, {"k8s-run-as-root": None}) == text


def test_block_scalar_ending_in_a_hash_line_stays_inside_the_scalar() -> None:
    text = (
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: |\n          make\n"
        "          # still the script\n"
    )
    fixed = fix_text(text, {"gha-permissions-too-broad": None})
    assert fixed == "on: push\npermissions:\n  contents: read\n" + text.removeprefix("on: push\n")


def test_new_key_goes_after_a_block_scalar_that_ends_the_document() -> None:
    text = (
        "kind: Pod\nspec:\n  containers:\n  - name: a\n    image: x:1\n    args:\n    - |\n"
        "      run\n      # part of the argument\n"
    )
    fixed = fix_text(text, {"k8s-writable-root-fs": None})
    assert fixed == text + "    securityContext:\n      readOnlyRootFilesystem: true\n"


K8S_RULES = (
    "k8s-missing-resource-limits",
    "k8s-missing-resource-requests",
    "k8s-writable-root-fs",
    "k8s-privilege-escalation",
    "k8s-run-as-root",
    "k8s-capabilities-not-dropped",
)
POLICY_YAML = sorted(
    p
    for p in (FIXTURES / "policies").glob("k8s-*/*/**/*")
    if p.is_file() and p.suffix in (".yaml", ".yml")
)


@pytest.mark.parametrize("path", POLICY_YAML, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_k8s_fixture_is_fixed_safely_or_refused(path: Path) -> None:
    text = path.read_text()
    rules: dict[str, set[int] | None] = dict.fromkeys(K8S_RULES)
    try:
        fixed = fix_text(text, rules)
    except FixError:
        return  # refusing is safe
    safe = YAML(typ="safe", pure=True)
    try:
        before_docs = [d for d in safe.load_all(text) if d is not None]
    except Exception:
        return  # invalid YAML fixtures (parse-error tests) are refused or left alone
    after_docs = [d for d in safe.load_all(fixed) if d is not None]
    assert len(after_docs) == len(before_docs)
    assert fix_text(fixed, rules) == fixed
    for comment in _comments(text):
        assert comment in fixed


def test_plan_reads_files_a_cached_scan_did_not_load(tmp_path: Path) -> None:
    from dataclasses import replace

    from linter.fix import plan
    from linter.index import RepoIndex

    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text("FROM a:1\nUSER app\nCMD run me\n")
    result = run_scan(["."], cwd=tmp_path, select=["docker-shell-form-entrypoint"])
    assert result.index is not None
    fresh = RepoIndex(
        result.index.root, result.index.base, result.config, result.index.wanted, None
    )
    fixes, notes = plan(replace(result, index=fresh))
    assert notes == []
    assert [(f.path, f.after) for f in fixes] == [
        ("Dockerfile", 'FROM a:1\nUSER app\nCMD ["run", "me"]\n')
    ]
