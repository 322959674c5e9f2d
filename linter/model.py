"""The data model shared by the engine, the policies and the reporters."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import field
from typing import Any

from linter.fastdc import dataclass


class Severity(enum.IntEnum):
    """How bad a finding is, from info to critical."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (choose from {choices})") from None


class Confidence(enum.IntEnum):
    """How sure a rule is that its finding is a real problem."""

    LOW = 0
    MEDIUM = 1
    HIGH = 2

    @property
    def label(self) -> str:
        return self.name.lower()


class ArtifactKind(enum.StrEnum):
    """What a file is, decided by name and (for YAML/JSON) by content."""

    K8S = "kubernetes"
    DOCKERFILE = "dockerfile"
    DOCKERIGNORE = "dockerignore"
    COMPOSE = "compose"
    GHA_WORKFLOW = "github-workflow"
    GHA_ACTION = "github-action"
    GITLAB_CI = "gitlab-ci"
    ENV_TEMPLATE = "env-template"
    ENV_FILE = "env-file"
    PYTHON = "python"
    JAVASCRIPT = "javascript"
    TYPESCRIPT = "typescript"
    GO = "go"
    REQUIREMENTS = "requirements"
    PYPROJECT = "pyproject"
    PACKAGE_JSON = "package-json"
    GO_MOD = "go-mod"
    PROMETHEUS_RULE = "prometheus-rule"
    HELM_CHART = "helm-chart"
    HELM_TEMPLATE = "helm-template"
    KUSTOMIZATION = "kustomization"
    SHELL = "shell"
    YAML = "yaml"
    JSON = "json"
    TEXT = "text"


#: every kind: a policy that reads all text files (the secret scanner) declares this
ALL_KINDS: frozenset[ArtifactKind] = frozenset(ArtifactKind)
#: the kinds whose files can read environment variables (linter/envreads.py)
ENV_READ_KINDS: frozenset[ArtifactKind] = frozenset(
    {
        ArtifactKind.PYTHON,
        ArtifactKind.JAVASCRIPT,
        ArtifactKind.TYPESCRIPT,
        ArtifactKind.GO,
        ArtifactKind.COMPOSE,
    }
)
#: the kinds that render to Kubernetes manifests (a Helm chart and its templates, a kustomization)
RENDERS_K8S: frozenset[ArtifactKind] = frozenset(
    {ArtifactKind.HELM_CHART, ArtifactKind.HELM_TEMPLATE, ArtifactKind.KUSTOMIZATION}
)


@dataclass(frozen=True, slots=True)
class Location:
    """A span in a file. Lines and columns are 1-based; ``end_col`` is exclusive."""

    path: str
    start_line: int
    start_col: int = 1
    end_line: int = 0
    end_col: int = 0
    logical_path: str = ""

    def __post_init__(self) -> None:
        if self.start_line < 1 or self.start_col < 1:
            raise ValueError(f"invalid location {self.path}:{self.start_line}:{self.start_col}")
        if self.end_line < self.start_line:
            object.__setattr__(self, "end_line", self.start_line)
        if self.end_line == self.start_line and self.end_col <= self.start_col:
            object.__setattr__(self, "end_col", self.start_col + 1)

    def with_logical(self, logical_path: str) -> Location:
        return Location(
            self.path, self.start_line, self.start_col, self.end_line, self.end_col, logical_path
        )


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a finding is suppressed: an inline comment or annotation, the config or a baseline."""

    kind: str  # "inSource" (comment / annotation) or "external" (config, baseline)
    justification: str
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem a rule found, at a location, with the values its output must redact."""

    rule_id: str
    message: str
    severity: Severity
    confidence: Confidence
    location: Location
    related: tuple[Location, ...] = ()
    #: literal values that must never appear in any output (secrets); reporters redact them
    redact: tuple[str, ...] = ()
    properties: Mapping[str, Any] = field(default_factory=dict)
    suppression: Suppression | None = None

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.location
        return (loc.path, loc.start_line, loc.start_col, self.rule_id, self.message)


class NotificationLevel(enum.StrEnum):
    """How serious a notification is."""

    NOTE = "note"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Notification:
    """Something the tool could not do: a skipped file, a parse error, a missing renderer."""

    message: str
    level: NotificationLevel = NotificationLevel.WARNING
    path: str | None = None
    line: int | None = None
    column: int | None = None
    code: str = "prodready-notice"

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path or "", self.line or 0, self.column or 0, self.message)


def note_to_json(n: Notification) -> list[Any]:
    """A notification as a JSON list (the caches store them so)."""
    return [n.message, n.level.value, n.path, n.line, n.column, n.code]


def note_from_json(raw: Any) -> Notification:
    message, level, path, line, column, code = raw
    return Notification(
        str(message),
        NotificationLevel(level),
        None if path is None else str(path),
        None if line is None else int(line),
        None if column is None else int(column),
        str(code),
    )
