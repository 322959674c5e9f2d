"""Built-in repo-level policies: alerting, documentation, metrics and migrations evidence."""

from linter.policy import lazy_policies

# POLICIES: the policies of these modules, in this order, imported on first use
__getattr__ = lazy_policies(__name__, ("alerts", "docs", "services"))
