"""The walk cache (linter/walkcache.py) gives what a fresh walk gives, after every kind of change,
and walks again exactly when it must."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import linter.walkcache as wc
from linter.discover import listing_digest, walk
from linter.model import Notification

_clock = [time.time() - 3600]


def _age(root: Path) -> None:
    """Files and directories changed in the last minute get an mtime older than the racy
    window, a new one each time (so a changed directory never gets its old mtime back), as in
    a checkout where the change happened a while ago. Unchanged ones keep theirs."""
    _clock[0] += 1
    t = _clock[0]
    recent = time.time() - 60
    paths = [str(root)]
    for d, dirs, files in os.walk(root):
        paths.extend(os.path.join(d, name) for name in dirs + files)
    for p in paths:
        if not os.path.islink(p) and os.stat(p).st_mtime > recent:
            os.utime(p, (t, t))


class Counting:
    """Counts the walks a scan makes (the cache hit makes none)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.walks = 0
        real = wc.walk

        def counting(*args: object, **kw: object) -> object:
            self.walks += 1
            return real(*args, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(wc, "walk", counting)


def _both(root: Path, cache: Path) -> tuple[list[object], list[Notification]]:
    notes: list[Notification] = []
    got = wc.cached_walk(str(root), str(root), ["*.log"], notes, True, str(cache))
    fresh_notes: list[Notification] = []
    want = list(walk(str(root), str(root), ["*.log"], fresh_notes, True))
    assert got == want
    assert notes == fresh_notes
    return list(got), notes


def _tree(root: Path) -> None:
    (root / "svc").mkdir(parents=True)
    (root / "svc" / "Dockerfile").write_text("FROM x\n")
    (root / "svc" / "app.py").write_text("print(1)\n")
    (root / "k8s").mkdir()
    (root / "k8s" / "d.yaml").write_text("kind: Deployment\n")
    (root / "debug.log").write_text("excluded\n")
    (root / "svc" / ".gitignore").write_text("*.tmp\n")


def _add(root: Path) -> None:
    (root / "svc" / "new.py").write_text("x = 1\n")


def _remove(root: Path) -> None:
    (root / "svc" / "app.py").unlink()


def _rename(root: Path) -> None:
    (root / "k8s" / "d.yaml").rename(root / "k8s" / "e.yaml")


def _new_dir(root: Path) -> None:
    (root / "web" / "src").mkdir(parents=True)
    (root / "web" / "src" / "index.js").write_text("1\n")


def _gitignore(root: Path) -> None:
    (root / "k8s" / ".gitignore").write_text("d.yaml\n")


def _gitignore_changed(root: Path) -> None:  # in place: its directory's mtime stays
    with open(root / "svc" / ".gitignore", "w") as fh:
        fh.write("*.py\n")


def _edit(root: Path) -> None:
    (root / "svc" / "app.py").write_text("print('a longer line')\n")


def _file_to_dir(root: Path) -> None:
    (root / "svc" / "app.py").unlink()
    (root / "svc" / "app.py").mkdir()
    (root / "svc" / "app.py" / "x.py").write_text("1\n")


def _dir_symlink(root: Path) -> None:
    os.symlink(root / "svc", root / "link")


def _save_by_rename(root: Path) -> None:
    """As many editors save: a new file renamed over the old one (its directory's mtime
    changes, its entries do not)."""
    (root / "svc" / ".app.py.new").write_text("print('saved by an editor')\n")
    os.replace(root / "svc" / ".app.py.new", root / "svc" / "app.py")


@pytest.mark.parametrize(
    ("change", "walks_again"),
    [
        (_add, True),
        (_remove, True),
        (_rename, True),
        (_new_dir, True),
        (_gitignore, True),
        (_gitignore_changed, True),
        (_edit, False),  # same entries: re-stat'ed, not walked
        (_file_to_dir, True),
        (_dir_symlink, True),
        (_save_by_rename, False),  # listed again, same entries: not walked
    ],
)
def test_same_as_a_fresh_walk_after_a_change(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[Path], None],
    walks_again: bool,
) -> None:
    root, cache = tmp_path / "repo", tmp_path / "cache"
    _tree(root)
    _age(root)
    counting = Counting(monkeypatch)
    before = _both(root, cache)
    assert counting.walks == 1
    _both(root, cache)
    assert counting.walks == 1  # unchanged: from the cache
    change(root)
    _age(root)
    after = _both(root, cache)
    assert after != before  # files, or (symlinked directory) notes
    assert counting.walks == (2 if walks_again else 1)


def test_directories_whose_mtime_alone_changed_are_listed_again_up_to_a_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A directory whose mtime changed but not its entries is listed again instead of walking
    the repository, for up to MAX_RELISTED directories; beyond that the repository is walked
    again, which renews the entry (the next run lists nothing again)."""
    root, cache = tmp_path / "repo", tmp_path / "cache"
    _tree(root)
    _age(root)
    counting = Counting(monkeypatch)
    listed: list[str] = []
    real = wc._digest

    def digest(directory: str) -> str | None:
        listed.append(directory)
        return real(directory)

    monkeypatch.setattr(wc, "_digest", digest)
    monkeypatch.setattr(wc, "MAX_RELISTED", 2)
    _both(root, cache)
    assert counting.walks == 1
    later = time.time() - 1800
    for d in (root / "svc", root / "k8s"):
        os.utime(d, (later, later))
    _both(root, cache)
    _both(root, cache)
    assert counting.walks == 1
    assert listed == [str(root / "k8s"), str(root / "svc")] * 2  # on each run
    os.utime(root, (later, later))  # a third one: over the limit
    _both(root, cache)
    assert counting.walks == 2
    listed.clear()
    _both(root, cache)
    assert (counting.walks, listed) == (2, [])


def test_listing_digest_covers_names_kinds_and_link_targets(tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    (d / "a").write_text("1\n")
    os.symlink("a", d / "link")
    with open(os.path.join(os.fsencode(d), b"caf\xe9.txt"), "w") as fh:  # not UTF-8
        fh.write("x\n")

    def digest() -> str:
        with os.scandir(d) as entries:
            return listing_digest(entries)

    first = digest()
    (d / "a").write_text("other content\n")  # what is in a file is not the listing's
    (d / ".prodready_cache").mkdir()  # always skipped
    assert digest() == first
    (d / "link").unlink()
    os.symlink("b", d / "link")
    assert digest() != first
    (d / "link").unlink()
    os.symlink("a", d / "link")
    assert digest() == first
    (d / "a").unlink()
    (d / "a").mkdir()
    assert digest() != first


def test_corrupt_entry_is_ignored_with_a_note(tmp_path: Path) -> None:
    root, cache = tmp_path / "repo", tmp_path / "cache"
    _tree(root)
    _age(root)
    _both(root, cache)
    [entry] = cache.glob("walk-*.json")
    for garbage in (b"{", b"[]", b'{"format": 1, "dirs": [[1]]}'):
        entry.write_bytes(garbage)
        notes: list[Notification] = []
        got = wc.cached_walk(str(root), str(root), ["*.log"], notes, True, str(cache))
        assert got == list(walk(str(root), str(root), ["*.log"], [], True))
        assert [n.code for n in notes] == ["prodready-cache-ignored"]


def _restore_mtimes(root: Path, before: dict[str, int]) -> None:
    """Give every directory the mtime it had (a change within one tick of a coarse clock)."""
    for d, ns in before.items():
        if os.path.isdir(d):
            os.utime(d, ns=(ns, ns))


def _dir_mtimes(root: Path) -> dict[str, int]:
    out = {str(root): os.stat(root).st_mtime_ns}
    for d, dirs, _ in os.walk(root):
        for name in dirs:
            out[os.path.join(d, name)] = os.stat(os.path.join(d, name)).st_mtime_ns
    return out


def _retarget(root: Path) -> None:
    os.symlink("svc/Dockerfile", root / "pointer")


def _retargeted(root: Path) -> None:
    """The same name, still a link to a regular file: but out of the repository now (skipped
    with a warning; a re-stat of the files found would not tell)."""
    (root.parent / "outside.txt").write_text("secret\n")
    (root / "pointer").unlink()
    os.symlink(str(root.parent / "outside.txt"), root / "pointer")


@pytest.mark.parametrize(
    "change", [_add, _remove, _rename, _new_dir, _file_to_dir, _dir_symlink, _retargeted]
)
def test_a_directory_changed_just_now_is_compared_by_its_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Callable[[Path], None]
) -> None:
    """A tree changed just now (a fresh clone; the first run creating the cache in its root) is
    stored with the listing of each of its recent directories: unchanged, it is reused; changed
    again, even with every directory's mtime as it was (a coarse clock), it is walked again."""
    root, cache = tmp_path / "repo", tmp_path / "cache"
    _tree(root)
    _retarget(root)  # directories' mtimes: now
    old = time.time() - 3600
    os.utime(root / "svc" / ".gitignore", (old, old))  # (a recent one is not stored: below)
    counting = Counting(monkeypatch)
    before = _both(root, cache)
    assert len(list(cache.glob("walk-*.json"))) == 1
    (root / ".prodready_cache").mkdir()  # always skipped: a root gaining it is unchanged
    _both(root, cache)
    assert counting.walks == 1
    mtimes = _dir_mtimes(root)
    change(root)
    _restore_mtimes(root, mtimes)
    after = _both(root, cache)
    assert after != before
    assert counting.walks == 2


def test_a_gitignore_changed_just_now_is_not_stored(tmp_path: Path) -> None:
    root, cache = tmp_path / "repo", tmp_path / "cache"
    _tree(root)
    _age(root)
    (root / "svc" / ".gitignore").write_text("*.py\n")  # mtime: now
    _both(root, cache)
    assert list(cache.glob("walk-*.json")) == []
    _age(root)
    _both(root, cache)
    assert len(list(cache.glob("walk-*.json"))) == 1


def test_an_entry_from_another_install_is_not_looked_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, cache = tmp_path / "repo", tmp_path / "cache"
    _tree(root)
    _age(root)
    counting = Counting(monkeypatch)
    _both(root, cache)
    monkeypatch.setattr(wc, "install_stamp", lambda: "another install")
    _both(root, cache)
    assert counting.walks == 2


def test_cache_files_are_written_atomically_and_pruned_per_kind(tmp_path: Path) -> None:
    from linter.replay import write_cache_file

    cache = tmp_path / "cache"
    (cache).mkdir()
    (cache / "walk-old.json").write_text("{}")
    for i in range(5):
        assert write_cache_file(str(cache / f"scan-{i}.json"), {"i": i}, keep=3)
        os.utime(cache / f"scan-{i}.json", (1000 + i, 1000 + i))
    assert write_cache_file(str(cache / "scan-5.json"), {"i": 5}, keep=3)
    names = sorted(p.name for p in cache.iterdir())
    assert names == [".gitignore", "scan-3.json", "scan-4.json", "scan-5.json", "walk-old.json"]
    assert (cache / "scan-5.json").read_text() == '{"i":5}'
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    assert write_cache_file(str(blocked / "scan-1.json"), {}) is False


def test_file_columns_round_trip_every_kind_of_absolute_path(tmp_path: Path) -> None:
    from linter.discover import FoundFile

    (tmp_path / "svc").mkdir()
    for name in ("svc/Dockerfile", "app.py", "elsewhere.yaml"):
        (tmp_path / name).write_text("x\n")
    found = [
        FoundFile("svc/Dockerfile", str(tmp_path / "svc" / "Dockerfile"), 2, 11),
        FoundFile("app.py", str(tmp_path / "app.py"), 2, 12),
        # shown whole (outside the display base), and shown by a path that is not its tail
        FoundFile(str(tmp_path / "app.py"), str(tmp_path / "app.py"), 2, 13),
        FoundFile("other/name.yaml", str(tmp_path / "elsewhere.yaml"), 2, 14),
    ]
    raw = {"dirs": [], "racy": [], "ignores": [], "notes": [], "files": wc._columns(found)}
    kinds: dict[str, object] = {}
    hit = wc._validate(raw, False, kinds)  # type: ignore[arg-type]
    assert hit is not None
    assert hit[0] == [FoundFile(f.path, f.abspath, -1, 0) for f in found]  # no stamps
    assert kinds == {
        "svc/Dockerfile": wc.ArtifactKind.DOCKERFILE,
        "app.py": wc.ArtifactKind.PYTHON,
        str(tmp_path / "app.py"): wc.ArtifactKind.PYTHON,
        "other/name.yaml": None,
    }
    restat = wc._validate(
        {"dirs": [], "racy": [], "ignores": [], "notes": [], "files": wc._columns(found)},
        True,
        None,
    )
    assert restat is not None
    assert [(f.path, f.abspath) for f in restat[0]] == [(f.path, f.abspath) for f in found]
    assert [f.mtime_ns for f in restat[0]] == [
        os.stat(f.abspath).st_mtime_ns for f in found
    ]  # re-stat'ed


@pytest.mark.parametrize(
    "damage",
    [
        # the file columns
        lambda raw: raw["files"]["kinds"].pop(),  # columns of different lengths
        lambda raw: raw["files"]["paths"].__setitem__(0, 7),
        lambda raw: raw["files"]["kinds"].__setitem__(0, "no-such-kind"),
        lambda raw: raw["files"].__setitem__("prefix", [99] * len(raw["files"]["paths"])),
        lambda raw: raw["files"].__setitem__("prefix", [0]),
        lambda raw: raw["files"]["prefixes"].append("/elsewhere/"),  # two, no prefix column
        lambda raw: raw["files"].__setitem__("others", {"99999": "/x"}),
        lambda raw: raw["files"].pop("others"),
        lambda raw: raw["files"].__setitem__("others", []),
        # the directory records
        lambda raw: raw.update(racy=[[1]]),  # unhashable
        lambda raw: raw.update(racy=None),
        lambda raw: raw["dirs"].__setitem__(0, [raw["dirs"][0][0]]),  # no mtime, no digest
        lambda raw: raw["dirs"].__setitem__(0, ["/nonexistent/dir", "soon", "x"]),
    ],
)
def test_damaged_entries_are_ignored_with_a_note(
    tmp_path: Path, damage: Callable[[dict[str, Any]], object]
) -> None:
    import json

    root, cache = tmp_path / "repo", tmp_path / "cache"
    _tree(root)
    _age(root)
    _both(root, cache)
    [entry] = cache.glob("walk-*.json")
    raw = json.loads(entry.read_text())
    damage(raw)
    entry.write_text(json.dumps(raw))
    notes: list[Notification] = []
    got = wc.cached_walk(str(root), str(root), ["*.log"], notes, True, str(cache))
    assert got == list(walk(str(root), str(root), ["*.log"], [], True))
    assert [n.code for n in notes] == ["prodready-cache-ignored"]


def test_a_walk_without_stamps_finds_the_same_files_and_notes(tmp_path: Path) -> None:
    """``walk(stamps=False)`` (a scan with no cache) takes each entry's type from the listing:
    the same files in the same order and the same notes as the walk that stats every file
    (FIFOs and ignored files skipped, symlinks checked, an unreadable directory noted), with
    no size or mtime."""
    root = tmp_path / "r"
    (root / "a" / "b").mkdir(parents=True)
    (root / "node_modules" / "x").mkdir(parents=True)
    (root / "node_modules" / "x" / "i.js").write_text("x\n")
    (root / "a" / "b" / "deep.yaml").write_text("a: 1\n")
    (root / "a" / "f.py").write_text("print(1)\n")
    (root / "a" / "skip.log").write_text("x\n")
    (root / ".gitignore").write_text("*.log\n")
    (root / "top.txt").write_text("t\n")
    os.mkfifo(root / "a" / "pipe")
    (root / "link.py").symlink_to(root / "a" / "f.py")
    (root / "dirlink").symlink_to(root / "a")
    (root / "broken").symlink_to(root / "missing")
    (root / "closed").mkdir()
    (root / "closed" / "in.txt").write_text("x\n")
    os.chmod(root / "closed", 0)
    try:
        runs = []
        for stamps in (True, False):
            notes: list[Notification] = []
            found = list(walk(str(root), str(root), [], notes, stamps=stamps))
            runs.append((found, notes))
    finally:
        os.chmod(root / "closed", 0o755)
    (stamped, stamped_notes), (listed, listed_notes) = runs
    assert [(f.path, f.abspath) for f in listed] == [(f.path, f.abspath) for f in stamped]
    root_user = os.geteuid() == 0  # root reads any directory
    closed = ["closed/in.txt"] if root_user else []
    assert [f.path for f in listed] == [
        ".gitignore",
        "a/b/deep.yaml",
        "a/f.py",
        *closed,
        "link.py",
        "top.txt",
    ]
    assert listed_notes == stamped_notes
    codes = sorted((n.path, n.code) for n in listed_notes)
    assert ("broken", "prodready-skipped-file") in codes
    assert ("dirlink", "prodready-skipped-file") in codes
    assert (("closed", "prodready-unreadable") in codes) != root_user
    # a symlink is stat'ed (to see where it leads); no other file is
    assert {(f.size, f.mtime_ns) for f in listed if f.path != "link.py"} == {(-1, 0)}
    assert [f.size for f in stamped] == [6, 5, 9, *([2] if root_user else []), 9, 2]


def test_a_symlink_out_of_the_repository_is_not_read(tmp_path: Path) -> None:
    """A link to a file outside the repository (a CI runner's ~/.ssh/id_rsa, say) is skipped
    with a warning, in a directory scan and as a named file: its text would reach the report's
    snippets. Links that stay in the repository are read, from a scan of a subdirectory too."""
    from linter.engine import ScanOptions, scan
    from linter.output import render

    outside = tmp_path / "home"
    outside.mkdir()
    (outside / "id.env").write_text("PRIVATE_LINE=do-not-show-me\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "svc").mkdir()
    (repo / "shared.env").write_text("DB_PASSWORD=\n")
    (repo / "svc" / "leak.env").symlink_to(outside / "id.env")
    (repo / "svc" / "shared.env").symlink_to(repo / "shared.env")
    (repo / "svc" / "rel.env").symlink_to("../shared.env")
    warning = ("svc/leak.env", "prodready-skipped-file")
    for paths in ([str(repo)], [str(repo / "svc")]):
        notes: list[Notification] = []
        found = [f.path for f in walk(paths[0], str(repo), [], notes, stamps=False)]
        assert "svc/leak.env" not in found
        assert {"svc/rel.env", "svc/shared.env"} <= set(found)
        assert [(n.path, n.code, n.level.value) for n in notes] == [(*warning, "warning")]
    for paths in ([str(repo)], [str(repo / "svc" / "leak.env"), str(repo / "svc" / "rel.env")]):
        result = scan(ScanOptions(paths=paths, base=str(repo), select=("ALL",)))
        assert warning in [(n.path, n.code) for n in result.notifications], paths
        for fmt in ("json", "sarif", "text"):
            assert "do-not-show-me" not in render(fmt, result)
        assert all(f.location.path != "svc/leak.env" for f in result.findings)
