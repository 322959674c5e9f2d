"""Shared extraction for the Dockerfile, compose and Node policies.

ARG substitution, ENV pairs, the effective PID 1 command of a stage (following ``FROM <stage>``
chains), Node heap flags, memory quantities and secret-like variable names. Pure functions.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping

from linter.fastdc import dataclass
from linter.imageref import parse_image
from linter.lazyre import lazy
from linter.parsers.dockerfile import DockerfileArtifact, Instruction, Stage

_VAR = lazy(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def unquote(value: str) -> str:
    v = value.strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
        return v[1:-1]
    return v


def substitute(text: str, env: Mapping[str, str]) -> str | None:
    """Expand ``$VAR``/``${VAR}``/``${VAR:-x}``/``${VAR:+x}``; None when a variable is unknown."""
    unknown = False

    def repl(m: re.Match[str]) -> str:
        nonlocal unknown
        name = m.group(1) or m.group(4)
        op, word = m.group(2), m.group(3) or ""
        value = env.get(name)
        if op in (":-", "-"):
            if value is None or (op == ":-" and value == ""):
                return word
            return value
        if op in (":+", "+"):
            return word if value else ""
        if value is None:
            unknown = True
            return ""
        return value

    out = _VAR.sub(repl, text)
    return None if unknown else out


def arg_pairs(instr: Instruction) -> list[tuple[str, str | None]]:
    """``ARG A=1 B`` → [("A", "1"), ("B", None)]."""
    out: list[tuple[str, str | None]] = []
    for item in instr.value:
        name, eq, value = item.partition("=")
        out.append((name.strip(), unquote(value) if eq else None))
    return out


def env_pairs(instr: Instruction) -> list[tuple[str, str]]:
    """``ENV A=1 B="x y"`` (parsed by buildkit into name/value pairs) → [("A", "1"), …]."""
    vals = list(instr.value)
    return [(vals[i], unquote(vals[i + 1])) for i in range(0, len(vals) - 1, 2)]


def global_args(df: DockerfileArtifact) -> dict[str, str]:
    """ARG defaults declared before the first FROM (the only ones FROM may use)."""
    env: dict[str, str] = {}
    for instr in df.instructions:
        if instr.stage >= 0:
            break
        if instr.cmd == "ARG":
            for name, value in arg_pairs(instr):
                if value is not None:
                    resolved = substitute(value, env)
                    if resolved is not None:
                        env[name] = resolved
    return env


@dataclass(frozen=True)
class BaseImage:
    """The base image of a build stage, with ARGs substituted."""

    stage: Stage
    written: str  # as in the FROM line
    resolved: str | None  # ARGs substituted (None: an ARG without a default)
    parent: Stage | None  # an earlier stage this one builds on

    @property
    def is_scratch(self) -> bool:
        return (self.resolved or "").lower() == "scratch"


def base_image(df: DockerfileArtifact, stage: Stage) -> BaseImage:
    resolved = substitute(stage.base, global_args(df)) if "$" in stage.base else stage.base
    parent = None
    if resolved is not None:
        for earlier in df.stages[: stage.index]:
            if earlier.alias and earlier.alias.lower() == resolved.lower():
                parent = earlier
    return BaseImage(stage, stage.base, resolved, parent)


def lineage(df: DockerfileArtifact, stage: Stage) -> list[Stage]:
    """The stage and the earlier stages it builds on, oldest first."""
    chain = [stage]
    seen = {stage.index}
    cur = stage
    while True:
        parent = base_image(df, cur).parent
        if parent is None or parent.index in seen:
            break
        chain.append(parent)
        seen.add(parent.index)
        cur = parent
    return list(reversed(chain))


def root_image(df: DockerfileArtifact, stage: Stage) -> str | None:
    """The external image the stage ultimately builds on (ARGs resolved)."""
    return base_image(df, lineage(df, stage)[0]).resolved


def stage_instructions(df: DockerfileArtifact, stage: Stage) -> list[Instruction]:
    """Every instruction in effect for a stage, inherited ones first."""
    out: list[Instruction] = []
    for s in lineage(df, stage):
        out.extend(s.instructions)
    return out


def stage_env(df: DockerfileArtifact, stage: Stage) -> dict[str, tuple[str, Instruction]]:
    """ENV values in effect in a stage (name → (value, instruction))."""
    env: dict[str, tuple[str, Instruction]] = {}
    for instr in stage_instructions(df, stage):
        if instr.cmd == "ENV":
            for name, value in env_pairs(instr):
                env[name] = (value, instr)
    return env


@dataclass(frozen=True)
class Command:
    """What runs as PID 1: the effective ENTRYPOINT and CMD of a stage."""

    entrypoint: Instruction | None
    cmd: Instruction | None

    @property
    def instruction(self) -> Instruction | None:
        """Where a finding about PID 1 points: the ENTRYPOINT, else the CMD."""
        return self.entrypoint or self.cmd

    def argv(self) -> list[str]:
        """PID 1's argv (shell form becomes ``/bin/sh -c …``)."""
        out: list[str] = []
        if self.entrypoint is not None:
            out += as_argv(self.entrypoint)
            if not self.entrypoint.json:
                return out  # shell-form ENTRYPOINT ignores CMD
        if self.cmd is not None:
            out += as_argv(self.cmd)
        return out

    def texts(self) -> list[str]:
        return [i.text for i in (self.entrypoint, self.cmd) if i is not None]


def as_argv(instr: Instruction) -> list[str]:
    if instr.json:
        return list(instr.value)
    return ["/bin/sh", "-c", instr.text]


def effective_command(df: DockerfileArtifact, stage: Stage) -> Command:
    entry: Instruction | None = None
    cmd: Instruction | None = None
    for instr in stage_instructions(df, stage):
        if instr.cmd == "ENTRYPOINT":
            entry, cmd = instr, None  # a new ENTRYPOINT resets an inherited CMD
        elif instr.cmd == "CMD":
            cmd = instr
    return Command(entry, cmd)


def split_shell(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=True)
    except ValueError:
        return text.split()


def basename(word: str) -> str:
    return word.rstrip("/").rsplit("/", 1)[-1]


# -- Node ---------------------------------------------------------------------------------------
HEAP_FLAG = lazy(r"--max[-_]old[-_]space[-_]size[= ](\d+)")
NODE_IMAGE_NAMES = ("node", "nodejs")


def is_node_image(ref: str | None) -> bool:
    if not ref:
        return False
    name = parse_image(ref).name.lower()
    return name in NODE_IMAGE_NAMES or re.match(r"^nodejs\d+", name) is not None


def heap_mib(text: str) -> int | None:
    m = HEAP_FLAG.search(text)
    return int(m.group(1)) if m else None


_QUANTITY = lazy(r"^\s*([0-9]+(?:\.[0-9]+)?)(?:[eE]([0-9]+))?\s*([KMGTPE]i?|[kmgtpe]|)\s*$")
_FACTORS = {
    "": 1,
    "k": 1000,
    "K": 1000,
    "M": 1000**2,
    "G": 1000**3,
    "T": 1000**4,
    "P": 1000**5,
    "E": 1000**6,
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
    "Pi": 1024**5,
    "Ei": 1024**6,
}


def k8s_memory_bytes(value: object) -> float | None:
    """A Kubernetes memory quantity (``512Mi``, ``1G``, ``1e9``, ``268435456``) in bytes."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        return None
    m = _QUANTITY.match(value)
    if m is None or m.group(3) not in _FACTORS:
        return None
    number = float(m.group(1)) * (10 ** int(m.group(2)) if m.group(2) else 1)
    return number * _FACTORS[m.group(3)]


# -- secrets ------------------------------------------------------------------------------------
_SECRET_WORDS = lazy(
    r"(?:^|_)(?:PASSWORD|PASSWD|PASS|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|"
    r"SECRET_?KEY|CLIENT_?SECRET|CREDENTIALS?|AUTH_?KEY|SIGNING_?KEY|ENCRYPTION_?KEY|"
    r"MASTER_?KEY|WEBHOOK_?SECRET)(?:_|$)",
    re.IGNORECASE,
)
_NOT_SECRET_SUFFIX = lazy(
    r"_(?:FILE|PATH|DIR|LENGTH|LEN|TTL|EXPIRY|EXPIRES|EXPIRES_IN|EXPIRATION|TIMEOUT|ENABLED|"
    r"REQUIRED|HEADER|NAME|USER|USERNAME|HOST|PORT|URL_PATH|ID|TYPE|ALGORITHM|ALG|FIELD|PARAM|"
    r"POLICY|MIN|MAX|ROUNDS|COST|HASH_ROUNDS|PREFIX|ISSUER|AUDIENCE|SCOPE|SCOPES|ENDPOINT|URL)$",
    re.IGNORECASE,
)
_PLACEHOLDER = lazy(r"^(?:|true|false|yes|no|null|none|\*+|x+|<[^>]*>)$", re.IGNORECASE)


def is_secret_name(name: str) -> bool:
    n = name.strip().replace("-", "_").replace(".", "_")
    return bool(_SECRET_WORDS.search(n)) and not _NOT_SECRET_SUFFIX.search(n)


def is_literal_secret_value(value: str) -> bool:
    """A literal worth reporting: not empty, not ``${VAR}``, not a path to a mounted secret."""
    v = value.strip()
    if _PLACEHOLDER.match(v) or "$" in v:
        return False
    return not v.startswith(("/run/secrets/", "/var/run/secrets/", "file:"))


def secret_assignments(pairs: Iterable[tuple[str, str | None]]) -> list[tuple[str, str]]:
    return [
        (name, value)
        for name, value in pairs
        if value is not None and is_secret_name(name) and is_literal_secret_value(value)
    ]
