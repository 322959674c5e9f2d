"""Robustness on the real-world corpus (../shared/corpus): every rule, no crash, no silent skip.

Renderers are stubbed out (``render.which`` finds nothing), so the result does not depend on a
``helm``/``kubectl`` installed on the machine: every chart and kustomization gets its
"not rendered" notification instead, and no subprocess runs.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from linter import render
from linter.engine import ScanOptions, ScanResult, scan
from linter.index import YAML_KINDS
from linter.model import ArtifactKind
from linter.registry import load
from tests.conftest import SHARED, corpus_yaml_texts

CORPUS = SHARED / "corpus"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}"),
]


@pytest.fixture(scope="module")
def corpus_scan() -> tuple[ScanResult, float]:
    """One scan for the module (it takes a while); also returns its wall time."""
    mp = pytest.MonkeyPatch()
    mp.setattr(render, "which", lambda name: None)
    old = os.getcwd()
    os.chdir(CORPUS)
    start = time.monotonic()
    try:
        # every rule, default-off ones included; no cache, so nothing is written to the corpus
        every = [m.id for m in load().all_metas()]
        result = scan(ScanOptions(paths=["."], select=every, jobs=1, cache_dir=None))
    finally:
        os.chdir(old)
        mp.undo()
    return result, time.monotonic() - start


def test_no_internal_error(corpus_scan: tuple[ScanResult, float]) -> None:
    result, _ = corpus_scan
    internal = [n for n in result.notifications if n.code == "prodready-internal-error"]
    assert internal == []
    assert result.internal_errors == 0
    assert result.findings, "a corpus of real manifests gives findings"


def test_every_unparseable_file_has_a_notification(
    corpus_scan: tuple[ScanResult, float],
) -> None:
    result, _ = corpus_scan
    index = result.index
    assert index is not None
    noted = {n.path for n in result.notifications if n.path}
    unparsed = []
    for src in index.sources_of(YAML_KINDS):
        if index.parsed(src) is None:
            unparsed.append(src.path)
    assert unparsed, "the corpus holds broken YAML on purpose"
    # parse notifications raised while checking here land on the index
    noted |= {n.path for n in index.notifications if n.path}
    assert [p for p in unparsed if p not in noted] == []


def test_charts_and_kustomizations_are_never_skipped_silently(
    corpus_scan: tuple[ScanResult, float],
) -> None:
    result, _ = corpus_scan
    index = result.index
    assert index is not None
    skipped = {n.path for n in result.notifications if n.code == "prodready-render-skipped"}
    charts = {f"{c}/Chart.yaml" if c else "Chart.yaml" for c in render.top_charts(index)}
    missing = sorted(
        c for c in charts if c not in skipped and c.replace(".yaml", ".yml") not in skipped
    )
    assert charts and missing == []
    kustomizations = {
        f.path
        for f in index.all_found()
        if index.kind_of(f) == ArtifactKind.KUSTOMIZATION
        and Path(f.path).name.startswith("kustomization")
    }
    assert kustomizations & skipped


def test_fast_yaml_path_builds_what_ruamel_builds_on_real_files() -> None:
    """linter/parsers/fastyaml.py builds ruamel's objects itself: on a sample of the corpus's
    YAML files (every 6th, up to 100 kB: ruamel's pure loader is slow), values, types and
    positions must be exactly ruamel's, and most files must take the fast path."""
    from linter.parsers import fastyaml
    from tests.test_fuzz import _pure, _shape

    fast_path = compared = 0
    for path, text in corpus_yaml_texts(6, 100_000):
        compared += 1
        try:
            fast = fastyaml.load_all(text)
        except (fastyaml.Unsupported, RecursionError):
            continue
        fast_path += 1
        assert [_shape(d) for d in fast] == [_shape(d) for d in _pure(text)], path
    assert compared > 400
    assert fast_path > compared * 0.6
