"""Built-in dependency policies: known vulnerabilities (pip-audit + offline OSV) and pins."""

from linter.policy import lazy_policies

# POLICIES: the policies of these modules, in this order, imported on first use
__getattr__ = lazy_policies(__name__, ("vulnerable", "unpinned"))
