"""Is each mirror serving the newsroom's current bundle? ``samizdat mirror check`` and the worker.

A check fetches the mirror's ``manifest.json`` and compares it with the bundle's: a different
list of files means the copy is out of date. It then downloads a random sample of files (the
language front pages always among them) and compares their size and SHA-256 with the bundle's
manifest: a file that is missing or differs means the copy is broken. Network trouble and
garbage answers become a result, never an exception; every download is bounded in size and
time, so a hostile mirror cannot exhaust the checker.

Reports are written in the active language (the site's default in the worker), because staff
read them in the admin.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import random
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import requests
import urllib3
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from requests.utils import requote_uri

from samizdat.mirrors.manifest import MANIFEST, NOT_JSON, changed_files, read_manifest
from samizdat.mirrors.models import Mirror

logger = logging.getLogger(__name__)

TIMEOUT = 10.0  # seconds to connect, and of silence while reading
MAX_SECONDS = 60.0  # wall-clock limit of one download, however slowly it trickles in
MAX_FILE_BYTES = 20 * 1024 * 1024  # larger files are never sampled
MAX_MANIFEST_BYTES = 20 * 1024 * 1024  # plus room for a bundle with many files, see _fetch_manifest
MAX_REDIRECTS = 5
MAX_UNREACHABLE_FILES = 3  # sampling stops after this many files could not be fetched at all
MAX_DETAILS = 50
REPORT_LIMIT = 4000
USER_AGENT = "samizdat-mirror-check/1"
HEADERS = {
    "User-Agent": USER_AGENT,
    # Raw bytes: what the manifest hashes, and no decompression bomb.
    "Accept-Encoding": "identity",
    "Cache-Control": "no-cache",
}


@dataclass
class CheckResult:
    """What one check found: a Mirror.Status value, one line of summary, and the particulars."""

    status: Mirror.Status
    summary: str
    details: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # One line each, whatever a mirror put into the parts quoted from its answers.
        self.summary = " ".join(self.summary.split())
        self.details = [" ".join(line.split()) for line in self.details]

    @property
    def ok(self) -> bool:
        return self.status == Mirror.Status.OK

    def report(self) -> str:
        """Summary and details as the text stored on the Mirror row, capped in length."""
        text = "\n".join([self.summary, *self.details])
        return text if len(text) <= REPORT_LIMIT else text[: REPORT_LIMIT - 1] + "…"


class BundleUnavailable(Exception):
    """The newsroom's own bundle (its manifest.json) is missing or unreadable."""


class _Unreachable(Exception):
    """The server could not be reached, timed out or answered 5xx; args[0] is a short reason."""


class _Refused(Exception):
    """The server answered, but not with the file: args[0] is a short reason."""


@dataclass
class _Request:
    session: requests.Session
    proxies: dict[str, str] | None
    redirects: list[str]
    cors: bool = False  # the manifest came with a CORS header that lets the site's pages read it


# --- the local bundle ---------------------------------------------------------------------


def load_bundle_manifest(bundle_dir: Path) -> dict[str, Any]:
    """The manifest of the newsroom's bundle; raises BundleUnavailable with a clear reason."""
    path = Path(bundle_dir) / MANIFEST
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BundleUnavailable(
            f"{path} is missing: there is no bundle to compare mirrors with "
            "(build the bundle first, or point --bundle / SAMIZDAT_BUNDLE_DIR at one)."
        ) from None
    except OSError as error:
        raise BundleUnavailable(f"{path} cannot be read ({error.strerror}).") from None
    parsed, problem = _parse_manifest(data)
    if parsed is None:
        raise BundleUnavailable(f"{path}: {problem}; rebuild the bundle.")
    return parsed


# --- checking one mirror ------------------------------------------------------------------


def check_mirror(
    url: str,
    *,
    local: Mapping[str, Any],
    sample: int,
    session: requests.Session,
    rng: random.Random,
) -> CheckResult:
    """Compare the copy at ``url`` (its front, ending in "/") with the ``local`` manifest.

    Never raises for network trouble or a misbehaving server; an unexpected error is logged
    and reported as a failed check.
    """
    try:
        return _check(url, local=local, sample=sample, session=session, rng=rng)
    except Exception as error:
        logger.exception("checking the mirror %s failed", url)
        return CheckResult(
            Mirror.Status.UNREACHABLE,
            _("the check failed: %(error)s") % {"error": type(error).__name__},
        )


def _check(
    url: str,
    *,
    local: Mapping[str, Any],
    sample: int,
    session: requests.Session,
    rng: random.Random,
) -> CheckResult:
    base = url if url.endswith("/") else url + "/"
    proxies = None
    if (urlsplit(base).hostname or "").endswith(".onion"):
        proxy = settings.TOR_PROXY
        if not proxy:
            return CheckResult(
                Mirror.Status.UNREACHABLE, _("onion mirrors need SAMIZDAT_TOR_PROXY")
            )
        if importlib.util.find_spec("socks") is None:
            return CheckResult(
                Mirror.Status.UNREACHABLE,
                _("onion mirrors need SAMIZDAT_TOR_PROXY with PySocks installed "
                  "(pip install 'requests[socks]')"),
            )  # fmt: skip
        if proxy.startswith("socks5://"):  # onion names resolve only inside Tor
            proxy = "socks5h://" + proxy.removeprefix("socks5://")
        proxies = {"http": proxy, "https": proxy}
    request = _Request(session=session, proxies=proxies, redirects=[])

    try:
        remote = _fetch_manifest(request, base + MANIFEST, files=len(local["files"]))
    except _Unreachable as error:
        return CheckResult(Mirror.Status.UNREACHABLE, str(error), request.redirects)
    except _Refused as error:
        return CheckResult(Mirror.Status.BROKEN, str(error), request.redirects)

    details: list[str] = []
    changed, removed = changed_files(remote, local)
    behind = len(changed) + len(removed)
    stale_summary = ""
    if behind:
        generated = remote.get("generated")
        generated = generated[:40] if isinstance(generated, str) else "?"
        values = {"count": behind, "generated": generated}
        if isinstance(local.get("generated"), str) and generated > local["generated"]:
            stale_summary = (
                ngettext(
                    "%(count)s file differs, generated %(generated)s (newer than the bundle)",
                    "%(count)s files differ, generated %(generated)s (newer than the bundle)",
                    behind,
                )
                % values
            )
        else:
            stale_summary = (
                ngettext(
                    "%(count)s file behind, generated %(generated)s",
                    "%(count)s files behind, generated %(generated)s",
                    behind,
                )
                % values
            )
        details.append(
            _("%(changed)s to add or update, %(removed)s to remove")
            % {"changed": len(changed), "removed": len(removed)}
        )
        shown = (changed + removed)[:10]
        details.append(_("out of date: %(paths)s") % {"paths": _list(shown, behind)})

    # Only files the copy's own manifest agrees on: those it must serve exactly as we do.
    skip = set(changed)
    chosen = _sample([f for f in local["files"] if f["path"] not in skip], sample, rng)
    problems: list[str] = []
    wrong: list[str] = []
    attempted = unreachable = 0
    for entry in chosen:
        if unreachable >= MAX_UNREACHABLE_FILES:
            problems.append(
                _("sampling stopped after %(count)s files could not be fetched")
                % {"count": unreachable}
            )
            break
        attempted += 1
        problem, network = _check_file(request, base, entry)
        if problem:
            problems.append(problem)
            wrong.append(entry["path"])
            unreachable += network
    if not request.cors:
        # Not a fault of the copy itself, but readers' browsers cannot fail over to it.
        details.append(
            _(
                "no CORS header (Access-Control-Allow-Origin): readers' browsers cannot fail "
                "over to this copy from the site's pages"
            )
        )
    details = [*details, *dict.fromkeys(request.redirects), *problems][:MAX_DETAILS]

    if attempted and unreachable == attempted:
        return CheckResult(
            Mirror.Status.UNREACHABLE,
            _("the manifest loaded, but no sampled file could be fetched"),
            details,
        )
    if wrong:
        summary = ngettext(
            "%(count)s sampled file of %(total)s is wrong: %(paths)s",
            "%(count)s sampled files of %(total)s are wrong: %(paths)s",
            len(wrong),
        ) % {"count": len(wrong), "total": attempted, "paths": _list(wrong[:3], len(wrong))}
        if stale_summary:
            summary = f"{summary}; {stale_summary}"
        return CheckResult(Mirror.Status.BROKEN, summary, details)
    if stale_summary:
        return CheckResult(Mirror.Status.STALE, stale_summary, details)
    if chosen:
        summary = ngettext(
            "manifest matches; %(count)s sampled file matches",
            "manifest matches; %(count)s sampled files match",
            len(chosen),
        ) % {"count": len(chosen)}
    else:
        summary = _("manifest matches")
    if not request.cors:
        summary = f"{summary}; {_('no CORS header')}"
    return CheckResult(Mirror.Status.OK, summary, details)


def _list(paths: list[str], total: int) -> str:
    return ", ".join(paths) + (", …" if total > len(paths) else "")


def _front_pages() -> dict[str, None]:
    """The root page and each language's front page, in order."""
    paths = ["index.html", *(f"{code}/index.html" for code, _name in settings.LANGUAGES)]
    return dict.fromkeys(paths)


def _sample(entries: list[dict[str, Any]], count: int, rng: random.Random) -> list[dict[str, Any]]:
    """The language fronts when listed, then ``count`` files at random, mostly pages."""
    if count <= 0:
        return []
    entries = [entry for entry in entries if entry["size"] <= MAX_FILE_BYTES]
    by_path = {entry["path"]: entry for entry in entries}
    front_paths = _front_pages()
    fronts = [by_path[path] for path in front_paths if path in by_path]
    rest = [entry for entry in entries if entry["path"] not in front_paths]
    pages = [entry for entry in rest if entry["path"].endswith(".html")]
    other = [entry for entry in rest if not entry["path"].endswith(".html")]
    wanted = max(count - len(fronts), 0)
    other_count = min(len(other), wanted // 4)  # a few stylesheets, images, feeds too
    page_count = min(len(pages), wanted - other_count)
    other_count = min(len(other), wanted - page_count)
    return fronts + rng.sample(pages, page_count) + rng.sample(other, other_count)


# --- fetching -----------------------------------------------------------------------------


class _HTTPStatus(Exception):
    """The server answered with a status other than 2xx (and below 500)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class _TooLarge(Exception):
    """The answer is longer than it may be."""


def _site_origin() -> str:
    site = urlsplit(settings.SITE_URL)
    return f"{site.scheme}://{site.netloc}"


@contextmanager
def _open(request: _Request, url: str, *, origin: bool = False) -> Iterator[requests.Response]:
    """GET ``url`` (following up to MAX_REDIRECTS redirects, each recorded) and yield the
    2xx response, unread; with ``origin``, as the site's pages would (an ``Origin`` header).
    Raises _Unreachable, _HTTPStatus or _Refused."""
    headers = {**HEADERS, "Origin": _site_origin()} if origin else HEADERS
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            response = request.session.get(
                current,
                headers=headers,
                proxies=request.proxies,
                timeout=(TIMEOUT, TIMEOUT),
                stream=True,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            raise _Unreachable(_reason(error)) from None
        target = request.session.get_redirect_target(response)
        if target is None:
            break
        response.close()
        try:
            current = requote_uri(urljoin(current, target))
        except ValueError:
            raise _Refused(_("redirected to an invalid address")) from None
        if urlsplit(current).scheme not in {"http", "https"}:
            raise _Refused(_("redirected to %(url)s") % {"url": current[:200]})
    else:
        raise _Refused(_("too many redirects"))
    if current != url:
        request.redirects.append(
            _("%(url)s: redirected to %(final)s") % {"url": url, "final": current[:300]}
        )
    try:
        if response.status_code >= 500:
            raise _Unreachable(_("server error (HTTP %(code)s)") % {"code": response.status_code})
        if not 200 <= response.status_code < 300:
            raise _HTTPStatus(response.status_code)
        yield response
    finally:
        response.close()


def _read(response: requests.Response, *, limit: int) -> Iterator[bytes]:
    """The body in chunks; _TooLarge past ``limit`` bytes, _Unreachable when slow or cut off."""
    started = time.monotonic()
    total = 0
    for chunk in _chunks(response):
        total += len(chunk)
        if total > limit:
            raise _TooLarge
        if time.monotonic() - started > MAX_SECONDS:
            raise _Unreachable(_("timed out"))
        yield chunk


def _chunks(response: requests.Response) -> Iterator[bytes]:
    """The body as it arrives: each piece after at most one read from the socket, so that a
    server trickling a byte at a time cannot hold a read open past MAX_SECONDS."""
    raw = response.raw
    read1 = getattr(raw, "read1", None)
    if read1 is None:  # urllib3 1.x: whole chunks only
        try:
            yield from response.iter_content(64 * 1024)
        except requests.RequestException as error:
            raise _Unreachable(_reason(error)) from None
        return
    while True:
        try:
            chunk = read1(64 * 1024, decode_content=True)
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise _Unreachable(_reason(error)) from None
        if not chunk:
            return
        yield chunk


def _reason(error: Exception) -> str:
    """A few words on why a request failed."""
    if isinstance(error, requests.exceptions.ProxyError | urllib3.exceptions.ProxyError):
        return _("the proxy did not answer")
    if isinstance(error, requests.exceptions.SSLError | urllib3.exceptions.SSLError):
        return _("TLS error (certificate or protocol)")
    if isinstance(error, requests.Timeout | urllib3.exceptions.TimeoutError | TimeoutError):
        return _("timed out")
    text = str(error)
    if "Connection refused" in text:
        return _("connection refused")
    if "Connection reset" in text or "RemoteDisconnected" in text:
        return _("connection closed by the server")
    if "resolve" in text or "Name or service not known" in text:
        return _("name not found")
    found = re.search(r"\[Errno -?\d+\] ([^'\")]{1,100})", text)
    if found:
        return found.group(1).strip()
    if isinstance(error, requests.ConnectionError | urllib3.exceptions.HTTPError | OSError):
        return _("connection failed")
    return _("request failed (%(error)s)") % {"error": type(error).__name__}


def _fetch_manifest(request: _Request, url: str, *, files: int) -> dict[str, Any]:
    # A generous ceiling: what a manifest of ``files`` entries could reasonably take, and more.
    limit = MAX_MANIFEST_BYTES + 400 * files
    try:
        with _open(request, url, origin=True) as response:
            body = b"".join(_read(response, limit=limit))
            allowed = response.headers.get("Access-Control-Allow-Origin", "")
            request.cors = allowed in {"*", _site_origin()}
    except _HTTPStatus as error:
        values = {"name": MANIFEST, "code": error.code}
        if error.code in (404, 410):
            raise _Refused(_("%(name)s is missing (HTTP %(code)s)") % values) from None
        raise _Refused(_("%(name)s: HTTP %(code)s") % values) from None
    except _TooLarge:
        raise _Refused(
            _("%(name)s is larger than %(size)s MB") % {"name": MANIFEST, "size": limit >> 20}
        ) from None
    parsed, problem = _parse_manifest(body)
    if parsed is None:
        raise _Refused(problem)
    return parsed


def _parse_manifest(data: bytes) -> tuple[dict[str, Any] | None, str]:
    """The manifest in ``data`` and "", or None and what is wrong with it."""
    parsed, problems = read_manifest(data)
    if parsed is not None:
        return dict(parsed), ""
    if problems == [NOT_JSON]:
        return None, _("%(name)s is not valid JSON") % {"name": MANIFEST}
    return None, _("%(name)s is malformed") % {"name": MANIFEST}


def _check_file(request: _Request, base: str, entry: Mapping[str, Any]) -> tuple[str, bool]:
    """("", False) when the copy serves ``entry`` exactly; else (the problem, unreachable?)."""
    path, expected = entry["path"], entry["size"]
    values: dict[str, Any] = {"path": path, "expected": expected}
    digest = hashlib.sha256()
    size = 0
    try:
        with _open(request, base + quote(path, safe="/")) as response:
            length = response.headers.get("Content-Length", "")
            encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
            if length.isdigit() and encoding in {"", "identity"} and int(length) != expected:
                values["got"] = int(length)
                return _(
                    "%(path)s: size differs (%(got)s bytes, expected %(expected)s)"
                ) % values, False
            for chunk in _read(response, limit=expected):
                digest.update(chunk)
                size += len(chunk)
    except _Unreachable as error:
        return _("%(path)s: unreachable (%(reason)s)") % {**values, "reason": error}, True
    except _HTTPStatus as error:
        values["code"] = error.code
        if error.code in (404, 410):
            return _("%(path)s: missing (HTTP %(code)s)") % values, False
        return _("%(path)s: HTTP %(code)s") % values, False
    except _Refused as error:
        return f"{path}: {error}", False
    except _TooLarge:
        return _("%(path)s: larger than in the bundle (%(expected)s bytes)") % values, False
    if size != expected:
        values["got"] = size
        return _("%(path)s: size differs (%(got)s bytes, expected %(expected)s)") % values, False
    if digest.hexdigest() != entry["sha256"]:
        return _("%(path)s: content differs (SHA-256)") % values, False
    return "", False


# --- every stored mirror ------------------------------------------------------------------


def new_session() -> requests.Session:
    """A requests session for checking mirrors."""
    session = requests.Session()
    session.headers.update(HEADERS)
    return session


def check_all(*, now: datetime, bundle_dir: Path, sample: int) -> list[tuple[Mirror, CheckResult]]:
    """Check every Mirror (public or not) against the bundle and store each result on its row.

    Raises BundleUnavailable when the bundle's manifest is missing or unreadable.
    """
    local = load_bundle_manifest(bundle_dir)
    rng = random.SystemRandom()  # a mirror cannot guess which files will be compared
    results = []
    with new_session() as session:
        for mirror in list(Mirror.objects.order_by("sort_order", "url")):
            result = check_mirror(mirror.url, local=local, sample=sample, session=session, rng=rng)
            mirror.last_checked_at = now
            mirror.last_status = result.status
            mirror.last_report = result.report()
            # An update, not save(): the row may have been edited or deleted meanwhile.
            Mirror.objects.filter(pk=mirror.pk).update(
                last_checked_at=now, last_status=result.status, last_report=mirror.last_report
            )
            results.append((mirror, result))
    return results
