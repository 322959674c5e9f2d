"""Dockerfiles through buildkit's own parser (the ``dockerfile`` package)."""

from __future__ import annotations

from linter.fastdc import dataclass
from linter.model import Location, Notification, NotificationLevel
from linter.parsers.yaml import ParseError
from linter.source import SourceFile


@dataclass(frozen=True)
class Instruction:
    """A Dockerfile instruction with its arguments and the lines it spans."""

    cmd: str  # upper-case instruction name
    value: tuple[str, ...]
    original: str
    json: bool  # exec form (JSON array)
    flags: tuple[str, ...]
    start_line: int
    end_line: int
    heredocs: tuple[str, ...]
    stage: int  # index of the stage it belongs to (-1 before the first FROM)

    @property
    def text(self) -> str:
        """The arguments as one string (shell form) or joined exec form."""
        return " ".join(self.value)


@dataclass(frozen=True)
class Stage:
    """A build stage: its FROM and the instructions up to the next one."""

    index: int
    base: str  # image reference as written (ARGs not substituted)
    alias: str
    from_instr: Instruction
    instructions: tuple[Instruction, ...]


@dataclass(frozen=True)
class DockerfileArtifact:
    """A parsed Dockerfile: its instructions and its stages."""

    source: SourceFile
    instructions: tuple[Instruction, ...]
    stages: tuple[Stage, ...]

    @property
    def final_stage(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def loc(self, instr: Instruction, logical: str = "") -> Location:
        """Location of an instruction: its first line, from its first non-blank column."""
        text = self.source.line(instr.start_line)
        col = len(text) - len(text.lstrip()) + 1
        end = max(col + 1, len(text.rstrip()) + 1)
        return Location(self.source.path, instr.start_line, col, instr.start_line, end, logical)


def parse_dockerfile(src: SourceFile) -> DockerfileArtifact:
    # imported here: the Go runtime inside must not start before worker processes fork
    import dockerfile as _df

    try:
        cmds = _df.parse_string(src.text)
    except _df.GoParseError as exc:
        raise ParseError(
            Notification(
                f"Dockerfile does not parse: {exc}; file skipped",
                level=NotificationLevel.ERROR,
                path=src.path,
                code="prodready-parse-error",
            )
        ) from None
    instrs: list[Instruction] = []
    stage = -1
    for c in cmds:
        if c.cmd is None:  # a lone trailing `\` continuation: nothing to parse
            continue
        cmd = c.cmd.upper()
        if cmd == "FROM":
            stage += 1
        instrs.append(
            Instruction(
                cmd=cmd,
                value=tuple(c.value),
                original=c.original,
                json=bool(c.json),
                flags=tuple(c.flags),
                start_line=int(c.start_line),
                end_line=int(c.end_line),
                heredocs=tuple(h.content for h in c.heredocs),
                stage=stage,
            )
        )
    stages: list[Stage] = []
    for i in range(stage + 1):
        members = tuple(x for x in instrs if x.stage == i)
        frm = members[0]
        base = frm.value[0] if frm.value else ""
        alias = ""
        if len(frm.value) >= 3 and frm.value[1].upper() == "AS":
            alias = frm.value[2]
        stages.append(Stage(i, base, alias, frm, members))
    return DockerfileArtifact(src, tuple(instrs), tuple(stages))
