"""Compose policies beyond the fixture folders: merged files, redaction, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linter.output import render
from tests.conftest import FIXTURES, run_scan, triples

POLICIES = FIXTURES / "policies"
MISSING_RULES = ["compose-missing-healthcheck", "compose-no-restart-policy"]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "markdown"])
def test_secret_values_never_reach_any_output(fmt: str) -> None:
    rule = "compose-secret-in-environment"
    result = run_scan(["."], cwd=POLICIES / rule / "fail", select=[rule])
    out = render(fmt, result)
    for secret in ("pg-Pr0d-9f8e7d6c", "sk_live_51HkQ2vL0pR7sT4uW9yB3cD6", "7d9f0a8b6c5e4d3c2b1a"):
        assert secret not in out
    assert "POSTGRES_PASSWORD" in out


def test_override_file_completes_the_base_and_is_not_reported(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  api:\n    image: acme/api:1.0\n")
    (tmp_path / "compose.override.yaml").write_text(
        "services:\n  api:\n    restart: always\n    ports: ['8080:8080']\n"
    )
    result = run_scan(["."], cwd=tmp_path, select=MISSING_RULES)
    # restart comes from the override; the healthcheck is missing everywhere and is reported
    # once, on the file that defines the image
    assert triples(result) == ["compose.yaml:2:3 compose-missing-healthcheck"]


def test_only_the_override_is_scanned_in_files_mode(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "compose.yaml").write_text("services:\n  api:\n    image: acme/api:1.0\n")
    (tmp_path / "compose.override.yaml").write_text("services:\n  api:\n    ports: ['80:80']\n")
    result = run_scan(["compose.override.yaml"], cwd=tmp_path, select=MISSING_RULES)
    assert triples(result) == []


def test_invalid_compose_file_is_a_notification(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text("services:\n  api: [\n")
    (tmp_path / "compose.yaml").write_text("services:\n  db:\n    image: postgres\n")
    result = run_scan(["."], cwd=tmp_path, select=["compose"])
    assert [n.path for n in result.notifications] == ["docker-compose.yml"]
    assert "compose.yaml:3:12 compose-image-tag-mutable" in triples(result)
    assert result.internal_errors == 0


def test_odd_shapes_do_not_crash(tmp_path: Path) -> None:
    (tmp_path / "docker-compose.yml").write_text(
        "version: '3'\n"
        "services:\n"
        "  a: null\n"
        "  b: [1, 2]\n"
        "  c:\n"
        "    image: 42\n"
        "    environment: 7\n"
        "    ports: {x: 1}\n"
        "    privileged: 'yes'\n"
        "  d:\n"
        "    image: redis:7\n"
        "    environment: [1, {A: b}, 'REDIS_PASSWORD']\n"
        "    ports: [true, null, '6379']\n"
    )
    result = run_scan(["."], cwd=tmp_path, select=["compose"])
    assert result.internal_errors == 0, result.notifications
    assert "docker-compose.yml:11:12 compose-redis-no-password" in triples(result)
    assert "docker-compose.yml:13:25 compose-db-port-exposed" in triples(result)


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 70000),
    st.sampled_from(["redis:7", "postgres", "127.0.0.1:5432:5432", "[::]:1:2", "${X}", "a=b", ""]),
    st.text(max_size=8),
)
_KEYS = st.sampled_from(
    [
        "image",
        "build",
        "ports",
        "environment",
        "command",
        "entrypoint",
        "volumes",
        "healthcheck",
        "restart",
        "deploy",
        "resources",
        "limits",
        "memory",
        "mem_limit",
        "privileged",
        "context",
        "dockerfile",
        "target",
        "host_ip",
        "init",
        "REDIS_PASSWORD",
        "NODE_OPTIONS",
    ]
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.dictionaries(st.sampled_from(["a", "b", "db"]), _VALUES, max_size=3))
def test_compose_policies_never_crash(tmp_path: Path, services: dict[str, object]) -> None:
    (tmp_path / "compose.yaml").write_text(json.dumps({"services": services}))
    result = run_scan(
        ["."], cwd=tmp_path, select=["compose", "code-node-heap-exceeds-limit", "docker"]
    )
    assert result.internal_errors == 0, result.notifications
