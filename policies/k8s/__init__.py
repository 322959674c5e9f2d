"""Built-in Kubernetes policies."""

from linter.policy import Policy, collect
from policies.k8s import (
    availability,
    images,
    networking,
    probes,
    resources,
    secrets,
    security,
    shutdown,
    validity,
)

POLICIES: list[Policy] = collect(
    probes, resources, images, security, secrets, availability, shutdown, networking, validity
)
