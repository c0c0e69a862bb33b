"""Background tasks: thin wrappers around the bundle builder."""

from __future__ import annotations

from django_tasks import task

from samizdat.mirrors import bundle


@task(queue_name="bundle")
def rebake(
    *, paths: list[str] | None = None, requested_at: float, page_ids: list[int] | None = None
) -> int:
    """Re-render the public paths a change touched; the number of files written (none when
    a full build has started since the change). A task queued by an earlier version (with
    ``page_ids``, no paths) builds everything."""
    if bundle.built_since(requested_at):
        return 0
    if paths is None:
        return len(bundle.build_bundle().written)
    return len(bundle.rebake(paths).written)


@task(queue_name="bundle")
def build(*, requested_at: float) -> int:
    """Render the whole public site again; the number of files written (none when another
    full build has started since this one was asked for: many changes, one build)."""
    if bundle.built_since(requested_at):
        return 0
    return len(bundle.build_bundle().written)
