"""Images that CI builds, and from which build context: an ImageSource for ``linter/services.py``.

Recognised: ``docker build``/``docker buildx build``/``podman build``/``buildah bud`` with
``-t``/``--tag`` (GitHub Actions ``run:``, GitLab ``script:``), ``docker/build-push-action``
``context:`` + ``tags:``, and kaniko ``--context`` + ``--destination``.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterator
from typing import TYPE_CHECKING

from linter.ci import Pipeline, pipelines_mentioning
from linter.lazyre import lazy
from linter.model import ArtifactKind

if TYPE_CHECKING:
    from linter.index import RepoIndex

K = ArtifactKind
_BUILD = lazy(r"\b(?:docker\s+(?:buildx\s+)?build|podman\s+build|buildah\s+bud)\b")
_KANIKO = lazy(r"(?:/kaniko/)?executor\b")
_WORKSPACE = lazy(
    r"^(?:\$\{\{\s*github\.workspace\s*\}\}|\$\{?CI_PROJECT_DIR\}?|\$\{?GITHUB_WORKSPACE\}?)/?"
)
#: options of `docker build` that take a value (so their value is not the context)
_VALUE_OPTS = frozenset(
    {
        "-f",
        "--file",
        "--build-arg",
        "--target",
        "--platform",
        "--label",
        "--cache-from",
        "--cache-to",
        "--secret",
        "--ssh",
        "--network",
        "--progress",
        "--output",
        "-o",
        "--iidfile",
        "--add-host",
        "--build-context",
        "--builder",
        "--shm-size",
        "--ulimit",
        "--memory",
        "-m",
        "--cpu-shares",
        "--metadata-file",
    }
)


def _repo_root(pipe: Pipeline) -> str:
    """Display path of the directory CI runs in (the checkout root)."""
    path = pipe.path
    if pipe.kind in (K.GHA_WORKFLOW, K.GHA_ACTION) and "/.github/" in "/" + path:
        head = ("/" + path).split("/.github/")[0]
        return head.lstrip("/")
    return posixpath.dirname(pipe.included_from or path)


def _context(root: str, raw: str) -> str | None:
    text = _WORKSPACE.sub("", raw.strip().strip("\"'")) or "."
    if "$" in text or "://" in text:
        return None
    joined = posixpath.normpath(posixpath.join(root, text)) if root else posixpath.normpath(text)
    return "." if joined in ("", ".") else joined.removeprefix("./")


def _split(line: str) -> list[str]:
    """Shell words; ``${{ … }}`` expressions stay inside their word."""
    exprs: list[str] = []

    def hide(m: re.Match[str]) -> str:
        exprs.append(m.group(0))
        return f"\x00{len(exprs) - 1}\x00"

    hidden = re.sub(r"\$\{\{.*?\}\}", hide, line)
    try:
        words = shlex.split(hidden, comments=True)
    except ValueError:
        words = hidden.split()
    return [re.sub(r"\x00(\d+)\x00", lambda m: exprs[int(m.group(1))], w) for w in words]


def _from_build_command(words: list[str]) -> tuple[list[str], str | None]:
    tags: list[str] = []
    ctx: str | None = None
    i = 0
    while i < len(words):
        w = words[i]
        if w in ("-t", "--tag") and i + 1 < len(words):
            tags.append(words[i + 1])
            i += 2
            continue
        if w.startswith("--tag="):
            tags.append(w.split("=", 1)[1])
        elif w in _VALUE_OPTS:
            i += 2
            continue
        elif not w.startswith("-") and ctx is None:
            ctx = w
        i += 1
    return tags, ctx


def _from_kaniko(words: list[str]) -> tuple[list[str], str | None]:
    tags: list[str] = []
    ctx: str | None = None
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        for opt in ("--destination", "-d"):
            if w == opt and nxt:
                tags.append(nxt)
            elif w.startswith(opt + "="):
                tags.append(w.split("=", 1)[1])
        for opt in ("--context", "-c"):
            if w == opt and nxt:
                ctx = nxt
            elif w.startswith(opt + "="):
                ctx = w.split("=", 1)[1]
    if ctx is not None and ctx.startswith("dir://"):
        ctx = ctx[len("dir://") :]
    return tags, ctx


def _script_builds(text: str) -> Iterator[tuple[str, str]]:
    """(context, image) pairs from shell text (line continuations joined, `&&` split)."""
    joined = re.sub(r"\\\r?\n", " ", text)
    for line in joined.splitlines():
        for part in re.split(r"&&|;|\|\|", line):
            m = _BUILD.search(part)
            if m:
                tags, ctx = _from_build_command(_split(part[m.end() :]))
            elif (km := _KANIKO.search(part)) and ("--destination" in part or " -d " in part):
                tags, ctx = _from_kaniko(_split(part[km.end() :]))
            else:
                continue
            for tag in tags:
                yield (ctx or "."), tag


def _tags_value(value: object) -> list[str]:
    if isinstance(value, str):
        return [t.strip() for t in re.split(r"[\n,]", value) if t.strip()]
    if isinstance(value, list):
        return [str(t).strip() for t in value if str(t).strip()]
    return []


def image_builds(index: RepoIndex) -> Iterator[tuple[str, str]]:
    """(build-context directory as a display path, image name) for every CI image build."""
    # every build command and action holds "build" (buildah's too), kaniko's "executor"
    for pipe in pipelines_mentioning(index, ("build", "executor")):
        if pipe.kind == K.TEXT:
            continue
        root = _repo_root(pipe)
        for cmd in pipe.commands:
            if cmd.kind in ("run", "script"):
                base = root
                wd = cmd.step.get("working-directory") if cmd.step is not None else None
                if isinstance(wd, str):
                    base = _context(root, wd) or root
                    base = "" if base == "." else base
                for raw_ctx, image in _script_builds(cmd.text):
                    ctx = _context(base, raw_ctx)
                    if ctx is not None:
                        yield ctx, image
            elif (
                cmd.kind == "uses" and cmd.text.split("@")[0].lower() == "docker/build-push-action"
            ):
                w = cmd.with_inputs()
                raw = w.get("context")
                ctx = _context(root, raw if isinstance(raw, str) else ".")
                if ctx is None:
                    continue
                for image in _tags_value(w.get("tags")):
                    yield ctx, image
