"""Background tasks: thin wrappers around the bundle builder."""

from __future__ import annotations

import logging
from typing import Any

from django_tasks import TaskContext, task

from samizdat.mirrors import bundle, published, spread, state

logger = logging.getLogger(__name__)


def _result(report: bundle.BuildReport) -> dict[str, Any]:
    """What the task's result shows an operator: ``ok``, ``partial`` (pages answered a
    server error) or ``failed`` (not published), and the counts."""
    return {
        "status": report.status,
        "pages": report.pages,
        "written": len(report.written),
        "removed": len(report.removed),
        "server_errors": report.server_errors,
        "publish_error": report.publish_error,
        "processes": report.processes,  # on every node, for a full build
        "helped": report.helped,  # chunks other workers rendered
    }


@task(queue_name="bundle")
def rebake(
    *, paths: list[str] | None = None, requested_at: float, page_ids: list[int] | None = None
) -> dict[str, Any]:
    """Re-render the public paths a change touched (and remove the pages taken down); none
    when a full build has started since the change and no takedown waits. A task queued by
    an earlier version (with ``page_ids``, no paths) asks for a full build."""
    if paths is None:
        return _full_build()
    if state.full_build_started(since=requested_at) and not state.pending_takedowns():
        return {"status": "skipped"}
    try:
        report = bundle.rebake(paths)
    except (state.BundleBusy, published.PublishError) as error:
        # The builder is busy for longer than a rebake waits, or the bucket could not be
        # read to catch up: a full build after it brings this change in.
        logger.warning("bundle: rebake left to a full build: %s", error)
        return _full_build()
    if report.publish_error:
        return {**_result(report), "followed_by": _full_build()}  # repairs the bucket
    return _result(report)


def queue_full_build() -> None:
    """Ask for a full build and queue the task that claims it (one task runs each batch of
    requests, however many are queued)."""
    state.request_full_build()
    build.enqueue(requested_at=state.db_now().timestamp())


def _full_build() -> dict[str, Any]:
    queue_full_build()
    return {"status": "full build asked for"}


@task(queue_name="bundle", takes_context=True)
def build(context: TaskContext, *, requested_at: float) -> dict[str, Any]:
    """Render the whole public site again (many changes, one build: exactly one task
    claims each batch of requests, by the database). A build queued again because its
    worker died (a later attempt) held the claim itself: it runs whatever the claim says."""
    if not state.claim_full_build() and context.attempt <= 1:
        return {"status": "skipped"}
    try:
        return _result(bundle.build_bundle())
    except state.BundleBusy as error:
        # Another builder held the lock for longer than a build waits; the changes this
        # build claimed are asked for again, not lost until the next periodic build.
        logger.warning("bundle: full build asked for again: %s", error)
        return _full_build()


@task(queue_name="bundle")
def help_build(*, build: str) -> dict[str, Any]:
    """Render chunks of a full build that another worker runs (``mirrors/spread.py``), for a
    while at most: a worker gives its turn back and asks another helper to carry on; a
    helper that comes after the build ended has nothing to do."""
    result = spread.help(build)
    if result.get("more") and spread.chunks_open(build):
        help_build.enqueue(build=build)
    return result
