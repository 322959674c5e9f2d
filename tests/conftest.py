"""Shared test helpers: run the real engine and validate every SARIF it produces."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import jsonschema
import pytest

# imported for good here: a scan that runs bandit in this process leaves a lazy module for it
# (linter.code.bandit_run._lazily), which loads whenever something first touches it (Hypothesis
# does, while it draws), and rich.style draws from the global `random` as it is imported, which
# Hypothesis reports as a strategy using `random`. The lazy import itself is tested in a fresh
# interpreter (tests/test_code_index.py).
import rich.progress  # noqa: F401

from linter.engine import ScanOptions, ScanResult, scan
from linter.output.sarif import render_sarif

ROOT = Path(__file__).resolve().parent.parent


def _shared() -> Path:
    """The workplace's shared folder (corpus, schemas, bench), read in place, never copied."""
    env = os.environ.get("PRODREADY_SHARED")
    for cand in (Path(env) if env else None, ROOT.parent / "shared", Path("/work/shared")):
        if cand is not None and (cand / "schemas").is_dir():
            return cand
    return ROOT.parent / "shared"


SHARED = _shared()
SARIF_SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"
FIXTURES = ROOT / "tests" / "fixtures"

_validator: jsonschema.Draft4Validator | None = None


def start_in_own_group(script: str, cwd: Path, started: Path) -> subprocess.Popen[bytes]:
    """``python -c script STARTED`` in a process group of its own (a test sends it signals),
    returned once the script has created ``started`` (it is at the point to interrupt)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(started)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 60
    while not started.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert started.exists(), proc.communicate()
    return proc


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def assert_group_ends(pgid: int, within: float = 10) -> None:
    """No process of the group is left (not even a zombie, once init has reaped it)."""
    deadline = time.monotonic() + within
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not group_alive(pgid)


def corpus_yaml_texts(step: int, max_bytes: int) -> Iterator[tuple[Path, str]]:
    """Every ``step``-th YAML file of the corpus (sorted) up to ``max_bytes``, with its text
    (files that are not UTF-8 left out)."""
    files = sorted(
        p for p in (SHARED / "corpus").rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()
    )
    for path in files[::step]:
        if path.stat().st_size > max_bytes:
            continue
        try:
            yield path, path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue


def sarif_validator() -> jsonschema.Draft4Validator:
    global _validator
    if _validator is None:
        _validator = jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text()))
    return _validator


def validate_sarif(text: str) -> dict[str, object]:
    doc = json.loads(text)
    sarif_validator().validate(doc)
    for run in doc["runs"]:
        for res in run["results"]:
            assert res["ruleId"] and res["level"] and res["message"]["text"]
            phys = res["locations"][0]["physicalLocation"]
            assert not phys["artifactLocation"]["uri"].startswith("/")
            assert phys["region"]["startLine"] >= 1
    return doc  # type: ignore[no-any-return]


def run_scan(
    paths: Sequence[str | os.PathLike[str]],
    cwd: str | os.PathLike[str],
    select: Sequence[str] = (),
    config_path: str | None = None,
    check_sarif: bool = True,
    cache_dir: str | None = None,
) -> ScanResult:
    """Scan like the CLI would from ``cwd`` (without a cache unless ``cache_dir`` is given:
    ``""`` is the default one); every result's SARIF is schema-validated."""
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = scan(
            ScanOptions(
                paths=[str(p) for p in paths],
                select=list(select),
                config_path=config_path,
                cache_dir=cache_dir,
            )
        )
    finally:
        os.chdir(old)
    if check_sarif:
        validate_sarif(render_sarif(result))
    return result


def triples(result: ScanResult, include_suppressed: bool = False) -> list[str]:
    """``path:line:col rule-id`` for each finding, the format of fixture ``expected`` files."""
    items = result.findings if include_suppressed else result.active
    return [
        f"{f.location.path}:{f.location.start_line}:{f.location.start_col} {f.rule_id}"
        for f in items
    ]


@pytest.fixture
def chdir_tmp(tmp_path: Path) -> Iterator[Path]:
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


def parsed_paths(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[str]:
    """The paths of the sources ``module.name`` (a parse function) is called with from now on."""
    paths: list[str] = []
    real = getattr(module, name)

    def spy(src: object, *rest: object) -> object:
        paths.append(src.path)  # type: ignore[attr-defined]
        return real(src, *rest)

    monkeypatch.setattr(module, name, spy)
    return paths
