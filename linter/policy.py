"""How a policy is declared: metadata + one pure check function.

A policy module looks like this::

    @policy(
        id="k8s-missing-liveness-probe",
        kinds={ArtifactKind.K8S},
        severity=Severity.MEDIUM,
        summary="Container has no liveness probe",
        fix="Add a livenessProbe that checks the process is alive (e.g. httpGet /healthz).",
        tags=("reliability",),
        section="Infrastructure",
    )
    def missing_liveness(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
        '''## What it does ... ## Why is this bad ... ## Example ... '''
        ...
        yield ctx.finding(loc, "Container `web` has no liveness probe")

``scope="file"`` policies are called once per artifact of their kinds (parsed);
``scope="repo"`` policies are called once with the :class:`RepoIndex`.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import field
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from linter.fastdc import dataclass
from linter.lazyre import lazy
from linter.model import ArtifactKind, Confidence, Finding, Location, Severity

if TYPE_CHECKING:
    from linter.index import RepoIndex

ID_RE = lazy(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")
DOCS_BASE = "https://github.com/prodready/prodready/blob/main/docs/policies/"

Scope = Literal["file", "repo"]


@dataclass(frozen=True)
class PolicyMeta:
    """A rule's metadata, the one source of its docs, ``explain``, SARIF rule and config options."""

    id: str
    summary: str
    description: str
    kinds: frozenset[ArtifactKind]
    severity: Severity
    confidence: Confidence = Confidence.HIGH
    fix: str = ""
    tags: tuple[str, ...] = ()
    cwe: tuple[int, ...] = ()
    section: str = ""
    scope: Scope = "file"
    options_schema: Mapping[str, Any] = field(default_factory=dict)
    default_options: Mapping[str, Any] = field(default_factory=dict)
    default_enabled: bool = True
    needs_network: bool = False
    #: the check gets the SourceFile (text) instead of the parsed artifact: no parse is done
    raw_source: bool = False
    origin: str = "prodready"
    #: the kinds of the files its findings sit on, when narrower than ``kinds`` (a repo rule
    #: that reads Dockerfiles to find a service's entry point but reports on the code); empty:
    #: any of ``kinds``. A run on named files skips a rule that cannot report on any of them.
    reports_on: frozenset[ArtifactKind] = frozenset()

    @property
    def report_kinds(self) -> frozenset[ArtifactKind]:
        return self.reports_on or self.kinds

    @property
    def name(self) -> str:
        """CamelCase name, as SARIF's reportingDescriptor.name wants it."""
        return "".join(part.capitalize() for part in self.id.split("-"))

    @property
    def is_security(self) -> bool:
        return "security" in self.tags

    @property
    def help_uri(self) -> str:
        return f"{DOCS_BASE}{self.id}.md"

    @property
    def artifact_label(self) -> str:
        if len(self.kinds) > 6:
            return "any"
        return ",".join(sorted(k.value for k in self.kinds))


CheckFn = Callable[..., Iterable[Finding]]


@dataclass(frozen=True)
class Policy:
    """A rule: its metadata and its check function."""

    meta: PolicyMeta
    check: CheckFn


@dataclass(frozen=True)
class CheckContext:
    """What a policy gets besides its artifact: its metadata, its options and the repo index."""

    meta: PolicyMeta
    options: Mapping[str, Any]
    index: RepoIndex

    def finding(
        self,
        location: Location,
        message: str,
        *,
        severity: Severity | None = None,
        confidence: Confidence | None = None,
        related: Iterable[Location] = (),
        redact: Iterable[str] = (),
        properties: Mapping[str, Any] | None = None,
    ) -> Finding:
        return Finding(
            rule_id=self.meta.id,
            message=message,
            severity=self.meta.severity if severity is None else severity,
            confidence=self.meta.confidence if confidence is None else confidence,
            location=location,
            related=tuple(related),
            redact=tuple(v for v in redact if v),
            properties=dict(properties or {}),
        )


def policy(
    *,
    id: str,
    kinds: Iterable[ArtifactKind],
    severity: Severity,
    summary: str,
    fix: str = "",
    confidence: Confidence = Confidence.HIGH,
    tags: Iterable[str] = (),
    cwe: Iterable[int] = (),
    section: str = "",
    scope: Scope = "file",
    options: Mapping[str, Any] | None = None,
    defaults: Mapping[str, Any] | None = None,
    default_enabled: bool = True,
    needs_network: bool = False,
    raw_source: bool = False,
    reports_on: Iterable[ArtifactKind] = (),
) -> Callable[[CheckFn], Policy]:
    """Declare a policy. The function's docstring becomes its documentation."""

    if not ID_RE.match(id):
        raise ValueError(f"policy id {id!r} is not a lowercase slug")
    kind_set = frozenset(kinds)
    reported = frozenset(reports_on)
    if not reported <= kind_set:
        raise ValueError(f"policy {id}: reports_on must be a subset of kinds")

    def wrap(fn: CheckFn) -> Policy:
        doc = inspect.cleandoc(fn.__doc__ or "").strip()
        if not doc:
            raise ValueError(f"policy {id} needs a docstring (it becomes the rule's documentation)")
        meta = PolicyMeta(
            id=id,
            summary=summary,
            description=doc,
            kinds=kind_set,
            severity=severity,
            confidence=confidence,
            fix=fix,
            tags=tuple(tags),
            cwe=tuple(cwe),
            section=section,
            scope=scope,
            options_schema=dict(options or {}),
            default_options=dict(defaults or {}),
            default_enabled=default_enabled,
            needs_network=needs_network,
            raw_source=raw_source,
            reports_on=reported,
        )
        return Policy(meta=meta, check=fn)

    return wrap


def collect(*modules: ModuleType) -> list[Policy]:
    """All :class:`Policy` objects defined at module level, in definition order."""
    found: list[Policy] = []
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, Policy) and value not in found:
                found.append(value)
    return found


def collect_submodules(package: str, names: Iterable[str]) -> list[Policy]:
    """:func:`collect` over the submodules ``names`` of ``package``, importing them."""
    import importlib

    return collect(*(importlib.import_module(f"{package}.{name}") for name in names))


def lazy_policies(package: str, modules: Sequence[str]) -> Callable[[str], list[Policy]]:
    """A package's module ``__getattr__`` (PEP 562) giving ``POLICIES``: the policies of its
    submodules ``modules``, imported on first use (so importing one submodule, as a lazily
    loaded check does, does not import its siblings)."""

    def __getattr__(name: str) -> list[Policy]:
        if name != "POLICIES":
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = collect_submodules(package, modules)
        vars(sys.modules[package])["POLICIES"] = value  # later lookups skip __getattr__
        return value

    return __getattr__


def policy_module(pol: Policy) -> str:
    """The module that defines a policy's check (a lazy check knows it without importing it)."""
    module = getattr(pol.check, "lazy_module", None)
    return module if isinstance(module, str) else str(pol.check.__module__)


def iter_policies(value: object) -> Iterator[Policy]:
    """Accept what an entry point gives: a Policy, or a list/tuple of them."""
    if isinstance(value, Policy):
        yield value
        return
    if isinstance(value, list | tuple):
        for item in value:
            if not isinstance(item, Policy):
                raise TypeError(f"expected a Policy, got {type(item).__name__}")
            yield item
        return
    raise TypeError(f"expected a Policy or a list of them, got {type(value).__name__}")
