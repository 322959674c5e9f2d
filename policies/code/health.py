"""Probe paths (Kubernetes httpGet, Dockerfile HEALTHCHECK) versus the routes the code serves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from linter.discover import under
from linter.index import RepoIndex
from linter.lazyre import lazy
from linter.model import ArtifactKind, Finding, Location, Severity
from linter.policy import CheckContext, policy
from linter.positions import value_loc
from linter.render import reportable
from linter.services import Service, names_service_part, services

if TYPE_CHECKING:  # the code index is imported when a probe needs the routes
    from linter.code.index import CodeService
    from linter.code.model import Route

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
#: libraries that serve health routes we cannot see as route calls
HEALTH_LIBS = frozenset(
    {
        "lightship",
        "@godaddy/terminus",
        "express-actuator",
        "fastify-healthcheck",
        "express-healthcheck",
        "@hapi/healthcheck",
        "health_check",
        "django_health_check",
        "healthcheck",
        "fastapi_health",
        "github.com/heptiolabs/healthcheck",
        "github.com/alexliesenfeld/health",
    }
)
_URL = lazy(r"https?://[^/\s'\"]+(/[^\s'\"|;&)]*)?")


def _routes_of(index: RepoIndex, directory: str) -> tuple[list[Route], bool]:
    """Routes of the code under a Docker service's directory ('' = everything), and whether a
    health library is used by code there."""
    paths, owners = index.memo(("code", "files-by-path"), lambda: _files_by_path(index))
    span = under(paths, directory)
    lo, hi = span.start, span.stop
    routes: list[Route] = []
    lib = False
    seen: set[int] = set()
    for path, svc in zip(paths[lo:hi], owners[lo:hi], strict=True):
        routes.extend(svc.files[path].routes)
        if id(svc) not in seen:
            seen.add(id(svc))
            lib = lib or svc.uses(*HEALTH_LIBS)
    return routes, lib


def _files_by_path(index: RepoIndex) -> tuple[list[str], list[CodeService]]:
    """Every parsed code file's path, sorted, and the code service holding it."""
    from linter.code.index import code_index

    pairs = sorted((p, svc) for svc in code_index(index).services for p in svc.files)
    return [p for p, _ in pairs], [svc for _, svc in pairs]


def _describe(routes: list[Route]) -> str:
    plain = ("ANY", "MOUNT", "DJANGO", "DJANGO_RE")
    shown = sorted({r.path if r.method in plain else f"{r.method} {r.path}" for r in routes})
    more = f" and {len(shown) - 8} more" if len(shown) > 8 else ""
    return ", ".join(shown[:8]) + more


@policy(
    id="code-health-endpoint-missing",
    kinds={
        ArtifactKind.K8S,
        ArtifactKind.DOCKERFILE,
        ArtifactKind.PYTHON,
        ArtifactKind.JAVASCRIPT,
        ArtifactKind.TYPESCRIPT,
        ArtifactKind.GO,
        ArtifactKind.PACKAGE_JSON,
    },
    reports_on={ArtifactKind.K8S, ArtifactKind.DOCKERFILE},
    severity=Severity.HIGH,
    summary="Health probe points at a path no route of the service serves",
    fix="Point the probe at a route the service serves, or add the route (e.g. "
    "`app.get('/healthz', (req, res) => res.send('ok'))`).",
    tags=("reliability",),
    section="Infrastructure",
    scope="repo",
)
def health_endpoint_missing(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Joins each Kubernetes container with the Dockerfile that builds its image (the service
    join of `linter/services.py`), collects the HTTP routes the service's code declares
    (Express/Fastify/Koa/Nest, Flask/FastAPI/Django, Go `HandleFunc`/gin/echo/chi), and reports
    every `httpGet.path` of a liveness, readiness or startup probe — and every URL in the
    Dockerfile `HEALTHCHECK` — that no route serves. The message lists the routes found.

    Route parameters (`/:id`, `{id}`, `<id>`), wildcards, mounted routers (`app.use('/x', r)`)
    and Django's relative paths are honoured; services whose code declares no route at all, or
    that use a library serving health routes itself (lightship, terminus …), are skipped.

    ## Why is this bad
    A probe that hits a 404 fails forever: the readiness probe keeps the pod out of the
    Service, the liveness probe restarts it in a loop — a rollout that never becomes ready.

    ## Example
    ```yaml
    livenessProbe:
      httpGet: {path: /healthz, port: 8080}   # fails: the code serves /health only
    ```
    """
    if index.named_files and not names_service_part(index):
        return  # findings sit on probes and HEALTHCHECKs: none is among the named files
    for svc in services(index):
        # the probes first: a service none of whose probes can be reported (a run on named
        # files) needs no routes, so its code is not read
        probes = [p for p in _probes(svc) if reportable(index, p[0].path)]
        if not probes:
            continue
        routes, lib = _routes_of(index, svc.directory)
        if not routes or lib:
            continue
        from linter.code.facts import route_serves

        for loc, path, message in probes:
            if any(route_serves(r, path) for r in routes):
                continue
            yield ctx.finding(
                loc, f"{message}; routes found: {_describe(routes)}.", related=[routes[0].loc]
            )


def _probes(svc: Service) -> Iterator[tuple[Location, str, str]]:
    """(where, path, message) of each HTTP probe of the service's containers, then of each URL its
    Dockerfiles' ``HEALTHCHECK`` requests."""
    for ref in svc.containers:
        c = ref.container
        for probe in PROBES:
            p = c.get(probe)
            hg = p.get("httpGet") if isinstance(p, dict) else None
            path = hg.get("path") if isinstance(hg, dict) else None
            if not isinstance(path, str) or "{{" in path:
                continue
            loc = value_loc(ref.obj.source, hg, "path", ref.obj.label)
            if loc is not None:
                yield (
                    loc,
                    path,
                    f"{probe} path `{path}` of container `{c.get('name', '?')}` "
                    f"({ref.obj.label}) is served by no route of service `{svc.name}`",
                )
    for df in svc.dockerfiles:
        stage = df.final_stage
        if stage is None:
            continue
        for instr in stage.instructions:
            if instr.cmd != "HEALTHCHECK":
                continue
            m = _URL.search(instr.text)
            if m is not None:
                path = m.group(1) or "/"
                yield (
                    df.loc(instr),
                    path,
                    f"HEALTHCHECK requests `{path}`, which no route of service `{svc.name}` serves",
                )
