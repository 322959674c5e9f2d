"""The registry: entry points, duplicate ids and broken plugins are clear errors."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from linter import registry
from linter.model import ArtifactKind, Finding, Severity
from linter.policy import CheckContext, policy

ROOT = Path(__file__).resolve().parent.parent


def _make(rule_id: str) -> Any:
    @policy(id=rule_id, kinds={ArtifactKind.TEXT}, severity=Severity.LOW, summary="s")
    def check(ctx: CheckContext, art: object) -> Iterator[Finding]:
        """Doc."""
        return iter(())

    return check


def test_builtins_are_loaded_through_entry_points() -> None:
    reg = registry.load()
    for rid in (
        "k8s-missing-liveness-probe",
        "k8s-missing-readiness-probe",
        "k8s-missing-resource-limits",
        "k8s-image-tag-mutable",
        "docker-shell-form-entrypoint",
        "docker-runs-as-root",
    ):
        meta = reg.meta(rid)
        assert meta is not None, rid
        assert meta.origin.startswith("prodready:"), meta.origin


def test_duplicate_ids_name_both_plugins() -> None:
    with pytest.raises(registry.RegistryError) as err:
        registry.build([("pkg-a:one", [_make("x-rule")]), ("pkg-b:two", _make("x-rule"))])
    assert str(err.value) == "duplicate rule id 'x-rule': defined by pkg-a:one and by pkg-b:two"


def test_plugin_with_wrong_value() -> None:
    with pytest.raises(registry.RegistryError) as err:
        registry.build([("pkg-c:bad", [object()])])
    assert (
        str(err.value)
        == "plugin pkg-c:bad does not provide policies: expected a Policy, got object"
    )


def test_plugin_that_fails_to_import(monkeypatch: pytest.MonkeyPatch) -> None:
    class BrokenEP:
        name = "broken"
        value = "nowhere.module:POLICIES"
        dist = None

        def load(self) -> object:
            raise ModuleNotFoundError("No module named 'nowhere'")

    monkeypatch.setattr(registry, "entry_points", lambda group: [BrokenEP()])
    with pytest.raises(registry.RegistryError) as err:
        registry._load_entry_points()
    assert str(err.value) == (
        "cannot load policy plugin unknown:broken (nowhere.module:POLICIES): "
        "ModuleNotFoundError: No module named 'nowhere'"
    )


def test_policy_ids_must_be_slugs_and_documented() -> None:
    with pytest.raises(ValueError, match="not a lowercase slug"):
        _make("Bad_Id")
    with pytest.raises(ValueError, match="needs a docstring"):

        @policy(id="no-doc", kinds={ArtifactKind.TEXT}, severity=Severity.LOW, summary="s")
        def nodoc(ctx: CheckContext, art: object) -> Iterator[Finding]:
            return iter(())


def test_reports_on_is_a_subset_of_kinds() -> None:
    def check(ctx: CheckContext, art: object) -> Iterator[Finding]:
        """Doc."""
        return iter(())

    with pytest.raises(ValueError, match="reports_on must be a subset of kinds"):
        policy(
            id="narrow-rule",
            kinds={ArtifactKind.TEXT},
            reports_on={ArtifactKind.K8S},
            severity=Severity.LOW,
            summary="s",
        )(check)
    pol = policy(
        id="narrow-rule",
        kinds={ArtifactKind.TEXT, ArtifactKind.K8S},
        reports_on={ArtifactKind.K8S},
        severity=Severity.LOW,
        summary="s",
    )(check)
    assert pol.meta.report_kinds == {ArtifactKind.K8S}
    wide = _make("wide-rule").meta
    assert wide.report_kinds == wide.kinds  # no reports_on: all its kinds


def test_loading_every_policy_imports_no_dependency_parser(tmp_path: Path) -> None:
    """Loading the registry (every policy module: before a parallel scan forks) imports neither
    packaging nor pip-audit; the dependency rules import them when they parse a requirement."""
    (tmp_path / "requirements.txt").write_text("flask>=2.0\n")
    code = (
        "import sys\n"
        "from linter import registry\n"
        "registry.load()\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'packaging', 'pip_audit'}))\n"
        "from linter.engine import ScanOptions, scan\n"
        f"result = scan(ScanOptions(paths=[{str(tmp_path)!r}], select=['deps-unpinned']))\n"
        "print([f.rule_id for f in result.findings], 'packaging' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["[]", "['deps-unpinned'] True"]
