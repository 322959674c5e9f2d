"""Container image references: ``[registry/]repo[:tag][@digest]``."""

from __future__ import annotations

from linter.fastdc import dataclass


@dataclass(frozen=True)
class ImageRef:
    """A container image reference split into repository, tag and digest."""

    raw: str
    repository: str
    tag: str | None
    digest: str | None
    templated: bool  # contains ${VAR}, $VAR or {{ }}: cannot be judged statically

    @property
    def name(self) -> str:
        """Last path component of the repository (``ghcr.io/acme/api`` → ``api``)."""
        return self.repository.rsplit("/", 1)[-1]


def parse_image(raw: str) -> ImageRef:
    text = raw.strip()
    templated = "$" in text or "{{" in text
    digest = None
    if "@" in text:
        text, _, digest = text.partition("@")
    tag = None
    slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > slash:
        text, tag = text[:colon], text[colon + 1 :]
    return ImageRef(raw, text, tag or None, digest or None, templated)
