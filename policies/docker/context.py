"""The build context: a .dockerignore must keep `.env*` files and `.git` out of it."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator
from typing import TYPE_CHECKING

from linter.discover import display_path
from linter.index import RepoIndex
from linter.model import ArtifactKind, Finding, Location, Severity
from linter.policy import CheckContext, policy
from linter.services import services

if TYPE_CHECKING:
    import pathspec

#: sample paths a build context must not ship (what they stand for, path in the context)
MUST_EXCLUDE = (
    ("`.env`", ".env"),
    ("`.env.*`", ".env.production"),
    ("`.git`", ".git/config"),
)


def _join(directory: str, name: str) -> str:
    return posixpath.join(directory, name) if directory else name


def _inside_scan(index: RepoIndex, path: str) -> bool:
    root = display_path(os.path.abspath(index.root), index.base)
    if root in (".", ""):
        return not (path == ".." or path.startswith("../"))
    return path == root or path.startswith(root.rstrip("/") + "/")


def dockerignore_spec(text: str) -> pathspec.GitIgnoreSpec:
    """A .dockerignore as a path matcher: patterns are relative to the context root (anchored),
    ``!`` re-includes, the last matching pattern wins."""
    import pathspec  # only when a .dockerignore is read

    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        neg = line.startswith("!")
        pat = line[1:].strip() if neg else line
        pat = posixpath.normpath(pat.lstrip("/")) if pat.strip("/") else ""
        if not pat or pat == ".":
            continue
        line = ("!" if neg else "") + "/" + pat
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
        except ValueError:
            continue  # a pattern Docker would reject too (e.g. a trailing `\`)
        lines.append(line)
    return pathspec.GitIgnoreSpec.from_lines(lines)


def not_excluded(text: str) -> list[str]:
    spec = dockerignore_spec(text)
    return [label for label, sample in MUST_EXCLUDE if not spec.match_file(sample)]


@policy(
    id="docker-missing-dockerignore",
    kinds={ArtifactKind.DOCKERFILE, ArtifactKind.DOCKERIGNORE, ArtifactKind.COMPOSE},
    severity=Severity.MEDIUM,
    summary="Build context has no .dockerignore, or it does not exclude `.env*` and `.git`",
    fix="Add a `.dockerignore` to the build context with at least `.git`, `.env` and `.env.*` "
    "(re-include templates with `!.env.example`), plus `node_modules` and build output.",
    tags=("security", "secrets"),
    cwe=(538,),
    section="Infrastructure",
    scope="repo",
)
def missing_dockerignore(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    For each Dockerfile, finds its build context (its directory, or the `build.context` of a
    compose service that builds it) and the ignore file the builder uses: `<Dockerfile
    name>.dockerignore` next to the Dockerfile, else `.dockerignore` at the context root.
    Reports the Dockerfile (at its final `FROM`) when there is none, and the ignore file (line
    1) when it does not exclude `.env`, `.env.*` and `.git` (patterns are matched the way
    Docker does: relative to the context root, `!` re-includes, the last match wins).

    ## Why is this bad
    Without it the whole directory is sent to the builder, and `COPY . .` puts developer
    `.env` files (real credentials) and the `.git` history (every secret ever committed) into an
    image layer that anyone with pull access can read.

    ## Example
    ```text
    # .dockerignore — passes
    .git
    .env
    .env.*
    !.env.example
    node_modules
    ```
    """
    reported: set[str] = set()
    for svc in services(index):
        for df in svc.dockerfiles:
            context = svc.context_of(df.source.path)
            if not _inside_scan(index, context):
                continue  # the context is outside the scan: its .dockerignore is not visible
            specific = df.source.path + ".dockerignore"
            path = specific if index.read_text(specific) is not None else None
            if path is None:
                candidate = _join(context, ".dockerignore")
                path = candidate if index.read_text(candidate) is not None else None
            stage = df.final_stage
            if path is None:
                if stage is None:
                    continue
                shown = f"`{context}`" if context else "the repository root"
                yield ctx.finding(
                    df.loc(stage.from_instr),
                    f"Build context {shown} has no .dockerignore, so `.env` files and `.git` "
                    "are sent to the builder, and a `COPY . .` bakes them into the image.",
                )
                continue
            if path in reported:
                continue
            reported.add(path)
            text = index.read_text(path) or ""
            missing = not_excluded(text)
            if missing:
                first = text.splitlines()[0] if text.splitlines() else ""
                yield ctx.finding(
                    Location(path, 1, 1, 1, max(2, len(first.rstrip()) + 1)),
                    f"{posixpath.basename(path)} does not exclude {', '.join(missing)}, so they "
                    "reach the build context and can be copied into the image.",
                )
