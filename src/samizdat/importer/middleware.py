"""WordPress's query addresses (``/?p=12``, ``/index.php?page_id=4``) answer 301 to the page.

Wagtail's ``RedirectMiddleware`` looks up redirects only for answers that are 404s, and ``/``
is no 404 here (it leads to the language's front page): this looks first, and only for
requests of ``/`` or ``/index.php`` with one of WordPress's query keys, so every other
request costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect

from samizdat.importer import addresses

Handler = Callable[[HttpRequest], HttpResponse]


def old_query_addresses(get_response: Handler) -> Handler:
    def middleware(request: HttpRequest) -> HttpResponse:
        if request.method in ("GET", "HEAD") and request.path in addresses.QUERY_PATHS:
            query = request.META.get("QUERY_STRING", "")
            candidates = addresses.query_addresses(request.path, query)
            if candidates:
                redirect = addresses.find(request=request, old_paths=candidates)
                if redirect is not None and redirect.link:
                    if redirect.is_permanent:
                        return HttpResponsePermanentRedirect(redirect.link)
                    return HttpResponse(status=302, headers={"Location": redirect.link})
        return get_response(request)

    return middleware
