"""Built-in CI policies: checklist gates (tests, coverage, security scan, load test), GitHub
Actions safety and GitLab CI images."""

from linter.policy import Policy, collect
from policies.ci import gates, gha, gitlab

POLICIES: list[Policy] = collect(gates, gha, gitlab)
