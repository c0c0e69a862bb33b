"""Request middleware shared by every app: site lookup cache and security headers."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from wagtail.models import Site

from samizdat.core import hooks
from samizdat.core.public_forms import app_origins

SITE_CACHE_TIMEOUT = 60
Handler = Callable[[HttpRequest], HttpResponse]

# Pages load nothing from any other origin; the policy makes a mistake visible at once.
# Forms may lead elsewhere only to the app's own addresses (a copy of the page on another
# origin posts there, and forms.js asks which of them answers) and to the origins apps
# register (a payment provider's hosted page, where the donate form redirects).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "font-src 'self'; connect-src 'self'{apps}; worker-src 'self'; "
    "form-action 'self'{apps}{providers}; "
    "frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)

# The admin's own policy, measured on its screens in chromium (tests/browser/
# test_admin_privacy.py): it loads and sends nothing elsewhere either, no eval, no plugins, and
# only the admin itself may frame it (the preview panel). Wagtail 8's staff screens need inline
# script (its widgets start from inline <script>s with field ids, and its forms run those of
# rows they add) and inline style (the page editor's rich text and choosers insert <style>
# elements); the screens anyone can open (sign-in, password reset) get neither.
ADMIN_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'{inline}; "
    "script-src 'self'{inline}; font-src 'self'; connect-src 'self'; frame-src 'self'; "
    "frame-ancestors 'self'; form-action 'self'; base-uri 'self'; object-src 'none'"
)


def admin_content_security_policy(*, signed_in: bool) -> str:
    return ADMIN_CONTENT_SECURITY_POLICY.format(inline=" 'unsafe-inline'" if signed_in else "")


ADMIN_PATHS = ("/admin/", "/django-admin/")


def content_security_policy() -> str:
    """The reader pages' policy (also what nginx sends with the static bundle)."""
    apps = app_origins()
    elsewhere = [o for o in hooks.collect(hooks.FORM_ACTION_ORIGINS) if o and o not in apps]
    return CONTENT_SECURITY_POLICY.format(
        apps="".join(f" {o}" for o in apps), providers="".join(f" {o}" for o in elsewhere)
    )


# On every reader answer of the app (and of the bundle's nginx): the site's service worker
# takes a page without it (a block page, a captive portal) for a failure and reads a mirror.
SITE_HEADER = ("Samizdat-Site", "1")

SITE_GENERATION_KEY = "samizdat:site:generation"


def site_cache_key(hostname: str, port: int | str) -> str:
    generation = cache.get_or_set(SITE_GENERATION_KEY, 1, None)
    return f"samizdat:site:{generation}:{hostname}:{port}"


def forget_cached_sites() -> None:
    """Make every cached Site lookup stale (called when a Site changes)."""
    try:
        cache.incr(SITE_GENERATION_KEY)
    except ValueError:
        cache.set(SITE_GENERATION_KEY, 1, None)


def cached_site(get_response: Handler) -> Handler:
    """Resolve the Wagtail Site for a request from the cache instead of the database."""

    def middleware(request: HttpRequest) -> HttpResponse:
        hostname = split_domain_port(request._get_raw_host())[0]  # type: ignore[attr-defined]
        port = request.get_port()
        key = site_cache_key(hostname, port)
        site = cache.get(key)
        if site is None:
            site = Site.find_for_request(request)
            if site is not None:
                cache.set(key, site, SITE_CACHE_TIMEOUT)
        request._wagtail_site = site  # type: ignore[attr-defined]
        return get_response(request)

    return middleware


def security_headers(get_response: Handler) -> Handler:
    """Add a strict Content-Security-Policy to reader pages (and the admin's own to the admin),
    ``Vary: Cookie`` to their HTML so that no shared cache mixes readers' pages, and, when the
    site has an onion address, ``Onion-Location`` pointing at the same page there."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if request.path.startswith(ADMIN_PATHS):
            user = getattr(request, "user", None)
            policy = admin_content_security_policy(signed_in=bool(user and user.is_authenticated))
            response.headers.setdefault("Content-Security-Policy", policy)
        else:
            response.headers.setdefault("Content-Security-Policy", content_security_policy())
            response.headers.setdefault(*SITE_HEADER)
            if response.get("Content-Type", "").startswith("text/html"):
                # A reader's "remind me later" date leaves the appeal out of the page.
                patch_vary_headers(response, ["Cookie"])
            if settings.ONION_URL:
                # Tor Browser offers "onion available" for this page. It acts on the header
                # only when the page came over HTTPS (and never on an onion site itself), so
                # it is ignored wherever else it arrives; it is sent on every reader response
                # anyway, because behind a proxy that ends TLS Django cannot always tell
                # whether the reader's connection was HTTPS. The path is percent-encoded
                # (``get_full_path``), so no request can put a line break into the header,
                # and the query is kept, so a reader lands on the same search or form.
                response.headers.setdefault(
                    "Onion-Location", settings.ONION_URL + request.get_full_path()
                )
        response.headers.setdefault("Permissions-Policy", "interest-cohort=(), browsing-topics=()")
        return response

    return middleware


def explained_refusals(get_response: Handler) -> Handler:
    """A refusal says why. Django answers a method an address does not take (405) and a few
    other refusals with an empty body; this gives them one line of plain text."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if (
            400 <= response.status_code < 500
            and request.method != "HEAD"
            and not response.streaming
            and not response.content.strip()
        ):
            if response.status_code == 405 and response.get("Allow"):
                text = _("This address does not take %(method)s requests, only %(allowed)s.") % {
                    "method": request.method,
                    "allowed": response["Allow"],
                }
            else:
                text = _("The request was refused: %(reason)s.") % {
                    "reason": response.reason_phrase
                }
            response.content = text + "\n"
            response["Content-Type"] = "text/plain; charset=utf-8"
        return response

    return middleware
