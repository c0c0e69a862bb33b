"""Reader-facing newsletter endpoints: signup, confirm, one-click unsubscribe, webhooks.

They live outside the language prefix (the subscriber's language comes from the form or
their record) and are reader forms in the sense of ``core.public_forms``.
"""

from __future__ import annotations

import base64
import datetime
import importlib
import json
import logging
import pkgutil
from typing import Any

import altcha
from anymail.exceptions import (
    AnymailConfigurationError,
    AnymailError,
    AnymailWebhookValidationFailure,
)
from django.conf import settings
from django.core.cache import cache
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    HttpResponseNotFound,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from samizdat.core.languages import known
from samizdat.core.public_forms import allow, client_ip, public_form
from samizdat.newsletter import actions
from samizdat.newsletter.forms import SignupForm, consent_wording
from samizdat.newsletter.mail import read_confirm_token, subscriber_from_unsubscribe_token
from samizdat.newsletter.models import Subscriber
from samizdat.publishing.models import privacy_policy

logger = logging.getLogger(__name__)
HOUR = 3600
DAY = 24 * HOUR


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _signup_page(
    request: HttpRequest, form: SignupForm, language: str, status: int, message: str = ""
) -> HttpResponse:
    return _render(
        request,
        "newsletter/signup_result.html",
        {"form": form, "signup_error": message, "LANG": language},
        status=status,
    )


def _pow_ok(payload: str) -> bool:
    try:
        valid, _error = altcha.verify_solution_v1(payload, settings.SECRET_KEY, check_expires=True)
    except (TypeError, ValueError, KeyError, AttributeError):  # not a solution at all
        return False
    if not valid:
        return False
    try:
        signature = json.loads(base64.b64decode(payload))["signature"]
    except (ValueError, KeyError, TypeError):
        return False
    # Each solved challenge counts once.
    return bool(cache.add(f"samizdat:pow:{signature}", 1, timeout=HOUR))


@public_form
@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    language = known(request.POST.get("language") or request.GET.get("language"))
    translation.activate(language)
    if request.method == "GET":
        return HttpResponseRedirect(f"/{language}/newsletter/")
    form = SignupForm(request.POST)
    if not form.is_valid():
        return _signup_page(request, form, language, 400)
    data = form.cleaned_data
    language = data["language"]
    translation.activate(language)
    if data["website"]:
        logger.info("newsletter signup with the hidden field filled: ignored")
        return _render(request, "newsletter/subscribe_done.html", {"LANG": language})
    with_pow = bool(data["altcha"])
    if with_pow and not _pow_ok(data["altcha"]):
        return _signup_page(
            request,
            form,
            language,
            400,
            translation.gettext("The anti-spam check did not pass. Please send the form again."),
        )
    limit = (
        settings.NEWSLETTER_SIGNUPS_PER_HOUR
        if with_pow
        else settings.NEWSLETTER_SIGNUPS_PER_HOUR_WITHOUT_POW
    )
    if not allow("signup-ip", client_ip(request), limit=limit, window=HOUR):
        return _signup_page(
            request,
            form,
            language,
            429,
            translation.gettext("Too many signups from your network. Please try again in an hour."),
        )
    # Per address: a few confirmation mails a day at most, and the same answer either way.
    if allow("signup-address", data["email"], limit=3, window=DAY):
        policy = privacy_policy(language) or {"version": 0}
        actions.subscribe(
            email=data["email"],
            language=language,
            form=data["form"],
            wording=consent_wording(language),
            policy_version=policy["version"],
        )
    return _render(request, "newsletter/subscribe_done.html", {"LANG": language})


@public_form
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest) -> HttpResponse:
    """``/newsletter/confirm/?token=…``. GET shows one button (mail scanners open links; they
    must not confirm anyone); POST confirms and uses the link up."""
    token = request.GET.get("token", "")
    subscriber = actions.pending_by_confirm_token(token)
    language = subscriber.language if subscriber else known(request.GET.get("language"))
    translation.activate(language)
    context: dict[str, Any] = {"LANG": language}
    if subscriber is None:
        return _render(request, "newsletter/confirm.html", {**context, "invalid": True}, 400)
    if request.method == "POST":
        if actions.confirm_by_token(token=token) is None:
            return _render(request, "newsletter/confirm.html", {**context, "invalid": True}, 400)
        return _render(request, "newsletter/confirm.html", {**context, "confirmed": True})
    return _render(
        request,
        "newsletter/confirm.html",
        {**context, "confirmed": subscriber.status == Subscriber.Status.ACTIVE},
    )


@public_form
@require_http_methods(["GET", "POST"])
def confirm_old_link(request: HttpRequest, token: str) -> HttpResponse:
    """A confirmation link of the old form (a signed id in the path), mailed before the
    upgrade; it works until it expires as before."""
    found = read_confirm_token(token)
    subscriber = Subscriber.objects.filter(pk=found[0]).first() if found else None
    language = subscriber.language if subscriber else known(request.GET.get("language"))
    translation.activate(language)
    context: dict[str, Any] = {"LANG": language}
    if subscriber is None or found is None:
        return _render(request, "newsletter/confirm.html", {**context, "invalid": True}, 400)
    if request.method == "POST":
        confirmed = actions.confirm_subscription(subscriber_id=subscriber.pk, email_digest=found[1])
        if confirmed is None:
            return _render(request, "newsletter/confirm.html", {**context, "invalid": True}, 400)
        return _render(request, "newsletter/confirm.html", {**context, "confirmed": True})
    return _render(
        request,
        "newsletter/confirm.html",
        {**context, "confirmed": subscriber.status == Subscriber.Status.ACTIVE},
    )


@public_form
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str = "") -> HttpResponse:
    """One-click unsubscribe (RFC 8058): a POST unsubscribes at once, whether it comes from
    the mail client (``List-Unsubscribe=One-Click``) or from the button on the GET page.

    ``/newsletter/unsubscribe/?token=…``; letters sent before the token moved to the query
    string have it in the path, and those links keep working."""
    subscriber_id = subscriber_from_unsubscribe_token(token or request.GET.get("token", ""))
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first() if subscriber_id else None
    language = subscriber.language if subscriber else settings.LANGUAGE_CODE
    translation.activate(language)
    context: dict[str, Any] = {"LANG": language}
    if subscriber_id is None:
        return _render(request, "newsletter/unsubscribe.html", {**context, "invalid": True}, 400)
    if request.method == "POST":
        if subscriber is not None:
            actions.unsubscribe(subscriber_id=subscriber.pk)
        return _render(request, "newsletter/unsubscribe.html", {**context, "done": True})
    done = subscriber is None or subscriber.status not in {
        Subscriber.Status.ACTIVE,
        Subscriber.Status.PENDING,
    }
    return _render(request, "newsletter/unsubscribe.html", {**context, "done": done})


@never_cache
@require_GET
def challenge(request: HttpRequest) -> JsonResponse:
    """A proof-of-work puzzle for the signup form's script (ALTCHA, solved in the browser)."""
    puzzle = altcha.create_challenge_v1(
        altcha.ChallengeOptionsV1(
            hmac_key=settings.SECRET_KEY,
            max_number=settings.NEWSLETTER_POW_MAX_NUMBER,
            expires=datetime.datetime.now() + datetime.timedelta(minutes=20),
        )
    )
    response = JsonResponse(
        {
            "algorithm": puzzle.algorithm,
            "challenge": puzzle.challenge,
            "maxnumber": puzzle.max_number,
            "salt": puzzle.salt,
            "signature": puzzle.signature,
        }
    )
    # A public puzzle, fetched without credentials by copies of the page on any origin.
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def ping(request: HttpRequest) -> HttpResponse:
    """204 to any origin: how forms.js on a copy of a page finds an app address that answers.

    No body, no cookie, no database; not cached, so every answer is a fresh one."""
    response = HttpResponse(status=204, content_type="text/plain")
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "no-store"
    return response


def _tracking_views() -> dict[str, Any]:
    import anymail.webhooks

    views = {}
    for module_info in pkgutil.iter_modules(anymail.webhooks.__path__):
        if module_info.name == "base":
            continue
        module = importlib.import_module(f"anymail.webhooks.{module_info.name}")
        for name in dir(module):
            if name.endswith("TrackingWebhookView") and not name.startswith("Base"):
                view = getattr(module, name).as_view()
                views[module_info.name] = views[module_info.name.replace("_", "-")] = view
    return views


TRACKING_VIEWS: dict[str, Any] = {}


@csrf_exempt
def mail_webhook(request: HttpRequest, esp: str) -> HttpResponse:
    """Bounce and complaint events of any mail service django-anymail supports, verified by
    anymail (shared secret and, where the service signs, its signature)."""
    if not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        # Without a shared secret anyone could report any address as bounced.
        return HttpResponseForbidden(
            "Mail service webhooks are off: set SAMIZDAT_ANYMAIL_WEBHOOK_SECRET.",
            content_type="text/plain; charset=utf-8",
        )
    if not TRACKING_VIEWS:
        TRACKING_VIEWS.update(_tracking_views())
    view = TRACKING_VIEWS.get(esp)
    if view is None:
        raise Http404("No such mail service")
    try:
        response: HttpResponse = view(request)
    except AnymailConfigurationError:
        return HttpResponseNotFound(
            "This mail service is not set up here.", content_type="text/plain; charset=utf-8"
        )
    except AnymailWebhookValidationFailure:
        logger.warning("%s webhook refused: not verified", esp)
        return HttpResponseBadRequest(
            "This report could not be verified as coming from the mail service.",
            content_type="text/plain; charset=utf-8",
        )
    except (AnymailError, ValueError, TypeError, KeyError, IndexError, AttributeError,
            RecursionError) as error:  # fmt: skip
        # Verified (or a service that verifies after reading), but not a report anymail can
        # read. The error's text may quote the body, addresses and all: only its kind is logged.
        logger.warning("%s webhook with a body that is no report: %s", esp, type(error).__name__)
        return HttpResponseBadRequest(
            "This is not a report this mail service sends.",
            content_type="text/plain; charset=utf-8",
        )
    return response
