"""The bundle published to its bucket (moto's S3 server, a real endpoint): what readers'
web servers and CDNs serve, and what every node catches up from. A build publishes; a
correction sends only what changed; a page taken down leaves the bucket and its manifest
at once, also while a full build runs; a node with an empty disk catches up from the bucket;
a full build repairs a bucket that lost or gained objects."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from pytest_django.fixtures import Settings

from samizdat.mirrors import bundle, manifest, state
from samizdat.mirrors.manifest import MANIFEST, SIGNATURE
from samizdat.mirrors.models import BundleState, BundleTakedown, MirrorTarget
from samizdat.mirrors.render import all_paths
from samizdat.mirrors.write import file_for
from samizdat.publishing.models import ArticlePage
from tests import factories
from tests.mirrors.s3_server import KEY_ID, REGION, SECRET, S3Server, s3_server

pytestmark = pytest.mark.django_db

BUCKET = "newsroom-site"
PREFIX = "public"


@pytest.fixture
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        server.client().create_bucket(Bucket=BUCKET)
        yield server


@pytest.fixture
def site(
    newsroom: dict[str, Any], settings: Settings, tmp_path: Path, s3: S3Server
) -> dict[str, Any]:
    """The newsroom with a few stories, its bundle published to a bucket and signed."""
    settings.BUNDLE_DIR = tmp_path / "node-a"
    settings.BUNDLE_BUCKET = BUCKET
    settings.BUNDLE_PREFIX = PREFIX
    settings.BUNDLE_JOBS = 1
    settings.S3_ENDPOINT_URL = s3.url
    settings.S3_REGION = REGION
    settings.S3_ACCESS_KEY_ID = KEY_ID
    settings.S3_SECRET_ACCESS_KEY = SECRET
    private, public = manifest.generate_key()
    (tmp_path / "signing.pem").write_bytes(private)
    settings.BUNDLE_SIGNING_KEY = str(tmp_path / "signing.pem")
    now = timezone.now()
    stories = [
        factories.ArticlePageFactory(
            parent=newsroom["news"],
            title=f"Report {n}",
            slug=f"report-{n}",
            published_at=now - timedelta(hours=n),
        )
        for n in range(1, 6)
    ]
    return {**newsroom, "stories": stories, "public_key": public, "s3": s3}


def published(s3: S3Server) -> dict[str, bytes]:
    """The bucket's objects under the prefix, by bundle path."""
    client = s3.client()
    return {
        key.removeprefix(f"{PREFIX}/"): client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        for key in s3.keys(BUCKET)
    }


def listed(data: bytes) -> set[str]:
    parsed, problems = manifest.read_manifest(data)
    assert parsed is not None, problems
    return {entry["path"] for entry in parsed["files"]}


def bucket_as_directory(s3: S3Server, out: Path) -> Path:
    for rel, data in published(s3).items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    return out


def assert_bucket_is_the_bundle(site: dict[str, Any], root: Path, tmp_path: Path) -> None:
    objects = published(site["s3"])
    local = {rel: Path(path).read_bytes() for rel, path in manifest.walk(root)}
    assert objects.pop(MANIFEST) == (root / MANIFEST).read_bytes()
    assert objects.pop(SIGNATURE) == (root / SIGNATURE).read_bytes()
    assert objects == local
    copy = bucket_as_directory(site["s3"], tmp_path / "bucket-copy")
    assert manifest.verify(copy, public_key_pem=site["public_key"]) == []


def test_a_build_publishes_the_bundle_with_types_a_browser_needs(
    site: dict[str, Any], tmp_path: Path, settings: Settings
) -> None:
    report = bundle.build_bundle()
    assert report.status == "ok" and report.server_errors == 0
    assert report.published is not None and report.published.uploaded > 50
    assert_bucket_is_the_bundle(site, settings.BUNDLE_DIR, tmp_path)
    head = site["s3"].client().head_object(Bucket=BUCKET, Key=f"{PREFIX}/en/news/index.html")
    assert head["ContentType"] == "text/html; charset=utf-8"
    # Content first, the manifest and its signature after them: a reader never gets a
    # manifest that lists a file the bucket lacks.
    puts = site["s3"].puts(BUCKET)
    assert puts[-2:] == [f"{PREFIX}/{MANIFEST}", f"{PREFIX}/{SIGNATURE}"]


def test_a_correction_publishes_only_the_files_it_changed(
    site: dict[str, Any], tmp_path: Path, settings: Settings
) -> None:
    bundle.build_bundle()
    s3: S3Server = site["s3"]
    s3.requests.clear()
    story = ArticlePage.objects.get(pk=site["stories"][0].pk)
    story.standfirst = "Corrected: the figures were for March."
    story.save_revision().publish()
    paths = story.touched_paths()
    assert paths
    report = bundle.rebake(paths)
    assert report.status == "ok"
    page = "en/news/report-1/index.html"
    assert page in report.written
    sent = {key.removeprefix(f"{PREFIX}/") for key in s3.puts(BUCKET)}
    assert sent == set(report.written) | {MANIFEST, SIGNATURE}
    assert "en/news/report-4/index.html" not in sent  # untouched pages are not sent again
    assert b"figures were for March" in published(s3)[page]
    assert_bucket_is_the_bundle(site, settings.BUNDLE_DIR, tmp_path)


def test_unpublishing_removes_the_page_from_the_bucket_and_its_manifest(
    site: dict[str, Any],
    settings: Settings,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    bundle.build_bundle()
    page = "en/news/report-2/index.html"
    assert page in published(site["s3"])
    settings.BUNDLE_AUTO_BUILD = True
    story = ArticlePage.objects.get(pk=site["stories"][1].pk)
    with django_capture_on_commit_callbacks(execute=True):
        story.unpublish()
    objects = published(site["s3"])
    assert page not in objects and page + ".gz" not in objects and page + ".br" not in objects
    assert page not in listed(objects[MANIFEST])
    assert not (settings.BUNDLE_DIR / page).exists()
    assert not BundleTakedown.objects.filter(done_at=None).exists()
    assert BundleTakedown.objects.get().paths == ["/en/news/report-2/"]
    assert_bucket_is_the_bundle(site, settings.BUNDLE_DIR, tmp_path)


def test_a_node_with_an_empty_bundle_catches_up_from_the_bucket_before_a_rebake(
    site: dict[str, Any], settings: Settings, tmp_path: Path
) -> None:
    bundle.build_bundle()  # node A
    settings.BUNDLE_DIR = tmp_path / "node-b"  # a node whose disk holds nothing
    story = ArticlePage.objects.get(pk=site["stories"][2].pk)
    story.standfirst = "Updated on node B."
    story.save_revision().publish()
    report = bundle.rebake(story.touched_paths() or [])
    # A rebake, not a full build: the rest came from the bucket.
    assert report.pages < len(all_paths())
    root = settings.BUNDLE_DIR
    assert b"Updated on node B." in (root / "en/news/report-3/index.html").read_bytes()
    assert (root / "en/news/report-5/index.html").is_file()
    assert manifest.verify(root, public_key_pem=site["public_key"]) == []
    assert_bucket_is_the_bundle(site, root, tmp_path)
    # Node A, behind now, catches up before its next change and loses nothing of B's.
    settings.BUNDLE_DIR = tmp_path / "node-a"
    bundle.rebake(["/en/"])
    assert (
        b"Updated on node B." in (settings.BUNDLE_DIR / "en/news/report-3/index.html").read_bytes()
    )
    assert_bucket_is_the_bundle(site, settings.BUNDLE_DIR, tmp_path)


def test_a_full_build_repairs_a_bucket_with_stray_missing_and_changed_objects(
    site: dict[str, Any], settings: Settings, tmp_path: Path
) -> None:
    bundle.build_bundle()
    client = site["s3"].client()
    client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/en/news/old-leak/index.html", Body=b"x")
    client.delete_object(Bucket=BUCKET, Key=f"{PREFIX}/en/news/report-1/index.html")
    client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/en/index.html", Body=b"defaced")
    report = bundle.build_bundle()
    assert report.status == "ok"
    assert report.published is not None and report.published.deleted >= 1
    objects = published(site["s3"])
    assert "en/news/old-leak/index.html" not in objects
    assert objects["en/index.html"] != b"defaced"
    assert "en/news/report-1/index.html" in objects
    assert_bucket_is_the_bundle(site, settings.BUNDLE_DIR, tmp_path)


def test_a_page_taken_down_during_a_full_build_is_not_added_again(
    site: dict[str, Any],
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    MirrorTarget.objects.create(name="copy", kind=MirrorTarget.Kind.DIRECTORY, path=str(mirror))
    bundle.build_bundle()
    monkeypatch.setattr(bundle, "CHUNK_SIZE", 5)
    settings.BUNDLE_AUTO_BUILD = True  # the takedown is recorded; its task waits for commit
    paths = all_paths()
    # A story rendered late in the build: it answers 404 by then, which a build alone
    # would take for a passing failure and keep.
    late = [p for p in paths if p.startswith("/en/news/report-")][-1]
    assert paths.index(late) > 10
    rel = file_for(late)
    assert (mirror / rel).exists()
    seen: list[int] = []
    on_the_mirror_mid_build: list[bool] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if len(seen) == 1:
            story = ArticlePage.objects.get(url_path__endswith=late.split("/")[-2] + "/")
            story.unpublish()
            assert BundleTakedown.objects.filter(done_at=None).exists()
        if len(seen) == 2:  # the next chunk: the build goes on, the page is gone already
            on_the_mirror_mid_build.append((mirror / rel).exists())
            assert rel not in listed((mirror / MANIFEST).read_bytes())

    report = bundle.build_bundle(progress=progress)
    assert on_the_mirror_mid_build == [False]
    assert len(seen) > 2
    assert rel in report.taken_down
    assert not (settings.BUNDLE_DIR / rel).exists()
    objects = published(site["s3"])
    assert rel not in objects and rel not in listed(objects[MANIFEST])
    assert not state.pending_takedowns()
    assert_bucket_is_the_bundle(site, settings.BUNDLE_DIR, tmp_path)


def test_a_build_whose_pages_answered_500_is_reported_partial(
    site: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle.build_bundle()
    from samizdat.mirrors import render

    real = render.Renderer.get

    def failing(self: Any, path: str) -> Any:
        response = real(self, path)
        if path.startswith("/en/news/report-"):
            response.status_code = 500
        return response

    monkeypatch.setattr(render.Renderer, "get", failing)
    report = bundle.build_bundle()
    assert report.status == "partial"
    assert report.server_errors == 5
    assert "5 page(s) answered a server error" in report.summary()
    assert BundleState.objects.get().last_result.startswith("partial")
