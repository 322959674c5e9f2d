"""Load policies from the ``prodready.policies`` entry-point group (built-ins use it too).

Importing every policy module costs about 0.15 s, more than a pre-commit run on one file should
take in all. So a scan with a cache directory uses a *registry manifest* (``registry-<key>.json``
in ``.prodready_cache/``): every rule's metadata, and the module and name of its policy, written
by a run that loaded the entry points. While it is true, rules come from it and a check's module
is imported only when the check first runs (:class:`LazyCheck`). It is true while the same
install of prodready runs (the key holds :func:`linter.replay.install_stamp` and the Python
executable), ``sys.path`` is the same and none of its directories changed (installing or
removing a plugin changes them), and no ``.py`` file of a plugin package changed. Otherwise the
entry points are loaded as usual and the manifest written again; a manifest that cannot be read
is ignored with a note.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from linter.errors import RegistryError as RegistryError
from linter.fastdc import dataclass
from linter.model import ArtifactKind, Confidence, Notification, NotificationLevel, Severity
from linter.policy import CheckFn, Policy, PolicyMeta, iter_policies
from linter.suppress import ENGINE_RULES

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

GROUP = "prodready.policies"


@dataclass(frozen=True)
class Registry:
    """The installed rules, by id, and the engine's own rules."""

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


def entry_points(group: str) -> Any:
    from importlib.metadata import entry_points as found  # 40 ms: only when really loading

    return found(group=group)


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
def _eager() -> Registry:
    return build(_load_entry_points())


#: the registry a scan activated from a manifest (:func:`load_cached`); ``load`` gives it too
_ACTIVE: Registry | None = None


def load() -> Registry:
    return _ACTIVE if _ACTIVE is not None else _eager()


# -- the registry manifest ----------------------------------------------------------------------
MANIFEST_FORMAT = 2


@dataclass(frozen=True)
class LazyCheck:
    """A policy's check function, imported when it is first called."""

    lazy_module: str
    attr: str
    rule_id: str

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def resolve(self) -> CheckFn:
        fn = _RESOLVED.get(self.rule_id)
        if fn is None:
            fn = _lookup_check(self.lazy_module, self.attr, self.rule_id)
            if fn is None:  # the code no longer matches the manifest: ask the entry points
                pol = _eager().policies.get(self.rule_id)
                if pol is None:
                    raise RegistryError(
                        f"rule {self.rule_id} is no longer defined by any installed policy "
                        "module; run again"
                    )
                fn = pol.check
            _RESOLVED[self.rule_id] = fn
        return fn


_RESOLVED: dict[str, CheckFn] = {}


def resolve(policies: Iterable[Policy]) -> list[Policy]:
    """The policies with their checks imported (before forking workers, and so that a check's
    module is known to be loaded)."""
    out = []
    for pol in policies:
        if isinstance(pol.check, LazyCheck):
            pol = Policy(pol.meta, pol.check.resolve())
        out.append(pol)
    return out


def _lookup_check(module: str, attr: str, rule_id: str) -> CheckFn | None:
    """The check of the Policy for ``rule_id`` that ``module.attr`` holds, or None."""
    try:
        obj = getattr(importlib.import_module(module), attr)
    except Exception:  # a module that moved or fails to import: a stale manifest
        return None
    return obj.check if isinstance(obj, Policy) and obj.meta.id == rule_id else None


def _policy_attr(pol: Policy) -> tuple[str, str] | None:
    """Where a loaded policy sits: the module of its check and the module-level name holding
    it (policies made by a factory too); None when no module-level name holds it."""
    module_name = str(getattr(pol.check, "__module__", ""))
    module = sys.modules.get(module_name)
    for name, value in vars(module).items() if module is not None else ():
        if isinstance(value, Policy) and value.meta.id == pol.meta.id and value.check is pol.check:
            return module_name, name
    return None


def meta_to_json(m: PolicyMeta) -> dict[str, Any]:
    return {
        "id": m.id,
        "summary": m.summary,
        "description": m.description,
        "kinds": sorted(k.value for k in m.kinds),
        "severity": int(m.severity),
        "confidence": int(m.confidence),
        "fix": m.fix,
        "tags": list(m.tags),
        "cwe": list(m.cwe),
        "section": m.section,
        "scope": m.scope,
        "options_schema": m.options_schema,
        "default_options": m.default_options,
        "default_enabled": m.default_enabled,
        "needs_network": m.needs_network,
        "raw_source": m.raw_source,
        "origin": m.origin,
        "reports_on": sorted(k.value for k in m.reports_on),
    }


def meta_from_json(raw: Mapping[str, Any]) -> PolicyMeta:
    scope = raw["scope"]
    if scope not in ("file", "repo"):
        raise ValueError(f"unknown scope {scope!r}")
    return PolicyMeta(
        id=str(raw["id"]),
        summary=str(raw["summary"]),
        description=str(raw["description"]),
        kinds=frozenset(ArtifactKind(k) for k in raw["kinds"]),
        severity=Severity(raw["severity"]),
        confidence=Confidence(raw["confidence"]),
        fix=str(raw["fix"]),
        tags=tuple(str(t) for t in raw["tags"]),
        cwe=tuple(int(c) for c in raw["cwe"]),
        section=str(raw["section"]),
        scope=scope,
        options_schema=dict(raw["options_schema"]),
        default_options=dict(raw["default_options"]),
        default_enabled=bool(raw["default_enabled"]),
        needs_network=bool(raw["needs_network"]),
        raw_source=bool(raw["raw_source"]),
        origin=str(raw["origin"]),
        reports_on=frozenset(ArtifactKind(k) for k in raw["reports_on"]),
    )


def _stamp(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _manifest_path(cache_dir: str) -> str:
    from linter.replay import install_stamp

    payload = [MANIFEST_FORMAT, install_stamp(), sys.executable, list(sys.version_info[:3])]
    key = hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:24]
    return os.path.join(cache_dir, f"registry-{key}.json")


def _manifest(registry: Registry) -> dict[str, Any] | None:
    """The manifest of an eagerly loaded registry; None when a policy is not held by a
    module-level name, or a rule's metadata does not survive JSON."""
    from linter.replay import code_paths

    rules = []
    plugin_packages: set[str] = set()
    for pol in registry.policies.values():
        where = _policy_attr(pol)
        if where is None:
            return None
        module, attr = where
        meta = meta_to_json(pol.meta)
        if meta_from_json(json.loads(json.dumps(meta))) != pol.meta:
            return None
        rules.append({"module": module, "attr": attr, "meta": meta})
        top = module.split(".")[0]
        if top not in ("linter", "policies"):  # prodready's own code is in the install stamp
            plugin_packages.add(top)
    stamps = [[p, _stamp(p)] for p in [*sys.path, *code_paths(plugin_packages)]]
    return {"format": MANIFEST_FORMAT, "sys_path": list(sys.path), "stamps": stamps, "rules": rules}


def _from_manifest(raw: Any) -> Registry | None:
    """The registry a manifest describes, None when it is no longer true (raises on a
    malformed one)."""
    if not isinstance(raw, dict) or raw.get("format") != MANIFEST_FORMAT:
        raise ValueError("unexpected format")
    if raw["sys_path"] != sys.path:
        return None
    for path, old in raw["stamps"]:
        if _stamp(str(path)) != old:
            return None
    policies: dict[str, Policy] = {}
    for rule in raw["rules"]:
        meta = meta_from_json(rule["meta"])
        policies[meta.id] = Policy(meta, LazyCheck(str(rule["module"]), str(rule["attr"]), meta.id))
    return Registry(dict(sorted(policies.items())), ENGINE_RULES)


def load_cached(cache_dir: str, notes: list[Notification]) -> Registry:
    """The registry from the manifest in ``cache_dir`` while it is true (checks imported on
    first use), else from the entry points (writing the manifest). Later :func:`load` calls
    give the same registry."""
    global _ACTIVE
    from linter.replay import CORRUPT, write_cache_file

    path = _manifest_path(cache_dir)
    registry: Registry | None = None
    try:
        with open(path, encoding="utf-8") as fh:
            raw = json.load(fh)
    except (FileNotFoundError, NotADirectoryError):
        pass
    except (OSError, ValueError, RecursionError) as exc:
        notes.append(_ignored(exc, CORRUPT))
    else:
        try:
            registry = _from_manifest(raw)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            notes.append(_ignored(exc, CORRUPT))
    if registry is None:
        registry = _eager()
        manifest = _manifest(registry)
        if manifest is not None:
            write_cache_file(path, manifest, keep=4)
    _ACTIVE = registry
    return registry


def _ignored(exc: BaseException, code: str) -> Notification:
    return Notification(
        f"registry cache ignored ({type(exc).__name__}: {str(exc)[:120]}); it will be rebuilt",
        level=NotificationLevel.NOTE,
        code=code,
    )
