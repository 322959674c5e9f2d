"""prodready: a static production-readiness linter for repositories and manifests."""

__version__ = "0.1.0"
