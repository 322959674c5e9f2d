"""HEALTHCHECK, when nothing else in the scan checks the container's health."""

from __future__ import annotations

from collections.abc import Iterator

from linter.index import RepoIndex
from linter.model import ArtifactKind, Finding, Severity
from linter.policy import CheckContext, policy
from linter.services import services
from policies.docker.common import stage_instructions

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


@policy(
    id="docker-missing-healthcheck",
    kinds={ArtifactKind.DOCKERFILE, ArtifactKind.K8S, ArtifactKind.COMPOSE},
    reports_on={ArtifactKind.DOCKERFILE},
    severity=Severity.LOW,
    summary="Image has no HEALTHCHECK and no orchestrator manifest in the scan probes it",
    fix="Add `HEALTHCHECK CMD curl -fsS http://localhost:8080/healthz || exit 1` (or a probe "
    "in the Kubernetes manifest / a compose `healthcheck:` for the service running the image).",
    tags=("reliability",),
    section="Infrastructure",
    scope="repo",
)
def missing_healthcheck(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Reports a Dockerfile whose final stage (including the stages it builds on) has no
    `HEALTHCHECK`, but only when no orchestrator in the scan checks the image's health: no
    Kubernetes container running the image (matched through the image ↔ workload join: image
    names from compose `build:` + `image:`, CI build commands and the Dockerfile's directory)
    has a liveness, readiness or startup probe, and no compose service building it has a
    `healthcheck:`. `HEALTHCHECK NONE` is an explicit choice and passes.

    ## Why is this bad
    Without any health check, Docker, Swarm or a plain `docker run --restart` treat a hung
    process (deadlocked, out of connections) as healthy forever.

    ## Example
    ```dockerfile
    FROM node:20.11-slim
    CMD ["node", "server.js"]    # fails when no manifest probes this image
    ```
    Passes with `HEALTHCHECK CMD wget -qO- http://localhost:3000/healthz || exit 1`, or when
    a Deployment in the scan runs the image with a `readinessProbe`/`livenessProbe`.
    """
    for svc in services(index):
        probed = [
            ref
            for ref in svc.containers
            if any(isinstance(ref.container.get(p), dict) for p in PROBES)
        ]
        composed = [cb for cb in svc.compose if "healthcheck" in cb.data]
        if probed:
            continue
        for df in svc.dockerfiles:
            stage = df.final_stage
            if stage is None:
                continue
            if any(i.cmd == "HEALTHCHECK" for i in stage_instructions(df, stage)):
                continue
            if any(cb.dockerfile == df.source.path for cb in composed):
                continue
            if svc.containers:
                names = ", ".join(
                    sorted(
                        {
                            f"{r.obj.label} (`{r.container.get('name', r.index)}`)"
                            for r in svc.containers
                        }
                    )
                )
                why = f"and the Kubernetes containers running it have no probes: {names}"
            else:
                images = ", ".join(f"`{n}`" for n in sorted(svc.image_names))
                why = (
                    "and no Kubernetes manifest or compose service in the scan gives its image "
                    f"({images}) a health check"
                )
            yield ctx.finding(
                df.loc(stage.from_instr),
                f"Final stage (`FROM {stage.base}`) has no HEALTHCHECK, {why}.",
            )
