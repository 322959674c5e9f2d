"""Compose service reliability: health checks, restart policies, resource limits, image tags."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from linter.imageref import parse_image
from linter.model import ArtifactKind, Finding, Severity
from linter.parsers.dockerfile import DockerfileArtifact
from linter.parsers.yaml import YamlFile
from linter.policy import CheckContext, policy
from linter.services import compose_builds
from policies.compose.model import ComposeService, compose_services, merged_has
from policies.docker.common import stage_instructions

if TYPE_CHECKING:
    from linter.index import RepoIndex


def _dockerfile_has_healthcheck(ctx: CheckContext, svc: ComposeService) -> bool:
    """Whether the Dockerfile the service is built from (the first of its builds whose
    Dockerfile parses) has a HEALTHCHECK in its final stage."""
    builds, dockerfiles = _builds(ctx.index)
    for path in builds.get((svc.file.source.path, svc.name), ()):
        df = dockerfiles.get(path)
        if df is not None and df.final_stage is not None:
            instrs = stage_instructions(df, df.final_stage)
            return any(i.cmd == "HEALTHCHECK" for i in instrs)
    return False


def _builds(
    index: RepoIndex,
) -> tuple[dict[tuple[str, str], list[str]], dict[str, DockerfileArtifact]]:
    """(compose file, service) -> the Dockerfiles it is built from, and the Dockerfiles by path
    (once per scan: per service, a scan of every build and Dockerfile cost n^2)."""

    def build() -> tuple[dict[tuple[str, str], list[str]], dict[str, DockerfileArtifact]]:
        builds: dict[tuple[str, str], list[str]] = {}
        for cb in compose_builds(index):
            builds.setdefault((cb.path, cb.name), []).append(cb.dockerfile)
        dockerfiles: dict[str, DockerfileArtifact] = {}
        # no service is built here: no Dockerfile is parsed for this check
        for df in index.artifacts(ArtifactKind.DOCKERFILE) if builds else ():
            assert isinstance(df, DockerfileArtifact)
            dockerfiles.setdefault(df.source.path, df)
        return builds, dockerfiles

    return index.memo(("compose-builds-dockerfiles",), build)


@policy(
    id="compose-missing-healthcheck",
    kinds={ArtifactKind.COMPOSE},
    severity=Severity.MEDIUM,
    summary="Compose service has no healthcheck",
    fix='Add `healthcheck: {test: ["CMD", "curl", "-f", "http://localhost:8080/healthz"], '
    "interval: 10s, retries: 3}` and use `depends_on: {svc: {condition: service_healthy}}`.",
    tags=("reliability",),
    section="Infrastructure",
)
def missing_healthcheck(ctx: CheckContext, yf: YamlFile) -> Iterator[Finding]:
    """## What it does
    Reports a compose service with no `healthcheck:` in any compose file of its directory
    (`compose.yaml` + `compose.override.yaml` and other files merged with `-f`), unless it is
    built from a Dockerfile in the repo whose final stage has a `HEALTHCHECK`.
    `healthcheck: {disable: true}` is an explicit choice and passes, and so does a one-shot
    task marked `restart: "no"`.

    ## Why is this bad
    Without a health check, compose starts dependants as soon as the container exists (before
    the database accepts connections) and never notices a hung process.

    ## Example
    ```yaml
    services:
      api:            # fails
        image: acme/api:1.4.2
    ```
    """
    for svc in compose_services(yf):
        has = merged_has(ctx.index, svc, ("healthcheck",))
        if has is None or has or _dockerfile_has_healthcheck(ctx, svc):
            continue
        if str(svc.data.get("restart", "")).strip().lower() == "no":
            continue  # a one-shot task (migration, seed): nothing to keep healthy
        yield ctx.finding(svc.loc(), f"Service `{svc.name}` has no healthcheck.")


@policy(
    id="compose-no-restart-policy",
    kinds={ArtifactKind.COMPOSE},
    severity=Severity.LOW,
    summary="Compose service has no restart policy",
    fix="Add `restart: unless-stopped` (or `deploy.restart_policy` for Swarm).",
    tags=("reliability",),
    section="Infrastructure",
)
def no_restart_policy(ctx: CheckContext, yf: YamlFile) -> Iterator[Finding]:
    """## What it does
    Reports a compose service with neither `restart:` nor `deploy.restart_policy` in any
    compose file of its directory. An explicit `restart: "no"` (a one-shot task) passes.

    ## Why is this bad
    The default is never to restart: after a crash or a host reboot the service stays down
    until someone notices.

    ## Example
    ```yaml
    services:
      worker:                 # fails
        image: acme/worker:2.0.1
      api:
        image: acme/api:1.4.2
        restart: unless-stopped   # passes
    ```
    """
    for svc in compose_services(yf):
        has = merged_has(ctx.index, svc, ("restart",), ("deploy", "restart_policy"))
        if has is None or has:
            continue
        yield ctx.finding(svc.loc(), f"Service `{svc.name}` has no restart policy.")


@policy(
    id="compose-no-resource-limits",
    kinds={ArtifactKind.COMPOSE},
    severity=Severity.MEDIUM,
    summary="Compose service has no memory or CPU limit",
    fix='Set `deploy.resources.limits` (`memory: 512M`, `cpus: "0.5"`), or `mem_limit`/'
    "`cpus` in the service.",
    tags=("reliability",),
    section="Infrastructure",
)
def no_resource_limits(ctx: CheckContext, yf: YamlFile) -> Iterator[Finding]:
    """## What it does
    Reports a compose service with no `deploy.resources.limits` and no `mem_limit` or `cpus`
    in any compose file of its directory.

    ## Why is this bad
    One leaking or busy container can take all the host's memory or CPU and take every other
    service on the host down with it.

    ## Example
    ```yaml
    services:
      api:
        image: acme/api:1.4.2
        deploy:
          resources:
            limits: {memory: 512M, cpus: "1.0"}   # passes
    ```
    """
    for svc in compose_services(yf):
        has = merged_has(
            ctx.index, svc, ("deploy", "resources", "limits"), ("mem_limit",), ("cpus",)
        )
        if has is None or has:
            continue
        yield ctx.finding(svc.loc(), f"Service `{svc.name}` has no memory or CPU limit.")


@policy(
    id="compose-image-tag-mutable",
    kinds={ArtifactKind.COMPOSE},
    severity=Severity.MEDIUM,
    summary="Compose service image uses `latest` or no tag",
    fix="Pin the image to a version tag (`postgres:16.2`) or a digest (`@sha256:…`).",
    tags=("reliability", "supply-chain"),
    section="Infrastructure",
)
def image_tag_mutable(ctx: CheckContext, yf: YamlFile) -> Iterator[Finding]:
    """## What it does
    Reports a service `image:` with no tag or the tag `latest`. Digest-pinned and
    `${VAR}`-templated images pass, and so do services with a `build:` (there `image:` names
    the image being built).

    ## Why is this bad
    `docker compose pull` silently brings a new version (a new major of a database, say) on
    the next deploy; two hosts running the same file can run different code.

    ## Example
    ```yaml
    image: postgres          # fails
    image: redis:latest      # fails
    image: postgres:16.2     # passes
    ```
    """
    for svc in compose_services(yf):
        image = svc.image
        if image is None or "build" in svc.data:
            continue
        ref = parse_image(image)
        if ref.templated or ref.digest:
            continue
        if ref.tag is None:
            msg = f"Image `{image}` of service `{svc.name}` has no tag (means `latest`)."
        elif ref.tag == "latest":
            msg = f"Image `{image}` of service `{svc.name}` uses the mutable tag `latest`."
        else:
            continue
        yield ctx.finding(svc.value_loc("image"), msg)
