"""Adversarial inputs, the heavy ones: each gives its exact notification (path, code), never a
traceback, and the scan goes on (the finding in the good Dockerfile is still reported).

The lighter cases (invalid YAML, tabs, a small alias bomb, binary, 0-byte, non-UTF-8, unreadable via
monkeypatch, a symlink loop, bad config) are in ``tests/test_engine_inputs.py``.
"""

from __future__ import annotations

import codecs
import os
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from linter import index as index_mod
from linter.engine import ScanOptions, scan
from linter.output import render
from tests.conftest import run_scan, triples

GOOD = "FROM python:3.12-slim\nCMD python app.py\n"
SHELL_FORM = "Dockerfile:2:1 docker-shell-form-entrypoint"
SELECT = ["docker-shell-form-entrypoint", "k8s-missing-liveness-probe"]


def _notes(result: Any) -> list[tuple[str | None, str]]:
    return [(n.path, n.code) for n in result.notifications]


def _scan(tmp_path: Path, **kw: Any) -> Any:
    (tmp_path / "Dockerfile").write_text(GOOD)
    result = run_scan(["."], cwd=tmp_path, select=SELECT, **kw)
    assert result.internal_errors == 0
    return result


def _deployment(extra: str = "") -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n"
        "    spec:\n      containers:\n      - name: api\n        image: api:1.0\n" + extra
    )


def test_alias_bomb_bounded_time_and_memory(tmp_path: Path) -> None:
    # 10 levels of 10 aliases: 10**10 nodes when expanded
    lines = ["apiVersion: v1", "kind: ConfigMap", "data:", "  a: &a [x, x, x, x, x, x, x, x, x, x]"]
    prev = "a"
    for name in "bcdefghijk":
        lines.append(f"  {name}: &{name} [{', '.join(['*' + prev] * 10)}]")
        prev = name
    (tmp_path / "bomb.yaml").write_text("\n".join(lines) + "\n")
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = _scan(tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 20
    assert peak < 100 * 2**20
    assert triples(result) == [SHELL_FORM]
    assert _notes(result) == [("bomb.yaml", "prodready-parse-error")]
    assert "alias bomb" in result.notifications[0].message


def test_million_line_file(tmp_path: Path) -> None:
    # a Dockerfile of a million comment lines: scanned, and the finding is at line 1,000,002
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "Dockerfile").write_text(
        "#\n" * 1_000_000 + "FROM python:3.12-slim\nCMD python app.py\n"
    )
    start = time.perf_counter()
    result = _scan(tmp_path)
    assert time.perf_counter() - start < 60
    assert triples(result) == [SHELL_FORM, "big/Dockerfile:1000002:1 docker-shell-form-entrypoint"]
    assert _notes(result) == []


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deep_flow_yaml(tmp_path: Path, depth: int) -> None:
    # deeper than the C stack would survive if anything composed it recursively
    (tmp_path / "deep.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  x: " + "[" * depth + "]" * depth + "\n"
    )
    result = _scan(tmp_path)
    assert triples(result) == [SHELL_FORM]
    assert _notes(result) == [("deep.yaml", "prodready-parse-error")]


def test_deep_block_yaml(tmp_path: Path) -> None:
    body = "".join(" " * i + f"k{i}:\n" for i in range(1500))
    (tmp_path / "deep.yaml").write_text("apiVersion: v1\nkind: ConfigMap\ndata:\n" + body)
    result = _scan(tmp_path)
    assert triples(result) == [SHELL_FORM]
    assert _notes(result) == [("deep.yaml", "prodready-parse-error")]


def test_deep_json(tmp_path: Path) -> None:
    depth = 100_000
    (tmp_path / "deep.json").write_text(
        '{"apiVersion": "v1", "kind": "ConfigMap", "data": ' + "[" * depth + "]" * depth + "}"
    )
    result = _scan(tmp_path)
    assert triples(result) == [SHELL_FORM]
    assert _notes(result) == [("deep.json", "prodready-parse-error")]


def test_file_over_the_configured_size_cap(tmp_path: Path) -> None:
    (tmp_path / ".prodready.yaml").write_text("max-file-size: 2000\n")
    (tmp_path / "k8s.yaml").write_text(_deployment() + "#" * 3000 + "\n")
    result = _scan(tmp_path)
    assert triples(result) == [SHELL_FORM]
    assert _notes(result) == [("k8s.yaml", "prodready-skipped-file")]
    assert "over the 2,000-byte limit" in result.notifications[0].message


def test_fifty_megabyte_sparse_file(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as fh:
        fh.truncate(50 * 2**20)  # sparse: costs no disk and is never read
    start = time.perf_counter()
    result = _scan(tmp_path)
    assert time.perf_counter() - start < 10
    assert triples(result) == [SHELL_FORM]
    assert _notes(result) == [("huge.yaml", "prodready-skipped-file")]
    assert "52,428,800 bytes" in result.notifications[0].message


def test_nul_bytes_after_the_sniffed_head(tmp_path: Path) -> None:
    # the binary sniff looks at 8 KiB; a NUL further on must still not crash a parser
    (tmp_path / "k8s.yaml").write_text(_deployment("#" + "x" * 9000 + "\n" + "a: \x00\n"))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "Dockerfile").write_bytes(b"FROM x\n#" + b"y" * 9000 + b"\nRUN a\x00b\n")
    result = _scan(tmp_path)
    assert triples(result)[0] == SHELL_FORM
    assert ("k8s.yaml", "prodready-parse-error") in _notes(result)
    assert all(code != "prodready-internal-error" for _, code in _notes(result))


def test_nul_bytes_at_the_start(tmp_path: Path) -> None:
    (tmp_path / "k8s.yaml").write_bytes(b"\x00\x01" + _deployment().encode())
    result = _scan(tmp_path)
    assert triples(result) == [SHELL_FORM]
    assert _notes(result) == [("k8s.yaml", "prodready-skipped-file")]


def test_symlink_cycles(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    os.symlink("..", tmp_path / "a" / "b" / "up")  # a/b/up -> a: a directory cycle
    os.symlink("self", tmp_path / "self")  # a link to itself
    result = _scan(tmp_path)
    assert triples(result) == [SHELL_FORM]
    assert _notes(result) == [
        ("a/b/up", "prodready-skipped-file"),
        ("self", "prodready-skipped-file"),
    ]


def test_file_vanishes_during_the_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "k8s.yaml").write_text(_deployment())
    real = index_mod.RepoIndex.all_found

    def found_then_deleted(self: index_mod.RepoIndex) -> Any:
        files = real(self)
        if (tmp_path / "k8s.yaml").exists():
            (tmp_path / "k8s.yaml").unlink()  # discovered, then gone before it is read
        return files

    monkeypatch.setattr(index_mod.RepoIndex, "all_found", found_then_deleted)
    result = _scan(tmp_path)
    assert triples(result) == [SHELL_FORM]
    assert _notes(result) == [("k8s.yaml", "prodready-skipped-file")]
    assert "No such file or directory" in result.notifications[0].message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_file_replaced_by_a_fifo_after_discovery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a walk (or the walk cache) found a regular file; a FIFO is there when it is read: reading
    # must not block waiting for a writer
    (tmp_path / "k8s.yaml").write_text(_deployment())
    real = index_mod.RepoIndex.all_found

    def found_then_replaced(self: index_mod.RepoIndex) -> Any:
        files = real(self)
        if not (tmp_path / "k8s.yaml").is_fifo():
            (tmp_path / "k8s.yaml").unlink()
            os.mkfifo(tmp_path / "k8s.yaml")
        return files

    monkeypatch.setattr(index_mod.RepoIndex, "all_found", found_then_replaced)
    result = _scan(tmp_path)
    assert triples(result) == [SHELL_FORM]
    assert _notes(result) == [("k8s.yaml", "prodready-skipped-file")]
    assert result.notifications[0].message == "not a regular file; skipped"


def test_recorded_sizes_are_checked_again_when_a_file_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a run on named files takes the other files' sizes from the walk cache: a file that grew
    # over the limit since is skipped by its size now, one that shrank below it is read
    (tmp_path / ".prodready.yaml").write_text("max-file-size: 2000\n")
    (tmp_path / "grew.yaml").write_text(_deployment() + "#" * 3000 + "\n")
    (tmp_path / "shrank.yaml").write_text(_deployment())
    real = index_mod.RepoIndex.all_found

    def stale_sizes(self: index_mod.RepoIndex) -> Any:
        files = real(self)
        return [
            f._replace(
                size=10 if f.path == "grew.yaml" else 10**9 if f.path == "shrank.yaml" else f.size,
            )
            for f in files
        ]

    monkeypatch.setattr(index_mod.RepoIndex, "all_found", stale_sizes)
    result = _scan(tmp_path)
    assert ("shrank.yaml", "prodready-skipped-file") not in _notes(result)
    assert _notes(result) == [("grew.yaml", "prodready-skipped-file")]
    assert "file is 3," in result.notifications[0].message
    assert "over the 2,000-byte limit" in result.notifications[0].message


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file: chmod is moot"
)
def test_permission_denied(tmp_path: Path) -> None:
    (tmp_path / "k8s.yaml").write_text(_deployment())
    (tmp_path / "k8s.yaml").chmod(0)
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "x.yaml").write_text(_deployment())
    (tmp_path / "locked").chmod(0)
    try:
        result = _scan(tmp_path)
    finally:
        (tmp_path / "k8s.yaml").chmod(0o644)
        (tmp_path / "locked").chmod(0o755)
    assert triples(result) == [SHELL_FORM]
    assert _notes(result) == [
        ("k8s.yaml", "prodready-skipped-file"),
        ("locked", "prodready-unreadable"),
    ]


def test_mixed_encodings(tmp_path: Path) -> None:
    # UTF-16 (both byte orders, with BOM) is read and positions are right; Latin-1 is refused
    (tmp_path / "le").mkdir()
    (tmp_path / "le" / "Dockerfile").write_bytes(codecs.BOM_UTF16_LE + GOOD.encode("utf-16-le"))
    (tmp_path / "be").mkdir()
    (tmp_path / "be" / "k8s.yaml").write_bytes(
        codecs.BOM_UTF16_BE + _deployment().encode("utf-16-be")
    )
    (tmp_path / "latin").mkdir()
    (tmp_path / "latin" / "Dockerfile").write_bytes("# café\n".encode("latin-1") + GOOD.encode())
    result = _scan(tmp_path)
    assert triples(result) == [
        SHELL_FORM,
        "be/k8s.yaml:9:9 k8s-missing-liveness-probe",
        "le/Dockerfile:2:1 docker-shell-form-entrypoint",
    ]
    assert _notes(result) == [("latin/Dockerfile", "prodready-skipped-file")]
    assert "byte 0xe9 at offset 5" in result.notifications[0].message


def test_two_runs_are_byte_identical(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(GOOD)
    for i in range(5):
        (tmp_path / f"svc{i}").mkdir()
        (tmp_path / f"svc{i}" / "Dockerfile").write_text(GOOD)
        (tmp_path / f"svc{i}" / "k8s.yaml").write_text(_deployment())
    (tmp_path / "bad.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: x\n")
    outputs = []
    for _ in range(2):
        old = os.getcwd()
        os.chdir(tmp_path)
        try:
            result = scan(ScanOptions(paths=["."]))
        finally:
            os.chdir(old)
        outputs.append((render("sarif", result), render("json", result)))
    assert outputs[0] == outputs[1]
    assert '"ruleId": "docker-shell-form-entrypoint"' in outputs[0][0]


@pytest.mark.parametrize(
    ("size", "hint", "most"),
    [
        (0, 0, 10),
        (5, 5, 10),
        (200_000, 200_000, 300_000),
        (200_000, 10, 300_000),
        (70_000, 0, 65_537),
        (100, 5_000, 10_000),  # a file that shrank since the walk
    ],
)
def test_read_fd_reads_the_whole_file_up_to_the_limit(
    tmp_path: Path, size: int, hint: int, most: int
) -> None:
    # the size hint may be stale (a file that grew since the walk): reading goes on to the end
    data = bytes(i % 251 for i in range(size))
    (tmp_path / "f").write_bytes(data)
    fd = os.open(tmp_path / "f", os.O_RDONLY)
    try:
        assert index_mod._read_fd(fd, most, hint) == data[:most]
    finally:
        os.close(fd)


def test_read_fd_ends_without_an_empty_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """A short read that completes the size fstat gave is the end: no read to see the end. A
    short read before that size (a file system that returns less than asked) reads on."""
    data = bytes(range(200)) * 10
    calls: list[int] = []

    def fake_read(fd: int, n: int, step: int) -> bytes:
        got = sum(calls)
        chunk = data[got : got + min(n, step)]
        calls.append(len(chunk))
        return chunk

    monkeypatch.setattr(os, "read", lambda fd, n: fake_read(fd, n, 1 << 20))
    assert index_mod._read_fd(0, 10_000, len(data)) == data
    assert calls == [len(data)]
    calls.clear()
    monkeypatch.setattr(os, "read", lambda fd, n: fake_read(fd, n, 700))
    assert index_mod._read_fd(0, 10_000, len(data)) == data
    assert calls == [700, 700, 600]


def test_yaml_layout_ruamel_cannot_load(tmp_path: Path) -> None:
    """A comment after a key whose value starts on the next line, then a blank line with spaces:
    ruamel's round-trip loader raises NotImplementedError (the fast path takes no anchor, so
    the anchor sends the file to ruamel)."""
    (tmp_path / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: &l\n    a: b\n"
        "data:  # c\n  text\n   \n"
    )
    result = _scan(tmp_path)
    assert triples(result) == [SHELL_FORM]
    assert _notes(result) == [("cm.yaml", "prodready-parse-error")]
    assert result.notifications[0].message.startswith("YAML that ruamel.yaml cannot load")


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("app.py", "import os\nTOKEN = os.environ['TOKEN']\n"),
        ("server.js", "const token = process.env.TOKEN;\nrequire('http');\n"),
        ("main.go", 'package main\n\nimport "os"\n\nvar t = os.Getenv("TOKEN")\n'),
    ],
)
def test_a_named_code_file_outside_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str
) -> None:
    """Its display path is absolute and no manifest lies above it: the code index's search for
    the file's service climbed to '/' and looped there for ever (dirname('/') is '/')."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / name).write_text(text)
    work = tmp_path / "cwd"
    work.mkdir()
    r = subprocess.run(
        [sys.executable, "-m", "linter.cli", "check", str(outside / name), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=work,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert r.returncode in (0, 1), r.stderr
    assert "Traceback" not in r.stderr


_BAD_DIR = b"x\xff"
_BAD_FILE = b"p\xfe.yaml"
_SHOWN = "x\\xff/p\\xfe.yaml"


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "markdown"])
def test_a_file_name_that_is_not_utf8(
    tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Python gives such a name with lone surrogates, which JSON, SARIF, the cache's signature
    and the terminal all refuse (every directory scan crashed): it is shown as git shows it,
    ``x\\xff/p\\xfe.yaml``, in every format, and the file is read through its real name."""
    import json

    from linter.cli import main
    from tests.conftest import validate_sarif

    bad = os.path.join(os.fsencode(tmp_path), _BAD_DIR)
    os.mkdir(bad)
    with open(os.path.join(bad, _BAD_FILE), "w") as fh:
        fh.write(_deployment())
    monkeypatch.chdir(tmp_path)
    rule = "k8s-missing-liveness-probe"
    assert main(["check", ".", "--select", rule, "--format", fmt]) == 1
    out = capsys.readouterr().out
    if fmt == "text":
        assert out.splitlines()[0].startswith(f"{_SHOWN}:9:9: {rule} [medium] ")
    elif fmt == "json":
        found = json.loads(out)["findings"]
        locs = [
            (f["location"]["path"], f["location"]["line"], f["location"]["column"]) for f in found
        ]
        assert locs == [(_SHOWN, 9, 9)]
    elif fmt == "sarif":
        doc = validate_sarif(out)
        (res,) = doc["runs"][0]["results"]  # type: ignore[index]
        uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri == "x%5Cxff/p%5Cxfe.yaml"
    else:
        assert _SHOWN in out
    # a run on the file by name (pre-commit gives names as they are)
    named = os.fsdecode(os.path.join(_BAD_DIR, _BAD_FILE))
    assert main(["check", named, "--select", rule]) == 1
    assert capsys.readouterr().out.startswith(f"{_SHOWN}:9:9: {rule} [medium] ")


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("svc/k8s/deploy.yaml", "svc/k8s/deploy.yaml"),
        ("café/ünï.yaml", "café/ünï.yaml"),
        (os.fsdecode(b"x\xff/p\xfe.yaml"), "x\\xff/p\\xfe.yaml"),
        ("odd\ud800.yaml", "odd\\ud800.yaml"),  # no file system API gives it; shown all the same
    ],
)
def test_shown_name(path: str, shown: str) -> None:
    from linter.discover import shown_name

    assert shown_name(path) == shown
    shown.encode("utf-8")  # (what every output needs)
