"""The old site's images, files, audio and video, copied in: from an uploads folder or by HTTP.

Nothing imported points at the old site: each file is stored here through Wagtail's own models
(so ``publishing/signals.py`` removes its metadata and tags) or the reference is dropped and
reported. A file is copied once: ``ImportedItem`` (kind ``image``, ``document`` or ``media``)
keeps what each old address became, across runs.
"""

from __future__ import annotations

import base64
import hashlib
import http.cookiejar
import ipaddress
import re
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import requests
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.documents.models import AbstractDocument
from wagtail.images import get_image_model
from wagtail.images.models import AbstractImage
from wagtailmedia.models import AbstractMedia, get_media_model

from samizdat.importer import records
from samizdat.importer.models import ImportedItem
from samizdat.publishing.audio_video import SNIFF_BYTES, MediaFileError, check_media
from samizdat.publishing.metadata import MetadataError

MB = 1024 * 1024
MAX_FILE_BYTES = 50 * MB  # images and documents
MAX_MEDIA_BYTES = 500 * MB  # audio and video
CHUNK = 256 * 1024
MAX_REDIRECTS = 5
USER_AGENT = "samizdat-importer/1 (+https://samizdat.example/importer)"
# Where WordPress and Ghost keep uploads: the rest of the path is looked up in the folder.
UPLOAD_MARKERS = ("/wp-content/uploads/", "/content/images/", "/content/files/", "/content/media/")
# WordPress's resized copies ("photo-300x200.jpg") and Ghost's ("/size/w600/…"): the original
# is tried first, so an article gets the full picture rather than a thumbnail.
WORDPRESS_SIZE = re.compile(r"-\d+x\d+(?=\.[A-Za-z0-9]+$)")
GHOST_SIZE = re.compile(r"/content/images/size/[^/]+/(?:format/[^/]+/)?")
IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp", "AVIF": "avif"}
Kind = Literal["image", "document", "media"]
GHOST_URL = "__GHOST_URL__"


class MediaUnavailable(Exception):
    """A file that cannot be had; ``str(error)`` is the reason, for the report."""


def without_query(url: str) -> str:
    """The address without its query and fragment: the key of a file across runs."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def original_of(url: str) -> str:
    """The full-size original of a resized copy's address (the address itself otherwise)."""
    parts = urlsplit(url)
    path = GHOST_SIZE.sub("/content/images/", parts.path)
    if "/wp-content/uploads/" in path:
        path = WORDPRESS_SIZE.sub("", path)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def readable_name(url: str, extension: str = "") -> str:
    """A file name for the stored copy, from the old address: ``court-order.pdf``."""
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = slugify(stem, allow_unicode=True)[:80] or "file"
    ext = extension or slugify(ext)[:10]
    return f"{stem}.{ext}" if ext else stem


def title_from(url: str) -> str:
    """A title from the file name: ``court-order_2020.pdf`` → ``court order 2020``."""
    stem = PurePosixPath(unquote(urlsplit(url).path)).stem
    return re.sub(r"[-_+\s]+", " ", stem).strip()[:255] or _("Imported file")


class Resolver:
    """Turns the old site's file addresses into images, documents and media stored here."""

    def __init__(
        self,
        *,
        source: str,
        uploads: Path | None = None,
        fetch_from: dict[str, str] | None = None,
        download: bool = True,
        dry_run: bool = False,
        timeout: float = 20.0,
    ) -> None:
        self.source = source
        self.uploads = uploads
        self.fetch_from = {k.rstrip("/"): v.rstrip("/") for k, v in (fetch_from or {}).items()}
        # The operator named these servers: they may sit on a private network (or this machine).
        self.trusted = {host_and_port(replacement) for replacement in self.fetch_from.values()}
        self.download = download
        self.dry_run = dry_run
        self.timeout = timeout
        host = source.partition(":")[2]
        self.site_url = f"https://{host}" if host else ""
        self.failures: dict[tuple[Kind, str], str] = {}
        self._session: requests.Session | None = None

    # The three kinds

    def image(self, ref: records.ImageRef) -> AbstractImage | None:
        """The image stored for ``ref``; None only in a dry run."""
        Image = get_image_model()

        def store(data: IO[bytes], url: str) -> Any:
            extension, width, height = self._check_image(data)
            alt = ref.alt.strip()
            image = Image(
                title=(alt or ref.caption.strip() or title_from(url))[:255],
                description=alt[:255],
            )
            image.file = File(data, name=readable_name(url, extension))
            image.width, image.height = width, height
            image.save()
            return image

        return self._resolve("image", ref.url, Image, store, MAX_FILE_BYTES)

    def document(self, url: str, *, title: str = "") -> AbstractDocument | None:
        """The document stored for the file at ``url``; None only in a dry run."""
        Document = get_document_model()
        extensions = [e.lower() for e in getattr(settings, "WAGTAILDOCS_EXTENSIONS", []) or []]

        def store(data: IO[bytes], address: str) -> Any:
            name = readable_name(address)
            extension = name.rpartition(".")[2].lower() if "." in name else ""
            if extensions and extension not in extensions:
                raise MediaUnavailable(
                    _("a .%(extension)s file is not a kind of document kept here (%(kinds)s)")
                    % {"extension": extension or "?", "kinds": ", ".join(extensions)}
                )
            document = Document(title=(title.strip() or title_from(address))[:255])
            document.file = File(data, name=name)
            document.save()
            return document

        return self._resolve("document", url, Document, store, MAX_FILE_BYTES)

    def media(
        self, url: str, *, kind: Literal["audio", "video"], title: str = ""
    ) -> AbstractMedia | None:
        """The audio or video file stored for ``url``; None only in a dry run."""
        Media = get_media_model()
        setting = "AUDIO_EXTENSIONS" if kind == "audio" else "VIDEO_EXTENSIONS"
        extensions = [e.lower() for e in getattr(settings, "WAGTAILMEDIA", {}).get(setting, [])]

        def store(data: IO[bytes], address: str) -> Any:
            head = data.read(SNIFF_BYTES)
            data.seek(0)
            try:
                check_media(head, kind)
            except MediaFileError as error:
                raise MediaUnavailable(str(error)) from error
            name = readable_name(address)
            extension = name.rpartition(".")[2].lower() if "." in name else ""
            if extensions and extension not in extensions:
                raise MediaUnavailable(
                    _("a .%(extension)s file is not %(kind)s kept here (%(kinds)s)")
                    % {"extension": extension or "?", "kind": kind, "kinds": ", ".join(extensions)}
                )
            media = Media(title=(title.strip() or title_from(address))[:255], type=kind)
            media.file = File(data, name=name)
            media.save()
            return media

        return self._resolve("media", url, Media, store, MAX_MEDIA_BYTES)

    # Shared

    def absolute(self, url: str) -> str:
        """``url`` made absolute against the old site (a relative or scheme-less address)."""
        url = url.strip()
        if url.startswith(GHOST_URL):  # Ghost's placeholder for its own address
            url = url[len(GHOST_URL) :] or "/"
        if url.startswith("//"):
            return "https:" + url
        if url.startswith("data:") or urlsplit(url).scheme:
            return url
        return urljoin(self.site_url + "/", url) if self.site_url else url

    def _resolve(self, kind: Kind, url: str, model: Any, store: Any, limit: int) -> Any:
        url = self.absolute(url)
        key = self._key(url)
        if (kind, key) in self.failures:
            raise MediaUnavailable(self.failures[(kind, key)])
        item = ImportedItem.objects.filter(source=self.source, kind=kind, source_id=key).first()
        if item is not None and item.object_id is not None:
            existing = model.objects.filter(pk=item.object_id).first()
            if existing is not None:
                return None if self.dry_run else existing
        try:
            if self.dry_run:
                self._check_available(url)
                return None
            with self._fetched(url, limit) as (data, address):
                with transaction.atomic():
                    try:
                        stored = store(data, address)
                    except MetadataError as error:
                        raise MediaUnavailable(str(error)) from error
                    except OSError as error:  # a picture Pillow stops reading; a full disk
                        raise MediaUnavailable(
                            _("the file could not be read or stored (%(error)s)")
                            % {"error": type(error).__name__}
                        ) from error
                    ImportedItem.objects.update_or_create(
                        source=self.source,
                        kind=kind,
                        source_id=key,
                        defaults={"object_id": stored.pk},
                    )
                return stored
        except MediaUnavailable as error:
            self.failures[(kind, key)] = str(error)
            raise

    def _key(self, url: str) -> str:
        if url.startswith("data:"):
            return "data:sha256:" + hashlib.sha256(url.encode()).hexdigest()
        return original_of(url)[:500]

    def _candidates(self, url: str) -> list[str]:
        original = original_of(url)
        plain = without_query(url)
        return [original] if original == plain else [original, plain]

    def _in_uploads(self, url: str) -> Path | None:
        if self.uploads is None:
            return None
        root = self.uploads.resolve()
        for candidate in self._candidates(url):
            path = unquote(urlsplit(candidate).path)
            relatives = [path.split(marker, 1)[1] for marker in UPLOAD_MARKERS if marker in path]
            for relative in [*relatives, path.lstrip("/")]:
                found = (root / relative).resolve()
                if found.is_relative_to(root) and found.is_file():
                    return found
        return None

    def _check_available(self, url: str) -> None:
        """In a dry run: what can be known without downloading."""
        scheme = urlsplit(url).scheme
        if url.startswith("data:") or self._in_uploads(url) is not None:
            return
        if scheme not in ("http", "https"):
            raise MediaUnavailable(_("only web addresses (http, https) can be fetched"))
        if not self.download:
            raise MediaUnavailable(_("not in the uploads folder, and downloads are off"))

    @contextmanager
    def _fetched(self, url: str, limit: int) -> Iterator[tuple[IO[bytes], str]]:
        """The file's bytes (in a temporary file) and the address they came from."""
        with tempfile.SpooledTemporaryFile(max_size=8 * MB) as spool:
            if url.startswith("data:"):
                spool.write(data_uri_bytes(url, limit))
                address = "inline"
            elif (local := self._in_uploads(url)) is not None:
                if local.stat().st_size > limit:
                    raise MediaUnavailable(too_big(limit))
                with local.open("rb") as stream:
                    while chunk := stream.read(CHUNK):
                        spool.write(chunk)
                address = url
            else:
                address = self._download(url, spool, limit)
            spool.seek(0)
            yield spool, address

    def _download(self, url: str, into: IO[bytes], limit: int) -> str:
        if urlsplit(url).scheme not in ("http", "https"):
            raise MediaUnavailable(_("only web addresses (http, https) can be fetched"))
        if not self.download:
            what = _("not in the uploads folder, and downloads are off")
            raise MediaUnavailable(what if self.uploads else _("downloads are off"))
        errors: list[str] = []
        for candidate in self._candidates(url):
            try:
                self._get(candidate, into, limit)
                return candidate
            except MediaUnavailable as error:
                errors.append(str(error))
                into.seek(0)
                into.truncate()
        raise MediaUnavailable(errors[-1])

    def _get(self, url: str, into: IO[bytes], limit: int) -> None:
        fetch = self._replaced(url)
        try:
            # Redirects are followed here, one hop at a time, so that every host is checked:
            # a link to a public server must not bring back an answer from a private one.
            for _hop in range(MAX_REDIRECTS + 1):
                if urlsplit(fetch).scheme not in ("http", "https"):
                    raise MediaUnavailable(_("only web addresses (http, https) can be fetched"))
                # The environment's proxy is honoured (no_proxy too); its .netrc passwords are
                # not sent.
                proxies = requests.utils.get_environ_proxies(fetch)
                self._check_host(fetch, proxied=bool(proxies))
                with self.session.get(
                    fetch,
                    stream=True,
                    timeout=self.timeout,
                    proxies=proxies,
                    allow_redirects=False,
                ) as response:
                    if response.is_redirect:
                        fetch = self._replaced(urljoin(fetch, response.headers["Location"]))
                        continue
                    self._read(response, into, limit)
                    return
            raise MediaUnavailable(
                _("refused: more than %(count)s redirects") % {"count": MAX_REDIRECTS}
            )
        except requests.RequestException as error:
            raise MediaUnavailable(
                _("download failed (%(error)s)") % {"error": type(error).__name__}
            ) from error

    def _replaced(self, url: str) -> str:
        """Where ``url`` is fetched from: the operator's replacement for the old site, if any."""
        for origin, replacement in self.fetch_from.items():
            if url == origin or url.startswith(origin + "/"):
                return replacement + url[len(origin) :]
        return url

    def _check_host(self, url: str, *, proxied: bool) -> None:
        """Refuses a host on a private network, unless the operator named it in ``fetch_from``."""
        if host_and_port(url) in self.trusted:
            return
        host, port = host_and_port(url)
        if not host:
            raise MediaUnavailable(_("an address without a host"))
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as error:
            if proxied:  # the proxy resolves the name, and reaches only what it allows
                return
            raise MediaUnavailable(
                _("download failed (the host %(host)s was not found)") % {"host": host}
            ) from error
        for _family, _type, _proto, _name, sockaddr in found:
            address = str(sockaddr[0])
            if not public_address(address):
                raise MediaUnavailable(
                    _("refused: the address %(address)s of %(host)s is on a private network")
                    % {"address": address, "host": host}
                )

    def _read(self, response: requests.Response, into: IO[bytes], limit: int) -> None:
        if response.status_code != 200:
            raise MediaUnavailable(
                _("the old site answered %(status)s") % {"status": response.status_code}
            )
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise MediaUnavailable(too_big(limit))
        size = 0
        for chunk in response.iter_content(CHUNK):
            size += len(chunk)
            if size > limit:
                raise MediaUnavailable(too_big(limit))
            into.write(chunk)

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
            # No cookie is kept, not even between the redirects of one download.
            session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
            session.trust_env = False
            self._session = session
        return self._session

    def _check_image(self, data: IO[bytes]) -> tuple[str, int, int]:
        """The file's extension and size if Pillow reads it as a format kept here."""
        allowed = [e.lower() for e in getattr(settings, "WAGTAILIMAGES_EXTENSIONS", [])]
        max_pixels = getattr(settings, "WAGTAILIMAGES_MAX_IMAGE_PIXELS", 128_000_000)
        try:
            with PILImage.open(data) as picture:
                extension = IMAGE_FORMATS.get(picture.format or "", "")
                width, height = picture.size
                picture.verify()
        except Exception as error:  # Pillow raises many kinds for a file it cannot read
            raise MediaUnavailable(_("not an image")) from error
        finally:
            data.seek(0)
        if not extension or (allowed and extension not in allowed):
            raise MediaUnavailable(_("an image format not kept here"))
        if width * height > max_pixels:
            raise MediaUnavailable(
                _("an image too large (%(w)s×%(h)s)") % {"w": width, "h": height}
            )
        return extension, width, height


def host_and_port(url: str) -> tuple[str, int]:
    """The host (lower case) and port an address connects to."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "", port or (443 if parts.scheme == "https" else 80))


def public_address(address: str) -> bool:
    """Whether an IP address is on the public internet (not private, loopback, reserved…)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("%eth0") dropped
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def too_big(limit: int) -> str:
    return _("larger than %(size)s MB") % {"size": limit // MB}


def data_uri_bytes(url: str, limit: int) -> bytes:
    """The bytes of a ``data:`` address (a picture pasted into the old editor)."""
    header, comma, payload = url.partition(",")
    if not comma:
        raise MediaUnavailable(_("an unreadable data: address"))
    if len(payload) * 3 // 4 > limit:
        raise MediaUnavailable(too_big(limit))
    if header.endswith(";base64"):
        with suppress(ValueError):
            return base64.b64decode(payload, validate=False)
        raise MediaUnavailable(_("an unreadable data: address"))
    return unquote(payload).encode("latin-1", "replace")
