"""Kubernetes object validation against the JSON schemas bundled with kubernetes-validate.

Only what a scan needs is loaded: the ``_definitions.json`` of the target version (once) and
the schema of each (kind, apiVersion) met; compiled validators are cached for the process.
Objects are checked with ``schema_subset`` first; jsonschema (and its ~80 ms import) is used
only to explain the objects that check rejects or cannot decide.
Custom resources and unknown kinds have no schema and are skipped (``None``).
"""

from __future__ import annotations

import datetime
import difflib
import importlib.util
import json
import re
from collections import OrderedDict
from collections.abc import Iterator
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linter.fastdc import dataclass
from linter.lazyre import lazy
from linter.schema_subset import Check, Compiler, Resource, Unsupported

if TYPE_CHECKING:  # jsonschema/referencing cost ~80 ms to import: only when a manifest is validated
    from referencing import Registry

SCHEMA_DIR = "kubernetes-json-schema"
_VERSION_DIR = lazy(r"^v(\d+)\.(\d+)\.\d+-local-strict$")
DEFAULT_VERSION = "1.30"


def _schema_root() -> Any:
    """The bundled schema directory, found without importing kubernetes_validate (whose
    import costs ~60 ms and gives nothing the files do not)."""
    spec = importlib.util.find_spec("kubernetes_validate")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise ModuleNotFoundError("kubernetes_validate")
    return Path(locations[0]) / SCHEMA_DIR


@lru_cache(maxsize=1)
def bundled_versions() -> tuple[tuple[int, int, str], ...]:
    """(major, minor, directory name) of every bundled strict schema set, oldest first."""
    try:
        root = _schema_root()
        names = [p.name for p in root.iterdir()]
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return ()
    out = []
    for name in names:
        m = _VERSION_DIR.match(name)
        if m:
            out.append((int(m.group(1)), int(m.group(2)), name))
    return tuple(sorted(out))


def parse_version(text: str) -> tuple[int, int] | None:
    m = re.match(r"^v?(\d+)\.(\d+)", str(text).strip())
    return (int(m.group(1)), int(m.group(2))) if m else None


def schema_dir_for(version: str) -> str | None:
    """The newest bundled schema set not newer than ``version`` (oldest one if all are)."""
    want = parse_version(version)
    avail = bundled_versions()
    if want is None or not avail:
        return None
    older = [d for (ma, mi, d) in avail if (ma, mi) <= want]
    return older[-1] if older else avail[0][2]


def _is_core_group(api_version: str) -> bool:
    if "/" not in api_version:
        return True
    group = api_version.split("/", 1)[0]
    return "." not in group or group.endswith(".k8s.io")


def schema_file(kind: str, api_version: str) -> str:
    """``deployment-apps-v1.json`` for (Deployment, apps/v1), as kubernetes-validate names them."""
    api = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    return f"{kind.lower()}-{api}.json"


@lru_cache(maxsize=4)
def _definitions(schema_dir: str) -> dict[str, Any]:
    path = _schema_root().joinpath(schema_dir).joinpath("_definitions.json")
    defs: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return defs


@lru_cache(maxsize=4)
def _registry(schema_dir: str) -> Registry[Any]:
    from referencing import Registry, Resource

    defs = _definitions(schema_dir)
    registry: Registry[Any] = Registry().with_resource(defs["$id"], Resource.from_contents(defs))
    return registry


class KindSchema:
    """The schema of one (kind, apiVersion): a fast exact yes/no check (``schema_subset``),
    and jsonschema, imported and compiled only to explain an object the check rejects."""

    def __init__(self, schema_dir: str, schema: dict[str, Any]) -> None:
        self.schema_dir = schema_dir
        self.schema = schema

    @cached_property
    def _check(self) -> Check | None:
        try:
            defs = Resource(_definitions(self.schema_dir))
            kind = Resource(self.schema)
            return Compiler(defs, kind).compile(kind)
        except Unsupported:
            return None

    def is_valid_fast(self, data: Any) -> bool | None:
        """True or False as jsonschema would answer; None when the subset cannot decide."""
        check = self._check
        if check is None:
            return None
        try:
            return check(data)
        except (Unsupported, RecursionError):
            return None

    @cached_property
    def validator(self) -> Any:
        import jsonschema
        from referencing import Resource as RefResource

        registry = _registry(self.schema_dir)
        if "$id" in self.schema:
            registry = registry.with_resource(
                self.schema["$id"], RefResource.from_contents(self.schema)
            )
        return jsonschema.Draft202012Validator(self.schema, registry=registry)

    def problems(self, data: Any, limit: int = 20) -> Iterator[SchemaProblem]:
        if self.is_valid_fast(data) is True:
            return iter(())
        return problems(self.validator, data, limit)


@lru_cache(maxsize=512)
def validator_for(schema_dir: str, kind: str, api_version: str) -> KindSchema | None:
    """The schema of (kind, apiVersion), or None when there is none for it."""
    if not kind or not _is_core_group(api_version) or not re.fullmatch(r"[\w.\-/]+", api_version):
        return None
    if not re.fullmatch(r"\w+", kind):
        return None
    path = _schema_root().joinpath(schema_dir).joinpath(schema_file(kind, api_version))
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return None
    return KindSchema(schema_dir, json.loads(text))


def _plain_key(key: Any) -> str:
    if hasattr(key, "keys"):  # `{{ x }}` read as a flow mapping used as a key (CommentedKeyMap)
        return "{" + ",".join(str(k) for k in key) + "}"
    return str(key)


def to_plain(value: Any) -> Any:
    """ruamel nodes → plain JSON values (dates as the strings Kubernetes would receive). A
    ruamel mapping's pairs and a sequence's items are read as its ``OrderedDict``/``list`` base
    holds them, which is what its own (pure Python) iteration gives, at a fraction of the cost:
    its merged keys are in that storage too (only ``__getitem__`` looks beyond it, for a key the
    storage lacks)."""
    t = type(value)
    if t is str:
        return value
    if isinstance(value, dict):
        pairs = OrderedDict.items(value) if isinstance(value, OrderedDict) else value.items()
        return {_plain_key(k): to_plain(v) for k, v in pairs}
    if isinstance(value, list):
        return [to_plain(v) for v in list.__iter__(value)]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class SchemaProblem:
    """A place where an object does not match its Kubernetes schema."""

    path: tuple[str | int, ...]  # where in the object (the parent for unknown fields)
    key: str | int | None  # the offending key / index (None: the object itself)
    message: str
    at_key: bool  # point at the key (unknown field, missing field) rather than its value
    kind: str = "other"  # "unknown-field", "required", "type" or "other"


def templated(value: Any) -> bool:
    """A placeholder for envsubst / Helm / Jinja (``${X}``, ``{{ x }}`` → a flow mapping)."""
    if isinstance(value, str):
        return "${" in value or "{{" in value or "$(" in value
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        return str(key).startswith("{") or key in (None, "None")
    return False


#: strategic-merge-patch directives: legal in kustomize patches, unknown to the schema
PATCH_DIRECTIVES = frozenset(
    {"$patch", "$setElementOrder", "$retainKeys", "$deleteFromPrimitiveList"}
)


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


def _expected(schema: Any) -> str:
    t = schema.get("type") if isinstance(schema, dict) else None
    if isinstance(t, list):
        t = [x for x in t if x != "null"]
        return " or ".join(str(x) for x in t) or "null"
    return str(t)


def problems(validator: Any, data: Any, limit: int = 20) -> Iterator[SchemaProblem]:
    """Schema problems of one object, each anchored at a key; values are never quoted."""
    seen: set[tuple[tuple[str | int, ...], str | int | None]] = set()
    count = 0
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    for err in errors:
        path = tuple(err.absolute_path)
        found: list[SchemaProblem] = []
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            props = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
            for key in err.instance:
                if key in props or str(key).split("/", 1)[0] in PATCH_DIRECTIVES:
                    continue
                lower = {p.lower(): p for p in props}
                hint = lower.get(str(key).lower())
                if hint is None:
                    close = difflib.get_close_matches(str(key), list(props), n=1, cutoff=0.75)
                    hint = close[0] if close else None
                where = _dotted(path)
                msg = f"Unknown field `{key}` in `{where}`"
                msg += f" (did you mean `{hint}`?)." if hint else "."
                found.append(SchemaProblem(path, key, msg, True, "unknown-field"))
        elif err.validator == "required":
            missing = re.findall(r"'([^']+)' is a required property", err.message)
            what = f"`{missing[0]}`" if missing else "a required field"
            found.append(
                SchemaProblem(
                    path[:-1],
                    path[-1] if path else None,
                    f"`{_dotted(path)}` misses {what}.",
                    True,
                    "required",
                )
            )
        else:
            if templated(err.instance):
                continue
            where = _dotted(path)
            if err.validator == "type":
                msg = f"`{where}` must be {_expected(err.schema)}, not {_type_name(err.instance)}."
            elif err.validator == "enum":
                allowed = err.validator_value if isinstance(err.validator_value, list) else []
                shown = ", ".join(str(a) for a in allowed[:8] if a is not None)
                msg = f"`{where}` must be one of: {shown}."
            elif err.validator in ("oneOf", "anyOf"):
                msg = f"`{where}` has an invalid type ({_type_name(err.instance)})."
            else:
                msg = f"`{where}` fails the schema's `{err.validator}` rule."
            found.append(
                SchemaProblem(path[:-1], path[-1] if path else None, msg, False, str(err.validator))
            )
        for prob in found:
            ident = (prob.path, prob.key)
            if ident in seen:
                continue
            seen.add(ident)
            yield prob
            count += 1
            if count >= limit:
                return


#: apiVersion/kind pairs removed from Kubernetes: (apiVersion, kind) → (removed in, use instead)
REMOVED_APIS: dict[tuple[str, str], tuple[tuple[int, int], str]] = {}


def _removed(api: str, kinds: str, removed: tuple[int, int], use: str) -> None:
    for kind in kinds.split():
        REMOVED_APIS[(api, kind)] = (removed, use)


_removed("extensions/v1beta1", "Deployment DaemonSet ReplicaSet", (1, 16), "apps/v1")
_removed("extensions/v1beta1", "NetworkPolicy", (1, 16), "networking.k8s.io/v1")
_removed(
    "extensions/v1beta1", "PodSecurityPolicy", (1, 16), "(removed; use Pod Security Admission)"
)
_removed("extensions/v1beta1", "Ingress", (1, 22), "networking.k8s.io/v1")
_removed("apps/v1beta1", "Deployment StatefulSet ReplicaSet DaemonSet", (1, 16), "apps/v1")
_removed("apps/v1beta2", "Deployment StatefulSet ReplicaSet DaemonSet", (1, 16), "apps/v1")
_removed("networking.k8s.io/v1beta1", "Ingress IngressClass", (1, 22), "networking.k8s.io/v1")
_removed(
    "rbac.authorization.k8s.io/v1beta1",
    "ClusterRole ClusterRoleBinding Role RoleBinding",
    (1, 22),
    "rbac.authorization.k8s.io/v1",
)
_removed(
    "apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", (1, 22), "apiextensions.k8s.io/v1"
)
_removed(
    "admissionregistration.k8s.io/v1beta1",
    "MutatingWebhookConfiguration ValidatingWebhookConfiguration",
    (1, 22),
    "admissionregistration.k8s.io/v1",
)
_removed("apiregistration.k8s.io/v1beta1", "APIService", (1, 22), "apiregistration.k8s.io/v1")
_removed(
    "certificates.k8s.io/v1beta1", "CertificateSigningRequest", (1, 22), "certificates.k8s.io/v1"
)
_removed("coordination.k8s.io/v1beta1", "Lease", (1, 22), "coordination.k8s.io/v1")
_removed(
    "storage.k8s.io/v1beta1",
    "CSIDriver CSINode StorageClass VolumeAttachment",
    (1, 22),
    "storage.k8s.io/v1",
)
_removed("scheduling.k8s.io/v1beta1", "PriorityClass", (1, 22), "scheduling.k8s.io/v1")
_removed("batch/v1beta1", "CronJob", (1, 25), "batch/v1")
_removed("batch/v2alpha1", "CronJob", (1, 21), "batch/v1")
_removed("discovery.k8s.io/v1beta1", "EndpointSlice", (1, 25), "discovery.k8s.io/v1")
_removed("events.k8s.io/v1beta1", "Event", (1, 25), "events.k8s.io/v1")
_removed("policy/v1beta1", "PodDisruptionBudget", (1, 25), "policy/v1")
_removed("policy/v1beta1", "PodSecurityPolicy", (1, 25), "(removed; use Pod Security Admission)")
_removed("node.k8s.io/v1beta1", "RuntimeClass", (1, 25), "node.k8s.io/v1")
_removed("autoscaling/v2beta1", "HorizontalPodAutoscaler", (1, 25), "autoscaling/v2")
_removed("autoscaling/v2beta2", "HorizontalPodAutoscaler", (1, 26), "autoscaling/v2")
_removed(
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "FlowSchema PriorityLevelConfiguration",
    (1, 26),
    "flowcontrol.apiserver.k8s.io/v1",
)
_removed(
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "FlowSchema PriorityLevelConfiguration",
    (1, 29),
    "flowcontrol.apiserver.k8s.io/v1",
)
_removed(
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "FlowSchema PriorityLevelConfiguration",
    (1, 32),
    "flowcontrol.apiserver.k8s.io/v1",
)
_removed("storage.k8s.io/v1beta1", "CSIStorageCapacity", (1, 27), "storage.k8s.io/v1")


def removed_api(api_version: str, kind: str, target: tuple[int, int]) -> tuple[str, str] | None:
    """("1.22", replacement) when ``apiVersion`` of ``kind`` no longer exists in ``target``."""
    entry = REMOVED_APIS.get((api_version, kind))
    if entry is None or target < entry[0]:
        return None
    return f"{entry[0][0]}.{entry[0][1]}", entry[1]
