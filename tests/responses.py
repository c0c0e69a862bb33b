"""The type of what Django's test client returns, for helpers that take or return it."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

    # The view's response with what the client adds to it (wsgi_request, templates, context,
    # redirect_chain, json()). django-stubs declares it for the type checker only: it does not
    # exist at run time, so import this alias under TYPE_CHECKING too.
    ClientResponse: TypeAlias = _MonkeyPatchedWSGIResponse
