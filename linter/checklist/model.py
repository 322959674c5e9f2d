"""A checklist: sections of items, each mapped to the rule ids that decide it.

The built-in checklist (``builtin.yaml``) is just such a file shipped with the package; a team's own
checklist (``--checklist FILE``) has the same shape and is validated with :data:`SCHEMA`.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any, Literal

import jsonschema

from linter.config import ConfigError, bounded, short_message
from linter.fastdc import dataclass

ItemKind = Literal["auto", "partial", "manual"]

_RULE_ID = r"^[a-z0-9]+(?:-[a-z0-9]+)+$"
_SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

#: JSON schema of a checklist file (YAML or JSON)
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "prodready checklist",
    "type": "object",
    "required": ["sections"],
    "additionalProperties": False,
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "sections": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["title", "items"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": _SLUG},
                    "title": {"type": "string", "minLength": 1},
                    "items": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["title", "kind"],
                            "additionalProperties": False,
                            "properties": {
                                "id": {"type": "string", "pattern": _SLUG},
                                "title": {"type": "string", "minLength": 1},
                                "kind": {"enum": ["auto", "partial", "manual"]},
                                "rules": {
                                    "type": "array",
                                    "items": {"type": "string", "pattern": _RULE_ID},
                                    "uniqueItems": True,
                                },
                                "evidence-only": {"type": "string", "minLength": 1},
                                "note": {"type": "string"},
                            },
                            "allOf": [
                                {
                                    # an auto item is decided by rules
                                    "if": {"properties": {"kind": {"const": "auto"}}},
                                    "then": {
                                        "required": ["rules"],
                                        "properties": {"rules": {"minItems": 1}},
                                    },
                                },
                                {
                                    # a partial item has rules, or says why it has none
                                    "if": {"properties": {"kind": {"const": "partial"}}},
                                    "then": {
                                        "anyOf": [
                                            {
                                                "required": ["rules"],
                                                "properties": {"rules": {"minItems": 1}},
                                            },
                                            {"required": ["evidence-only"]},
                                        ]
                                    },
                                },
                            ],
                        },
                    },
                },
            },
        },
    },
}


@dataclass(frozen=True)
class Item:
    """A checklist item: what it asks and the rules that decide it (none for a manual item)."""

    id: str
    title: str
    kind: ItemKind
    rules: tuple[str, ...] = ()
    evidence_only: str = ""
    note: str = ""


@dataclass(frozen=True)
class Section:
    """A heading of the checklist and its items."""

    id: str
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Checklist:
    """The production-readiness checklist: its sections, read from its source document."""

    title: str
    sections: tuple[Section, ...]
    source: str

    def rule_ids(self) -> list[str]:
        """Every rule id the checklist references, sorted, once each."""
        return sorted({r for s in self.sections for i in s.items for r in i.rules})


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "item"


def _where(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out.lstrip(".") or "(top level)"


def from_data(data: Any, source: str) -> Checklist:
    """Validate and build; raises ConfigError naming the file and the bad element."""
    validator = jsonschema.Draft202012Validator(SCHEMA)
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(e.absolute_path), e.message))
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        assert best is not None
        where = _where(best.absolute_path)
        raise ConfigError(f"{source}: invalid checklist at {where}: {short_message(best.message)}")
    sections = []
    seen_sections: set[str] = set()
    for s in data["sections"]:
        sid = s.get("id") or slug(s["title"])
        if sid in seen_sections:
            raise ConfigError(f"{source}: invalid checklist: duplicate section id {sid!r}")
        seen_sections.add(sid)
        items = []
        seen: set[str] = set()
        for it in s["items"]:
            iid = it.get("id") or slug(it["title"])
            if iid in seen:
                raise ConfigError(
                    f"{source}: invalid checklist: duplicate item id {iid!r} in section {sid!r}"
                )
            seen.add(iid)
            items.append(
                Item(
                    id=iid,
                    title=it["title"],
                    kind=it["kind"],
                    rules=tuple(it.get("rules", ())),
                    evidence_only=it.get("evidence-only", ""),
                    note=it.get("note", ""),
                )
            )
        sections.append(Section(sid, s["title"], tuple(items)))
    return Checklist(data.get("title", "Production-readiness checklist"), tuple(sections), source)


def parse(text: str, source: str) -> Checklist:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        problem = str(exc).strip().splitlines()[0] if str(exc).strip() else "parse error"
        raise ConfigError(f"{source}: invalid checklist: not valid YAML ({problem})") from None
    bounded(data, f"{source}: invalid checklist")
    return from_data(data, source)


def load(path: str | None = None) -> Checklist:
    """The checklist at ``path``, or the built-in one."""
    if path is None:
        text = resources.files("linter.checklist").joinpath("builtin.yaml").read_text("utf-8")
        return parse(text, "built-in checklist")
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"{path}: cannot read checklist: {reason}") from None
    return parse(text, path)
