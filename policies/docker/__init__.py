"""Built-in Dockerfile policies (and the Node runtime rules that read Dockerfiles)."""

from linter.policy import lazy_policies

# POLICIES: the policies of these modules, in this order, imported on first use
__getattr__ = lazy_policies(
    __name__, ("runtime", "images", "health", "signals", "secrets", "context", "node")
)
