"""Built-in Dockerfile policies (and the Node runtime rules that read Dockerfiles)."""

from linter.policy import Policy, collect
from policies.docker import context, health, images, node, runtime, secrets, signals

POLICIES: list[Policy] = collect(runtime, images, health, signals, secrets, context, node)
