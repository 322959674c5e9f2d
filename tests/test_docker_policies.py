"""Dockerfile policies beyond the fixture folders: parse failures, redaction, options, helpers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linter.output import render
from linter.parsers.dockerfile import parse_dockerfile
from linter.parsers.yaml import ParseError
from linter.source import SourceFile
from policies.docker.common import (
    base_image,
    effective_command,
    is_secret_name,
    k8s_memory_bytes,
    substitute,
)
from policies.docker.context import not_excluded
from policies.docker.node import major_of, range_min_major
from policies.docker.signals import Script, analyze
from tests.conftest import FIXTURES, run_scan, triples

POLICIES = FIXTURES / "policies"


def _df(text: str, path: str = "Dockerfile") -> SourceFile:
    from linter.model import ArtifactKind

    return SourceFile(path, path, ArtifactKind.DOCKERFILE, text)


def test_unparseable_dockerfile_is_a_notification_and_the_scan_goes_on(tmp_path: Path) -> None:
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "Dockerfile").write_text("FROM node\nRUN <<EOF\necho unterminated\n")
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "Dockerfile").write_text("FROM node\n")
    result = run_scan(["."], cwd=tmp_path, select=["docker-base-image-unpinned"])
    assert triples(result) == ["ok/Dockerfile:1:1 docker-base-image-unpinned"]
    notes = [(n.path, n.code) for n in result.notifications]
    assert notes == [("broken/Dockerfile", "prodready-parse-error")]
    assert "heredoc" in result.notifications[0].message
    assert result.exit_code() == 1  # findings, not an internal error


def test_repo_scope_policies_survive_an_unparseable_dockerfile(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM node:20.11-slim\nRUN <<EOF\nnever ends\n")
    result = run_scan(
        ["."],
        cwd=tmp_path,
        select=[
            "docker-missing-healthcheck",
            "docker-missing-dockerignore",
            "code-node-heap-unset",
        ],
    )
    assert triples(result) == []
    assert [n.code for n in result.notifications] == ["prodready-parse-error"]
    assert result.internal_errors == 0


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "markdown"])
def test_secret_values_never_reach_any_output(fmt: str) -> None:
    rule = "docker-secret-in-build"
    result = run_scan(["."], cwd=POLICIES / rule / "fail", select=[rule])
    out = render(fmt, result)
    for secret in ("npm_Zx81kQ2vL0pR7sT4uW9yB3cD6fG1hJ5", "hunter2-prod", "Zx81kQ2vL0pR7sT4"):
        assert secret not in out
    assert "STRIPE_SECRET_KEY" in out  # the name is reported, the value is not


def test_require_digest_option(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM node:20.11-slim AS build\n"
        "FROM gcr.io/distroless/nodejs20-debian12@sha256:" + "b" * 64 + "\n"
    )
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("rules:\n  docker-base-image-unpinned:\n    require-digest: true\n")
    rule = "docker-base-image-unpinned"
    assert triples(run_scan(["."], cwd=tmp_path, select=[rule])) == []
    result = run_scan(["."], cwd=tmp_path, select=[rule], config_path=str(cfg))
    assert triples(result) == [f"Dockerfile:1:1 {rule}"]
    assert "not pinned by digest" in result.findings[0].message


def test_files_mode_reports_only_the_named_dockerfile(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "Dockerfile").write_text('FROM node:20.11-slim\nCMD ["npm", "start"]\n')
    rule = "docker-pid1-no-signal-forwarding"
    result = run_scan(["a/Dockerfile"], cwd=tmp_path, select=[rule])
    assert triples(result) == [f"a/Dockerfile:2:1 {rule}"]


def test_arg_substitution() -> None:
    env = {"V": "20", "EMPTY": ""}
    assert substitute("node:${V}-slim", env) == "node:20-slim"
    assert substitute("node:$V", env) == "node:20"
    assert substitute("node:${MISSING:-18}", env) == "node:18"
    assert substitute("node:${EMPTY:-18}", env) == "node:18"
    assert substitute("node:${V:+x}", env) == "node:x"
    assert substitute("node:${MISSING}", env) is None


def test_base_image_and_effective_command_follow_stages() -> None:
    df = parse_dockerfile(
        _df(
            "ARG IMG=node:20.11-slim\n"
            "FROM ${IMG} AS base\n"
            'ENTRYPOINT ["tini", "--"]\n'
            'CMD ["node", "a.js"]\n'
            "FROM base AS app\n"
            'CMD ["node", "b.js"]\n'
        )
    )
    first, last = df.stages
    assert base_image(df, first).resolved == "node:20.11-slim"
    assert base_image(df, last).parent is first
    assert effective_command(df, last).argv() == ["tini", "--", "node", "b.js"]


def test_crlf_and_lowercase_instructions_parse() -> None:
    df = parse_dockerfile(_df('from alpine:3.19\r\nuser app\r\ncmd ["sh"]\r\n'))
    assert [i.cmd for i in df.instructions] == ["FROM", "USER", "CMD"]
    assert df.loc(df.instructions[2]).start_line == 3


def test_unterminated_heredoc_raises_parse_error() -> None:
    with pytest.raises(ParseError) as err:
        parse_dockerfile(_df("FROM x\nRUN <<EOF\nabc\n"))
    assert err.value.notification.code == "prodready-parse-error"


def test_dockerignore_matching_is_anchored_like_docker() -> None:
    assert not_excluded(".git\n.env\n.env.*\n") == []
    assert not_excluded("**/.env*\n/.git/\n") == []
    assert not_excluded("*\n!src\n") == []
    assert not_excluded("sub/.env\n.git\n") == ["`.env`", "`.env.*`"]
    assert not_excluded(".env*\n!.env.production\n.git\n") == ["`.env.*`"]
    assert not_excluded("# nothing\n") == ["`.env`", "`.env.*`", "`.git`"]


def test_secret_names() -> None:
    for name in (
        "DB_PASSWORD",
        "STRIPE_SECRET_KEY",
        "NPM_TOKEN",
        "api-key",
        "AWS_SECRET_ACCESS_KEY",
    ):
        assert is_secret_name(name), name
    for name in ("PASSWORD_FILE", "TOKEN_TTL", "AWS_ACCESS_KEY_ID", "PWD", "NODE_ENV", "BYPASS"):
        assert not is_secret_name(name), name


def test_memory_quantities() -> None:
    assert k8s_memory_bytes("512Mi") == 512 * 1024**2
    assert k8s_memory_bytes("1G") == 1e9
    assert k8s_memory_bytes("1e9") == 1e9
    assert k8s_memory_bytes(268435456) == 268435456
    assert k8s_memory_bytes("lots") is None


def test_node_versions() -> None:
    assert major_of("16-alpine") == 16
    assert major_of("v14.21.3") == 14
    assert major_of("lts/gallium") == 16
    assert major_of("hydrogen-slim") == 18
    assert major_of("lts") is None
    assert range_min_major(">=14 <21") == 14
    assert range_min_major("^18.17 || >=20") == 18
    assert range_min_major("12 - 16") == 12
    assert range_min_major("<16") == 0
    assert range_min_major("*") is None


def test_build_context_outside_the_scan_is_not_judged(tmp_path: Path) -> None:
    deploy = tmp_path / "repo" / "deploy"
    deploy.mkdir(parents=True)
    (deploy / "Dockerfile").write_text("FROM node:20.11-slim\n")
    (deploy / "compose.yaml").write_text(
        "services:\n  a:\n    build:\n      context: ../..\n"
        "      dockerfile: repo/deploy/Dockerfile\n"
    )
    rule = "docker-missing-dockerignore"
    # scanning repo/ from its parent: the context (the parent) is outside the scan
    assert triples(run_scan(["repo"], cwd=tmp_path, select=[rule])) == []
    # scanning the parent: the context is the scan root, which has no .dockerignore
    assert triples(run_scan(["."], cwd=tmp_path, select=[rule])) == [
        f"repo/deploy/Dockerfile:1:1 {rule}"
    ]


@given(st.text(max_size=200))
def test_text_helpers_never_raise(text: str) -> None:
    not_excluded(text)
    range_min_major(text)
    major_of(text)
    substitute(text, {"A": "1"})
    k8s_memory_bytes(text)
    is_secret_name(text)


@given(
    st.text(
        alphabet=st.sampled_from(list("FROMCDENTRYPIAS []\"'$\\{}:-=@/.\n\r\tabc<>#&|;")),
        max_size=200,
    )
)
def test_dockerfile_policies_never_raise_on_parseable_input(text: str) -> None:
    try:
        df = parse_dockerfile(_df(text))
    except ParseError:
        return
    for stage in df.stages:
        base_image(df, stage)
        effective_command(df, stage).argv()
        script = Script(text, None, "x.sh")

        def resolve(name: str, found: Script = script) -> Script:
            return found

        analyze(effective_command(df, stage).argv(), resolve, shell_form=False)


def test_trailing_backslash_does_not_crash_the_scan(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM node\n\\")
    (tmp_path / ".dockerignore").write_text(".git\n.env*\nfoo\\")
    result = run_scan(
        ["."], cwd=tmp_path, select=["docker-base-image-unpinned", "docker-missing-dockerignore"]
    )
    assert triples(result) == ["Dockerfile:1:1 docker-base-image-unpinned"]
    assert result.internal_errors == 0
