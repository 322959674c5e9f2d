"""An offline OSV database: advisories as OSV publishes them (one JSON file per advisory, in a
directory or in the per-ecosystem ``all.zip``), matched against exact package versions.

``OsvDatabaseService`` plugs this into pip-audit as a ``VulnerabilityService`` (PyPI);
``npm_vulnerabilities`` uses the same matcher with semver ordering for npm lockfiles.
Nothing here touches the network.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from pip_audit._service.interface import (
    Dependency,
    ResolvedDependency,
    VulnerabilityID,
    VulnerabilityResult,
    VulnerabilityService,
)

from linter.fastdc import dataclass
from linter.lazyre import lazy

#: refuse absurd inputs (a zip bomb, a wrong path): OSV's whole PyPI zip is far below this
MAX_ADVISORY_BYTES = 8 * 1024 * 1024
MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024


class OsvDatabaseError(Exception):
    """The database path cannot be read (message is user-facing)."""


def _list(value: Any) -> list[Any]:
    """A JSON array, or [] for anything else (advisories come from outside)."""
    return value if isinstance(value, list) else []


def _norm(ecosystem: str, name: str) -> str:
    return canonicalize_name(name) if ecosystem == "PyPI" else name.lower()


@dataclass
class OsvDatabase:
    """OSV advisories by ecosystem and package, loaded from a directory or zip."""

    #: (ecosystem, normalised package name) → advisories
    advisories: dict[tuple[str, str], list[dict[str, Any]]]
    problems: list[str]  # unreadable advisory files, reported as one notification
    count: int
    #: when set, only advisories naming one of these (prefilter_name) packages are loaded
    only: frozenset[str] | None = None

    def for_package(self, ecosystem: str, name: str) -> list[dict[str, Any]]:
        return self.advisories.get((ecosystem, _norm(ecosystem, name)), [])


def _add(db: OsvDatabase, data: Any, where: str) -> None:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        db.problems.append(f"{where}: not an OSV advisory")
        return
    if data.get("withdrawn"):
        return
    db.count += 1
    keys: set[tuple[str, str]] = set()
    for aff in _list(data.get("affected")):
        pkg = aff.get("package") if isinstance(aff, dict) else None
        if not isinstance(pkg, dict):
            continue
        eco, name = pkg.get("ecosystem"), pkg.get("name")
        if isinstance(eco, str) and isinstance(name, str):
            eco = eco.split(":", 1)[0]
            keys.add((eco, _norm(eco, name)))
    for key in keys:
        db.advisories.setdefault(key, []).append(data)


_NAME_FIELD = re.compile(rb'"name"\s*:\s*"([^"\\]{1,214})"')


def prefilter_name(name: str) -> str:
    """A loose key for a package name (case and ``-_.`` folded) used to skip advisories cheaply."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _load_bytes(db: OsvDatabase, raw: bytes, where: str) -> None:
    if db.only is not None and not any(
        prefilter_name(m.decode("utf-8", "replace")) in db.only for m in _NAME_FIELD.findall(raw)
    ):
        return  # names no package of this scan: not worth parsing
    try:
        _add(db, json.loads(raw), where)
    except (ValueError, RecursionError) as exc:
        db.problems.append(f"{where}: invalid JSON ({exc})")


def _load_zip(db: OsvDatabase, path: str) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            total = 0
            for info in zf.infolist():
                if info.is_dir() or not info.filename.endswith(".json"):
                    continue
                where = f"{os.path.basename(path)}:{info.filename}"
                total += info.file_size
                if info.file_size > MAX_ADVISORY_BYTES or total > MAX_TOTAL_BYTES:
                    db.problems.append(f"{where}: too large; skipped")
                    continue
                _load_bytes(db, zf.read(info), where)
    except (OSError, zipfile.BadZipFile) as exc:
        raise OsvDatabaseError(f"cannot read OSV zip {path}: {exc}") from None


def load_database(path: str, names: Iterable[str] | None = None) -> OsvDatabase:
    """Read every advisory under ``path`` (a directory, possibly holding per-ecosystem
    ``all.zip`` files, or a zip); with ``names``, only those that mention one of these packages.
    Raises OsvDatabaseError when ``path`` itself is unusable."""
    only = None if names is None else frozenset(prefilter_name(n) for n in names)
    db = OsvDatabase({}, [], 0, only)
    if os.path.isdir(path):
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames.sort()
            for name in sorted(filenames):
                full = os.path.join(dirpath, name)
                if name.endswith(".zip"):
                    _load_zip(db, full)
                elif name.endswith(".json"):
                    rel = os.path.relpath(full, path)
                    try:
                        if os.path.getsize(full) > MAX_ADVISORY_BYTES:
                            db.problems.append(f"{rel}: too large; skipped")
                            continue
                        with open(full, "rb") as fh:
                            raw = fh.read()
                    except OSError as exc:
                        db.problems.append(f"{rel}: {exc.strerror or exc}")
                        continue
                    _load_bytes(db, raw, rel)
    elif os.path.isfile(path) and zipfile.is_zipfile(path):
        _load_zip(db, path)
    elif os.path.isfile(path) and path.endswith(".json"):
        try:
            with open(path, "rb") as fh:
                _load_bytes(db, fh.read(), os.path.basename(path))
        except OSError as exc:
            raise OsvDatabaseError(f"cannot read {path}: {exc.strerror or exc}") from None
    else:
        raise OsvDatabaseError(
            f"{path} is not a directory, a .zip or a .json file of OSV advisories"
        )
    return db


# -- version ordering ----------------------------------------------------------------------------
_SEMVER = lazy(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")

SemverKey = tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]


def semver_key(text: str) -> SemverKey | None:
    """Sort key for a semver string (prereleases before the release); None when invalid."""
    m = _SEMVER.match(text.strip())
    if not m:
        return None
    major, minor, patch = (int(g) if g else 0 for g in m.group(1, 2, 3))
    pre = m.group(4)
    if pre is None:
        return (major, minor, patch, 1, ())
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (major, minor, patch, 0, parts)


def pypi_key(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _in_range(
    events: list[dict[str, Any]], version: str, key: Callable[[str], Any | None]
) -> tuple[bool, list[str]]:
    """OSV range evaluation; returns (affected, fixed versions of this range)."""
    current = key(version)
    if current is None:
        return False, []
    fixed = [str(e["fixed"]) for e in events if isinstance(e, dict) and "fixed" in e]
    ordered: list[tuple[Any, int, str, str]] = []
    for i, ev in enumerate(events):
        if not isinstance(ev, dict) or not ev:
            continue
        kind, value = next(iter(ev.items()))
        value = str(value)
        if kind == "introduced" and value == "0":
            ordered.append((None, i, kind, value))
            continue
        k = key(value)
        if k is None:
            continue
        ordered.append((k, i, kind, value))
    ordered.sort(key=lambda t: (t[0] is not None, t[0] if t[0] is not None else 0, t[1]))
    affected = False
    for k, _, kind, _value in ordered:
        if kind == "introduced" and (k is None or current >= k):
            affected = True
        elif k is not None and (
            (kind in ("fixed", "limit") and current >= k)
            or (kind == "last_affected" and current > k)
        ):
            affected = False
    return affected, fixed


@dataclass(frozen=True)
class Match:
    """An advisory that applies to a pinned dependency version."""

    id: str
    aliases: tuple[str, ...]
    summary: str
    fixed: tuple[str, ...]
    published: str | None
    severity: str | None  # database_specific.severity (GHSA: LOW/MODERATE/HIGH/CRITICAL)


def match(
    advisories: Iterable[dict[str, Any]], ecosystem: str, name: str, version: str
) -> Iterator[Match]:
    """The advisories that affect ``name==version`` in ``ecosystem``."""
    key: Callable[[str], Any | None] = pypi_key if ecosystem == "PyPI" else semver_key
    want = _norm(ecosystem, name)
    for adv in advisories:
        hit = False
        fixes: list[str] = []
        for aff in _list(adv.get("affected")):
            if not isinstance(aff, dict):
                continue
            pkg = aff.get("package")
            if not isinstance(pkg, dict):
                continue
            eco = str(pkg.get("ecosystem", "")).split(":", 1)[0]
            if eco != ecosystem or _norm(eco, str(pkg.get("name", ""))) != want:
                continue
            versions = _list(aff.get("versions"))
            if version in versions or (
                ecosystem == "PyPI"
                and key(version) is not None
                and any(key(str(v)) == key(version) for v in versions)
            ):
                hit = True
            for rng in _list(aff.get("ranges")):
                if not isinstance(rng, dict) or rng.get("type") not in ("ECOSYSTEM", "SEMVER"):
                    continue
                events = [e for e in _list(rng.get("events")) if isinstance(e, dict)]
                inside, fixed = _in_range(events, version, key)
                fixes.extend(fixed)
                hit = hit or inside
        if hit:
            cur = key(version)
            keyed: list[tuple[Any, str]] = []
            for f in sorted(set(fixes)):
                k = key(f)
                if k is not None and cur is not None and k > cur:
                    keyed.append((k, f))
            later = [f for _, f in sorted(keyed, key=lambda kf: kf[0])]
            spec = adv.get("database_specific")
            sev = spec.get("severity") if isinstance(spec, dict) else None
            yield Match(
                id=str(adv["id"]),
                aliases=tuple(str(a) for a in _list(adv.get("aliases"))),
                summary=str(adv.get("summary") or adv.get("details") or "").split("\n")[0],
                fixed=tuple(later),
                published=adv.get("published"),
                severity=sev if isinstance(sev, str) else None,
            )


class OsvDatabaseService(VulnerabilityService):  # type: ignore[misc]
    """pip-audit vulnerability service backed by an offline OSV database (PyPI ecosystem)."""

    def __init__(self, db: OsvDatabase) -> None:
        self.db = db

    def query(self, spec: Dependency) -> tuple[Dependency, list[VulnerabilityResult]]:
        if spec.is_skipped() or not isinstance(spec, ResolvedDependency):
            return spec, []
        results = []
        version = str(spec.version)
        for m in match(self.db.for_package("PyPI", spec.name), "PyPI", spec.name, version):
            fixes = [v for f in m.fixed if (v := pypi_key(f)) is not None]
            results.append(
                VulnerabilityResult.create(
                    ids=[VulnerabilityID(m.id), *(VulnerabilityID(a) for a in m.aliases)],
                    description=m.summary or "N/A",
                    fix_versions=fixes,
                    published=self._parse_published(m.published),
                )
            )
        return spec, results

    def _parse_published(self, text: str | None) -> Any:
        try:
            return self._parse_rfc3339(text)
        except ValueError:
            return None


# -- online (only with --online) -----------------------------------------------------------------
OSV_API = "https://api.osv.dev/v1"
BATCH = 1000  # querybatch limit


def _session() -> Any:
    import requests

    return requests.Session()


def fetch_online(
    packages: Iterable[tuple[str, str, str]], timeout: float = 30.0, session: Any = None
) -> OsvDatabase:
    """An OsvDatabase holding the advisories osv.dev knows for ``(ecosystem, name, version)``
    packages: one ``querybatch`` call per 1000 packages, then one ``vulns/<id>`` per advisory.
    Network errors propagate (the caller turns them into a notification)."""
    http = session if session is not None else _session()
    wanted = sorted(set(packages))
    ids: set[str] = set()
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        queries = [{"package": {"ecosystem": e, "name": n}, "version": v} for e, n, v in chunk]
        resp = http.post(f"{OSV_API}/querybatch", json={"queries": queries}, timeout=timeout)
        resp.raise_for_status()
        answer = resp.json()
        for result in _list(answer.get("results") if isinstance(answer, dict) else None):
            vulns = result.get("vulns") if isinstance(result, dict) else None
            for vuln in _list(vulns):
                if isinstance(vuln, dict) and isinstance(vuln.get("id"), str):
                    ids.add(vuln["id"])
    db = OsvDatabase({}, [], 0)
    for vid in sorted(ids):
        resp = http.get(f"{OSV_API}/vulns/{vid}", timeout=timeout)
        resp.raise_for_status()
        _add(db, resp.json(), vid)
    return db
