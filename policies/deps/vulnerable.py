"""Known-vulnerable dependencies: pip-audit with our offline OSV database (or OSV online when
the user allows the network), plus the same OSV matcher for npm lockfiles."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from linter.index import RepoIndex
from linter.model import ArtifactKind, Finding, Notification, NotificationLevel, Severity
from linter.policy import CheckContext, policy
from policies.deps.requirements import Dep, deps_of, npm_sources, python_sources

# linter.osv imports pip-audit (~0.4 s), packaging ~13 ms: each only when it is used
if TYPE_CHECKING:
    from linter.osv import OsvDatabase

K = ArtifactKind
SKIP_HINT = (
    "deps-vulnerable skipped: no vulnerability database. Give --vuln-db PATH (a directory or "
    "zip of OSV advisories, e.g. https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip) "
    "or allow the network with --online (config: `vuln-db: PATH` or `online: true`)."
)


#: notification code of "this rule could not run" (the checklist may show the item as unchecked)
SKIPPED = "prodready-rule-skipped"


class _Backend:
    """The vulnerability source of this scan, chosen once (memoised in the index)."""

    def __init__(self, service: Any, db: OsvDatabase | None, mode: str) -> None:
        self.service = service
        self.db = db
        self.mode = mode  # "offline", "online" or "" (unavailable)


def _note(
    index: RepoIndex,
    message: str,
    level: NotificationLevel,
    code: str = "prodready-deps-vulnerable",
) -> None:
    index.notifications.append(Notification(message, level=level, code=code))


def backend(index: RepoIndex) -> _Backend:
    def build() -> _Backend:
        cfg = index.config
        if cfg.vuln_db:
            # pip-audit (under linter.osv) costs ~0.2 s to import: only when there is a database
            from linter.osv import OsvDatabaseError, OsvDatabaseService, load_database

            names = {
                d.name
                for src in (*python_sources(index), *npm_sources(index))
                for d in deps_of(index, src)
                if d.version
            }
            try:
                db = load_database(cfg.vuln_db, names)
            except OsvDatabaseError as exc:
                _note(index, f"deps-vulnerable skipped: {exc}", NotificationLevel.ERROR, SKIPPED)
                return _Backend(None, None, "")
            if db.problems:
                _note(
                    index,
                    f"{len(db.problems)} file(s) of the OSV database were not usable "
                    f"(first: {db.problems[0]}); they were skipped",
                    NotificationLevel.WARNING,
                )
            return _Backend(OsvDatabaseService(db), db, "offline")
        if cfg.online:
            from pip_audit._service.osv import OsvService

            return _Backend(OsvService(timeout=30), None, "online")
        return _Backend(None, None, "")

    return index.memo(("deps-vulnerable-backend",), build)


def _message(dep: Dep, vulns: Sequence[tuple[str, tuple[str, ...], tuple[str, ...]]]) -> str:
    """``vulns``: (id, aliases, fixed versions later than the pinned one)."""
    shown = []
    for vid, aliases, _ in vulns[:6]:
        other = [a for a in aliases if a.startswith("CVE-")] or [
            a for a in aliases if a.startswith("GHSA-")
        ]
        shown.append(f"{vid} ({other[0]})" if other else vid)
    more = f" and {len(vulns) - 6} more" if len(vulns) > 6 else ""
    noun = "vulnerability" if len(vulns) == 1 else "vulnerabilities"
    fixes = sorted({f for _, _, fx in vulns for f in fx}, key=_version_key)
    need = [fx[0] for _, _, fx in vulns if fx]
    if need and len(need) == len(vulns):
        advice = f" Fixed in {', '.join(fixes[:5])}; upgrade to {max(need, key=_version_key)}."
    elif need:
        advice = f" Fixed in {', '.join(fixes[:5])}; some advisories have no fix yet."
    else:
        advice = " No fixed version is known."
    sep = "@" if dep.ecosystem == "npm" else "=="
    return (
        f"`{dep.name}{sep}{dep.version}` has {len(vulns)} known {noun}: "
        f"{', '.join(shown)}{more}.{advice}"
    )


def _version_key(text: str) -> Any:
    from packaging.version import Version

    from linter.osv import pypi_key, semver_key

    k = pypi_key(text)
    if k is not None:
        return (0, k, ())
    s = semver_key(text)
    return (1, Version("0"), s) if s is not None else (2, Version("0"), ())


def _python_findings(ctx: CheckContext, index: RepoIndex, be: _Backend) -> Iterator[Finding]:
    from packaging.version import InvalidVersion, Version
    from pip_audit._service.interface import ResolvedDependency

    for src in python_sources(index):
        deps = [d for d in deps_of(index, src) if d.version and not d.by_url]
        if not deps:
            continue
        if be.service is None:  # only without a backend, which the policy handles up front
            continue
        for dep in deps:
            try:
                version = Version(str(dep.version))
            except InvalidVersion:
                continue
            try:
                _, results = be.service.query(ResolvedDependency(name=dep.name, version=version))
            except Exception as exc:  # network errors in --online mode: say so, go on offline
                _note(
                    index,
                    f"deps-vulnerable: vulnerability query failed ({type(exc).__name__}: {exc}); "
                    "remaining Python dependencies not checked",
                    NotificationLevel.ERROR,
                )
                return
            if not results:
                continue
            vulns = [
                (
                    str(r.id),
                    tuple(sorted(str(a) for a in r.aliases)),
                    tuple(str(v) for v in sorted(v for v in r.fix_versions if v > version)),
                )
                for r in sorted(results, key=lambda r: str(r.id))
            ]
            yield ctx.finding(
                dep.loc,
                _message(dep, vulns),
                properties={"advisories": [v[0] for v in vulns], "package": dep.name},
            )


def _npm_findings(ctx: CheckContext, index: RepoIndex, be: _Backend) -> Iterator[Finding]:
    from linter.osv import fetch_online, match

    locks = npm_sources(index)
    if not locks:
        return
    db = be.db
    if db is None and be.mode == "online":
        wanted = [
            ("npm", d.name, d.version)
            for src in locks
            for d in deps_of(index, src)
            if d.version is not None
        ]
        try:
            db = fetch_online(wanted)
        except Exception as exc:  # network errors: say so, the scan goes on
            _note(
                index,
                f"deps-vulnerable: OSV query for npm packages failed ({type(exc).__name__}: "
                f"{exc}); package-lock.json not checked",
                NotificationLevel.ERROR,
            )
            return
    if db is None:  # only without a backend, which the policy handles up front
        return
    for src in locks:
        for dep in deps_of(index, src):
            if dep.version is None:
                continue
            found = list(match(db.for_package("npm", dep.name), "npm", dep.name, dep.version))
            if not found:
                continue
            vulns = [(m.id, m.aliases, m.fixed) for m in sorted(found, key=lambda m: m.id)]
            yield ctx.finding(
                dep.loc,
                _message(dep, vulns),
                properties={"advisories": [v[0] for v in vulns], "package": dep.name},
            )


@policy(
    id="deps-vulnerable",
    kinds={K.REQUIREMENTS, K.PYPROJECT, K.PACKAGE_JSON},
    severity=Severity.HIGH,
    summary="A pinned dependency has known vulnerabilities",
    fix="Upgrade the dependency to a fixed version (shown in the message) and re-lock.",
    tags=("security", "dependencies"),
    cwe=(1395,),
    section="Security",
    scope="repo",
)
def deps_vulnerable(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Checks every dependency pinned to an exact version — `requirements*.txt` (`name==1.2.3`),
    `pyproject.toml` (PEP 621 dependencies and optional dependencies, dependency groups, Poetry
    tables), `pylock.toml`, `uv.lock`, `poetry.lock`, `pdm.lock` (registry packages only), and
    npm `package-lock.json` — against OSV advisories, through
    pip-audit's vulnerability-service interface. Reported at the line that pins the version,
    with the advisory ids (and CVE aliases) and the fixed versions.

    The vulnerability data comes from, in this order:
    - `--vuln-db PATH` (config `vuln-db: PATH`): an offline OSV database, a directory or zip of
      OSV JSON advisories as OSV publishes them per ecosystem
      (`https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip`, `…/npm/all.zip`);
    - `--online` (config `online: true`): pip-audit's OSV service for Python packages, and
      osv.dev's batch API for npm packages (network).
    With neither, the rule is skipped with one notification saying how to enable it. Ranges
    (`>=2.0`) are not resolved: pin (or lock) to make them auditable (see `deps-unpinned`).

    ## Why is this bad
    A dependency with a published vulnerability is the easiest way into a service: exploits for
    known CVEs are public and scanned for.

    ## Example
    ```text
    requests==2.19.1      # fails: PYSEC-2018-28 (CVE-2018-18074), fixed in 2.20.0
    requests==2.32.3      # passes
    ```
    """
    be = backend(index)
    if be.mode == "":
        # no database and no network: say so once whenever there are dependencies at all, so
        # that the checklist reports the item as not checked rather than passed
        wanted = python_sources(index) or index.sources_of({ArtifactKind.PACKAGE_JSON})
        if wanted and not index.config.vuln_db:
            _note(index, SKIP_HINT, NotificationLevel.WARNING, SKIPPED)
        return
    yield from _python_findings(ctx, index, be)
    yield from _npm_findings(ctx, index, be)
