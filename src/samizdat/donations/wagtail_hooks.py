"""Donations in the Wagtail admin: one "Donations" menu with the dashboard, the gifts, the
recurring gifts and a link to the appeal's settings.

Gifts are recorded by providers and by "Mark received", never typed in or edited by staff:
the listings are read-only (no add, edit, copy or delete views).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.template import Context
from django.urls import URLPattern, URLResolver, include, path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.admin_url_finder import ModelAdminURLFinder, register_admin_url_finder
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import LogActionRegistry, LogFormatter
from wagtail.permissions import policy_registry

from samizdat.core.hooks import (
    DEMO_CONTENT,
    ERASERS,
    FORGET_CACHED,
    FORM_ACTION_ORIGINS,
    PERIODIC_JOBS,
    URLS,
    Eraser,
    region,
)
from samizdat.core.paths import absolute
from samizdat.core.regions import register_letter_block, render_block
from samizdat.donations import (
    actions,
    admin_views,
    appeal,
    gateway,
    money,
    payment_links,
    views,
)
from samizdat.donations import urls as donations_urls
from samizdat.donations.models import Donation, DonationSettings, RecurringGift
from samizdat.donations.templatetags import appeal as appeal_tags


class ReadOnlyModelViewSet(ModelViewSet):
    """A listing with filters, search and export, and a read-only page per row."""

    inspect_view_enabled = True
    copy_view_enabled = False
    add_to_reference_index = False
    list_per_page = 50
    search_backend_name = None  # the database: `icontains` on search_fields

    def get_common_view_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        result: dict[str, Any] = super().get_common_view_kwargs(
            add_url_name=None,
            edit_url_name=None,
            delete_url_name=None,
            history_url_name=None,
            usage_url_name=None,
            **kwargs,
        )
        return result

    def get_urlpatterns(self) -> list[Any]:
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<int:pk>/", self.inspect_view, name="inspect"),
        ]

    # What the group editor offers: only permissions these pages check.
    permissions_offered: tuple[str, ...] = ("view",)

    def get_permissions_to_register(self) -> Any:
        codenames = [f"{action}_{self.model_name}" for action in self.permissions_offered]
        return super().get_permissions_to_register().filter(codename__in=codenames)

    def register_admin_url_finder(self) -> None:
        # Links to a row (e.g. from the admin's logs) go to its read-only page.
        finder = type(
            f"{self.model.__name__}URLFinder",
            (ModelAdminURLFinder,),
            {"edit_url_name": self.get_url_name("inspect")},
        )
        register_admin_url_finder(self.model, finder)


class GiftViewSet(ReadOnlyModelViewSet):
    model = Donation
    name = admin_views.GIFTS
    url_prefix = "donations/gifts"
    url_namespace = admin_views.GIFTS
    icon = "list-ul"
    menu_label = _("Gifts")
    filterset_class = admin_views.DonationFilterSet
    search_fields = ["reference", "email"]
    list_export = admin_views.DONATION_EXPORT
    # Machine names, in every admin language.
    export_headings = {field: field for field in admin_views.DONATION_EXPORT}
    export_filename = "gifts"
    # change: mark a transfer received; delete: erase a donor (never the record of the money)
    permissions_offered = ("view", "change", "delete")
    index_view_class = admin_views.DonationIndexView
    inspect_view_class = admin_views.DonationInspectView
    inspect_view_fields = [
        "reference", "status", "amount", "amount_refunded", "currency", "frequency", "provider",
        "provider_payment_id", "gift", "name", "email", "language", "created_at", "paid_at",
        "receipt_sent_at", "receipt_error", "receipt_attempts", "failure_reason",
    ]  # fmt: skip

    @cached_property
    def list_display(self) -> list[Any]:
        return admin_views.donation_columns()

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path(
                "receive/<int:pk>/",
                admin_views.DonationReceiveView.as_view(),
                name="receive",
            ),
            path("erase/<int:pk>/", admin_views.DonorEraseView.as_view(), name="erase"),
        ]


class RecurringGiftViewSet(ReadOnlyModelViewSet):
    model = RecurringGift
    name = admin_views.RECURRING
    url_prefix = "donations/recurring"
    url_namespace = admin_views.RECURRING
    icon = "rotate"
    menu_label = _("Recurring gifts")
    filterset_class = admin_views.RecurringGiftFilterSet
    search_fields = ["reference", "email"]
    list_export = admin_views.RECURRING_EXPORT
    export_headings = {field: field for field in admin_views.RECURRING_EXPORT}
    export_filename = "recurring-gifts"
    index_view_class = admin_views.RecurringGiftIndexView
    inspect_view_class = admin_views.RecurringGiftInspectView
    inspect_view_fields = [
        "reference", "status", "amount", "currency", "frequency", "provider",
        "provider_gift_id", "name", "email", "language", "started_at", "next_payment_at",
        "cancelled_at",
    ]  # fmt: skip

    @cached_property
    def list_display(self) -> list[Any]:
        return admin_views.recurring_columns()

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("erase/<int:pk>/", admin_views.RecurringDonorEraseView.as_view(), name="erase"),
        ]


class DashboardMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return admin_views.can_view(request.user, Donation)


class DashboardViewSet(ViewSet):
    name = admin_views.DASHBOARD
    url_prefix = "donations"
    url_namespace = admin_views.DASHBOARD
    icon = "table"
    menu_label = _("Dashboard")
    menu_item_class = DashboardMenuItem

    def get_urlpatterns(self) -> list[Any]:
        return [path("", admin_views.DashboardView.as_view(), name="index")]


class SettingsLinkMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        policy = policy_registry.get_by_type(DonationSettings)
        return bool(policy.user_has_permission(request.user, "change"))


class SettingsLink(ViewSet):
    """Settings → Donations (the appeal), also reachable from this menu."""

    name = "donations_settings_link"
    icon = "cog"
    menu_label = _("Settings")
    menu_item_class = SettingsLinkMenuItem

    @cached_property
    def menu_url(self) -> str:
        return reverse("wagtailsettings:edit", args=["donations", "donationsettings"])


class DonationsViewSetGroup(ViewSetGroup):
    items = (DashboardViewSet, GiftViewSet, RecurringGiftViewSet, SettingsLink)
    menu_label = _("Donations")
    menu_icon = admin_views.ICON
    menu_order = 260

    @cached_property
    def menu_name(self) -> str:
        return "donations"


@hooks.register("register_admin_viewset")
def register_donations_viewsets() -> DonationsViewSetGroup:
    return DonationsViewSetGroup()


# --- what the donations app contributes to the rest ------------------------------------------


@hooks.register(PERIODIC_JOBS)
def retry_receipts(now: datetime.datetime) -> None:
    actions.send_missed_receipts(now=now)


@hooks.register(PERIODIC_JOBS)
def forget_old_payloads(now: datetime.datetime) -> None:
    actions.forget_old_payloads(now=now)


@hooks.register(PERIODIC_JOBS)
def forget_unpaid_pledges(now: datetime.datetime) -> None:
    actions.forget_unpaid_pledges(now=now)


@hooks.register(ERASERS, order=20)
def donations_eraser() -> Eraser:
    """What "Erase a person" finds and erases in donations: their name and address on gifts
    (never the amounts), and providers' payloads that mention them."""
    return Eraser(
        label=_("Donations"),
        kinds={
            "donations": _("gifts"),
            "recurring_gifts": _("recurring gifts"),
            "events": _("payment providers' messages"),
        },
        count=lambda email: actions.count_person(email=email),
        erase=lambda email: actions.erase_person(email=email),
        refusal=lambda email: actions.person_refusal(email=email),
        permitted=admin_views.may_erase_donors,
    )


@hooks.register(DEMO_CONTENT, order=20)
def demo_gifts() -> dict[str, int]:
    from samizdat.donations.demo import seed_demo_gifts

    return {"demo gifts": seed_demo_gifts()}


@hooks.register(FORM_ACTION_ORIGINS)
def checkout_origins() -> list[str]:
    """The providers' hosted pages, where the donate form sends readers."""
    return gateway.checkout_origins()


@hooks.register(FORGET_CACHED)
def forget_appeal() -> None:
    appeal.forget()
    payment_links.forget()


@hooks.register(region("banner"))
def banner(context: Context) -> str:
    return render_block(
        context, "donations/includes/banner.html", appeal_tags.banner_context(context)
    )


@hooks.register(region("after_article"), order=10)
def appeal_after_article(context: Context) -> str:
    values = appeal_tags.appeal_context(context, "article")
    return render_block(context, "donations/includes/appeal.html", values)


def _letter_appeal(context: Context) -> dict[str, Any]:
    language = str(context.get("LANG") or settings.LANGUAGE_CODE)
    config = appeal.load()
    return {
        "appeal": config.text("newsletter_appeal", language) if config.currencies else "",
        "donate_url": absolute(f"/donate/{language}/"),
    }


register_letter_block("donations/letter_appeal", _letter_appeal, order=10)


@hooks.register(URLS)
def urls() -> list[URLPattern | URLResolver]:
    return [
        path("donate/", include(donations_urls)),
        path("webhooks/<slug:provider>/", views.webhook, name="payment_webhook"),
    ]


@hooks.register("register_log_actions")
def register_donations_log_actions(registry: LogActionRegistry) -> None:
    """Money and donors' data in Reports → Site history and a gift's history: who did it and
    how much or how many, never whom."""

    @registry.register_action(actions.LOG_MARK_RECEIVED)
    class MarkedReceived(LogFormatter):
        label = _("Mark a gift received")

        def format_message(self, log_entry: Any) -> str:
            data = log_entry.data
            try:
                amount = money.format(
                    money.to_minor(Decimal(str(data["amount"])), str(data["currency"])),
                    str(data["currency"]),
                    admin_views.admin_language(),
                )
            except (KeyError, ArithmeticError, ValueError):
                return gettext("Marked received")
            return gettext("Marked received: %(amount)s") % {"amount": amount}

    @registry.register_action(actions.LOG_ERASE_DONOR)
    class DonorErased(LogFormatter):
        label = _("Erase a donor")

        def format_message(self, log_entry: Any) -> str:
            data = log_entry.data
            return gettext(
                "A donor was erased (gifts: %(donations)s, recurring gifts: %(gifts)s)"
            ) % {
                "donations": int(data.get("donations", 0)),
                "gifts": int(data.get("recurring_gifts", 0)),
            }

    @registry.register_action(actions.LOG_EXPORT)
    class Exported(LogFormatter):
        label = _("Export gifts")

        def format_message(self, log_entry: Any) -> str:
            count = int(log_entry.data.get("rows", 0))
            return ngettext(
                "%(count)s row exported (%(list)s, %(format)s)",
                "%(count)s rows exported (%(list)s, %(format)s)",
                count,
            ) % {
                "count": count,
                "list": str(log_entry.data.get("list", "")),
                "format": str(log_entry.data.get("format", "")).upper(),
            }
