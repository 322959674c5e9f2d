"""Image reference policies."""

from __future__ import annotations

from collections.abc import Iterator

from linter.imageref import parse_image
from linter.model import ArtifactKind, Finding, Severity
from linter.parsers.k8s import K8sManifest
from linter.policy import CheckContext, policy
from linter.workload import containers


@policy(
    id="k8s-image-tag-mutable",
    kinds={ArtifactKind.K8S},
    severity=Severity.MEDIUM,
    summary="Container image uses `latest` or no tag",
    fix="Pin the image to an immutable version tag (`app:1.4.2`) or a digest (`app@sha256:…`).",
    tags=("reliability", "supply-chain"),
    section="Infrastructure",
)
def image_tag_mutable(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Reports containers whose `image` has no tag or the tag `latest` (digest-pinned images pass).

    ## Why is this bad
    A mutable tag means the same manifest can run different code on different nodes, a rollback
    may not roll anything back, and `imagePullPolicy` defaults to `Always`.

    ## Example
    ```yaml
    image: redis            # fails
    image: redis:latest     # fails
    image: redis:7.2.4      # passes
    ```
    """
    for obj in manifest.objects:
        for c in containers(obj, include_init=True):
            image = c.data.get("image")
            if not isinstance(image, str) or not image.strip():
                continue
            ref = parse_image(image)
            if ref.templated or ref.digest:
                continue
            if ref.tag is None:
                msg = f"Image `{image}` of container `{c.name}` has no tag (means `latest`)."
            elif ref.tag == "latest":
                msg = f"Image `{image}` of container `{c.name}` uses the mutable tag `latest`."
            else:
                continue
            yield ctx.finding(c.value_loc("image"), msg)


@policy(
    id="k8s-image-not-digest-pinned",
    kinds={ArtifactKind.K8S},
    severity=Severity.LOW,
    summary="Container image is not pinned by digest",
    fix="Reference the image by digest (`app:1.4.2@sha256:…`); let Renovate or Dependabot "
    "update the digest.",
    tags=("supply-chain",),
    section="Infrastructure",
    default_enabled=False,
)
def image_not_digest_pinned(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Reports containers (init containers included) whose `image` has no `@sha256:` digest.
    Off by default: enable it with `--extend-select k8s-image-not-digest-pinned` where the
    supply-chain policy asks for digests.

    ## Why is this bad
    Even a version tag can be pushed again; only a digest guarantees that every node runs the
    bytes that were scanned and tested.

    ## Example
    ```yaml
    image: ghcr.io/acme/api:1.4.2                       # fails
    image: ghcr.io/acme/api:1.4.2@sha256:4f3c…          # passes
    ```
    """
    for obj in manifest.objects:
        for c in containers(obj, include_init=True):
            image = c.data.get("image")
            if not isinstance(image, str) or not image.strip():
                continue
            ref = parse_image(image)
            if ref.templated or ref.digest:
                continue
            yield ctx.finding(
                c.value_loc("image"),
                f"Image `{image}` of container `{c.name}` is not pinned by digest.",
            )
