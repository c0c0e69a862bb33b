"""Reader-facing donation endpoints and the providers' webhooks.

The donate, "remind me later" and "manage my gift" forms are reader forms in the sense of
``core.public_forms``: no CSRF token (they may sit on static copies of the site), origin
checked, rate-limited. They live outside the language prefix; the language travels in the form.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from samizdat.core.addresses import InvalidAddress, normalise_email
from samizdat.core.languages import known
from samizdat.core.paths import absolute
from samizdat.core.public_forms import allow, client_ip, public_form
from samizdat.donations import appeal, gateway, money
from samizdat.donations.forms import DonateForm
from samizdat.donations.mail import read_manage_token
from samizdat.donations.models import RecurringGift
from samizdat.donations.providers.base import InvalidEvent, ProviderError
from samizdat.donations.tasks import send_manage_link

logger = logging.getLogger(__name__)
HOUR = 3600
REMIND_COOKIE = "samizdat_remind"


def _render(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    status: int = 200,
    *,
    switch_language: bool = False,
) -> HttpResponse:
    if switch_language:  # the masthead's language links: this page in the other language
        context["language_links"] = [
            {"code": code, "name": name, "path": f"{request.path}?language={code}"}
            for code, name in settings.LANGUAGES
        ]
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    return response


# The cookie says only "hide the appeal", with one value and the one lifetime of
# ``snooze_days`` whatever the reason ("remind me later", or a donor's "hide the appeal" after
# a gift), so that a seized phone's cookies do not tell a donor from a reader who was busy.
# Only a POST (or the reader's click, by the page's script) sets it: a GET never does.
REMIND_VALUE = "1"


def set_remind_cookie(response: HttpResponse, request: HttpRequest, days: int) -> None:
    response.set_cookie(
        REMIND_COOKIE,
        REMIND_VALUE,
        max_age=days * 24 * HOUR,
        path="/",
        secure=request.is_secure(),
        httponly=False,  # the page's script reads it, on static copies too
        samesite="Lax",
    )


def appeal_snoozed(request: HttpRequest | None) -> bool:
    """The browser drops the cookie when its lifetime is over."""
    return request is not None and request.COOKIES.get(REMIND_COOKIE) == REMIND_VALUE


def _donate_page(
    request: HttpRequest, form: DonateForm, language: str, status: int = 200, **extra: Any
) -> HttpResponse:
    return _render(
        request,
        "donations/donate.html",
        {"form": form, "LANG": language, "providers": gateway.providers(), **extra},
        status=status,
        switch_language=True,
    )


@public_form
@require_http_methods(["GET", "POST"])
def donate(request: HttpRequest, language: str = "") -> HttpResponse:
    """GET: the donate page, with what the appeal's "Continue" carried already chosen.
    POST: validate and send the reader to the provider's checkout."""
    data = request.POST if request.method == "POST" else request.GET
    language = known(data.get("language") or language)
    translation.activate(language)
    if request.method == "GET" and not data.get("frequency"):
        return _donate_page(request, DonateForm(), language, cancelled="cancelled" in data)
    form = DonateForm(data)
    if not form.is_valid():
        return _donate_page(request, form, language, 400)
    cleaned = form.cleaned_data
    provider = cleaned["provider"] if request.method == "POST" else ""
    try:
        gift = gateway.validate_gift(
            frequency=cleaned["frequency"],
            amount=cleaned["value"],
            currency=cleaned["currency"],
            provider=provider,
        )
    except gateway.InvalidGift as error:
        form.add_error(None, str(error))
        return _donate_page(request, form, language, 400)
    if not provider:  # "Continue" from the appeal: now choose how to pay
        if request.method == "GET":
            return _donate_page(request, form, language)
        form.add_error(None, _("Choose a way to pay."))
        return _donate_page(request, form, language, 400)
    if not allow(
        "donate-ip", client_ip(request), limit=settings.DONATIONS_CHECKOUTS_PER_HOUR, window=HOUR
    ):
        form.add_error(None, _("Too many attempts from your network. Please try again later."))
        return _donate_page(request, form, language, 429)
    query = urlencode({"language": language})
    try:
        result = gateway.start_checkout(
            gift=gift,
            language=language,
            email=cleaned["email"],
            name=cleaned["name"],
            success_url=absolute(reverse("donations:thanks")) + f"?{query}",
            cancel_url=absolute(reverse("donations:donate"))
            + "?"
            + urlencode(
                {
                    "language": language,
                    "frequency": gift.frequency,
                    "currency": gift.currency,
                    "custom_amount": cleaned["value"],
                    "cancelled": 1,
                }
            ),
        )
    except ProviderError as error:
        logger.warning("%s checkout could not start: %s", provider, error)
        return _donate_page(
            request,
            form,
            language,
            503,
            provider_error=_(
                "We could not reach the payment service: nothing was charged. "
                "Please try again in a moment, or choose another way to pay."
            ),
        )
    return HttpResponseRedirect(result.redirect_url, status=303)


@public_form
@require_http_methods(["GET", "POST"])
def remind_later(request: HttpRequest) -> HttpResponse:
    """Without JavaScript, "Remind me later" (and "hide the appeal" on the thank-you page)
    posts here: set the cookie, go back. A GET only goes back."""
    language = known(request.POST.get("language"))
    target = request.POST.get("next", "")
    if not (
        target.startswith("/")
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    ):
        target = f"/{language}/"
    response = HttpResponseRedirect(target, status=303)
    if request.method == "POST":
        set_remind_cookie(response, request, appeal.load().snooze_days)
    return response


@require_http_methods(["GET"])
def thanks(request: HttpRequest) -> HttpResponse:
    language = known(request.GET.get("language"))
    translation.activate(language)
    config = appeal.load()
    # No cookie here: the page offers a button that posts to "remind me later".
    return _render(
        request,
        "donations/thanks.html",
        {
            "LANG": language,
            "message": config.text("thanks", language),
            "snooze_days": config.snooze_days,
        },
        switch_language=True,
    )


@public_form
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest) -> HttpResponse:
    """ "Manage my donation": asks only for the email address and mails a signed link."""
    data = request.POST if request.method == "POST" else request.GET
    language = known(data.get("language"))
    translation.activate(language)
    context: dict[str, Any] = {"LANG": language}
    if request.method == "GET":
        return _render(request, "donations/manage.html", context, switch_language=True)
    try:
        email = normalise_email(data.get("email", ""))
    except InvalidAddress as error:
        context["error"] = (
            _("Enter the email address you gave when you started the gift.")
            if error.code == "invalid"
            else str(error)
        )
        return _render(request, "donations/manage.html", context, 400)
    if not allow("manage-ip", client_ip(request), limit=10, window=HOUR):
        context["error"] = _("Too many attempts from your network. Please try again later.")
        return _render(request, "donations/manage.html", context, 429)
    if allow("manage-address", email.lower(), limit=3, window=24 * HOUR):
        send_manage_link.enqueue(email=email, language=language)
    return _render(request, "donations/manage.html", {**context, "sent": True, "email": email})


@public_form
@require_http_methods(["GET", "POST"])
def manage_gifts(request: HttpRequest, token: str) -> HttpResponse:
    email = read_manage_token(token)
    language = known(request.GET.get("language") or request.POST.get("language"))
    gifts = list(RecurringGift.objects.filter(email__iexact=email)) if email else []
    if gifts:
        language = gifts[0].language
    translation.activate(language)
    context: dict[str, Any] = {"LANG": language, "gifts": gifts, "invalid": email is None}
    if email is None:
        return _render(request, "donations/manage_gifts.html", context, 400)
    if request.method == "POST":
        chosen = next((g for g in gifts if str(g.pk) == request.POST.get("gift")), None)
        if chosen is None:
            return HttpResponseBadRequest(_("That gift is not one of yours."))
        try:
            url = gateway.manage_url(gift_id=chosen.pk, return_url=absolute(request.path))
        except ProviderError as error:
            context["error"] = str(error) or _(
                "We could not reach the payment service. Please try again in a moment."
            )
            return _render(request, "donations/manage_gifts.html", context, 503)
        return HttpResponseRedirect(url, status=303)
    for gift in gifts:
        gift.display_amount = money.format(gift.amount, gift.currency, language)  # type: ignore[attr-defined]
    return _render(request, "donations/manage_gifts.html", context)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """Providers' webhooks: 400 for anything not genuine (nothing is stored), 503 when the
    provider must be asked and cannot be reached (it will retry), 200 otherwise."""
    found = gateway.all_providers().get(provider)
    if found is None:
        return HttpResponseBadRequest("unknown provider", content_type="text/plain")
    if not found.receives_webhooks:
        return HttpResponseBadRequest(f"{provider} has no webhook", content_type="text/plain")
    if not found.available():
        return HttpResponseBadRequest(f"{provider} is not enabled here", content_type="text/plain")
    try:
        outcomes = gateway.handle_webhook(provider, request.body, request.headers)
    except InvalidEvent as error:
        logger.warning("%s webhook refused: %s", provider, error)
        return HttpResponseBadRequest(str(error), content_type="text/plain")
    except ProviderError as error:
        logger.warning("%s webhook could not be processed now: %s", provider, error)
        return HttpResponse(str(error), status=503, content_type="text/plain")
    return HttpResponse("\n".join(outcomes), content_type="text/plain")
