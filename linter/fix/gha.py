"""GitHub Actions fixer: a workflow with no ``permissions`` gets ``contents: read``."""

from __future__ import annotations

from ruamel.yaml.comments import CommentedMap

from linter.fix.yamlrt import Doc


def fix_permissions(docs: list[Doc]) -> bool:
    """Add a top-level ``permissions: {contents: read}`` block before ``jobs`` when neither the
    workflow nor every job declares permissions (an explicit grant is a person's decision; a
    job with its own ``permissions`` keeps them, the top-level block is only the default)."""
    changed = False
    for _, doc in docs:
        if not isinstance(doc, CommentedMap) or "jobs" not in doc or "permissions" in doc:
            continue
        jobs = doc.get("jobs")
        if (
            isinstance(jobs, dict)
            and jobs
            and all(isinstance(j, dict) and "permissions" in j for j in jobs.values())
        ):
            continue
        block = CommentedMap()
        block["contents"] = "read"
        keys = list(doc.keys())
        doc.insert(keys.index("jobs"), "permissions", block)
        changed = True
    return changed
