"""The public list of mirrors (``/<lang>/mirrors/``), also written into every newsletter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from samizdat.core.paths import FOR_A_COPY, absolute
from samizdat.mirrors import failover
from samizdat.mirrors.models import Mirror

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class PublicAddress:
    """One address where readers find the site: ``url`` is its front page in their language."""

    url: str
    label: str
    onion: bool
    status: str  # what the last check found, in the reader's words ("" when not checked)


# What each result of the last check means to a reader; "not checked yet" says nothing.
READER_STATUS: dict[str, StrOrPromise] = {
    Mirror.Status.OK.value: gettext_lazy("Up to date as of %(time)s."),
    Mirror.Status.STALE.value: gettext_lazy(
        "Out of date as of %(time)s: the newest stories may be missing."
    ),
    Mirror.Status.BROKEN.value: gettext_lazy("Not working properly at the last check (%(time)s)."),
    Mirror.Status.UNREACHABLE.value: gettext_lazy(
        "Could not be reached at the last check (%(time)s)."
    ),
}


def status_wording(mirror: Mirror) -> str:
    """The last check's result for readers (never its report: that is for staff)."""
    wording = READER_STATUS.get(mirror.last_status)
    if wording is None or mirror.last_checked_at is None:
        return ""
    when = date_format(localtime(mirror.last_checked_at), "DATETIME_FORMAT")
    return str(wording) % {"time": when}


def _front_page(root: str, language: str) -> str | None:
    """The copy's front page in ``language``; None for an address no reader should be given."""
    parts = urlsplit(root)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    if parts.query or parts.fragment:
        return None
    return f"{root.rstrip('/')}/{language}/"


def public_addresses(language: str) -> list[PublicAddress]:
    """The public mirrors in their order, then the onion address of the settings (unless it
    is one of them), with wording in the active language."""
    result = []
    roots = set()
    for mirror in Mirror.objects.filter(public=True):
        url = _front_page(mirror.url, language)
        if url is None:
            continue
        roots.add(mirror.url.rstrip("/"))
        result.append(
            PublicAddress(
                url=url, label=mirror.label, onion=mirror.onion, status=status_wording(mirror)
            )
        )
    onion = settings.ONION_URL
    if onion and onion not in roots and (url := _front_page(onion, language)) is not None:
        result.append(PublicAddress(url=url, label="", onion=True, status=""))
    return result


@require_safe
def mirror_list(request: HttpRequest) -> HttpResponse:
    """Where else to read the site. The same page for every reader (no cookie, nothing
    personal, not even the appeal banner, which depends on the reader's "remind me later"
    cookie), so any cache or static copy may keep it."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    context: dict[str, Any] = {
        "addresses": public_addresses(language),
        "canonical_url": absolute(request.path),
        "translations": [
            {"language": code, "path": f"/{code}/mirrors/"} for code, _name in settings.LANGUAGES
        ],
        "language_links": [
            {"code": code, "name": name, "path": f"/{code}/mirrors/"}
            for code, name in settings.LANGUAGES
        ],
    }
    return render(request, "mirrors/mirror_list.html", context)


@require_safe
def copy_file_address(request: HttpRequest, folder: str) -> HttpResponse:
    """A copy's links name files (``/en/news/index.html``, a feed's ``index.xml``); where no
    such file is served (a server that passes what it lacks to the app), the app sends the
    reader to the folder's address."""
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect("/" + folder + (f"?{query}" if query else ""))


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """``/sw.js``: the worker that reads from the mirrors when this address fails (checked
    by the browser for a new version at every visit, so never kept in a cache)."""
    script = failover.worker_script(for_a_copy=getattr(request, FOR_A_COPY, False))
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Content-Security-Policy"] = failover.WORKER_CONTENT_SECURITY_POLICY
    return response


def _public_file(data: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "public, max-age=300"
    # Signed public data: a worker that opened the site elsewhere reads it from here.
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def signed_mirror_list(request: HttpRequest) -> HttpResponse:
    """``/mirrors.json``: the public mirrors and the key that signs copies."""
    return _public_file(failover.mirror_list_bytes(), "application/json")


@require_safe
def mirror_list_signature(request: HttpRequest) -> HttpResponse:
    """``/mirrors.json.sig``: a signature of ``mirrors.json`` per line (404 without a key)."""
    signatures = failover.sign(failover.mirror_list_bytes())
    if not signatures:
        raise Http404("the bundle is not signed")
    return _public_file(signatures, "text/plain; charset=utf-8")


@require_safe
def offline(request: HttpRequest) -> HttpResponse:
    """What the worker shows for a page it cannot reach anywhere: the mirrors and the onion."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    context: dict[str, Any] = {
        "addresses": public_addresses(language),
        "canonical_url": absolute(request.path),
        "translations": [],
        "language_links": [
            {"code": code, "name": name, "path": f"/{code}/offline/"}
            for code, name in settings.LANGUAGES
        ],
    }
    return render(request, "mirrors/offline.html", context)
