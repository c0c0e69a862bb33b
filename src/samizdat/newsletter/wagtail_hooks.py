"""The newsletter in the Wagtail admin: one "Newsletter" menu with editions, subscribers,
suppressed addresses and, when mail goes to the local outbox, the outbox."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template import Context
from django.urls import URLPattern, URLResolver, include, path
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import LogActionRegistry, LogFormatter
from wagtail.permissions import policy_registry
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from samizdat.core import build_memo
from samizdat.core.hooks import (
    DEMO_CONTENT,
    ERASERS,
    PERIODIC_JOBS,
    SEEDERS,
    URLS,
    Eraser,
    Seeder,
    region,
)
from samizdat.core.paths import relative_prefix
from samizdat.core.regions import render_block
from samizdat.newsletter import actions, admin_views, views
from samizdat.newsletter import urls as newsletter_urls
from samizdat.newsletter.models import Edition, Subscriber, Suppression
from samizdat.newsletter.templatetags.signup import signup_form

SIGNUP_TEMPLATE = "newsletter/includes/signup_form.html"


class EditionViewSet(SnippetViewSet):
    model = Edition
    icon = "doc-full"
    menu_label = _("Editions")
    # Listed in the Newsletter menu, so not again under Snippets.
    menu_item_is_registered = True
    list_display = ["subject", "language", "status", "send_at"]
    list_filter = ["status", "language"]
    search_fields = ["subject"]
    # A copy would carry the frozen mail and status of a sent edition.
    copy_view_enabled = False
    index_view_class = admin_views.EditionIndexView
    edit_view_class = admin_views.EditionEditView

    @property
    def send_view(self) -> Any:
        return admin_views.EditionSendView.as_view()

    def get_urlpatterns(self) -> list[Any]:
        return [*super().get_urlpatterns(), path("send/<int:pk>/", self.send_view, name="send")]


class SubscriberViewSet(ModelViewSet):
    model = Subscriber
    name = admin_views.SUBSCRIBERS
    url_prefix = "newsletter/subscribers"
    url_namespace = admin_views.SUBSCRIBERS
    icon = "group"
    menu_label = _("Subscribers")
    list_display = ["email", "language", "status", "created_at", "confirmed_at"]
    list_filter = ["status", "language"]
    search_fields = ["email"]
    list_per_page = 50
    list_export = ["email", "language", "status", "created_at", "confirmed_at", "source"]
    # Machine names, as the import reads them, in every admin language.
    export_headings = {
        "email": "email",
        "language": "language",
        "status": "status",
        "created_at": "signed_up",
        "confirmed_at": "confirmed",
        "source": "source",
    }
    export_filename = "subscribers"
    # People join by signing up or by import (both record consent), never by a staff form;
    # the address itself is not editable (its consent belongs to that address).
    form_fields = ["language", "source"]
    inspect_view_enabled = True
    inspect_view_fields = [
        "email",
        "language",
        "status",
        "source",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
    ]
    copy_view_enabled = False
    add_to_reference_index = False
    index_view_class = admin_views.SubscriberIndexView
    inspect_view_class = admin_views.SubscriberInspectView
    edit_view_class = admin_views.SubscriberEditView
    delete_view_class = admin_views.SubscriberEraseView

    def get_common_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        result: dict[str, Any] = super().get_common_view_kwargs(add_url_name=None, **kwargs)
        return result

    def get_urlpatterns(self) -> list[Any]:
        patterns = [p for p in super().get_urlpatterns() if p.name != "add"]
        return [
            *patterns,
            path("import/", admin_views.SubscriberImportView.as_view(), name="import"),
            path(
                "unsubscribe/<int:pk>/",
                admin_views.SubscriberUnsubscribeView.as_view(),
                name="unsubscribe",
            ),
        ]


class SuppressionViewSet(ModelViewSet):
    model = Suppression
    name = admin_views.SUPPRESSIONS
    url_prefix = "newsletter/suppressions"
    url_namespace = admin_views.SUPPRESSIONS
    icon = "no-view"
    menu_label = _("Suppressed addresses")
    list_display = ["reason", "detail", "created_at"]
    list_filter = ["reason"]
    form_fields = ["detail"]
    copy_view_enabled = False
    add_to_reference_index = False
    index_view_class = admin_views.SuppressionIndexView

    @property
    def add_view(self) -> Any:
        return admin_views.SuppressionCreateView.as_view()


class OutboxMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return admin_views.outbox_in_use() and admin_views.can_read_outbox(request.user)


class OutboxViewSet(ViewSet):
    name = admin_views.OUTBOX
    url_prefix = "newsletter/outbox"
    url_namespace = admin_views.OUTBOX
    icon = "mail"
    menu_label = _("Outbox")
    menu_item_class = OutboxMenuItem

    def get_urlpatterns(self) -> list[Any]:
        return [
            path("", admin_views.OutboxIndexView.as_view(), name="index"),
            path("<str:name>/", admin_views.OutboxMessageView.as_view(), name="message"),
        ]


class NewsletterViewSetGroup(ViewSetGroup):
    items = (EditionViewSet, SubscriberViewSet, SuppressionViewSet, OutboxViewSet)
    menu_label = _("Newsletter")
    menu_icon = "mail"
    menu_order = 250

    @cached_property
    def menu_name(self) -> str:
        return "newsletter"


register_snippet(NewsletterViewSetGroup)


@hooks.register("before_delete_snippet")
def refuse_deleting_editions_in_flight(
    request: HttpRequest, instances: list[Any]
) -> HttpResponse | None:
    """An edition that is going out keeps its deliveries until it is done."""
    sending = [
        item
        for item in instances
        if isinstance(item, Edition) and item.status == Edition.Status.SENDING
    ]
    if not sending:
        return None
    messages.error(
        request,
        gettext("“%(subject)s” is being sent right now and cannot be deleted.")
        % {"subject": sending[0].subject},
    )
    return HttpResponseRedirect(admin_views.send_url(sending[0].pk))


# --- what the newsletter contributes to the rest ---------------------------------------------


@hooks.register(PERIODIC_JOBS)
def newsletter_schedule(now: datetime.datetime) -> None:
    """Start due editions, resume stalled ones, plan next week's. Safe in every worker at
    once: editions start and letters are claimed in the database, one winner each."""
    actions.run_schedule(now=now)


@hooks.register(PERIODIC_JOBS)
def forget_unconfirmed(now: datetime.datetime) -> None:
    """Delete subscribers whose confirmation link ran out unused (and their consents)."""
    actions.forget_unconfirmed(now=now)


def may_erase_subscribers(user: Any) -> bool:
    return bool(policy_registry.get_by_type(Subscriber).user_has_permission(user, "delete"))


@hooks.register(ERASERS, order=10)
def newsletter_eraser() -> Eraser:
    """What "Erase a person" finds and erases in the newsletter."""
    return Eraser(
        label=_("Newsletter"),
        kinds={
            "subscribers": _("subscription"),
            "consents": _("consent records"),
            "deliveries": _("records of letters sent"),
            "outbox": _("copies of mail in the local outbox"),
        },
        count=lambda email: actions.count_person(email=email),
        erase=lambda email: actions.erase_person(email=email),
        permitted=may_erase_subscribers,
    )


@hooks.register(DEMO_CONTENT, order=10)
def demo_editions() -> dict[str, int]:
    from samizdat.newsletter.demo import seed_demo_editions

    return {"newsletter editions": seed_demo_editions()}


def _add_subscribers(
    count: int, options: Mapping[str, Any], progress: Callable[[int, int], None]
) -> int:
    from samizdat.newsletter.seed import seed_subscribers

    return seed_subscribers(count)


@hooks.register(SEEDERS, order=10)
def subscribers() -> Seeder:
    return Seeder(
        option="subscribers",
        noun="subscribers",
        help="How many confirmed subscribers to add.",
        add=_add_subscribers,
    )


@hooks.register(region("after_article"), order=20)
def signup_after_article(context: Context) -> str:
    return signup_block(context, "article")


@hooks.register(region("front_page_end"), order=20)
def signup_on_front_page(context: Context) -> str:
    return signup_block(context, "home")


def signup_block(context: Context, location: str) -> str:
    """The signup box a region shows (no form posted yet). It is the same on every page of a
    language at the same depth (its links are relative), so a bundle build renders it once
    for all of them."""
    request = context.get("request")
    key = (
        "signup block",
        translation.get_language(),
        context.get("LANG"),
        location,
        relative_prefix(request.path if request is not None else "/"),
    )
    return build_memo.remembered(
        key, lambda: render_block(context, SIGNUP_TEMPLATE, signup_form(context, location))
    )


@hooks.register(URLS)
def urls() -> list[URLPattern | URLResolver]:
    return [
        path("newsletter/", include(newsletter_urls)),
        path("webhooks/mail/<slug:esp>/", views.mail_webhook, name="mail_webhook"),
    ]


@hooks.register("register_log_actions")
def register_newsletter_log_actions(registry: LogActionRegistry) -> None:
    """What the send screen does, as it reads in Reports → Site history and an edition's
    history (recorded by ``actions``; counts only, never an address)."""

    @registry.register_action(actions.LOG_TEST_SEND)
    class TestSent(LogFormatter):
        label = _("Send a test of the newsletter")

        def format_message(self, log_entry: Any) -> str:
            count = int(log_entry.data.get("recipients", 0))
            return ngettext(
                "Test sent to %(count)s address", "Test sent to %(count)s addresses", count
            ) % {"count": count}

    @registry.register_action(actions.LOG_SEND)
    class SendingStarted(LogFormatter):
        label = _("Send the newsletter")

        def format_message(self, log_entry: Any) -> str:
            count = int(log_entry.data.get("letters", 0))
            return ngettext(
                "Sending started: %(count)s letter",
                "Sending started: %(count)s letters",
                count,
            ) % {"count": count}

    @registry.register_action(actions.LOG_SCHEDULE)
    class Scheduled(LogFormatter):
        label = _("Schedule the newsletter")

        def format_message(self, log_entry: Any) -> str:
            when = parse_datetime(str(log_entry.data.get("send_at", "")))
            if when is None:
                return gettext("Scheduled")
            shown = formats.date_format(timezone.localtime(when), "DATETIME_FORMAT")
            return gettext("Scheduled for %(when)s") % {"when": shown}

    registry.register_action(
        actions.LOG_UNSCHEDULE,
        _("Unschedule the newsletter"),
        _("Unscheduled: a draft again"),
    )

    @registry.register_action(actions.LOG_EXPORT)
    class Exported(LogFormatter):
        label = _("Export subscribers")

        def format_message(self, log_entry: Any) -> str:
            count = int(log_entry.data.get("rows", 0))
            return ngettext(
                "%(count)s subscriber exported (%(format)s)",
                "%(count)s subscribers exported (%(format)s)",
                count,
            ) % {"count": count, "format": str(log_entry.data.get("format", "")).upper()}

    @registry.register_action(actions.LOG_ERASE)
    class Erased(LogFormatter):
        label = _("Erase a subscriber")

        def format_message(self, log_entry: Any) -> str:
            data = log_entry.data
            return gettext(
                "A subscriber was erased (consent records: %(consents)s, records of letters: "
                "%(deliveries)s, copies of mail: %(outbox)s)"
            ) % {
                "consents": int(data.get("consents", 0)),
                "deliveries": int(data.get("deliveries", 0)),
                "outbox": int(data.get("outbox", 0)),
            }

    @registry.register_action(actions.LOG_FILL)
    class Filled(LogFormatter):
        label = _("Add this week's stories to the newsletter")

        def format_message(self, log_entry: Any) -> str:
            count = int(log_entry.data.get("stories", 0))
            return ngettext(
                "%(count)d story of this week added.",
                "%(count)d stories of this week added.",
                count,
            ) % {"count": count}
