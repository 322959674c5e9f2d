"""The fast pretty printer writes what json.dumps(indent=2, ensure_ascii=False) writes: the same
bytes, except that a float may spell its exponent differently (``1e-7`` for ``1e-07``)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from linter.jsonout import dumps_pretty

exact = st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1) | st.text()
floats = st.floats(allow_nan=False, allow_infinity=False)


def tree(scalars: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=30,
    )


@settings(max_examples=300, deadline=None)
@given(tree(exact))
def test_same_bytes_as_the_standard_library(doc: Any) -> None:
    assert dumps_pretty(doc) == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


@settings(max_examples=300, deadline=None)
@given(tree(exact | floats))
def test_same_value_with_floats(doc: Any) -> None:
    assert json.loads(dumps_pretty(doc)) == doc


def test_values_orjson_refuses_take_the_slow_path() -> None:
    doc = {"big": 2**70, 3: [1, 2]}
    assert (
        dumps_pretty(doc)
        == '{\n  "big": 1180591620717411303424,\n  "3": [\n    1,\n    2\n  ]\n}\n'
    )
