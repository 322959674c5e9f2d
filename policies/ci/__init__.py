"""Built-in CI policies: checklist gates (tests, coverage, security scan, load test), GitHub
Actions safety and GitLab CI images."""

from linter.policy import lazy_policies

# POLICIES: the policies of these modules, in this order, imported on first use
__getattr__ = lazy_policies(__name__, ("gates", "gha", "gitlab"))
