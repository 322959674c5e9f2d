"""Node.js runtime: heap limit vs container memory, and the Node version."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator
from typing import Any

from linter.fastdc import dataclass
from linter.imageref import parse_image
from linter.index import RepoIndex
from linter.lazyre import lazy
from linter.model import ArtifactKind, Finding, Location, Severity
from linter.parsers.dockerfile import DockerfileArtifact, Stage
from linter.parsers.yaml import YamlFile
from linter.policy import CheckContext, policy
from linter.positions import item_loc, key_loc, line_loc, value_loc
from linter.services import ComposeBuild, K8sContainerRef, Service, names_service_part, services
from linter.source import SourceFile
from policies.docker.common import (
    base_image,
    basename,
    effective_command,
    heap_mib,
    is_node_image,
    k8s_memory_bytes,
    root_image,
    stage_env,
)

MIB = 1024 * 1024
PACKAGE_MANAGERS = ("npm", "yarn", "pnpm")


@dataclass(frozen=True)
class Heap:
    """A Node.js heap size set by ``--max-old-space-size``, and where."""

    mib: int
    where: str  # "CMD", "ENV NODE_OPTIONS", "env NODE_OPTIONS of container api", …
    location: Location


def is_node_dockerfile(df: DockerfileArtifact, stage: Stage) -> bool:
    if is_node_image(root_image(df, stage)):
        return True
    argv = effective_command(df, stage).argv()
    return bool(argv) and basename(argv[0]) in ("node", *PACKAGE_MANAGERS)


def _script_heap(index: RepoIndex, context: str, argv: list[str]) -> int | None:
    """The heap flag inside the package.json script that `npm start`/`npm run x` runs."""
    if not argv or basename(argv[0]) not in PACKAGE_MANAGERS or len(argv) < 2:
        return None
    name = argv[2] if argv[1] in ("run", "run-script") and len(argv) > 2 else argv[1]
    text = index.read_text(posixpath.join(context, "package.json") if context else "package.json")
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    scripts = data.get("scripts") if isinstance(data, dict) else None
    script = scripts.get(name) if isinstance(scripts, dict) else None
    return heap_mib(script) if isinstance(script, str) else None


def image_command_heap(
    index: RepoIndex, df: DockerfileArtifact, stage: Stage, context: str
) -> Heap | None:
    """The heap flag on the image's command line (CMD/ENTRYPOINT or the npm script it runs)."""
    command = effective_command(df, stage)
    for instr in (command.entrypoint, command.cmd):
        if instr is not None and (mib := heap_mib(instr.text)) is not None:
            return Heap(mib, instr.cmd, df.loc(instr))
    instr = command.instruction
    if instr is not None:
        mib = _script_heap(index, context, command.argv())
        if mib is not None:
            return Heap(mib, f"the package.json script run by {instr.cmd}", df.loc(instr))
    return None


def image_env_heap(df: DockerfileArtifact, stage: Stage) -> Heap | None:
    env = stage_env(df, stage).get("NODE_OPTIONS")
    if env is not None and (mib := heap_mib(env[0])) is not None:
        return Heap(mib, "ENV NODE_OPTIONS", df.loc(env[1]))
    return None


def dockerfile_heap(
    index: RepoIndex, df: DockerfileArtifact, stage: Stage, context: str
) -> Heap | None:
    """The heap limit the image sets: a command-line flag beats ENV NODE_OPTIONS."""
    return image_command_heap(index, df, stage, context) or image_env_heap(df, stage)


def _words(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value) if isinstance(value, str) else ""


def container_command_heap(ref: K8sContainerRef) -> Heap | None:
    view = ref.view
    for key in ("command", "args"):
        mib = heap_mib(_words(ref.container.get(key)))
        if mib is not None and view is not None:
            return Heap(mib, f"`{key}` of the container", view.key_loc(key))
    return None


def container_env_heap(ref: K8sContainerRef) -> Heap | None:
    view, env = ref.view, ref.container.get("env")
    if not isinstance(env, list) or view is None:
        return None
    for i, item in enumerate(env):
        if isinstance(item, dict) and item.get("name") == "NODE_OPTIONS":
            mib = heap_mib(str(item.get("value") or ""))
            if mib is not None:
                loc = value_loc(view.obj.source, item, "value", view.logical) or item_loc(
                    view.obj.source, env, i, view.logical
                )
                return Heap(mib, "env NODE_OPTIONS of the container", loc or view.name_loc())
    return None


def effective_heap(
    index: RepoIndex, svc: Service, df: DockerfileArtifact, stage: Stage, ref: K8sContainerRef
) -> Heap | None:
    """Node's rule: a command-line flag beats NODE_OPTIONS; the pod's command/args replace the
    image's, the pod's env overrides the image's ENV."""
    heap = container_command_heap(ref)
    if heap is not None:
        return heap
    if "command" not in ref.container and "args" not in ref.container:
        heap = image_command_heap(index, df, stage, _context(svc, df))
        if heap is not None:
            return heap
    return container_env_heap(ref) or image_env_heap(df, stage)


def _context(svc: Service, df: DockerfileArtifact) -> str:
    return svc.context_of(df.source.path)


def _compose_sets_heap(svc: Service, df: DockerfileArtifact) -> bool:
    for cb in svc.compose:
        if cb.dockerfile != df.source.path:
            continue
        if heap_mib(_words(cb.data.get("command")) + " " + _words(cb.data.get("entrypoint"))):
            return True
        env = cb.data.get("environment")
        if isinstance(env, dict) and heap_mib(str(env.get("NODE_OPTIONS") or "")) is not None:
            return True
        if isinstance(env, list) and any(
            isinstance(e, str) and e.startswith("NODE_OPTIONS=") and heap_mib(e) is not None
            for e in env
        ):
            return True
    return False


@policy(
    id="code-node-heap-unset",
    kinds={ArtifactKind.DOCKERFILE, ArtifactKind.K8S, ArtifactKind.COMPOSE},
    reports_on={ArtifactKind.DOCKERFILE},
    severity=Severity.LOW,
    summary="Node.js image does not set the heap limit (`--max-old-space-size`)",
    fix="Set the old-space heap to ~75 % of the container memory limit: "
    '`ENV NODE_OPTIONS="--max-old-space-size=384"` for a 512Mi limit (or the flag in CMD).',
    tags=("reliability", "performance"),
    section="Performance and scalability",
    scope="repo",
)
def node_heap_unset(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Reports a Node.js image (final stage built on a `node`/`nodejs` image, or running `node`,
    `npm`, `yarn` or `pnpm`) that sets no `--max-old-space-size`: not in `CMD`/`ENTRYPOINT`,
    not in the package.json script `npm start` runs, not in `ENV NODE_OPTIONS`, and not in the
    `NODE_OPTIONS`/command of a Kubernetes container or compose service that runs the image
    (found through the image ↔ workload join). The finding points at the final `FROM`.

    ## Why is this bad
    Node sizes its heap from heuristics that older versions base on the host, not the
    container's cgroup limit. The heap then grows past the memory limit and the kernel
    OOM-kills the pod instead of V8 collecting garbage sooner; the crash looks random.

    ## Example
    ```dockerfile
    FROM node:20.11-slim
    CMD ["node", "server.js"]                          # fails
    ENV NODE_OPTIONS="--max-old-space-size=384"        # passes
    ```
    """
    for svc in services(index):
        for df in svc.dockerfiles:
            stage = df.final_stage
            if stage is None or not is_node_dockerfile(df, stage):
                continue
            if dockerfile_heap(index, df, stage, _context(svc, df)) is not None:
                continue
            if any(container_command_heap(r) or container_env_heap(r) for r in svc.containers):
                continue
            if _compose_sets_heap(svc, df):
                continue
            yield ctx.finding(
                df.loc(stage.from_instr),
                f"Node.js image (`FROM {stage.base}`) sets no `--max-old-space-size`, so the "
                "heap is not sized to the container's memory limit.",
            )


@policy(
    id="code-node-heap-exceeds-limit",
    kinds={ArtifactKind.DOCKERFILE, ArtifactKind.K8S, ArtifactKind.COMPOSE},
    severity=Severity.MEDIUM,
    summary="Node heap limit is not below the memory limit of the container running it",
    fix="Keep `--max-old-space-size` (MiB) at about 75 % of `resources.limits.memory`, leaving "
    "room for new space, code, buffers and native memory.",
    tags=("reliability", "performance"),
    section="Performance and scalability",
    scope="repo",
    options={
        "type": "object",
        "properties": {
            "max-ratio": {
                "type": "number",
                "exclusiveMinimum": 0,
                "description": "Largest allowed heap / memory-limit ratio.",
            }
        },
    },
    defaults={"max-ratio": 0.9},
)
def node_heap_exceeds_limit(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    For each Kubernetes container that runs an image built in the repo (image ↔ workload join),
    compares the Node heap limit in effect — `--max-old-space-size` from the container's
    `command`/`args`, else the Dockerfile's `CMD`/`ENTRYPOINT`, else `NODE_OPTIONS` from the
    container's `env`, else the Dockerfile's `ENV NODE_OPTIONS` — with its
    `resources.limits.memory`, and reports a heap above `max-ratio` (default 0.9) of the limit.
    Compose services that build a Node image are checked the same way against `mem_limit` or
    `deploy.resources.limits.memory` (their `command`/`entrypoint`/`environment` first).
    The finding points where the heap is set; the memory limit is a related location.

    ## Why is this bad
    The old-space heap is only part of a Node process's memory. With the heap at (or above)
    the limit, the kernel OOM-kills the container before V8 ever runs a full collection.

    ## Example
    ```yaml
    env:
      - name: NODE_OPTIONS
        value: --max-old-space-size=1024     # fails with the 512Mi limit below
    resources:
      limits:
        memory: 512Mi
    ```
    """
    if index.named_files and not names_service_part(index):
        return  # the heap is set in a Dockerfile, a compose file or a container's spec
    ratio = float(ctx.options.get("max-ratio", 0.9))
    for svc in services(index):
        node_dfs = [
            df
            for df in svc.dockerfiles
            if df.final_stage and is_node_dockerfile(df, df.final_stage)
        ]
        if not node_dfs:
            continue
        df = node_dfs[0]
        stage = df.final_stage
        assert stage is not None
        for ref in svc.containers:
            view = ref.view
            if view is None:
                continue
            res = ref.container.get("resources")
            limits = res.get("limits") if isinstance(res, dict) else None
            if not isinstance(limits, dict):
                continue
            limit = k8s_memory_bytes(limits.get("memory"))
            if limit is None or limit <= 0:
                continue
            heap = effective_heap(index, svc, df, stage, ref)
            if heap is None:
                continue
            limit_mib = limit / MIB
            if heap.mib <= ratio * limit_mib:
                continue
            mem_loc = value_loc(view.obj.source, limits, "memory", view.logical)
            yield ctx.finding(
                heap.location,
                f"Node heap `--max-old-space-size={heap.mib}` ({heap.where}) is "
                f"{heap.mib / limit_mib:.0%} of the {limits.get('memory')} memory limit of "
                f"container `{view.name}` in {view.obj.label}; keep it under {ratio:.0%}.",
                related=[mem_loc] if mem_loc else [],
            )
        for cb in svc.compose:
            cdf = next((d for d in node_dfs if d.source.path == cb.dockerfile), None)
            if cdf is None or cdf.final_stage is None:
                continue
            found = _compose_limit_finding(ctx, index, svc, cdf, cdf.final_stage, cb, ratio)
            if found is not None:
                yield found


_COMPOSE_BYTES = lazy(r"^\s*(\d+(?:\.\d+)?)\s*([bkmg]?)b?\s*$", re.IGNORECASE)


def compose_memory_bytes(value: object) -> float | None:
    """A compose memory size (``512m``, ``1g``, ``1.5GB``, ``268435456``) in bytes."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    m = _COMPOSE_BYTES.match(value) if isinstance(value, str) else None
    if m is None:
        return None
    power = "bkmg".index(m.group(2).lower() or "b")
    return float(m.group(1)) * float(1024**power)


def _compose_limit_finding(
    ctx: CheckContext,
    index: RepoIndex,
    svc: Service,
    df: DockerfileArtifact,
    stage: Stage,
    cb: ComposeBuild,
    ratio: float,
) -> Finding | None:
    data = cb.data
    holder: Any = data
    key = "mem_limit"
    deploy = data.get("deploy")
    res = deploy.get("resources") if isinstance(deploy, dict) else None
    limits = res.get("limits") if isinstance(res, dict) else None
    if isinstance(limits, dict) and limits.get("memory") is not None:
        holder, key = limits, "memory"
    limit = compose_memory_bytes(holder.get(key))
    src = next(
        (y.source for y in index.artifacts(ArtifactKind.COMPOSE) if y.source.path == cb.path), None
    )
    if limit is None or limit <= 0 or src is None:
        return None
    logical = f"services.{cb.name}"
    heap: Heap | None = None
    for ck in ("command", "entrypoint"):
        mib = heap_mib(_words(data.get(ck)))
        if mib is not None:
            heap = Heap(
                mib,
                f"`{ck}` of the compose service",
                key_loc(src, data, ck, logical) or line_loc(src, 1),
            )
            break
    if heap is None and "command" not in data and "entrypoint" not in data:
        heap = image_command_heap(index, df, stage, _context(svc, df))
    if heap is None:
        env = data.get("environment")
        value: Any = None
        loc = None
        if isinstance(env, dict) and "NODE_OPTIONS" in env:
            value, loc = env.get("NODE_OPTIONS"), key_loc(src, env, "NODE_OPTIONS", logical)
        elif isinstance(env, list):
            for i, item in enumerate(env):
                if isinstance(item, str) and item.startswith("NODE_OPTIONS="):
                    value, loc = item, item_loc(src, env, i, logical)
        mib = heap_mib(str(value)) if value is not None else None
        if mib is not None:
            heap = Heap(mib, "NODE_OPTIONS of the compose service", loc or line_loc(src, 1))
    heap = heap or image_env_heap(df, stage)
    if heap is None:
        return None
    limit_mib = limit / MIB
    if heap.mib <= ratio * limit_mib:
        return None
    mem_loc = value_loc(src, holder, key, logical)
    return ctx.finding(
        heap.location,
        f"Node heap `--max-old-space-size={heap.mib}` ({heap.where}) is "
        f"{heap.mib / limit_mib:.0%} of the {holder.get(key)} memory limit of compose service "
        f"`{cb.name}`; keep it under {ratio:.0%}.",
        related=[mem_loc] if mem_loc else [],
    )


# -- Node version ------------------------------------------------------------------------------
CODENAMES = {
    "argon": 4,
    "boron": 6,
    "carbon": 8,
    "dubnium": 10,
    "erbium": 12,
    "fermium": 14,
    "gallium": 16,
    "hydrogen": 18,
    "iron": 20,
    "jod": 22,
    "krypton": 24,
}
_LEAD_INT = lazy(r"^v?(\d+)")
_COMPARATOR = lazy(r"(>=|<=|>|<|=|\^|~>?)?\s*v?(\d+|[xX*])(?:\.(?:\d+|[xX*]))*(?:-[\w.]+)?")


def major_of(text: str) -> int | None:
    """Major version of `16`, `v16.20.0`, `16-alpine`, `lts/gallium`, `gallium-slim`."""
    t = text.strip().lower()
    t = t.removeprefix("lts/")
    m = _LEAD_INT.match(t)
    if m:
        return int(m.group(1))
    return CODENAMES.get(re.split(r"[-.]", t)[0])


def range_min_major(spec: str) -> int | None:
    """Lowest major a semver range (`>=14`, `^16 || ^18`, `14.x`, `12 - 16`) admits."""
    lows: list[int] = []
    for alt in spec.split("||"):
        alt = alt.strip()
        if not alt or alt in ("*", "x", "X", "latest", "lts", "node"):
            return None
        if " - " in alt:
            alt = alt.split(" - ")[0]
        alt_lows: list[int] = []
        saw_upper = False
        for op, num in _COMPARATOR.findall(alt):
            if num in ("x", "X", "*"):
                continue
            if op in ("<", "<="):
                saw_upper = True
            else:
                alt_lows.append(int(num))
        if alt_lows:
            lows.append(min(alt_lows))
        elif saw_upper:
            lows.append(0)
    return min(lows) if lows else None


def _nvm_major(text: str) -> tuple[int | None, int]:
    for n, line in enumerate(text.splitlines(), start=1):
        value = line.split("#", 1)[0].strip()
        if value:
            if value.lower() in ("node", "stable", "latest", "lts/*", "system", "current"):
                return None, n
            return major_of(value), n
    return None, 1


def _walk_node_versions(node: Any) -> Iterator[tuple[Any, Any, Any]]:
    """(container, key or index, value) for every `node-version` value in a workflow."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("node-version", "node_version") or (
                key == "node" and isinstance(value, list)
            ):
                if isinstance(value, list):
                    for i, item in enumerate(value):
                        yield value, i, item
                else:
                    yield node, key, value
            else:
                yield from _walk_node_versions(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk_node_versions(item)


@policy(
    id="code-node-version-outdated",
    kinds={
        ArtifactKind.DOCKERFILE,
        ArtifactKind.PACKAGE_JSON,
        ArtifactKind.GHA_WORKFLOW,
        ArtifactKind.TEXT,
    },
    severity=Severity.MEDIUM,
    summary="Node.js runtime below 18 (end-of-life)",
    fix="Move to a supported Node LTS (20 or 22): `FROM node:20-slim`, "
    '`"engines": {"node": ">=20"}`, `.nvmrc` `20`, `node-version: 20` in CI.',
    tags=("reliability", "security"),
    section="Performance and scalability",
    options={
        "type": "object",
        "properties": {
            "min-major": {"type": "integer", "minimum": 1, "description": "Lowest major allowed."}
        },
    },
    defaults={"min-major": 18},
)
def node_version_outdated(ctx: CheckContext, art: object) -> Iterator[Finding]:
    """## What it does
    Reports Node.js versions below `min-major` (18) wherever a repo pins one: `FROM node:16…`
    (every stage, ARG defaults resolved, codenames such as `gallium` understood),
    `engines.node` in package.json (when the lowest version the range admits is too old:
    `>=14` fails, `^18 || ^20` passes), `volta.node`, `.nvmrc`, `.node-version`, asdf's
    `.tool-versions`, and `node-version:` (including matrix lists) in GitHub Actions
    workflows.

    ## Why is this bad
    Node 16 and older are end-of-life: no security fixes, and the ecosystem (npm packages,
    OpenSSL 3, fetch, test runner) has moved on. Version pins that disagree also mean CI tests
    something other than what production runs.

    ## Example
    ```dockerfile
    FROM node:16-alpine            # fails
    FROM node:20.11-alpine         # passes
    ```
    ```json
    "engines": { "node": ">=14" }  // fails: admits Node 14
    ```
    """
    floor = int(ctx.options.get("min-major", 18))

    def old(major: int | None) -> bool:
        return major is not None and major < floor

    if isinstance(art, DockerfileArtifact):
        for stage in art.stages:
            base = base_image(art, stage)
            if base.resolved is None or base.parent is not None:
                continue
            ref = parse_image(base.resolved)
            name = ref.name.lower()
            if name == "node" and ref.tag:
                major = major_of(ref.tag)
            elif re.match(r"^nodejs\d+", name):
                major = int(re.findall(r"\d+", name)[0])
            else:
                continue
            if old(major):
                yield ctx.finding(
                    art.loc(stage.from_instr),
                    f"Base image `{base.resolved}` runs Node {major}, below {floor} (end-of-life).",
                )
    elif isinstance(art, YamlFile):
        src = art.source
        for doc in art.documents:
            data = doc.data
            if src.kind == ArtifactKind.PACKAGE_JSON:
                engines = data.get("engines") if isinstance(data, dict) else None
                spec = engines.get("node") if isinstance(engines, dict) else None
                if isinstance(spec, str) and old(low := range_min_major(spec)):
                    loc = value_loc(src, engines, "node", "engines.node")
                    yield ctx.finding(
                        loc or line_loc(src, doc.start_line),
                        f"engines.node `{spec}` admits Node {low}, below {floor} (end-of-life).",
                    )
                volta = data.get("volta") if isinstance(data, dict) else None
                pin = volta.get("node") if isinstance(volta, dict) else None
                if isinstance(pin, str) and old(major := major_of(pin)):
                    loc = value_loc(src, volta, "node", "volta.node")
                    yield ctx.finding(
                        loc or line_loc(src, doc.start_line),
                        f"volta.node pins Node {major} (`{pin}`), below {floor} (end-of-life).",
                    )
            elif src.kind == ArtifactKind.GHA_WORKFLOW:
                for holder, key, value in _walk_node_versions(data):
                    if isinstance(value, bool) or not isinstance(value, str | int | float):
                        continue
                    text = str(value)
                    if "${{" in text or not old(major := major_of(text)):
                        continue
                    if isinstance(key, int):
                        loc = item_loc(src, holder, key)
                    else:
                        loc = value_loc(src, holder, key)
                    yield ctx.finding(
                        loc or line_loc(src, doc.start_line),
                        f"Workflow uses Node {major} (`node-version: {text}`), below {floor} "
                        "(end-of-life).",
                    )
    elif isinstance(art, SourceFile) and posixpath.basename(art.path) == ".tool-versions":
        for n, line_text in enumerate(art.text.splitlines(), start=1):
            words = line_text.split("#", 1)[0].split()
            if len(words) >= 2 and words[0] == "nodejs" and old(major := major_of(words[1])):
                yield ctx.finding(
                    line_loc(art, n),
                    f".tool-versions pins Node {major}, below {floor} (end-of-life).",
                )
    elif isinstance(art, SourceFile) and posixpath.basename(art.path) in (
        ".nvmrc",
        ".node-version",
    ):
        major, line = _nvm_major(art.text)
        if old(major):
            yield ctx.finding(
                line_loc(art, line),
                f"{posixpath.basename(art.path)} pins Node {major}, below {floor} (end-of-life).",
            )
