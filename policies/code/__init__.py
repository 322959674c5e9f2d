"""Built-in code policies."""

from linter.policy import lazy_policies

# POLICIES: the policies of these modules, in this order, imported on first use
__getattr__ = lazy_policies(
    __name__, ("shutdown", "health", "web", "security", "observability", "python_security")
)
