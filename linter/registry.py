"""Load policies from the ``prodready.policies`` entry-point group (built-ins use it too)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points

from linter.errors import RegistryError as RegistryError
from linter.policy import Policy, PolicyMeta, iter_policies
from linter.suppress import ENGINE_RULES

GROUP = "prodready.policies"


@dataclass(frozen=True)
class Registry:
    policies: Mapping[str, Policy]
    engine_rules: Mapping[str, PolicyMeta]

    def meta(self, rule_id: str) -> PolicyMeta | None:
        if rule_id in self.policies:
            return self.policies[rule_id].meta
        return self.engine_rules.get(rule_id)

    def all_metas(self) -> list[PolicyMeta]:
        metas = [p.meta for p in self.policies.values()] + list(self.engine_rules.values())
        return sorted(metas, key=lambda m: m.id)


def _origin(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    name = getattr(dist, "name", None) if dist is not None else None
    return f"{name or 'unknown'}:{ep.name}"


def build(entries: Iterable[tuple[str, object]]) -> Registry:
    """Build from (origin, loaded value) pairs; separated from importlib for testing."""
    found: dict[str, Policy] = {}
    for origin, value in entries:
        try:
            pols = list(iter_policies(value))
        except TypeError as exc:
            raise RegistryError(f"plugin {origin} does not provide policies: {exc}") from None
        for pol in pols:
            pol = Policy(replace(pol.meta, origin=origin), pol.check)
            if pol.meta.id in ENGINE_RULES:
                raise RegistryError(f"plugin {origin} redefines the engine rule {pol.meta.id}")
            if pol.meta.id in found:
                other = found[pol.meta.id].meta.origin
                raise RegistryError(
                    f"duplicate rule id {pol.meta.id!r}: defined by {other} and by {origin}"
                )
            found[pol.meta.id] = pol
    return Registry(dict(sorted(found.items())), ENGINE_RULES)


def _load_entry_points() -> list[tuple[str, object]]:
    loaded: list[tuple[str, object]] = []
    for ep in sorted(entry_points(group=GROUP), key=lambda e: (e.name, e.value)):
        try:
            value = ep.load()
        except Exception as exc:  # a broken plugin must name itself, not crash the CLI
            raise RegistryError(
                f"cannot load policy plugin {_origin(ep)} ({ep.value}): {type(exc).__name__}: {exc}"
            ) from None
        loaded.append((_origin(ep), value))
    return loaded


@lru_cache(maxsize=1)
def load() -> Registry:
    return build(_load_entry_points())
