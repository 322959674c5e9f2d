"""Runtime policies of a Dockerfile's final stage: USER and the PID 1 command."""

from __future__ import annotations

from collections.abc import Iterator

from linter.model import ArtifactKind, Finding, Severity
from linter.parsers.dockerfile import DockerfileArtifact, Instruction
from linter.policy import CheckContext, policy
from policies.docker.common import effective_command, root_image, stage_instructions

ROOT_USERS = frozenset({"root", "0", "root:root", "0:0"})


def last(instrs: tuple[Instruction, ...], cmd: str) -> Instruction | None:
    found = [i for i in instrs if i.cmd == cmd]
    return found[-1] if found else None


@policy(
    id="docker-shell-form-entrypoint",
    kinds={ArtifactKind.DOCKERFILE},
    severity=Severity.MEDIUM,
    summary="CMD or ENTRYPOINT in shell form: SIGTERM goes to /bin/sh, not the app",
    fix='Use the exec form: `CMD ["node", "server.js"]` (JSON array), or prefix the shell '
    "form with `exec`.",
    tags=("reliability", "graceful-shutdown"),
    section="Error handling and graceful shutdown",
)
def shell_form_entrypoint(ctx: CheckContext, df: DockerfileArtifact) -> Iterator[Finding]:
    """## What it does
    Reports the final stage's effective `CMD` or `ENTRYPOINT` when it is written in shell form
    (`CMD node server.js`) instead of exec form (`CMD ["node", "server.js"]`). A shell-form
    command that starts with `exec` passes.

    ## Why is this bad
    Shell form runs as `/bin/sh -c "…"`: the shell is PID 1, receives the SIGTERM that Kubernetes
    or Docker sends on shutdown, and does not forward it. The app never gets to drain; it is
    SIGKILLed after the grace period, dropping in-flight requests.

    ## Example
    ```dockerfile
    CMD npm start                 # fails
    CMD ["node", "server.js"]     # passes
    ```
    """
    stage = df.final_stage
    if stage is None:
        return
    command = effective_command(df, stage)  # follows `FROM <earlier stage>`
    for cmd, instr in (("ENTRYPOINT", command.entrypoint), ("CMD", command.cmd)):
        if instr is None or instr.json:
            continue
        text = instr.text.strip()
        if not text or text.startswith("exec "):
            continue
        if cmd == "CMD":
            ep = command.entrypoint
            if ep is not None and ep.json:
                # CMD only feeds arguments to an exec-form ENTRYPOINT; not a shell
                continue
        yield ctx.finding(
            df.loc(instr),
            f"{cmd} uses shell form, so `/bin/sh -c` is PID 1 and SIGTERM never reaches "
            f"`{text.split()[0]}`.",
        )


@policy(
    id="docker-runs-as-root",
    kinds={ArtifactKind.DOCKERFILE},
    severity=Severity.HIGH,
    summary="The image's final stage runs as root",
    fix="Create an unprivileged user and switch to it: `RUN useradd -r -u 10001 app` then "
    "`USER 10001` (numeric, so Kubernetes runAsNonRoot can verify it).",
    tags=("security",),
    cwe=(250,),
    section="Security",
)
def runs_as_root(ctx: CheckContext, df: DockerfileArtifact) -> Iterator[Finding]:
    """## What it does
    Reports a Dockerfile whose final stage has no `USER` instruction (the finding points at its
    `FROM`), or whose last `USER` is `root` or `0`.

    ## Why is this bad
    A process running as root inside the container turns any code-execution bug into root on
    the container's filesystem, and a container escape into root on the node.

    ## Example
    ```dockerfile
    FROM node:20.11-slim
    COPY . /app
    CMD ["node", "/app/server.js"]   # fails: no USER
    ```
    Passes: add `USER node` (or a numeric uid) before `CMD`.
    """
    stage = df.final_stage
    if stage is None or (root_image(df, stage) or "").lower() == "scratch":
        return
    user = last(tuple(stage_instructions(df, stage)), "USER")  # inherited from earlier stages
    if user is None:
        yield ctx.finding(
            df.loc(stage.from_instr),
            f"Final stage (`FROM {stage.base}`) has no USER instruction, so it runs as root "
            "unless the base image sets a user.",
        )
        return
    name = user.text.strip()
    if name.lower() in ROOT_USERS or name.lower().startswith(("root:", "0:")):
        yield ctx.finding(df.loc(user), f"The last USER of the final stage is `{name}` (root).")
