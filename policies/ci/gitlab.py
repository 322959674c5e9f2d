"""GitLab CI: images pinned to an immutable tag (root file and its local includes)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.ci import gitlab_jobs, pipelines
from linter.imageref import parse_image
from linter.index import RepoIndex
from linter.model import ArtifactKind, Finding, Location, Severity
from linter.policy import CheckContext, policy
from linter.positions import item_loc, value_loc
from linter.source import SourceFile

K = ArtifactKind


def _images(src: SourceFile, holder: dict[str, Any], where: str) -> Iterator[tuple[str, Location]]:
    """(image reference, location of its value) for ``image:`` and ``services:`` of a holder."""
    image = holder.get("image")
    if isinstance(image, str):
        loc = value_loc(src, holder, "image", f"{where}.image")
        if loc is not None:
            yield image, loc
    elif isinstance(image, dict) and isinstance(image.get("name"), str):
        loc = value_loc(src, image, "name", f"{where}.image.name")
        if loc is not None:
            yield image["name"], loc
    services = holder.get("services")
    if isinstance(services, list):
        for i, svc in enumerate(services):
            logical = f"{where}.services[{i}]"
            if isinstance(svc, str):
                loc = item_loc(src, services, i, logical)
                if loc is not None:
                    yield svc, loc
            elif isinstance(svc, dict) and isinstance(svc.get("name"), str):
                loc = value_loc(src, svc, "name", logical + ".name")
                if loc is not None:
                    yield svc["name"], loc


@policy(
    id="gitlab-image-tag-mutable",
    kinds={K.GITLAB_CI},
    severity=Severity.MEDIUM,
    summary="GitLab CI job image uses `latest` or no tag",
    fix="Pin job and service images to a version tag (`python:3.12.4-slim`) or a digest "
    "(`python@sha256:…`).",
    tags=("reliability", "supply-chain", "ci"),
    section="Infrastructure",
    scope="repo",
)
def gitlab_image_tag_mutable(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Reports `image:` (string or `name:`) and `services:` entries with no tag or the tag `latest`
    at the top level, in `default:` and in every job (hidden `.templates` included), in
    `.gitlab-ci.yml` and in the local files it `include:`s. Images built from variables
    (`$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA`) are not judged. An image defined once behind a YAML
    anchor is reported once, where it is written.

    ## Why is this bad
    A mutable tag makes the same pipeline run different toolchains from one day to the next:
    builds stop being reproducible and a compromised `latest` runs with your CI secrets.

    ## Example
    ```yaml
    test:
      image: python            # fails
      services: [redis:latest] # fails
    lint:
      image: python:3.12.4     # passes
    ```
    """
    seen: set[tuple[str, int, int]] = set()
    for pipe in pipelines(index):
        if pipe.kind != K.GITLAB_CI:
            continue
        holders: list[tuple[str, dict[str, Any]]] = [("(top level)", pipe.data)]
        default = pipe.data.get("default")
        if isinstance(default, dict):
            holders.append(("default", default))
        holders.extend(gitlab_jobs(pipe.data))
        for where, holder in holders:
            for ref, loc in _images(pipe.source, holder, where):
                key = (loc.path, loc.start_line, loc.start_col)
                if key in seen:
                    continue
                seen.add(key)
                img = parse_image(ref)
                if img.templated or img.digest:
                    continue
                if img.tag is None:
                    msg = f"Image `{ref}` has no tag (means `latest`)."
                elif img.tag == "latest":
                    msg = f"Image `{ref}` uses the mutable tag `latest`."
                else:
                    continue
                yield ctx.finding(loc, msg)
