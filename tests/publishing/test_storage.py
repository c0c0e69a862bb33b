"""Uploads in an S3-compatible bucket (``SAMIZDAT_MEDIA_BUCKET``), against moto's S3 server:
what one node stores, another node whose own media folder is empty renders, serves and
copies into the bundle. Each test switches ``MEDIA_ROOT`` between two folders, as two machines
would have, and checks that neither ever receives a file."""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.core.management import call_command
from django.test import Client
from PIL import Image
from pytest_django.fixtures import Settings
from wagtail.images import get_image_model
from wagtail.rich_text import RichText

from samizdat.core import storage
from samizdat.mirrors import bundle
from samizdat.mirrors.nginx import media_bucket_policy
from samizdat.mirrors.render import media_links
from samizdat.publishing import renditions
from samizdat.publishing.models import ArticlePage
from samizdat.settings import media_bucket_storage
from tests import factories
from tests.core.test_settings import run
from tests.mirrors.s3_server import KEY_ID, REGION, SECRET, S3Server, s3_server
from tests.publishing.helpers import media_story, path_of, resolve, stored_media
from tests.publishing.media_files import demo_mp3, leaks, phone_photo, two_halves

pytestmark = pytest.mark.django_db

BUCKET = "lantern-media"
PREFIX = "site"


@dataclass
class Nodes:
    """Two machines sharing the bucket: each with a media folder of its own."""

    store: S3Server
    settings: Settings
    a: Path
    b: Path

    def on(self, node: Path) -> None:
        """Act as the node whose media folder is ``node``, its memory empty."""
        self.settings.MEDIA_ROOT = node
        renditions._memo.clear()
        renditions._thumbnail_memo.clear()
        caches["renditions"].clear()

    def stored(self, name: str) -> bytes:
        key = f"{PREFIX}/{name}"
        body: bytes = self.store.client().get_object(Bucket=BUCKET, Key=key)["Body"].read()
        return body

    def disks_untouched(self) -> None:
        for folder in (self.a, self.b):
            assert not folder.exists() or not any(folder.rglob("*")), folder


@pytest.fixture
def nodes(settings: Settings, tmp_path: Path, site_tree: Any) -> Iterator[Nodes]:
    with s3_server() as server:
        server.client().create_bucket(Bucket=BUCKET)
        settings.S3_ENDPOINT_URL = server.url
        settings.S3_REGION = REGION
        settings.MEDIA_BUCKET = BUCKET
        settings.MEDIA_PREFIX = PREFIX
        settings.MEDIA_PUBLIC_URL = ""
        settings.STORAGES = {
            **settings.STORAGES,
            "default": media_bucket_storage(
                BUCKET,
                PREFIX,
                endpoint_url=server.url,
                region=REGION,
                access_key=KEY_ID,
                secret_key=SECRET,
            ),
        }
        found = Nodes(
            server, settings, tmp_path / "node-a" / "media", tmp_path / "node-b" / "media"
        )
        found.on(found.a)
        yield found


def photo(title: str = "Harbour at dawn") -> Any:
    out = io.BytesIO()
    two_halves(1300, 730).save(out, "JPEG")
    image = get_image_model()(title=title)
    image.file = ImageFile(io.BytesIO(out.getvalue()), name="harbour.jpg")
    image.save()
    return image


def story_with_photo(image: Any) -> ArticlePage:
    section = factories.SectionPageFactory(parent=factories.home(), title="News", slug="news")
    article: ArticlePage = factories.ArticlePageFactory(
        parent=section, title="Harbour reopens", slug="harbour-reopens", lead_image=image
    )
    return article


def image_links(html: str, page: str) -> list[str]:
    """The absolute paths of the renditions a page links (``src`` and ``srcset``)."""
    found = {"/" + name for name in media_links(html.encode()) if name.startswith("media/images/")}
    assert found, "the page links no rendition"
    return sorted(resolve(page, unquote(link)) for link in found)


def test_urls_are_the_sites_own_unless_a_public_address_is_set(
    nodes: Nodes, settings: Settings
) -> None:
    image = photo()
    assert image.file.url.startswith("/media/original_images/harbour")
    assert f"{PREFIX}/{image.file.name}" in nodes.store.keys(BUCKET)
    settings.MEDIA_PUBLIC_URL = "https://cdn.lantern.example/media"
    assert storage.media_storage().url("images/a b.webp") == (
        "https://cdn.lantern.example/media/images/a%20b.webp"
    )
    nodes.disks_untouched()


def test_a_photo_uploaded_on_one_node_renders_and_its_renditions_answer_on_another(
    nodes: Nodes, client: Client
) -> None:
    article = story_with_photo(photo())
    page = path_of(article)
    assert client.get(page).status_code == 200  # node A makes the renditions
    nodes.on(nodes.b)
    response = client.get(page)
    assert response.status_code == 200
    links = image_links(response.content.decode(), page)
    for link in links:
        answer = client.get(link)
        assert answer.status_code == 200, link
        assert answer["Content-Type"] == "image/webp"
        assert answer["Cache-Control"] == "public, max-age=86400"
        body = b"".join(answer.streaming_content)  # type: ignore[attr-defined]
        assert answer["Content-Length"] == str(len(body))
        assert body == nodes.stored(link.removeprefix("/media/"))
        with Image.open(io.BytesIO(body)) as picture:
            assert picture.format == "WEBP"
    nodes.disks_untouched()


def test_originals_and_unknown_files_stay_unreachable(nodes: Nodes, client: Client) -> None:
    image = photo()
    nodes.on(nodes.b)
    for path in (
        f"/media/{image.file.name}",
        "/media/images/nothing-here.webp",
        "/media/images/..%2Foriginal_images%2Fharbour.jpg",
        "/media/images/notes.txt",
    ):
        assert client.get(path).status_code == 404, path
    nodes.disks_untouched()


def test_audio_streams_from_the_bucket_with_byte_ranges(nodes: Nodes, client: Client) -> None:
    sound = demo_mp3()
    audio = stored_media("audio", "interview.mp3", sound)
    section = factories.SectionPageFactory(parent=factories.home(), title="Audio", slug="audio")
    media_story(section, "audio", audio, title="The interview", slug="interview")
    nodes.on(nodes.b)
    address = f"/media/{audio.file.name}"
    whole = client.get(address)
    assert whole.status_code == 200 and whole["Content-Type"] == "audio/mpeg"
    assert whole["Content-Length"] == str(len(sound))
    assert b"".join(whole.streaming_content) == sound  # type: ignore[attr-defined]
    part = client.get(address, HTTP_RANGE="bytes=1000-1999")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 1000-1999/{len(sound)}"
    assert b"".join(part.streaming_content) == sound[1000:2000]  # type: ignore[attr-defined]
    tail = client.get(address, HTTP_RANGE="bytes=-10")
    assert b"".join(tail.streaming_content) == sound[-10:]  # type: ignore[attr-defined]
    assert client.get(address, HTTP_RANGE=f"bytes={len(sound)}-").status_code == 416
    nodes.disks_untouched()


def test_a_linked_document_is_served_from_the_bucket(nodes: Nodes, client: Client) -> None:
    document = factories.pdf_document(title="Court order", name="court-order.pdf")
    section = factories.SectionPageFactory(parent=factories.home(), title="Law", slug="law")
    factories.ArticlePageFactory(
        parent=section,
        body=[
            ("paragraph", RichText("<p>The ruling.</p>")),
            ("document", {"document": document, "title": "", "description": ""}),
        ],
    )
    nodes.on(nodes.b)
    for address in (document.file.url, f"/documents/{document.pk}/{document.filename}"):
        answer = client.get(address)
        assert answer.status_code == 200, address
        body = b"".join(answer.streaming_content)  # type: ignore[attr-defined]
        assert body == nodes.stored(document.file.name) and body.startswith(b"%PDF")
    nodes.disks_untouched()


def test_the_bundle_holds_every_rendition_its_pages_link_byte_for_byte(
    nodes: Nodes, tmp_path: Path
) -> None:
    article = story_with_photo(photo())
    audio = stored_media("audio", "interview.mp3", demo_mp3())
    media_story(article.get_parent(), "audio", audio, title="The interview", slug="interview")
    nodes.on(nodes.b)
    root = tmp_path / "bundle"
    bundle.build_bundle(root)
    linked: set[str] = set()
    for page in root.rglob("*.html"):
        linked |= media_links(page.read_bytes())
    assert any(name.startswith("media/images/") for name in linked)
    assert f"media/{audio.file.name}" in linked
    for name in sorted(linked):
        assert (root / name).read_bytes() == nodes.stored(name.removeprefix("media/")), name
    # A second build reads nothing again that the bundle already holds byte for byte.
    fetched = len(nodes.store.requests)
    report = bundle.build_bundle(root)
    assert not [name for name in report.written if name.startswith("media/")]
    again = [p for m, p in nodes.store.requests[fetched:] if m == "GET" and "/images/" in p]
    assert again == []
    nodes.disks_untouched()


def test_old_uploads_in_the_bucket_are_cleaned_in_place(nodes: Nodes) -> None:
    image = photo("Old photo")
    # As uploaded before uploads were cleaned: the camera's EXIF in the stored file.
    nodes.store.client().put_object(
        Bucket=BUCKET, Key=f"{PREFIX}/{image.file.name}", Body=phone_photo(orientation=6)
    )
    document = factories.pdf_document(title="Contract", name="contract.pdf")
    nodes.on(nodes.b)
    out = StringIO()
    call_command("media", "strip-metadata", stdout=out)
    assert "images: 1 of 1 cleaned" in out.getvalue()
    image.refresh_from_db()
    stored = nodes.stored(image.file.name)
    assert leaks(stored) == []
    assert (image.width, image.height) == (400, 600)  # turned upright
    assert nodes.stored(document.file.name).startswith(b"%PDF")
    rendition = image.get_rendition("width-300|format-webp")
    assert nodes.stored(rendition.file.name)
    nodes.disks_untouched()


def test_stream_reads_ranges_of_what_is_stored(nodes: Nodes) -> None:
    data = bytes(range(256)) * 1000
    name = storage.media_storage().save("documents/blob.bin", ContentFile(data))
    assert storage.size(name) == len(data)
    assert storage.size("documents/none.bin") is None
    assert b"".join(storage.stream(name)) == data
    assert b"".join(storage.stream(name, 70_000, 100_000)) == data[70_000:170_000]
    assert max(len(chunk) for chunk in storage.stream(name)) <= storage.CHUNK
    nodes.disks_untouched()


def test_the_environment_puts_the_uploads_in_the_bucket(tmp_path: Path) -> None:
    """``SAMIZDAT_MEDIA_BUCKET`` and the ``SAMIZDAT_S3_*`` settings, read by a process of its own
    as a node would: what it stores lands in the bucket under the prefix, at the site's own
    address; without them, uploads stay on the disk."""
    code = (
        "import django; django.setup(); "
        "from django.core.files.base import ContentFile; "
        "from django.core.files.storage import default_storage as d; "
        "name = d.save('images/harbour.width-400.webp', ContentFile(b'RIFF')); "
        "print(type(d._wrapped).__name__, d.url(name))"
    )
    base = {"SAMIZDAT_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "samizdat.settings"}
    with s3_server() as server:
        server.client().create_bucket(Bucket=BUCKET)
        bucket = {
            "SAMIZDAT_MEDIA_BUCKET": BUCKET,
            "SAMIZDAT_MEDIA_PREFIX": PREFIX,
            "SAMIZDAT_S3_ENDPOINT_URL": server.url,
            "SAMIZDAT_S3_REGION": REGION,
            "SAMIZDAT_S3_ACCESS_KEY_ID": KEY_ID,
            "SAMIZDAT_S3_SECRET_ACCESS_KEY": SECRET,
        }
        done = run([sys.executable, "-c", code], base | bucket, tmp_path)
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == ["MediaStorage", "/media/images/harbour.width-400.webp"]
        assert server.keys(BUCKET) == {f"{PREFIX}/images/harbour.width-400.webp"}
        assert not (tmp_path / "media").exists()
        on_disk = run([sys.executable, "-c", code], base, tmp_path)
        assert on_disk.returncode == 0, on_disk.stderr
        assert on_disk.stdout.split()[0] == "FileSystemStorage"
        assert (tmp_path / "media" / "images" / "harbour.width-400.webp").read_bytes() == b"RIFF"


def test_the_documented_bucket_policy_is_the_one_nginx_is_tested_with() -> None:
    deploy = (Path(__file__).resolve().parents[2] / "docs" / "DEPLOY.md").read_text()
    section = deploy.split("### Media in an object store", 1)[1]
    documented = re.search(r"```json\n(.*?)```", section, re.S)
    assert documented is not None
    assert json.loads(documented.group(1)) == json.loads(media_bucket_policy(BUCKET, PREFIX))
