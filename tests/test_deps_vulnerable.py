"""deps-vulnerable with the offline OSV fixture; no socket is ever opened without --online."""

from __future__ import annotations

import os
import socket
import zipfile
from pathlib import Path
from typing import Any

import pytest

from linter.cli import main
from linter.engine import ScanOptions, ScanResult, scan
from linter.osv import load_database, match, semver_key
from tests.conftest import FIXTURES, triples

OSV = FIXTURES / "osv"
FAIL = FIXTURES / "policies" / "deps-vulnerable" / "fail"
EXPECTED = [
    line
    for line in (FIXTURES / "policies" / "deps-vulnerable" / "expected").read_text().splitlines()
    if line.strip()
]


def _scan(cwd: Path, **kw: Any) -> ScanResult:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return scan(ScanOptions(paths=["."], **kw))
    finally:
        os.chdir(old)


class _NoNetwork(OSError):
    pass


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise _NoNetwork("network access attempted during a test")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)  # no DNS lookup either


def _deps(result: ScanResult) -> list[str]:
    return [t for t in triples(result) if t.endswith(" deps-vulnerable")]


@pytest.mark.usefixtures("no_network")
def test_full_scan_with_offline_db_opens_no_socket() -> None:
    result = _scan(FAIL, vuln_db=str(OSV))  # every default rule, not only deps
    assert _deps(result) == EXPECTED
    assert [n for n in result.notifications if n.level == "error"] == []
    msgs = {f.location.path + ":" + str(f.location.start_line): f.message for f in result.active}
    assert msgs["requirements.txt:2"] == (
        "`requests==2.19.1` has 2 known vulnerabilities: PYSEC-2018-28 (CVE-2018-18074), "
        "PYSEC-2023-74 (CVE-2023-32681). Fixed in 2.20.0, 2.31.0; upgrade to 2.31.0."
    )
    assert "GHSA-wwww" not in " ".join(msgs.values())  # withdrawn advisory
    assert result.internal_errors == 0


@pytest.mark.usefixtures("no_network")
def test_without_db_one_notification_and_no_socket() -> None:
    result = _scan(FAIL)
    assert _deps(result) == []
    skipped = [n for n in result.notifications if n.code == "prodready-rule-skipped"]
    assert len(skipped) == 1
    assert "--vuln-db PATH" in skipped[0].message and "--online" in skipped[0].message


@pytest.mark.usefixtures("no_network")
def test_online_is_the_only_way_to_the_network() -> None:
    result = _scan(FAIL, select=["deps-vulnerable"], online=True)
    assert _deps(result) == []
    failed = sorted(n.message.split(" (")[0] for n in result.notifications if n.level == "error")
    assert failed == [
        "deps-vulnerable: OSV query for npm packages failed",
        "deps-vulnerable: vulnerability query failed",
    ]
    assert result.internal_errors == 0


def test_zip_database_as_osv_publishes_it(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(OSV.rglob("*.json")):
            zf.write(path, path.name)  # flat, like PyPI/all.zip
    result = _scan(FAIL, select=["deps-vulnerable"], vuln_db=str(archive))
    assert _deps(result) == EXPECTED


def test_config_vuln_db_relative_to_config_file(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("requests==2.19.1\n")
    (tmp_path / ".prodready.yaml").write_text(f"vuln-db: {os.path.relpath(OSV, tmp_path)}\n")
    result = _scan(tmp_path, select=["deps-vulnerable"])
    assert _deps(result) == ["requirements.txt:1:1 deps-vulnerable"]


def test_unusable_db_is_a_notification(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("requests==2.19.1\n")
    bad = tmp_path / "db.txt"
    bad.write_text("not a database")
    broken = tmp_path / "osv"
    broken.mkdir()
    # only advisories that mention a scanned package are parsed (and so found broken)
    (broken / "x.json").write_text('{"name": "requests", nope')
    (broken / "y.json").write_text('{"name": "unrelated", nope')
    result = _scan(tmp_path, select=["deps-vulnerable"], vuln_db=str(bad))
    assert [n.level for n in result.notifications] == ["error"]
    assert "not a directory, a .zip or a .json" in result.notifications[0].message
    result = _scan(tmp_path, select=["deps-vulnerable"], vuln_db=str(broken))
    assert [n.message.split(" (")[0] for n in result.notifications] == [
        "1 file(s) of the OSV database were not usable"
    ]
    assert result.internal_errors == 0


def test_cli_flags(capsys: pytest.CaptureFixture[str]) -> None:
    old = os.getcwd()
    os.chdir(FAIL)
    try:
        args = ["check", ".", "--select", "deps-vulnerable", "--vuln-db", str(OSV), "-q"]
        code = main([*args, "--no-cache"])  # nothing written into the fixture
    finally:
        os.chdir(old)
    out = capsys.readouterr().out
    assert code == 1
    assert "requirements.txt:2:1: deps-vulnerable" in out


def test_osv_range_semantics() -> None:
    db = load_database(str(OSV))
    flask = db.for_package("PyPI", "flask")
    assert [m.id for m in match(flask, "PyPI", "flask", "2.2.4")] == ["PYSEC-2023-62"]
    assert [m.id for m in match(flask, "PyPI", "flask", "2.2.5")] == []
    assert [m.fixed for m in match(flask, "PyPI", "Flask", "2.3.1")] == [("2.3.2",)]
    jinja = db.for_package("PyPI", "Jinja2")
    assert [m.id for m in match(jinja, "PyPI", "jinja2", "3.1.2")] == ["GHSA-h5c8-rqwp-cp95"]
    assert [m.id for m in match(jinja, "PyPI", "jinja2", "3.1.3")] == []  # after last_affected
    minimist = db.for_package("npm", "minimist")
    assert [m.fixed for m in match(minimist, "npm", "minimist", "0.2.1")] == [("0.2.4", "1.2.6")]
    assert list(match(minimist, "npm", "minimist", "0.2.4")) == []
    assert [m.id for m in match(minimist, "npm", "minimist", "1.2.6-beta.1")] == [
        "GHSA-xvch-5gv4-984h"
    ]


def test_semver_order() -> None:
    order = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-rc.1", "1.0.0"]
    keys = [semver_key(v) for v in order]
    assert all(k is not None for k in keys)
    assert sorted(order, key=lambda v: semver_key(v) or (0, 0, 0, 0, ())) == order
    assert semver_key("not-a-version") is None


class _FakeResponse:
    def __init__(self, data: Any) -> None:
        self.data = data

    def raise_for_status(self) -> None:
        return None

    def json(self) -> Any:
        return self.data


class _FakeOsv:
    """Answers like api.osv.dev from the fixture advisories; records what was asked."""

    def __init__(self) -> None:
        self.db = load_database(str(OSV))
        self.calls: list[str] = []

    def post(self, url: str, json: Any, timeout: float) -> _FakeResponse:
        self.calls.append(url)
        results = []
        for q in json["queries"]:
            pkg = q["package"]
            found = match(
                self.db.for_package(pkg["ecosystem"], pkg["name"]),
                pkg["ecosystem"],
                pkg["name"],
                q["version"],
            )
            results.append({"vulns": [{"id": m.id} for m in found]})
        return _FakeResponse({"results": results})

    def get(self, url: str, timeout: float) -> _FakeResponse:
        self.calls.append(url)
        vid = url.rsplit("/", 1)[1]
        for advisories in self.db.advisories.values():
            for adv in advisories:
                if adv["id"] == vid:
                    return _FakeResponse(adv)
        raise AssertionError(vid)


@pytest.mark.usefixtures("no_network")
def test_online_npm_uses_the_osv_batch_api(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _FakeOsv()
    monkeypatch.setattr("linter.osv._session", lambda: fake)
    result = _scan(FAIL / "web", select=["deps-vulnerable"], online=True)
    assert _deps(result) == [
        "package-lock.json:14:5 deps-vulnerable",
        "package-lock.json:18:5 deps-vulnerable",
    ]
    assert fake.calls == [
        "https://api.osv.dev/v1/querybatch",
        "https://api.osv.dev/v1/vulns/GHSA-35jh-r3h4-6jhm",
        "https://api.osv.dev/v1/vulns/GHSA-xvch-5gv4-984h",
    ]


def test_malformed_advisories_are_ignored_not_fatal(tmp_path: Path) -> None:
    import json

    db_dir = tmp_path / "db"
    db_dir.mkdir()
    odd = [
        {"id": "X-1", "affected": 5, "aliases": 3},
        {"id": "X-2", "affected": [{"package": 7}, {"package": {"ecosystem": "PyPI"}}]},
        {
            "id": "X-3",
            "aliases": "CVE-1",
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": "requests"},
                    "versions": "2.19.1",
                    "ranges": [{"type": "ECOSYSTEM", "events": 5}, 3, {"type": "GIT"}],
                }
            ],
        },
        {
            "id": "X-4",
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": "requests"},
                    "ranges": [
                        {
                            "type": "ECOSYSTEM",
                            "events": [{"introduced": "not a version"}, {}, {"fixed": []}],
                        }
                    ],
                }
            ],
        },
        [1, 2],
    ]
    for i, adv in enumerate(odd):
        (db_dir / f"{i}.json").write_text(json.dumps(adv))
    (tmp_path / "requirements.txt").write_text("requests==2.19.1\n")
    result = _scan(tmp_path, select=["deps-vulnerable"], vuln_db=str(db_dir))
    assert result.internal_errors == 0, [n.message for n in result.notifications]
    assert _deps(result) == []
