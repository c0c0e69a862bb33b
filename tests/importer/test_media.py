"""Files of the old site copied in: from the uploads folder or a real HTTP server, once each,
without their metadata, and refused with a reason the report can show."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtailmedia.models import get_media_model

from samizdat.importer import media
from samizdat.importer.media import MediaUnavailable, Resolver
from samizdat.importer.models import ImportedItem
from samizdat.importer.records import ImageRef
from tests.importer.old_site import old_site
from tests.publishing.media_files import SECRETS, authored_pdf, demo_mp3, leaks, phone_photo

pytestmark = pytest.mark.django_db

SOURCE = "wordpress:old.example"
OLD = "https://old.example"


def png(width: int = 40, height: int = 30, colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


@contextmanager
def redirecting_site(redirects: dict[str, str], files: dict[str, bytes]) -> Iterator[str]:
    """A real server on 127.0.0.1 answering 302 for ``redirects`` and 200 for ``files``."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            body = files.get(path, b"")
            status = 302 if path in redirects else 200 if path in files else 404
            self.send_response(status)
            if path in redirects:
                self.send_header("Location", redirects[path])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def stored_bytes(item: object) -> bytes:
    with item.file.open("rb") as stored:  # type: ignore[attr-defined]
        return bytes(stored.read())


def test_an_image_is_downloaded_once_without_its_metadata_and_with_its_alt_text() -> None:
    photo = phone_photo()
    files = {
        "/wp-content/uploads/2020/05/harbour.jpg": photo,
        "/wp-content/uploads/2020/05/quay.png": png(),
    }
    with old_site(files) as site:
        resolver = Resolver(source=SOURCE, fetch_from={OLD: site.url})
        ref = ImageRef(
            url=f"{OLD}/wp-content/uploads/2020/05/harbour.jpg?w=300", alt="The harbour at dawn"
        )
        image = resolver.image(ref)
        again = Resolver(source=SOURCE, fetch_from={OLD: site.url}).image(ref)
        assert len(site.requests) == 1
        resolver.image(ImageRef(url=f"{OLD}/wp-content/uploads/2020/05/quay.png"))
        assert len(site.requests) == 2
    assert image is not None and again is not None and again.pk == image.pk
    assert image.description == "The harbour at dawn"
    assert image.title == "The harbour at dawn"
    assert image.file.name.endswith("harbour.jpg")
    assert leaks(stored_bytes(image)) == [], SECRETS
    item = ImportedItem.objects.get(source=SOURCE, kind="image", object_id=image.pk)
    assert item.source_id == f"{OLD}/wp-content/uploads/2020/05/harbour.jpg"
    assert item.object_id == image.pk
    # The old site set a cookie with the first file: it is not sent back with the next.
    assert all("samizdat" in headers["User-Agent"] for _path, headers in site.requests)
    assert all("Cookie" not in headers for _path, headers in site.requests)


def test_the_original_is_preferred_to_a_resized_copy() -> None:
    files = {
        "/wp-content/uploads/2021/01/crowd.png": png(800, 600),
        "/wp-content/uploads/2021/01/crowd-300x225.png": png(300, 225),
    }
    with old_site(files) as site:
        resolver = Resolver(source=SOURCE, fetch_from={OLD: site.url})
        image = resolver.image(ImageRef(url=f"{OLD}/wp-content/uploads/2021/01/crowd-300x225.png"))
        same = resolver.image(ImageRef(url=f"{OLD}/wp-content/uploads/2021/01/crowd.png"))
    assert image is not None and (image.width, image.height) == (800, 600)
    assert same is not None and same.pk == image.pk


def test_the_uploads_folder_is_used_before_any_download(tmp_path: Path) -> None:
    (tmp_path / "2019" / "03").mkdir(parents=True)
    (tmp_path / "2019" / "03" / "ruling.pdf").write_bytes(authored_pdf())
    (tmp_path / "2019" / "03" / "march.png").write_bytes(png())
    resolver = Resolver(source=SOURCE, uploads=tmp_path, download=False)
    document = resolver.document(f"{OLD}/wp-content/uploads/2019/03/ruling.pdf", title="The ruling")
    image = resolver.image(ImageRef(url="/content/images/2019/03/march.png"))
    assert document is not None and document.title == "The ruling"
    assert leaks(stored_bytes(document)) == []
    assert image is not None and image.width == 40
    with pytest.raises(MediaUnavailable, match="uploads folder"):
        resolver.image(ImageRef(url=f"{OLD}/wp-content/uploads/2019/03/missing.png"))
    with pytest.raises(MediaUnavailable, match="uploads folder"):
        resolver.image(ImageRef(url=f"{OLD}/wp-content/uploads/../../etc/passwd"))


def test_what_cannot_be_had_is_refused_with_a_reason_and_stores_nothing() -> None:
    files = {
        "/notes.png": b"<html>not a picture</html>",
        "/logo.svg": b'<svg xmlns="http://www.w3.org/2000/svg"></svg>',
        "/tool.exe": b"MZ" + b"\0" * 100,
        "/song.mp3": b"not audio at all",
        "/clip.mov": b"\0\0\0\x14ftypqt  " + b"\0" * 100,
    }
    with old_site(files) as site:
        resolver = Resolver(source=SOURCE, fetch_from={OLD: site.url})
        cases = [
            (lambda: resolver.image(ImageRef(url=f"{OLD}/gone.png")), "answered 404"),
            (lambda: resolver.image(ImageRef(url=f"{OLD}/notes.png")), "not an image"),
            (lambda: resolver.image(ImageRef(url=f"{OLD}/logo.svg")), "not an image"),
            (lambda: resolver.document(f"{OLD}/tool.exe"), "not a kind of document"),
            (lambda: resolver.media(f"{OLD}/song.mp3", kind="audio"), "not audio or video"),
            (lambda: resolver.media(f"{OLD}/clip.mov", kind="video"), "not video kept here"),
            (lambda: resolver.image(ImageRef(url="ftp://old.example/a.png")), "http, https"),
        ]
        for call, reason in cases:
            with pytest.raises(MediaUnavailable, match=reason):
                call()
        asked = len(site.requests)
        with pytest.raises(MediaUnavailable, match="answered 404"):
            resolver.image(ImageRef(url=f"{OLD}/gone.png"))
        assert len(site.requests) == asked  # a failure is remembered, not fetched again
    assert not get_image_model().objects.exists()
    assert not get_document_model().objects.exists()
    assert not ImportedItem.objects.exists()


def test_a_file_over_the_size_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media, "MAX_FILE_BYTES", 1000)
    with old_site({"/big.png": png(400, 400, "blue") + b"\0" * 2000}) as site:
        resolver = Resolver(source=SOURCE, fetch_from={OLD: site.url})
        with pytest.raises(MediaUnavailable, match="larger than"):
            resolver.image(ImageRef(url=f"{OLD}/big.png"))


def test_audio_is_stored_as_media_of_its_kind() -> None:
    with old_site({"/wp-content/uploads/episode-1.mp3": demo_mp3()}) as site:
        resolver = Resolver(source=SOURCE, fetch_from={OLD: site.url})
        episode = resolver.media(
            f"{OLD}/wp-content/uploads/episode-1.mp3", kind="audio", title="Episode 1"
        )
        with pytest.raises(MediaUnavailable, match="audio file"):
            Resolver(source="ghost:other", fetch_from={OLD: site.url}).media(
                f"{OLD}/wp-content/uploads/episode-1.mp3", kind="video"
            )
    assert episode is not None and episode.type == "audio" and episode.title == "Episode 1"
    assert get_media_model().objects.count() == 1


def test_a_dry_run_checks_the_uploads_folder_and_stores_nothing(tmp_path: Path) -> None:
    (tmp_path / "here.png").write_bytes(png())
    with old_site({"/there.png": png()}) as site:
        resolver = Resolver(source=SOURCE, uploads=tmp_path, download=False, dry_run=True)
        assert resolver.image(ImageRef(url=f"{OLD}/wp-content/uploads/here.png")) is None
        with pytest.raises(MediaUnavailable, match="uploads folder"):
            resolver.image(ImageRef(url=f"{OLD}/wp-content/uploads/absent.png"))
        downloading = Resolver(source=SOURCE, fetch_from={OLD: site.url}, dry_run=True)
        assert downloading.image(ImageRef(url=f"{OLD}/there.png")) is None
        assert site.requests == []
    assert not get_image_model().objects.exists()


def test_a_pasted_picture_is_stored_from_its_data_address() -> None:
    import base64

    address = "data:image/png;base64," + base64.b64encode(png(10, 10)).decode()
    resolver = Resolver(source=SOURCE, download=False)
    image = resolver.image(ImageRef(url=address))
    assert image is not None and image.width == 10
    assert resolver.image(ImageRef(url=address)) == image


def test_relative_and_ghost_placeholder_addresses_are_the_old_sites(tmp_path: Path) -> None:
    (tmp_path / "2022" / "02").mkdir(parents=True)
    (tmp_path / "2022" / "02" / "map.png").write_bytes(png())
    resolver = Resolver(source="ghost:old.example", uploads=tmp_path, download=False)
    first = resolver.image(ImageRef(url="__GHOST_URL__/content/images/2022/02/map.png"))
    second = resolver.image(ImageRef(url="/content/images/size/w600/2022/02/map.png"))
    assert first is not None and second == first
    assert (
        ImportedItem.objects.get(kind="image").source_id == f"{OLD}/content/images/2022/02/map.png"
    )


def test_a_truncated_picture_is_refused_not_stored() -> None:
    whole = phone_photo()
    with old_site({"/cut.jpg": whole[: len(whole) // 2]}) as site:
        resolver = Resolver(source=SOURCE, fetch_from={OLD: site.url})
        with pytest.raises(MediaUnavailable):
            resolver.image(ImageRef(url=f"{OLD}/cut.jpg"))
    assert not get_image_model().objects.exists()
    assert not ImportedItem.objects.exists()


def test_a_redirect_to_a_private_address_not_named_is_refused_and_nothing_is_stored() -> None:
    secret = b"instance credentials"
    with old_site({"/latest/meta-data.txt": secret, "/inner.png": png()}) as inner:
        redirects = {
            "/wp-content/uploads/notes.txt": f"{inner.url}/latest/meta-data.txt",
            "/wp-content/uploads/photo.png": f"{inner.url}/inner.png",
            "/wp-content/uploads/old.pdf": "ftp://old.example/old.pdf",
        }
        with redirecting_site(redirects, {}) as named:
            resolver = Resolver(source=SOURCE, fetch_from={OLD: named})
            with pytest.raises(MediaUnavailable, match=r"refused: the address 127\.0\.0\.1 of"):
                resolver.document(f"{OLD}/wp-content/uploads/notes.txt")
            with pytest.raises(MediaUnavailable, match="private network"):
                resolver.image(ImageRef(url=f"{OLD}/wp-content/uploads/photo.png"))
            with pytest.raises(MediaUnavailable, match="http, https"):
                resolver.document(f"{OLD}/wp-content/uploads/old.pdf")
        assert inner.requests == []
    assert not get_document_model().objects.exists()
    assert not get_image_model().objects.exists()
    assert not ImportedItem.objects.exists()


def test_redirects_within_the_named_server_are_followed() -> None:
    redirects = {
        "/wp-content/uploads/2018/ruling.pdf": "/files/ruling-final.pdf",
        "/wp-content/uploads/2018/map.png": f"{OLD}/wp-content/uploads/2018/map-v2.png",
        "/wp-content/uploads/2018/map-v2.png": "../../../files/map.png",
        "/loop.png": "/loop.png?again",
    }
    files = {"/files/ruling-final.pdf": authored_pdf(), "/files/map.png": png(20, 10)}
    with redirecting_site(redirects, files) as named:
        resolver = Resolver(source=SOURCE, fetch_from={OLD: named})
        document = resolver.document(f"{OLD}/wp-content/uploads/2018/ruling.pdf")
        image = resolver.image(ImageRef(url=f"{OLD}/wp-content/uploads/2018/map.png"))
        with pytest.raises(MediaUnavailable, match="more than 5 redirects"):
            resolver.image(ImageRef(url=f"{OLD}/loop.png"))
    assert document is not None and document.title == "ruling"  # named from the link
    assert leaks(stored_bytes(document)) == []
    assert image is not None and (image.width, image.height) == (20, 10)
    assert (
        ImportedItem.objects.get(kind="image").source_id == f"{OLD}/wp-content/uploads/2018/map.png"
    )


def test_a_host_on_this_machine_not_named_is_refused() -> None:
    with old_site({"/x.jpg": phone_photo()}) as site:
        port = site.url.rsplit(":", 1)[1]
        resolver = Resolver(source=SOURCE)
        with pytest.raises(
            MediaUnavailable, match=r"refused: the address 127\.0\.0\.1 of localhost"
        ):
            resolver.image(ImageRef(url=f"http://localhost:{port}/x.jpg"))
        with pytest.raises(MediaUnavailable, match="private network"):
            resolver.image(ImageRef(url=f"{site.url}/x.jpg"))
        assert site.requests == []
    assert not get_image_model().objects.exists()
