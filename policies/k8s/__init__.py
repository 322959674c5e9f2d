"""Built-in Kubernetes policies."""

from linter.policy import Policy, collect
from policies.k8s import images, probes, resources

POLICIES: list[Policy] = collect(probes, resources, images)
