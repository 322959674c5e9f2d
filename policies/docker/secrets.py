"""Secrets baked into an image at build time."""

from __future__ import annotations

import re
from collections.abc import Iterator

from linter.classify import env_kind
from linter.lazyre import lazy
from linter.model import ArtifactKind, Finding, Severity
from linter.parsers.dockerfile import DockerfileArtifact, Instruction
from linter.policy import CheckContext, policy
from policies.docker.common import arg_pairs, basename, env_pairs, secret_assignments

_KEY_FILE = lazy(
    r"^(?:id_(?:rsa|dsa|ecdsa|ed25519)|\.npmrc|\.pypirc|\.netrc|\.git-credentials|"
    r"credentials(?:\.json)?|service[-_]?account.*\.json|.*\.(?:pem|key|p12|pfx|jks|keystore|kdbx))$",
    re.IGNORECASE,
)
_PUBLIC = lazy(
    r"(?:\.pub|(?:^|[-_.])(?:cert|crt|ca|chain|fullchain|public|pubkey)\.pem)$", re.IGNORECASE
)


def _copied_secret(instr: Instruction) -> str | None:
    if instr.cmd not in ("COPY", "ADD") or instr.heredocs:
        return None
    if any(f.startswith("--from") for f in instr.flags):
        return None
    srcs = [s for s in instr.value[:-1] if s and not s.startswith("<<")]
    for src in srcs:
        name = basename(src)
        if src.rstrip("/").endswith("/.ssh") or name == ".ssh":
            return src
        if env_kind(name) == ArtifactKind.ENV_FILE:
            return src
        if _KEY_FILE.match(name) and not _PUBLIC.search(name):
            return src
    return None


@policy(
    id="docker-secret-in-build",
    kinds={ArtifactKind.DOCKERFILE},
    severity=Severity.HIGH,
    summary="A secret is baked into the image (ENV/ARG literal, or a copied .env/key file)",
    fix="Pass build secrets with `RUN --mount=type=secret,id=…` and runtime secrets from the "
    "orchestrator (Kubernetes Secret, compose `secrets:`); never COPY `.env` or key files.",
    tags=("security", "secrets"),
    cwe=(798, 538),
    section="Security",
)
def secret_in_build(ctx: CheckContext, df: DockerfileArtifact) -> Iterator[Finding]:
    """## What it does
    Reports, in every stage, `ENV` and `ARG` instructions that give a secret-like name
    (`*_PASSWORD`, `*_TOKEN`, `*_SECRET`, `API_KEY`, …) a literal value (`${VAR}` references and
    empty values pass), and `COPY`/`ADD` of a real `.env` file (templates such as
    `.env.example` pass), private keys (`*.pem`, `*.key`, `id_rsa`), `.npmrc`/`.netrc`/`.pypirc`,
    cloud credential files or a `.ssh` directory. Values are never printed.

    ## Why is this bad
    Every `ENV` and `ARG` value and every copied file is stored in the image layers and
    metadata: anyone who can pull the image (a registry, a CI cache, a laptop) can read it with
    `docker history` or by unpacking a layer, long after the secret was "removed" in a later
    layer.

    ## Example
    ```dockerfile
    ENV STRIPE_SECRET_KEY=sk_live_123         # fails
    ARG NPM_TOKEN=abc123                      # fails
    COPY .env /app/.env                       # fails
    ENV DATABASE_PASSWORD=${DATABASE_PASSWORD}  # passes: supplied at run time
    RUN --mount=type=secret,id=npm_token npm ci # passes
    ```
    """
    for instr in df.instructions:
        if instr.cmd in ("ENV", "ARG"):
            pairs = env_pairs(instr) if instr.cmd == "ENV" else arg_pairs(instr)
            for name, value in secret_assignments(pairs):
                yield ctx.finding(
                    df.loc(instr),
                    f"{instr.cmd} `{name}` has a literal value, which is stored in the image "
                    "metadata for anyone who can pull it.",
                    redact=(value,),
                )
        else:
            src = _copied_secret(instr)
            if src is not None:
                yield ctx.finding(
                    df.loc(instr),
                    f"{instr.cmd} copies `{src}` into the image, where every layer keeps it.",
                )
