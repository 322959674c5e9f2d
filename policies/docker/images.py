"""Base image pinning, per build stage."""

from __future__ import annotations

from collections.abc import Iterator

from linter.imageref import parse_image
from linter.model import ArtifactKind, Finding, Severity
from linter.parsers.dockerfile import DockerfileArtifact
from linter.policy import CheckContext, policy
from policies.docker.common import base_image


@policy(
    id="docker-base-image-unpinned",
    kinds={ArtifactKind.DOCKERFILE},
    severity=Severity.MEDIUM,
    summary="FROM uses a base image without a tag or with `latest`",
    fix="Pin every base image to a version tag (`node:20.11-slim`), or to a digest "
    "(`node:20.11-slim@sha256:…`) for reproducible builds.",
    tags=("reliability", "supply-chain"),
    section="Infrastructure",
    options={
        "type": "object",
        "properties": {
            "require-digest": {
                "type": "boolean",
                "description": "Also report base images that have a tag but no `@sha256:` digest.",
            }
        },
    },
    defaults={"require-digest": False},
)
def base_image_unpinned(ctx: CheckContext, df: DockerfileArtifact) -> Iterator[Finding]:
    """## What it does
    Checks the `FROM` of every build stage: reports a base image with no tag (which means
    `latest`) or with the tag `latest`. `FROM scratch` and `FROM <earlier stage>` pass. A base
    written with an ARG (`FROM node:${NODE_VERSION}`) is judged after substituting the ARG's
    default from before the first `FROM`; one whose ARG has no default cannot be judged and
    passes. With the option `require-digest`, a tag without an `@sha256:` digest fails too.

    ## Why is this bad
    `latest` moves: the same Dockerfile builds a different image next week, a rebuild for a
    one-line fix can pull a new major version of the runtime, and two replicas built a day
    apart can differ. Builder stages matter as much as the final one: they produce the binary.

    ## Example
    ```dockerfile
    ARG NODE=node
    FROM ${NODE} AS build          # fails: resolves to `node`, no tag
    FROM golang:latest AS tools    # fails
    FROM node:20.11-slim           # passes
    FROM build                     # passes: an earlier stage
    ```
    """
    require_digest = bool(ctx.options.get("require-digest", False))
    for stage in df.stages:
        base = base_image(df, stage)
        if base.resolved is None or base.is_scratch or base.parent is not None:
            continue
        if not base.resolved.strip() or "$" in base.resolved:
            continue
        ref = parse_image(base.resolved)
        if ref.digest:
            continue
        shown = f"`{base.written}`"
        if base.written != base.resolved:
            shown += f" (resolves to `{base.resolved}` from ARG defaults)"
        where = f"stage `{stage.alias}`" if stage.alias else f"stage {stage.index}"
        if ref.tag is None:
            msg = f"Base image {shown} of {where} has no tag, so it means `latest`."
        elif ref.tag == "latest":
            msg = f"Base image {shown} of {where} uses the mutable tag `latest`."
        elif require_digest:
            msg = f"Base image {shown} of {where} is not pinned by digest."
        else:
            continue
        yield ctx.finding(df.loc(stage.from_instr), msg)
