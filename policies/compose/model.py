"""Compose services with positions (compose v2/v3 and the Compose Specification).

A service may be spread over several files that compose merges (``compose.yaml`` +
``compose.override.yaml``, or files given with ``-f``); "something is missing" rules look at
every compose file in the same directory before reporting, on the file that defines the
service's image or build.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from linter.fastdc import dataclass
from linter.imageref import parse_image
from linter.model import ArtifactKind, Location
from linter.parsers.yaml import YamlFile
from linter.positions import item_loc, key_loc, line_loc, value_loc

if TYPE_CHECKING:
    from linter.index import RepoIndex


@dataclass(frozen=True)
class ComposeService:
    """A service of a docker-compose file."""

    file: YamlFile
    name: str
    data: dict[str, Any]
    services: dict[str, Any]  # the `services:` mapping holding it

    @property
    def logical(self) -> str:
        return f"services.{self.name}"

    def loc(self) -> Location:
        """The service's key: where "missing in this service" findings point."""
        src = self.file.source
        return key_loc(src, self.services, self.name, self.logical) or line_loc(src, 1)

    def key_loc(self, key: str, mapping: Any = None) -> Location:
        m = self.data if mapping is None else mapping
        return key_loc(self.file.source, m, key, self.logical) or self.loc()

    def value_loc(self, key: str, mapping: Any = None) -> Location:
        m = self.data if mapping is None else mapping
        return value_loc(self.file.source, m, key, self.logical) or self.key_loc(key, m)

    def item_loc(self, seq: Any, index: int) -> Location:
        return item_loc(self.file.source, seq, index, self.logical) or self.loc()

    @property
    def image(self) -> str | None:
        image = self.data.get("image")
        return image if isinstance(image, str) and image.strip() else None

    @property
    def image_name(self) -> str:
        """Repository name of the image (``bitnami/redis:7`` → ``redis``), lower case."""
        return parse_image(self.image).name.lower() if self.image else ""

    @property
    def defines_image(self) -> bool:
        return "image" in self.data or "build" in self.data


def compose_services(yf: YamlFile) -> Iterator[ComposeService]:
    for doc in yf.documents:
        data = doc.data
        svcs = data.get("services") if isinstance(data, dict) else None
        if not isinstance(svcs, dict):
            continue
        for name, svc in svcs.items():
            if isinstance(svc, dict):
                yield ComposeService(yf, str(name), svc, svcs)


def _definitions(index: RepoIndex, directory: str) -> dict[str, list[ComposeService]]:
    """Every service definition of the compose files in ``directory`` by name, the files in path
    order (once per directory and scan: per service, a compose file of n services cost n^2)."""

    def build() -> dict[str, list[ComposeService]]:
        out: dict[str, list[ComposeService]] = {}
        files = [
            f
            for f in index.artifacts(ArtifactKind.COMPOSE)
            if posixpath.dirname(f.source.path) == directory
        ]
        for other in sorted(files, key=lambda f: f.source.path):
            for s in compose_services(other):
                out.setdefault(s.name, []).append(s)
        return out

    return index.memo(("compose-definitions", directory), build)


def merged_has(index: RepoIndex, svc: ComposeService, *paths: tuple[str, ...]) -> bool | None:
    """Whether any definition of the service in the merged files has one of ``paths``.

    None when this file is not where the service is reported (another file defines its
    image/build first, or none does and this is not the first file naming it).
    """
    defs = list(_definitions(index, posixpath.dirname(svc.file.source.path)).get(svc.name, ()))
    if not any(s.file is svc.file for s in defs):
        defs.insert(0, svc)
    owners = [s for s in defs if s.defines_image] or defs
    if owners[0].file is not svc.file:
        return None
    return any(_has(s.data, path) for s in defs for path in paths)


def _has(data: Any, path: tuple[str, ...]) -> bool:
    cur = data
    for key in path:
        if not isinstance(cur, dict) or key not in cur:
            return False
        cur = cur[key]
    return cur is not None


def env_items(svc: ComposeService) -> Iterator[tuple[str, str | None, Location]]:
    """``environment`` in map or list form: (name, value or None, location of the entry)."""
    env = svc.data.get("environment")
    if isinstance(env, dict):
        for name, value in env.items():
            text = None if value is None else str(value)
            yield str(name), text, svc.key_loc(str(name), env)
    elif isinstance(env, list):
        for i, item in enumerate(env):
            if not isinstance(item, str):
                continue
            name, eq, value = item.partition("=")
            yield name.strip(), value if eq else None, svc.item_loc(env, i)


def command_text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return value if isinstance(value, str) else ""
