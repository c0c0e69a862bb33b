"""One installation on two nodes behaves as one site: whatever node a photo, a publication, a
takedown, a letter or a build went through, every node and every copy of the site agrees, and
a node killed in the middle of its work leaves nothing lost, doubled or half-done.

The nodes are real processes (``samizdat serve``, ``samizdat worker``) sharing PostgreSQL,
Redis, an S3 store and a mail server; see ``installation.py``.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from django.conf import settings

from samizdat.mirrors import manifest
from tests.multinode.installation import (
    BUILD_TASK,
    BUNDLE_BUCKET,
    MEDIA_BUCKET,
    MIRROR_BUCKET,
    Installation,
    Node,
    files_of,
    get,
    wait_until,
)

# The processes use a database of their own, copied from the migrated test database: the
# ``django_db`` mark is what has pytest-django make that one.
pytestmark = [pytest.mark.multinode, pytest.mark.django_db]

NEW_STORY = """
from samizdat.publishing.models import ArticlePage, SectionPage
section = SectionPage.objects.filter(locale__language_code="en").order_by("path").first()
page = ArticlePage(title={title!r}, slug={slug!r}, standfirst="What the court heard.",
                   body=[("paragraph", "<p>The hearing lasted four hours.</p>")])
section.add_child(instance=page)
page.save_revision().publish()
print(page.id, page.url)
"""
CORRECT = """
from samizdat.publishing.models import ArticlePage
page = ArticlePage.objects.get(pk={pk}).specific
page.title = {title!r}
page.standfirst = "What the court heard, corrected: the hearing lasted five hours."
page.save_revision().publish()
"""
UNPUBLISH = """
from samizdat.publishing.models import ArticlePage
ArticlePage.objects.get(pk={pk}).unpublish()
"""
QUEUE_BUILD = """
from samizdat.mirrors.tasks import queue_full_build
for _ in range({count}):
    queue_full_build()
"""
SEND_EDITION = """
from samizdat.newsletter import actions
from samizdat.newsletter.models import Edition, EditionItem
from samizdat.publishing.models import ArticlePage
edition = Edition.objects.create(language="en", subject="The week, from two nodes",
                                 intro="This week in brief.")
for order, story in enumerate(ArticlePage.objects.live().filter(locale__language_code="en")[:3]):
    EditionItem.objects.create(edition=edition, article=story, sort_order=order)
print(edition.pk, actions.send_edition(edition_id=edition.pk))
"""


def bundle_key(url: str) -> str:
    """Where a page's address lies in the bundle: ``/en/news/x/`` → ``en/news/x/index.html``."""
    return urllib.parse.urlsplit(url).path.strip("/") + "/index.html"


def publish_story(site: Installation, node: Node, title: str) -> tuple[int, str]:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    out = site.shell(node, NEW_STORY.format(title=title, slug=slug)).split()
    return int(out[-2]), out[-1]


def listed_in(site: Installation, bucket: str) -> set[str]:
    """The paths the bucket's manifest lists."""
    body = site.s3.client().get_object(Bucket=bucket, Key=manifest.MANIFEST)["Body"].read()
    listed, _problem = manifest.read_manifest(body)
    assert listed is not None, bucket
    return {entry["path"] for entry in listed["files"]}


@pytest.fixture
def running_tasks_left_by_kills(installation: Installation) -> Iterator[list[str]]:
    """Ids of tasks a killed worker was running. A worker without leases never hears of
    them again; they are marked failed afterwards so that the next test's wait for empty
    queues is not a wait for ever."""
    held: list[str] = []
    yield held
    if held:
        installation.sql(
            "UPDATE django_tasks_database_dbtaskresult SET status = 'FAILED', "
            "finished_at = now() WHERE status = 'RUNNING' AND id::text = ANY(%s)",
            held,
        )


def running(site: Installation, task_path: str | None = None) -> list[str]:
    query = "SELECT id::text FROM django_tasks_database_dbtaskresult WHERE status = 'RUNNING'"
    if task_path:
        return [row[0] for row in site.sql(query + " AND task_path = %s", task_path)]
    return [row[0] for row in site.sql(query)]


def assert_bundle_is_a_clean_build(site: Installation, tmp_path: Path) -> None:
    """The bundle's bucket and every mirror target hold, byte for byte, what a fresh
    ``samizdat mirror build`` writes, and ``samizdat mirror verify`` passes on each."""
    a = site.nodes[0]
    targets = {
        bucket: site.bucket_copy(bucket, tmp_path / bucket)
        for bucket in (BUNDLE_BUCKET, MIRROR_BUCKET)
    }
    for place in targets.values():
        site.run(a, "mirror", "verify", str(place), "--public-key", str(site.public_key))
    fresh = tmp_path / "fresh"
    # A build of its own, published nowhere: no bucket, its own folder.
    site.run(a, "mirror", "build", str(fresh), SAMIZDAT_BUNDLE_BUCKET="")
    expected = files_of(fresh)
    for bucket, place in targets.items():
        held = files_of(place)
        held.pop(manifest.MARKER, None)
        assert sorted(held) == sorted(expected), bucket
        assert [rel for rel in held if held[rel] != expected[rel]] == [], bucket
        listed = manifest.read_manifest((place / "manifest.json").read_bytes())[0]
        fresh_listed = manifest.read_manifest((fresh / "manifest.json").read_bytes())[0]
        assert listed is not None and fresh_listed is not None
        assert listed["files"] == fresh_listed["files"], bucket


# 1 -------------------------------------------------------------------------------------


def test_every_rendition_of_the_seeded_photos_answers_on_every_node(
    installation: Installation,
) -> None:
    site = installation
    a, b = site.nodes
    # The photos were uploaded through node A (seeded there): they are in the store, and
    # node B's disk holds no upload.
    originals = [row[0] for row in site.sql("SELECT file FROM wagtailimages_image")]
    assert originals
    stored = site.s3.keys(MEDIA_BUCKET)
    assert set(originals) <= stored
    assert not (b.data_dir / "media").exists() or not any((b.data_dir / "media").rglob("*.*"))
    # The front page shows the photos' renditions, whichever node a reader reaches.
    shown: set[str] = set()
    for node in (a, b):
        status, body = get(f"{node.url}/en/")
        assert status == 200, node.name
        shown |= set(re.findall(r"/media/(images/[^\"\s,?]+)", body.decode()))
    assert shown
    renditions = {row[0] for row in site.sql("SELECT file FROM wagtailimages_rendition")}
    assert len(renditions) >= 10
    renditions |= shown
    assert renditions <= site.s3.keys(MEDIA_BUCKET)
    for node in (a, b):
        failed = [
            (name, status)
            for name in sorted(renditions)
            if (status := get(f"{node.url}/media/{name}")[0]) != 200
        ]
        assert failed == [], f"node {node.name}"


# 2 -------------------------------------------------------------------------------------


def test_publish_correct_and_withdraw_on_different_nodes_leave_the_clean_build(
    installation: Installation, tmp_path: Path
) -> None:
    site = installation
    a, b = site.nodes
    pk, url = publish_story(site, a, "Court hears the editor")
    site.wait_for_quiet()
    assert bundle_key(url) in site.s3.keys(BUNDLE_BUCKET)
    site.shell(b, CORRECT.format(pk=pk, title="Court hears the editor (corrected)"))
    site.wait_for_quiet()
    page = site.bucket_files(BUNDLE_BUCKET)[bundle_key(url)].decode()
    assert "corrected: the hearing lasted five hours" in page
    site.shell(a, UNPUBLISH.format(pk=pk))
    site.wait_for_quiet()
    assert bundle_key(url) not in site.s3.keys(BUNDLE_BUCKET)
    assert bundle_key(url) not in listed_in(site, BUNDLE_BUCKET)
    assert_bundle_is_a_clean_build(site, tmp_path)


# 3 -------------------------------------------------------------------------------------


def test_a_takedown_is_gone_from_every_served_copy_within_30_seconds(
    installation: Installation,
) -> None:
    site = installation
    a, b = site.nodes
    pk, url = publish_story(site, b, "Leaked memo names the minister")
    key = bundle_key(url)
    site.wait_for_quiet()
    assert key in site.s3.keys(BUNDLE_BUCKET)
    assert key in site.s3.keys(MIRROR_BUCKET)
    site.shell(a, UNPUBLISH.format(pk=pk))
    withdrawn = time.monotonic()

    def gone_everywhere() -> bool:
        for bucket in (BUNDLE_BUCKET, MIRROR_BUCKET):
            if key in site.s3.keys(bucket) or key in listed_in(site, bucket):
                return False
        return all(get(node.url + urllib.parse.urlsplit(url).path)[0] == 404 for node in (a, b))

    wait_until("the takedown gone from every copy", gone_everywhere, 30, every=0.5)
    assert time.monotonic() - withdrawn <= 30


# 4 -------------------------------------------------------------------------------------


def test_a_worker_killed_mid_send_leaves_every_reader_one_letter(
    installation: Installation, running_tasks_left_by_kills: list[str]
) -> None:
    site = installation
    a, _b = site.nodes
    sink = site.smtp
    before = len(sink.received())
    sink.handler.delay = 0.03  # a mail server that takes its time: the kill lands mid-send
    try:
        out = site.shell(a, SEND_EDITION).split()
        edition, letters = int(out[-2]), int(out[-1])
        assert letters > 100
        wait_until(
            "a third of the letters sent",
            lambda: len(sink.received()) - before >= letters // 3,
            60,
            every=0.05,
        )
        running_tasks_left_by_kills.extend(running(site))
        site.kill_worker(a)
        sink.handler.delay = 0.0
        site.start_worker(a)

        def all_sent() -> bool:
            site.workers_alive()
            counts = dict(
                site.sql(
                    "SELECT status, count(*) FROM newsletter_delivery WHERE edition_id = %s "
                    "GROUP BY status",
                    edition,
                )
            )
            return counts.get("sent", 0) == letters

        wait_until("every letter sent", all_sent, 120, every=0.5)
    finally:
        sink.handler.delay = 0.0

    letters_received = []
    for received in sink.received()[before:]:
        message = BytesParser(policy=policy.default).parsebytes(received.data)
        if f"<newsletter.{edition}." in str(message["Message-ID"]):
            letters_received.append((str(message["Message-ID"]), received.rcpt_tos))
    by_id = Counter(message_id for message_id, _to in letters_received)
    readers = {to for _id, rcpt in letters_received for to in rcpt}
    assert len(by_id) == letters  # every letter arrived
    assert len(readers) == letters  # to every reader
    doubled = {message_id for message_id, count in by_id.items() if count > 1}
    in_doubt = {
        f"<newsletter.{edition}.{pk}@"
        for (pk,) in site.sql(
            "SELECT id FROM newsletter_delivery WHERE edition_id = %s AND error LIKE 'in doubt%%'",
            edition,
        )
    }
    # A letter arrives twice only when the killed worker had sent it and not yet recorded
    # it: documented as "in doubt", sent again with the same Message-ID, at most one record
    # batch for each of the killed worker's sending connections.
    assert all(any(m.startswith(prefix) for prefix in in_doubt) for m in doubled), doubled
    assert len(doubled) <= settings.NEWSLETTER_TASKS * settings.NEWSLETTER_RECORD_BATCH
    assert max(by_id.values()) <= 2


def test_a_worker_killed_mid_build_ends_as_a_clean_build(
    installation: Installation, tmp_path: Path, running_tasks_left_by_kills: list[str]
) -> None:
    site = installation
    a, b = site.nodes
    site.stop_worker(b)  # node A's worker takes the build
    try:
        site.shell(a, QUEUE_BUILD.format(count=1))
        held = wait_until("the build running", lambda: running(site, BUILD_TASK), 60, every=0.1)
        running_tasks_left_by_kills.extend(held)
        time.sleep(1.0)  # some pages written, the rest not
        site.kill_worker(a)
    finally:
        site.start_worker(a)
        site.start_worker(b)
    # The killed build is given to a worker again once its lease has run out (5 s here).
    wait_until(
        "the killed build no longer RUNNING",
        lambda: not set(held) & set(running(site, BUILD_TASK)),
        30,
    )
    site.wait_for_quiet(timeout=120)
    assert_bundle_is_a_clean_build(site, tmp_path)


@contextmanager
def builder_held_up(site: Installation) -> Iterator[list[str]]:
    """Hold up the builder's worker (SIGSTOP, as a busy machine would) as soon as it claims
    its first chunk, until the other node's worker has rendered one or 3 s went by (well
    within the 5 s task lease): on this small site the builder would otherwise be done
    before a helper polling its queue came. The list says what happened."""
    happened: list[str] = []
    stop = threading.Event()
    # Rows a builder killed earlier left behind (the next build deletes them) are not this one.
    earlier = [build for (build,) in site.sql("SELECT DISTINCT build FROM mirrors_bundlechunk")]

    def claimed() -> str | None:
        rows = site.sql(
            "SELECT claimed_by FROM mirrors_bundlechunk WHERE claimed_by <> '' "
            "AND NOT build = ANY(%s)",
            earlier,
        )
        return rows[0][0] if rows else None

    def helped() -> bool:
        return bool(site.sql("SELECT 1 FROM mirrors_bundlechunk WHERE result IS NOT NULL"))

    def watch() -> None:
        claimer = None
        while claimer is None:
            if stop.is_set():
                return
            claimer = claimed()
            time.sleep(0.01)
        found = re.search(r" pid (\d+) ", claimer)
        assert found, claimer
        pid = int(found.group(1))
        [node] = [n for n in site.nodes if n.worker and os.getpgid(pid) == n.worker.pid]
        assert node.worker is not None
        os.killpg(node.worker.pid, signal.SIGSTOP)
        happened.append("held up")
        try:
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline and not helped():
                time.sleep(0.05)
            if helped():
                happened.append("a helper rendered a chunk meanwhile")
        finally:
            os.killpg(node.worker.pid, signal.SIGCONT)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        yield happened
    finally:
        stop.set()
        watcher.join()


def test_a_full_build_is_rendered_by_the_workers_of_both_nodes(
    installation: Installation, tmp_path: Path
) -> None:
    site = installation
    a, _b = site.nodes
    site.wait_for_quiet()
    with builder_held_up(site) as held:
        site.shell(a, QUEUE_BUILD.format(count=1))
        site.wait_for_quiet(timeout=180)
    assert held == ["held up", "a helper rendered a chunk meanwhile"], held
    # Whichever worker built, the other node's bundle worker rendered chunks of it.
    [(result,)] = site.sql(
        "SELECT return_value FROM django_tasks_database_dbtaskresult WHERE task_path = %s "
        "AND status = 'SUCCESSFUL' AND return_value->>'status' = 'ok' "
        "ORDER BY finished_at DESC LIMIT 1",
        BUILD_TASK,
    )
    assert result["helped"] > 0 and result["processes"] == 2, result
    assert_bundle_is_a_clean_build(site, tmp_path)


# 5 -------------------------------------------------------------------------------------


def test_exactly_one_full_build_per_period_with_both_workers_running(
    installation: Installation,
) -> None:
    site = installation
    # Both workers started together and ran their periodic jobs every 2 s: between them
    # they queued one build (besides those the seeding's changes asked for).
    assert site.startup_builds == 1
    before = len(site.tasks(BUILD_TASK))
    time.sleep(6)  # three more rounds of each worker's periodic jobs, same period
    assert len(site.tasks(BUILD_TASK)) == before


# 6 -------------------------------------------------------------------------------------


def test_a_signup_confirmation_is_not_held_up_by_a_full_build(
    installation: Installation,
) -> None:
    site = installation
    a, b = site.nodes
    site.wait_for_quiet()
    # Builds asked for on both nodes' behalf (each node's daily job, a takedown…).
    site.shell(a, QUEUE_BUILD.format(count=2))
    wait_until("a build running", lambda: running(site, BUILD_TASK), 60, every=0.1)
    address = "new.reader@example.org"
    before = len(site.smtp.received())
    data = urllib.parse.urlencode(
        {
            "email": address,
            "language": "en",
            "consent": "yes",
            "form": "newsletter",
            "website": "",
            "altcha": "",
        }
    ).encode()
    request = urllib.request.Request(
        f"{b.url}/newsletter/subscribe/",
        data=data,
        headers={"Origin": a.env["SAMIZDAT_SITE_URL"]},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200
    signed_up = time.monotonic()

    def confirmation() -> bool:
        return any(address in r.rcpt_tos for r in site.smtp.received()[before:])

    wait_until("the confirmation letter", confirmation, 60, every=0.1)
    waited = time.monotonic() - signed_up
    still_building = running(site, BUILD_TASK)
    site.wait_for_quiet(timeout=150)
    assert still_building, "the build ended before the letter came: no proof either way"
    assert waited <= 5, f"the confirmation took {waited:.1f} s"


# Sessions and search are the installation's, not a node's -------------------------------


def test_a_story_published_on_one_node_is_found_by_search_on_every_node(
    installation: Installation,
) -> None:
    site = installation
    a, b = site.nodes
    _pk, url = publish_story(site, a, "Quarry workers strike in Zelenodolsk")
    for node in (a, b):

        def found(node: Node = node) -> bool:
            status, body = get(f"{node.url}/en/search/?q=Zelenodolsk")
            return status == 200 and urllib.parse.urlsplit(url).path in body.decode()

        wait_until(f"the story found on node {node.name}", found, 30, every=0.5)
    site.wait_for_quiet()


def test_the_shared_settings_sign_alike_on_every_node(installation: Installation) -> None:
    """An unsubscribe link signed by whichever node sent the letter works on every other."""
    site = installation
    a, b = site.nodes
    token = site.shell(
        a,
        "from samizdat.newsletter.mail import unsubscribe_token\n"
        "from samizdat.newsletter.models import Subscriber\n"
        "s = Subscriber.objects.filter(status='active').order_by('pk').last()\n"
        "print(s.pk, unsubscribe_token(s.pk))",
    ).split()
    pk, signed = int(token[-2]), token[-1]
    request = urllib.request.Request(
        f"{b.url}/newsletter/unsubscribe/?token={signed}",
        data=b"List-Unsubscribe=One-Click",
        headers={"Origin": a.env["SAMIZDAT_SITE_URL"]},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200
    [(status,)] = site.sql("SELECT status FROM newsletter_subscriber WHERE id = %s", pk)
    assert status == "unsubscribed"
