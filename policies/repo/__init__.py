"""Built-in repo-level policies: alerting, documentation, metrics and migrations evidence."""

from linter.policy import Policy, collect
from policies.repo import alerts, docs, services

POLICIES: list[Policy] = collect(alerts, docs, services)
