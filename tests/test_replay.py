"""Replay entries (linter/replay.py): a re-scan of an unchanged tree prints the stored output
without scanning; anything that can change the output makes it scan again."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import linter.adopt
from linter.cli import main

DOCKERFILE = "FROM python:3.12-slim\nCMD python app.py\n"


def _age(root: Path) -> None:
    """Files older than the racy window, as in a real checkout."""
    old = time.time() - 60
    for d, _, files in os.walk(root):
        for f in files:
            os.utime(os.path.join(d, f), (old, old))


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "Dockerfile").write_text(DOCKERFILE)
    _age(root)
    monkeypatch.chdir(root)
    yield root


class Scans:
    """Counts the scans that really ran (adopt.run is the scan behind ``check``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = linter.adopt.run

        def counting(*args: object, **kw: object) -> object:
            self.count += 1
            return real(*args, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(linter.adopt, "run", counting)


def _check(tmp_path: Path, *args: str) -> tuple[int, str]:
    out = tmp_path / "out.txt"
    code = main(["check", ".", "--cache-dir", str(tmp_path / "cache"), "-o", str(out), *args])
    return code, out.read_text()


def _entries(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache").glob("replay-*.json"))


def test_unchanged_tree_replays_the_same_output_without_scanning(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scans = Scans(monkeypatch)
    first = _check(tmp_path, "--format", "sarif")
    assert scans.count == 1
    assert len(_entries(tmp_path)) == 1
    second = _check(tmp_path, "--format", "sarif")
    assert scans.count == 1  # replayed
    assert second == first
    assert first[0] == 1
    assert "docker-shell-form-entrypoint" in first[1]


def test_a_changed_file_scans_again(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scans = Scans(monkeypatch)
    code, text = _check(tmp_path, "--format", "json")
    assert code == 1
    (repo / "Dockerfile").write_text('FROM python:3.12-slim\nCMD ["python", "app.py"]\n')
    _age(repo)
    _, text2 = _check(tmp_path, "--format", "json")
    assert scans.count == 2
    rules = {f["rule_id"] for f in json.loads(text2)["findings"]}
    assert "docker-shell-form-entrypoint" in {f["rule_id"] for f in json.loads(text)["findings"]}
    assert "docker-shell-form-entrypoint" not in rules


def test_a_new_file_scans_again(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scans = Scans(monkeypatch)
    _check(tmp_path)
    (repo / "svc").mkdir()
    (repo / "svc" / "Dockerfile").write_text(DOCKERFILE)
    _age(repo)
    _, text = _check(tmp_path)
    assert scans.count == 2
    assert "svc/Dockerfile:2:1" in text


def test_config_and_options_key_the_entry(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scans = Scans(monkeypatch)
    _check(tmp_path)
    _check(tmp_path, "--format", "json")  # another question: another entry
    assert scans.count == 2
    assert len(_entries(tmp_path)) == 2
    (repo / ".prodready.yaml").write_text("ignore: [docker-shell-form-entrypoint]\n")
    _age(repo)
    _, text = _check(tmp_path)
    assert scans.count == 3
    assert "docker-shell-form-entrypoint" not in text
    _, again = _check(tmp_path)
    assert scans.count == 3
    assert again == text


def test_recently_modified_files_are_not_replayed(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scans = Scans(monkeypatch)
    (repo / "Dockerfile").write_text(DOCKERFILE)  # mtime: now (within the racy window)
    _check(tmp_path)
    assert _entries(tmp_path) == []
    _check(tmp_path)
    assert scans.count == 2


def test_no_cache_neither_reads_nor_writes(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scans = Scans(monkeypatch)
    _check(tmp_path)
    assert len(_entries(tmp_path)) == 1
    _check(tmp_path, "--no-cache")
    assert scans.count == 2


@pytest.mark.parametrize("flag", [["--verbose"], ["--exit-zero", "--fix-diff"]])
def test_runs_that_do_more_than_report_never_replay(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: list[str]
) -> None:
    scans = Scans(monkeypatch)
    out = tmp_path / "out.txt"
    for _ in range(2):
        main(["check", ".", "--cache-dir", str(tmp_path / "cache"), "-o", str(out), *flag])
    assert scans.count == 2
    assert _entries(tmp_path) == []


@pytest.mark.parametrize("garbage", [b"", b"{not json", b'{"format": 1}', b"[]", b"\xff\xfe"])
def test_corrupt_entry_is_ignored_with_a_note(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, garbage: bytes
) -> None:
    scans = Scans(monkeypatch)
    _, first = _check(tmp_path)
    [entry] = _entries(tmp_path)
    entry.write_bytes(garbage)
    code, text = _check(tmp_path)
    assert scans.count == 2
    assert code == 1
    assert "replay cache entry ignored" in text
    assert first.splitlines()[0] in text  # the same findings
    # an output with that note is not stored: the next run scans, the one after replays
    assert _entries(tmp_path) == []
    assert _check(tmp_path) == (1, first)
    assert scans.count == 3
    assert _check(tmp_path) == (1, first)
    assert scans.count == 3


def test_another_output_file_gets_the_same_replay(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scans = Scans(monkeypatch)
    cache = str(tmp_path / "cache")
    assert main(["check", ".", "--cache-dir", cache, "-o", str(tmp_path / "a.txt")]) == 1
    assert main(["check", ".", "--cache-dir", cache, "-o", str(tmp_path / "b.txt")]) == 1
    assert scans.count == 1
    assert (tmp_path / "a.txt").read_text() == (tmp_path / "b.txt").read_text()


def test_an_entry_from_another_install_is_not_looked_up(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entry names carry a digest of this install's code files (paths, sizes, mtimes): an entry
    committed to a repository, or made by another prodready, is never used."""
    import linter.replay

    scans = Scans(monkeypatch)
    first = _check(tmp_path)
    monkeypatch.setattr(linter.replay, "install_stamp", lambda: "another install")
    assert _check(tmp_path) == first
    assert scans.count == 2
    assert len(_entries(tmp_path)) == 2


def test_a_file_changed_while_the_scan_ran_is_not_replayed_stale(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry records the files as the scan found them: an edit made during the scan (here,
    right after it, before the entry is written; aged so that it is not 'recent') makes the
    next run scan again and see the edit."""
    real = linter.adopt.run
    runs = []

    def edit_during_scan(*args: object, **kw: object) -> object:
        result = real(*args, **kw)  # type: ignore[arg-type]
        runs.append(1)
        if len(runs) == 1:
            (repo / "Dockerfile").write_text('FROM python:3.12-slim\nCMD ["python", "a.py"]\n')
            old = time.time() - 30
            os.utime(repo / "Dockerfile", (old, old))
        return result

    monkeypatch.setattr(linter.adopt, "run", edit_during_scan)
    _, first = _check(tmp_path)
    assert "docker-shell-form-entrypoint" in first  # the scan saw the old content
    _, second = _check(tmp_path)
    assert len(runs) == 2  # not replayed
    assert "docker-shell-form-entrypoint" not in second


def test_an_edited_baseline_or_config_file_scans_again(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scans = Scans(monkeypatch)
    baseline = tmp_path / "baseline.json"
    config = tmp_path / "prodready.yaml"
    config.write_text("fail-on: low\n")
    out = tmp_path / "out.txt"
    cache = str(tmp_path / "cache")
    base_args = ["check", ".", "--cache-dir", cache, "-o", str(out), "--config", str(config)]
    assert main([*base_args, "--write-baseline", str(baseline)]) == 0  # all findings recorded
    old = time.time() - 30
    for p in (baseline, config):
        os.utime(p, (old, old))

    def check() -> tuple[int, str]:
        return main([*base_args, "--baseline", str(baseline)]), out.read_text()

    assert check()[0] == 0
    assert check()[0] == 0
    assert scans.count == 2  # the second: replayed
    doc = json.loads(baseline.read_text())
    doc["findings"] = []  # an emptied baseline
    baseline.write_text(json.dumps(doc))
    os.utime(baseline, (old + 1, old + 1))
    code, text = check()
    assert scans.count == 3
    assert code == 1
    assert "docker-shell-form-entrypoint" in text
    config.write_text("fail-on: critical\n")
    os.utime(config, (old + 2, old + 2))
    code, _ = check()
    assert scans.count == 4
    assert code == 0  # nothing critical
