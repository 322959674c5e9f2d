"""Configuration: ``[tool.prodready]`` in pyproject.toml or ``.prodready.yaml``, validated with a
JSON schema generated from the registered policies' option schemas."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import field
from typing import Any

from linter.errors import ConfigError as ConfigError
from linter.fastdc import dataclass
from linter.model import Severity
from linter.registry import Registry

CONFIG_FILES = (".prodready.yaml", ".prodready.yml", "pyproject.toml")
SEVERITIES = [s.label for s in Severity]
DEFAULT_MAX_FILE_SIZE = 4 * 1024 * 1024


@dataclass(frozen=True)
class Config:
    """The settings of a scan, from the config file and the command line."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    severity: Mapping[str, Severity] = field(default_factory=dict)
    fail_on: Severity = Severity.LOW
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    respect_gitignore: bool = True
    rule_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    source: str | None = None
    #: autofix settings (``fix:``), e.g. the resources skeleton's defaults (linter/fix)
    fix: Mapping[str, Any] = field(default_factory=dict)
    #: network allowed (``online:``/``--online``): deps-vulnerable may query the OSV API
    online: bool = False
    #: offline OSV database (``vuln-db:``/``--vuln-db``): a directory or zip of OSV JSON
    vuln_db: str | None = None


def _selector_list() -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string", "minLength": 1}}


_QUANTITIES = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"cpu": {"type": ["string", "number"]}, "memory": {"type": "string"}},
}
_FIX_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "resources": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"requests": _QUANTITIES, "limits": _QUANTITIES},
        }
    },
}


def schema(registry: Registry) -> dict[str, Any]:
    """The config file's JSON schema; each rule's options come from its PolicyMeta."""
    rules: dict[str, Any] = {}
    for meta in registry.all_metas():
        opts: dict[str, Any] = dict(meta.options_schema) if meta.options_schema else {}
        opts.setdefault("type", "object")
        opts.setdefault("additionalProperties", False)
        opts.setdefault("description", meta.summary)
        rules[meta.id] = opts
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "prodready configuration",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "select": _selector_list(),
            "extend-select": _selector_list(),
            "ignore": _selector_list(),
            "exclude": {"type": "array", "items": {"type": "string"}},
            "extend-exclude": {"type": "array", "items": {"type": "string"}},
            "per-file-ignores": {
                "type": "object",
                "additionalProperties": _selector_list(),
            },
            "severity": {
                "type": "object",
                "propertyNames": {"enum": [m.id for m in registry.all_metas()]},
                "additionalProperties": {"enum": SEVERITIES},
            },
            "fail-on": {"enum": SEVERITIES},
            "max-file-size": {"type": "integer", "minimum": 1},
            "respect-gitignore": {"type": "boolean"},
            "online": {"type": "boolean"},
            "vuln-db": {"type": "string", "minLength": 1},
            "rules": {"type": "object", "properties": rules, "additionalProperties": False},
            "fix": _FIX_SCHEMA,
        },
    }


def find_config_file(root: str) -> str | None:
    """The config file of ``root``: a ``.prodready.yaml``/``.yml`` that is not a regular file
    (a directory, a broken symlink, a device) is an error, not "no config"; so is a
    ``pyproject.toml`` that does not parse and holds a ``[tool.prodready...]`` table (another
    tool's broken pyproject.toml is not prodready's business)."""
    for name in CONFIG_FILES:
        path = os.path.join(root, name)
        if not os.path.isfile(path):
            if name != "pyproject.toml" and os.path.lexists(path):
                raise ConfigError(
                    f"{path}: not a regular file (a directory, a broken symlink or a device)"
                )
            continue
        if name == "pyproject.toml":
            import tomllib  # only when there is a TOML file to read

            try:
                with open(path, "rb") as fh:
                    data = fh.read(MAX_PYPROJECT + 1)
                if len(data) > MAX_PYPROJECT:
                    continue
                table = tomllib.loads(data.decode("utf-8")).get("tool", {})
            except OSError:
                continue
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                if _PRODREADY_TABLE.search(data):
                    raise ConfigError(f"{path}: invalid TOML: {exc}") from None
                continue
            if not isinstance(table, dict) or "prodready" not in table:
                continue
        return path
    return None


#: a pyproject.toml bigger than this is not read for a [tool.prodready] table
MAX_PYPROJECT = 4 * 1024 * 1024
#: a line opening prodready's table in a pyproject.toml, read as bytes
_PRODREADY_TABLE = re.compile(rb"(?m)^\s*\[\s*tool\s*\.\s*prodready\s*[\].]")


def read_raw(path: str) -> dict[str, Any]:
    import tomllib

    try:
        if path.endswith(".toml"):
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
            tool = data.get("tool", {})
            raw = tool.get("prodready", {}) if isinstance(tool, dict) else None
        else:
            from ruamel.yaml import YAML
            from ruamel.yaml.error import YAMLError

            with open(path, encoding="utf-8") as fh:
                try:
                    raw = YAML(typ="safe", pure=True).load(fh)
                except YAMLError as exc:
                    raise ConfigError(f"{path}: invalid YAML: {exc}") from None
            raw = {} if raw is None else raw
            bounded(raw, f"{path}: invalid config")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid config file: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping")
    return raw


#: the most values a config (or checklist) file may hold with its YAML aliases expanded
MAX_CONFIG_NODES = 100_000
#: a validation message quotes the offending value: at most this much of it
MAX_MESSAGE = 300


def bounded(data: Any, what: str) -> None:
    """Refuse a YAML config whose aliases expand it beyond :data:`MAX_CONFIG_NODES` values (an
    alias bomb in a repo's ``.prodready.yaml``: validating it, and quoting it in the message,
    would take the memory and time of the expansion)."""
    from linter.parsers.yaml import expanded_size

    if expanded_size(data, MAX_CONFIG_NODES) > MAX_CONFIG_NODES:
        raise ConfigError(
            f"{what}: more than {MAX_CONFIG_NODES:,} values with its YAML aliases expanded "
            "(an alias bomb?)"
        )


def short_message(message: str) -> str:
    """A validation message cut to :data:`MAX_MESSAGE` characters."""
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + "…"


def validate(raw: Mapping[str, Any], registry: Registry, where: str) -> None:
    import jsonschema  # imported here: a scan without a config file never needs it

    validator = jsonschema.Draft202012Validator(schema(registry))
    errors = sorted(validator.iter_errors(raw), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for err in errors[:10]:
            loc = ".".join(str(p) for p in err.absolute_path) or "(top level)"
            lines.append(f"  {loc}: {short_message(err.message)}")
        raise ConfigError(f"{where}: invalid configuration:\n" + "\n".join(lines))


def from_raw(raw: Mapping[str, Any], registry: Registry, where: str) -> Config:
    if raw:
        validate(raw, registry, where)
    rule_opts: dict[str, dict[str, Any]] = {}
    for meta in registry.all_metas():
        merged = dict(meta.default_options)
        merged.update(raw.get("rules", {}).get(meta.id, {}))
        rule_opts[meta.id] = merged
    select = raw.get("select")
    return Config(
        select=tuple(select) if select is not None else None,
        extend_select=tuple(raw.get("extend-select", ())),
        ignore=tuple(raw.get("ignore", ())),
        exclude=tuple(raw.get("exclude", ())) + tuple(raw.get("extend-exclude", ())),
        per_file_ignores={k: tuple(v) for k, v in raw.get("per-file-ignores", {}).items()},
        severity={k: Severity.parse(v) for k, v in raw.get("severity", {}).items()},
        fail_on=Severity.parse(raw.get("fail-on", "low")),
        max_file_size=int(raw.get("max-file-size", DEFAULT_MAX_FILE_SIZE)),
        respect_gitignore=bool(raw.get("respect-gitignore", True)),
        rule_options=rule_opts,
        source=where,
        fix=dict(raw.get("fix", {})),
        online=bool(raw.get("online", False)),
        vuln_db=os.path.join(os.path.dirname(where), raw["vuln-db"]) if "vuln-db" in raw else None,
    )


def load(root: str, registry: Registry, explicit: str | None = None) -> Config:
    path = explicit or find_config_file(root)
    if explicit and not os.path.isfile(explicit):
        raise ConfigError(f"{explicit}: config file not found")
    if path is None:
        return from_raw({}, registry, "(defaults)")
    return from_raw(read_raw(path), registry, path)


def match_selector(selector: str, rule_id: str) -> bool:
    if selector.upper() == "ALL":
        return True
    sel = selector.rstrip("-")
    return rule_id == sel or rule_id.startswith(sel + "-")


def expand(selectors: Iterable[str], ids: Iterable[str], what: str) -> set[str]:
    ids = list(ids)
    out: set[str] = set()
    for sel in selectors:
        matched = {i for i in ids if match_selector(sel, i)}
        if not matched:
            raise ConfigError(f"{what}: {sel!r} matches no rule (see `prodready rules`)")
        out |= matched
    return out


def enabled_rules(
    registry: Registry,
    config: Config,
    cli_select: Iterable[str] = (),
    cli_ignore: Iterable[str] = (),
    cli_extend_select: Iterable[str] = (),
) -> set[str]:
    metas = registry.all_metas()
    ids = [m.id for m in metas]
    cli_select = list(cli_select)
    if cli_select:
        chosen = expand(cli_select, ids, "--select")
    elif config.select is not None:
        chosen = expand(config.select, ids, "select")
    else:
        chosen = {m.id for m in metas if m.default_enabled}
    chosen |= expand(config.extend_select, ids, "extend-select")
    chosen |= expand(cli_extend_select, ids, "--extend-select")
    chosen -= expand(config.ignore, ids, "ignore")
    chosen -= expand(cli_ignore, ids, "--ignore")
    return chosen
