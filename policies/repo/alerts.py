"""Alerting policies: Prometheus alert rules (PrometheusRule objects and plain rule files)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from linter.fastdc import dataclass
from linter.index import RepoIndex
from linter.model import ArtifactKind, Finding, Location, Severity
from linter.parsers.yaml import YamlFile
from linter.policy import CheckContext, policy
from linter.positions import key_loc, line_loc

SECTION = "Monitoring, logging, alerting"
K = ArtifactKind


@dataclass(frozen=True)
class AlertRule:
    """A Prometheus alerting rule of a rules file or a PrometheusRule."""

    name: str
    rule: Any  # the rule's mapping
    yf: YamlFile
    owner: str  # "PrometheusRule/name" or "" for a plain rules file

    def loc(self) -> Location:
        logical = f"{self.owner} › alert {self.name}" if self.owner else f"alert {self.name}"
        found = key_loc(self.yf.source, self.rule, "alert", logical)
        return found or line_loc(self.yf.source, 1, logical=logical)

    @property
    def text(self) -> str:
        """Name, expression and annotations: what a class pattern is matched against."""
        parts = [self.name, str(self.rule.get("expr", ""))]
        ann = self.rule.get("annotations")
        if isinstance(ann, dict):
            parts += [str(ann.get(k, "")) for k in ("summary", "description", "message")]
        return "\n".join(parts)


def _groups(data: Any) -> tuple[Any, str] | None:
    """The ``groups`` list of a document and its owner label, or None."""
    if not isinstance(data, dict):
        return None
    if data.get("kind") == "PrometheusRule":
        spec = data.get("spec")
        meta = data.get("metadata")
        name = meta.get("name", "") if isinstance(meta, dict) else ""
        groups = spec.get("groups") if isinstance(spec, dict) else None
        return (groups, f"PrometheusRule/{name}") if isinstance(groups, list) else None
    groups = data.get("groups")
    return (groups, "") if isinstance(groups, list) else None


def alert_rules(yf: YamlFile) -> Iterator[AlertRule]:
    for doc in yf.documents:
        found = _groups(doc.data)
        if found is None:
            continue
        groups, owner = found
        for group in groups:
            rules = group.get("rules") if isinstance(group, dict) else None
            if not isinstance(rules, list):
                continue
            for rule in rules:
                if isinstance(rule, dict) and isinstance(rule.get("alert"), str):
                    yield AlertRule(rule["alert"], rule, yf, owner)


def groups_loc(yf: YamlFile) -> Location:
    """Where a finding about a whole rules file points: the PrometheusRule's ``kind:`` or
    the file's ``groups:`` key."""
    for doc in yf.documents:
        if isinstance(doc.data, dict):
            key = "kind" if doc.data.get("kind") == "PrometheusRule" else "groups"
            loc = key_loc(yf.source, doc.data, key)
            if loc is not None:
                return loc
    return line_loc(yf.source, 1)


@policy(
    id="obs-alert-missing-runbook",
    kinds={K.PROMETHEUS_RULE},
    severity=Severity.LOW,
    summary="Alert rule has no runbook_url annotation",
    fix="Add `annotations: {runbook_url: https://…}` pointing at the steps an on-call engineer "
    "follows when this alert fires.",
    tags=("observability", "reliability"),
    section=SECTION,
    options={
        "type": "object",
        "properties": {
            "annotations": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "minItems": 1,
                "description": "Annotation keys that count as a runbook link.",
            }
        },
    },
    defaults={"annotations": ["runbook_url"]},
)
def alert_missing_runbook(ctx: CheckContext, yf: YamlFile) -> Iterator[Finding]:
    """## What it does
    Reports every alerting rule (`- alert: Name`) in a `PrometheusRule` object or a plain
    Prometheus rules file (`groups: [{rules: [...]}]`) whose `annotations` have no non-empty
    `runbook_url` (the annotation keys are configurable). Recording rules are ignored.
    A `PrometheusRule` that shares a file with other Kubernetes kinds is not checked; keep alert
    rules in their own file.

    ## Why is this bad
    An alert wakes someone up. Without a runbook link the on-call engineer starts from nothing:
    what the alert means, how to confirm it, how to mitigate it.

    ## Example
    ```yaml
    groups:
      - name: api
        rules:
          - alert: HighErrorRate        # fails: no runbook_url
            expr: sum(rate(http_requests_total{code=~"5.."}[5m])) > 1
    ```
    Passes:
    ```yaml
          - alert: HighErrorRate
            expr: sum(rate(http_requests_total{code=~"5.."}[5m])) > 1
            annotations:
              runbook_url: https://runbooks.example.com/api/high-error-rate
    ```
    """
    keys = [str(k) for k in ctx.options.get("annotations", ["runbook_url"])]
    for alert in alert_rules(yf):
        ann = alert.rule.get("annotations")
        ok = isinstance(ann, dict) and any(
            isinstance(ann.get(k), str) and ann.get(k, "").strip() for k in keys
        )
        if not ok:
            yield ctx.finding(alert.loc(), f"Alert `{alert.name}` has no `{keys[0]}` annotation.")


CRITICAL_CLASSES: dict[str, str] = {
    "latency": r"latenc|duration|p9[059]\b|percentile|histogram_quantile|response.?time|slow",
    "error rate": r"error|5xx|fail|(code|status|status_code)=~?\"5",
    "memory": r"memory|\bmem\b|mem_|oom|heap|\brss\b|working_set",
    "disk": r"disk|filesystem|inode|volume|pvc|storage",
    "certificate expiry": r"cert|x509|ssl|tls",
}


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


@policy(
    id="obs-missing-critical-alerts",
    kinds={K.PROMETHEUS_RULE},
    severity=Severity.MEDIUM,
    summary="Alert rules miss a critical class (latency, error rate, memory, disk, cert expiry)",
    fix="Add alert rules for the missing classes, e.g. p95 latency from a histogram, 5xx ratio, "
    "container memory against its limit, free disk/volume space, days to certificate expiry.",
    tags=("observability", "reliability"),
    section=SECTION,
    scope="repo",
    options={
        "type": "object",
        "properties": {
            "classes": {
                "type": "object",
                "additionalProperties": {"type": "string", "minLength": 1},
                "description": "Class name → regular expression (case-insensitive) matched "
                "against each alert's name, expr and summary/description.",
            },
            "required": {
                "type": "array",
                "items": {"type": "string"},
                "description": "The classes that must be covered (names from `classes`).",
            },
        },
    },
    defaults={"classes": CRITICAL_CLASSES, "required": list(CRITICAL_CLASSES)},
)
def missing_critical_alerts(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    When the repo has Prometheus alert rules (PrometheusRule objects or plain rules files), checks
    that together they cover each critical class: latency (p95/p99), error rate, memory, disk and
    certificate expiry. An alert covers a class when its name, `expr`, `summary` or `description`
    matches the class pattern (configurable). One finding lists every missing class; it points at
    the first rules file. A repo without any alert rules is not reported (the checklist shows the
    item as not applicable).

    ## Why is this bad
    These are the failures that take a service down quietly: slow responses, a rising share of
    errors, a memory leak ending in OOM kills, a full disk, an expired certificate. Without an alert
    the first signal is a user complaint.

    ## Example
    ```yaml
    groups:
      - name: api
        rules:                         # fails: only error rate is covered
          - alert: HighErrorRate
            expr: sum(rate(http_requests_total{code=~"5.."}[5m])) > 1
    ```
    Passes when alerts like these exist too:
    ```yaml
          - alert: HighLatencyP95
            expr: histogram_quantile(0.95, sum by (le) (rate(http_duration_bucket[5m]))) > 0.5
          - alert: MemoryNearLimit
            expr: container_memory_working_set_bytes / container_spec_memory_limit_bytes > 0.9
          - alert: DiskAlmostFull
            expr: kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes < 0.1
          - alert: CertificateExpiresSoon
            expr: probe_ssl_earliest_cert_expiry - time() < 14 * 86400
    ```
    """
    files = sorted(index.artifacts(K.PROMETHEUS_RULE), key=lambda y: y.source.path)
    alerts = [a for yf in files for a in alert_rules(yf)]
    if not alerts:
        return
    classes: dict[str, str] = dict(ctx.options.get("classes", CRITICAL_CLASSES))
    required = [str(c) for c in ctx.options.get("required", list(classes))]
    missing = []
    for name in required:
        pattern = classes.get(name)
        if pattern is None:
            continue
        try:
            rx = re.compile(pattern, re.I)
        except re.error as exc:
            raise ValueError(
                f"option classes.{name} is not a valid regular expression: {exc}"
            ) from None
        if not any(rx.search(a.text) for a in alerts):
            missing.append(name)
    if not missing:
        return
    # on the first rules file in every run: a run on other named files reports it where a full
    # scan (and a baseline made from one) has it, or not at all
    yield ctx.finding(
        groups_loc(files[0]),
        f"No alert rule covers {_join(missing)}. The repo has {len(alerts)} alert rule"
        f"{'s' if len(alerts) != 1 else ''}, none for these critical classes.",
        properties={"missing_classes": missing},
    )
