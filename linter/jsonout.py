"""Pretty JSON for the json/SARIF/baseline/checklist outputs, fast.

orjson writes what ``json.dumps(doc, indent=2, ensure_ascii=False)`` writes, byte for byte but
for the spelling of float exponents (``1e-7``, not ``1e-07``), in C
(the standard library's indenting encoder is pure Python: about a second for a 5,000-result SARIF).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE | orjson.OPT_NON_STR_KEYS


def dumps_pretty(doc: Any) -> str:
    """``json.dumps(doc, indent=2, ensure_ascii=False) + "\\n"`` (see the module docstring)."""
    try:
        return orjson.dumps(doc, option=_OPTIONS).decode()
    except (orjson.JSONEncodeError, TypeError):  # an integer over 64 bits, say: the slow way
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
