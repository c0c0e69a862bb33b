"""The staff side of donations in the Wagtail admin.

The dashboard (money received, recurring revenue, failures and refunds, per currency), the
gifts (filtered, searched, exported; a bank transfer marked received) and the recurring gifts.
Donor data is sensitive: every page needs a permission on the model it shows
(``donations.view_donation``, ``donations.view_recurringgift``), which no group has until an
administrator grants it; marking a transfer received needs ``donations.change_donation``;
erasing a donor (their name and address on every gift, never the amounts) needs
``donations.delete_donation``.
"""

from __future__ import annotations

import datetime
from collections import OrderedDict
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Model
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets import AdminDateInput
from wagtail.admin.widgets.button import Button
from wagtail.permissions import policy_registry

from samizdat.core.exports import SpreadsheetSafeExport
from samizdat.core.fields import EncryptedSearchMixin
from samizdat.core.hooks import ErasureRefused
from samizdat.donations import actions, appeal, charts, money, reports
from samizdat.donations.models import Donation, RecurringGift, language_name
from samizdat.donations.providers import registry
from samizdat.donations.providers.base import Frequency

# URL namespaces of the viewsets (see wagtail_hooks).
DASHBOARD = "donations_dashboard"
GIFTS = "donations_gifts"
RECURRING = "donations_recurring"

ICON = "pick"
ANY_PERMISSION = ["add", "change", "delete", "view"]
# period → (unit, how many of them)
PERIODS: dict[str, tuple[reports.Unit, int]] = {
    "day": ("day", 30),
    "week": ("week", 12),
    "month": ("month", 12),
}


def admin_language() -> str:
    """The staff member's admin language: amounts are written as it writes them."""
    return translation.get_language() or settings.LANGUAGE_CODE


def newsroom_zone() -> ZoneInfo:
    return ZoneInfo(str(settings.TIME_ZONE))


def newsroom_today() -> datetime.date:
    return timezone.now().astimezone(newsroom_zone()).date()


def can_view(user: Any, model: type[Model]) -> bool:
    """Whether ``user`` may see the admin pages of ``model`` (gifts or recurring gifts)."""
    policy = policy_registry.get_by_type(model)
    return bool(policy.user_has_any_permission(user, ANY_PERMISSION))


def provider_label(name: str) -> str:
    return registry.label(name)


def amount_text(amount: int, currency: str, refunded: int = 0) -> str:
    text = money.format(amount, currency, admin_language())
    if refunded:
        text += " " + gettext("(%(amount)s refunded)") % {
            "amount": money.format(refunded, currency, admin_language())
        }
    return text


def confirmed_by_staff() -> list[str]:
    """The providers whose payments staff mark received (a bank transfer)."""
    return registry.with_capability("confirmed_by_staff")


def is_receivable(donation: Donation) -> bool:
    """A gift staff confirm by hand (a bank transfer) still waiting for the money."""
    return donation.provider in confirmed_by_staff() and donation.status == Donation.Status.PENDING


def receive_url(donation: Donation) -> str:
    return reverse(f"{GIFTS}:receive", args=[donation.pk])


def may_erase_donors(user: Any) -> bool:
    """Erasing a donor is the permission to "delete" gifts: their personal details go, the
    records of the money stay."""
    return bool(policy_registry.get_by_type(Donation).user_has_permission(user, "delete"))


def erase_url(row: Donation | RecurringGift) -> str:
    namespace = GIFTS if isinstance(row, Donation) else RECURRING
    return reverse(f"{namespace}:erase", args=[row.pk])


def erase_button(request: HttpRequest, row: Donation | RecurringGift) -> list[Any]:
    """ "Erase donor…" for staff who may, on a record that still names someone."""
    if not (row.email or row.name) or not may_erase_donors(request.user):
        return []
    return [Button(gettext("Erase donor…"), url=erase_url(row), icon_name="bin", priority=30)]


def _home_crumb() -> list[dict[str, Any]]:
    return list(WagtailAdminTemplateMixin.breadcrumbs_items)


def _inspect_crumbs(namespace: str, label: str, view: Any) -> list[dict[str, Any]]:
    return [
        *_home_crumb(),
        {"url": reverse(f"{namespace}:index"), "label": label},
        {"url": "", "label": view.get_page_title(), "sublabel": view.get_page_subtitle()},
    ]


# Dashboard -----------------------------------------------------------------------------


def _labels(unit: reports.Unit, starts: list[datetime.date]) -> tuple[list[str], list[str]]:
    """Each period's name for tooltips and tables, and a short one for the chart's axis."""
    if unit == "day":
        return (
            [formats.date_format(day, "DATE_FORMAT") for day in starts],
            [formats.date_format(day, "j M") for day in starts],
        )
    if unit == "week":
        return (
            [
                gettext("week of %(date)s") % {"date": formats.date_format(day, "DATE_FORMAT")}
                for day in starts
            ],
            [formats.date_format(day, "j M") for day in starts],
        )
    return (
        [formats.date_format(day, "YEAR_MONTH_FORMAT") for day in starts],
        [formats.date_format(day, "M") for day in starts],
    )


def _money_format(currency: str) -> Callable[[int], str]:
    language = admin_language()
    return lambda value: money.format(int(value), currency, language)


class DashboardView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Money received per currency (by day, week or month), recurring revenue, new and
    cancelled recurring gifts, failed payments and refunds."""

    model = Donation
    any_permission_required = ANY_PERMISSION
    template_name = "donations/admin/dashboard.html"
    page_title = _("Donations")
    header_icon = ICON

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [*_home_crumb(), {"url": "", "label": self.get_page_title()}]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        period = request.GET.get("period", "month")
        if period not in PERIODS:
            return HttpResponseBadRequest(
                gettext("Unknown period: choose day, week or month."), content_type="text/plain"
            )
        self.period = period
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        now, tz = timezone.now(), newsroom_zone()
        preferred = list(appeal.load().currencies)
        context.update(self.received_context(now, tz, preferred))
        context.update(self.recurring_context(now, tz, preferred))
        context.update(self.failures_context(now, tz))
        context.update(self.refunds_context(now, tz, preferred))
        return context

    def received_context(
        self, now: datetime.datetime, tz: ZoneInfo, preferred: list[str]
    ) -> dict[str, Any]:
        received = {
            name: reports.received(unit=unit, count=count, now=now, tz=tz)
            for name, (unit, count) in PERIODS.items()
        }
        currencies = reports.currencies_in_order(preferred, *(r.amounts for r in received.values()))
        language = admin_language()
        return {
            "time_zone": settings.TIME_ZONE,
            "periods": [
                (name, label, name == self.period)
                for name, label in (
                    ("day", gettext("By day, last 30 days")),
                    ("week", gettext("By week, last 12 weeks")),
                    ("month", gettext("By month, last 12 months")),
                )
            ],
            "received_totals": [
                {
                    "currency": currency,
                    "cells": [
                        (
                            money.format(r.amounts.total(currency), currency, language),
                            r.gifts.total(currency),
                        )
                        for r in received.values()
                    ],
                }
                for currency in currencies
            ],
            "received_charts": [
                self.received_chart(received[self.period], currency) for currency in currencies
            ],
            "pending_transfers": reports.waiting_for_staff(providers=confirmed_by_staff()),
            "pending_transfers_url": reverse(f"{GIFTS}:index")
            + "?"
            + urlencode({"to_mark": WAITING}),
            "gifts_url": reverse(f"{GIFTS}:index"),
        }

    def failures_context(self, now: datetime.datetime, tz: ZoneInfo) -> dict[str, Any]:
        last_30_days = reports.failed(unit="day", count=30, now=now, tz=tz)
        by_month = reports.failed(unit="month", count=12, now=now, tz=tz)
        labels, axis = _labels("month", by_month.starts)
        return {
            "failed_30_days": last_30_days.total("all"),
            "failed_12_months": by_month.total("all"),
            "failed_chart": charts.bar_chart(
                title=gettext("Failed payments per month, last 12 months"),
                labels=labels,
                axis_labels=axis,
                series=[
                    charts.Series(
                        gettext("failed"), by_month.rows.get("all", [0] * len(by_month.starts))
                    )
                ],
                format_value=str,
            ),
        }

    def refunds_context(
        self, now: datetime.datetime, tz: ZoneInfo, preferred: list[str]
    ) -> dict[str, Any]:
        last_30_days = reports.refunds(unit="day", count=30, now=now, tz=tz)
        last_12_months = reports.refunds(unit="month", count=12, now=now, tz=tz)
        language = admin_language()
        return {
            "refunds": [
                {
                    "currency": currency,
                    "count_30": last_30_days.gifts.total(currency),
                    "amount_30": money.format(
                        last_30_days.amounts.total(currency), currency, language
                    ),
                    "count_12": last_12_months.gifts.total(currency),
                    "amount_12": money.format(
                        last_12_months.amounts.total(currency), currency, language
                    ),
                }
                for currency in reports.currencies_in_order(preferred, last_12_months.amounts)
            ]
        }

    def received_chart(self, received: reports.Received, currency: str) -> charts.Chart:
        unit = received.amounts.unit
        labels, axis = _labels(unit, received.amounts.starts)
        titles = {
            "day": gettext("%(currency)s received per day, last 30 days"),
            "week": gettext("%(currency)s received per week, last 12 weeks"),
            "month": gettext("%(currency)s received per month, last 12 months"),
        }
        return charts.bar_chart(
            title=titles[unit] % {"currency": currency},
            labels=labels,
            axis_labels=axis,
            series=[
                charts.Series(
                    currency,
                    received.amounts.rows.get(currency, [0] * len(received.amounts.starts)),
                )
            ],
            format_value=_money_format(currency),
        )

    def recurring_context(
        self, now: datetime.datetime, tz: ZoneInfo, preferred: list[str]
    ) -> dict[str, Any]:
        summary = reports.recurring_summary()
        order = [c for c in preferred if c in summary.monthly_revenue] + sorted(
            set(summary.monthly_revenue) - set(preferred)
        )
        changes = reports.recurring_changes(count=12, now=now, tz=tz)
        labels, axis = _labels("month", changes.starts)
        return {
            "recurring": summary,
            "monthly_revenue": [
                (
                    currency,
                    money.format(summary.monthly_revenue[currency], currency, admin_language()),
                )
                for currency in order
            ],
            "recurring_url": reverse(f"{RECURRING}:index"),
            "changes_new": changes.total("new"),
            "changes_cancelled": changes.total("cancelled"),
            "changes_chart": charts.bar_chart(
                title=gettext("New and cancelled recurring gifts per month, last 12 months"),
                labels=labels,
                axis_labels=axis,
                series=[
                    charts.Series(gettext("new"), changes.rows["new"]),
                    charts.Series(gettext("cancelled"), changes.rows["cancelled"]),
                ],
                format_value=str,
            ),
        }


# Filters shared by both lists ----------------------------------------------------------


class ValuesFilter(django_filters.ChoiceFilter):
    """A choice among the values present in the table: few, like providers or currencies."""

    def __init__(
        self, *args: Any, source: type[Model], labels: Callable[[str], str] = str, **kwargs: Any
    ) -> None:
        self.source = source
        self.labels = labels
        kwargs.setdefault("widget", forms.RadioSelect)
        kwargs.setdefault("empty_label", _("All"))
        super().__init__(*args, **kwargs)

    @property
    def field(self) -> Any:
        if not hasattr(self, "_field"):
            values = (
                self.source._default_manager.order_by(self.field_name)
                .values_list(self.field_name, flat=True)
                .distinct()
            )
            self.extra["choices"] = [(value, self.labels(value)) for value in values]
        return super().field


def _choice_filter(choices: Any, label: Any) -> django_filters.ChoiceFilter:
    return django_filters.ChoiceFilter(
        choices=choices, label=label, widget=forms.RadioSelect, empty_label=_("All")
    )


WAITING = "waiting"


class ToMarkFilter(django_filters.ChoiceFilter):
    """Gifts staff confirm by hand (bank transfers) still waiting to be marked received."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("choices", [(WAITING, _("waiting to be marked received"))])
        kwargs.setdefault("widget", forms.RadioSelect)
        kwargs.setdefault("empty_label", _("All"))
        super().__init__(*args, **kwargs)

    def filter(self, qs: Any, value: Any) -> Any:
        if value != WAITING:
            return qs
        return qs.filter(provider__in=confirmed_by_staff(), status=Donation.Status.PENDING)


class DonationFilterSet(WagtailFilterSet):
    status = _choice_filter(Donation.Status.choices, _("status"))
    provider = ValuesFilter(source=Donation, labels=provider_label, label=_("provider"))
    to_mark = ToMarkFilter(label=_("marked received by staff"))
    currency = ValuesFilter(source=Donation, label=_("currency"))
    frequency = _choice_filter(Frequency.choices, _("frequency"))
    created = django_filters.DateFromToRangeFilter(
        field_name="created_at", label=_("created"), widget=DateRangePickerWidget
    )
    paid = django_filters.DateFromToRangeFilter(
        field_name="paid_at", label=_("paid"), widget=DateRangePickerWidget
    )

    class Meta:
        model = Donation
        fields: list[str] = []


class RecurringGiftFilterSet(WagtailFilterSet):
    status = _choice_filter(RecurringGift.Status.choices, _("status"))
    frequency = _choice_filter(
        [(f.value, f.label) for f in Frequency if f != Frequency.ONCE], _("frequency")
    )
    provider = ValuesFilter(source=RecurringGift, labels=provider_label, label=_("provider"))
    currency = ValuesFilter(source=RecurringGift, label=_("currency"))

    class Meta:
        model = RecurringGift
        fields: list[str] = []


# Listing columns -----------------------------------------------------------------------


def donor_name(row: Donation | RecurringGift) -> str:
    return row.name or gettext("anonymous")


def local_time(value: datetime.datetime | None) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT") if value else "—"


def donation_columns() -> list[Any]:
    return [
        "reference",
        Column(
            "amount",
            label=_("Amount"),
            accessor=lambda d: amount_text(d.amount, d.currency, d.amount_refunded),
            sort_key="amount",
        ),
        "status",
        Column("provider", label=_("Provider"), accessor=lambda d: provider_label(d.provider)),
        "frequency",
        Column("name", label=_("Name"), accessor=donor_name),
        "email",
        Column("created_at", label=_("Created"), accessor=lambda d: local_time(d.created_at),
               sort_key="created_at"),
        Column("paid_at", label=_("Paid"), accessor=lambda d: local_time(d.paid_at),
               sort_key="paid_at"),
    ]  # fmt: skip


def recurring_columns() -> list[Any]:
    return [
        Column("reference", label=_("Reference"), accessor=lambda g: g.reference or "—"),
        Column(
            "amount",
            label=_("Amount"),
            accessor=lambda g: amount_text(g.amount, g.currency),
            sort_key="amount",
        ),
        "frequency",
        "status",
        Column("provider", label=_("Provider"), accessor=lambda g: provider_label(g.provider)),
        Column("name", label=_("Name"), accessor=donor_name),
        "email",
        Column("started_at", label=_("Started"), accessor=lambda g: local_time(g.started_at),
               sort_key="started_at"),
        Column("next_payment_at", label=_("Next payment"),
               accessor=lambda g: local_time(g.next_payment_at), sort_key="next_payment_at"),
        Column("cancelled_at", label=_("Cancelled"),
               accessor=lambda g: local_time(g.cancelled_at), sort_key="cancelled_at"),
    ]  # fmt: skip


# Gifts ---------------------------------------------------------------------------------


class ExportMixin(SpreadsheetSafeExport):
    """CSV and XLSX of the current filter, row by row, safe to open in a spreadsheet."""

    request: HttpRequest
    list_export: list[str]
    export_row: Callable[[Any], dict[str, Any]]  # each view's row: column name → value

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        view: Any = self
        if not view.is_export:
            response: HttpResponse = super().get(request, *args, **kwargs)  # type: ignore[misc]
            return response
        if view.filters is not None and not view.filters.is_valid():
            return HttpResponseBadRequest(
                gettext("The filter is not valid: %(errors)s")
                % {"errors": view.filters.form.errors.as_text()},
                content_type="text/plain",
            )
        # Straight to the file: the listing's context would load every row once more.
        queryset = view.get_queryset()
        actions.record_export(
            what=view.export_filename,
            rows=queryset.count(),
            export_format=request.GET["export"],
            user=request.user,
        )
        export: HttpResponse = view.as_spreadsheet(queryset, request.GET["export"])
        return export

    def to_row_dict(self, item: Any) -> OrderedDict[str, Any]:
        row = self.export_row(item)
        return OrderedDict((field, row[field]) for field in self.list_export)


DONATION_EXPORT = [
    "reference", "created", "paid", "status", "provider", "frequency", "amount", "refunded",
    "currency", "name", "email", "language", "recurring_gift",
]  # fmt: skip


class DonationIndexView(EncryptedSearchMixin, ExportMixin, generic.IndexView):
    """Gifts: filtered, searched by reference or address, exported as the filter shows them."""

    page_title = _("Gifts")

    def export_row(self, item: Donation) -> dict[str, Any]:
        return {
            "reference": item.reference,
            "created": item.created_at,
            "paid": item.paid_at,
            "status": item.status,
            "provider": item.provider,
            "frequency": item.frequency,
            "amount": money.plain(item.amount, item.currency),
            "refunded": money.plain(item.amount_refunded, item.currency),
            "currency": item.currency,
            "name": item.name,
            "email": item.email,
            "language": item.language,
            "recurring_gift": item.gift_id or "",
        }

    def get_list_more_buttons(self, instance: Donation) -> list[Any]:
        buttons = list(super().get_list_more_buttons(instance))
        if is_receivable(instance) and self.user_has_permission("change"):
            buttons.append(
                MenuItem(
                    gettext("Mark received…"), url=receive_url(instance), icon_name="check",
                    priority=5,
                )
            )  # fmt: skip
        return buttons


class DonationInspectView(generic.InspectView):
    """One gift, read-only, with "Mark received" for a bank transfer still pending."""

    template_name = "donations/admin/donation_inspect.html"

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return _inspect_crumbs(GIFTS, gettext("Gifts"), self)

    def get_field_label(self, field_name: str, field: Any) -> str:
        labels = {"amount": gettext("Amount"), "amount_refunded": gettext("Refunded")}
        return labels.get(field_name) or str(super().get_field_label(field_name, field))

    def get_field_display_value(self, field_name: str, field: Any) -> Any:
        donation: Donation = self.object
        if field_name in {"amount", "amount_refunded"}:
            return money.format(getattr(donation, field_name), donation.currency, admin_language())
        if field_name == "provider":
            return provider_label(donation.provider)
        if field_name == "name":
            return donor_name(donation)
        if field_name == "gift":
            return donation.gift or "—"
        if field_name == "language":
            return language_name(donation.language)
        value = super().get_field_display_value(field_name, field)
        if isinstance(value, datetime.datetime):
            return local_time(value)
        return "—" if value is None or value == "" else value

    @cached_property
    def header_more_buttons(self) -> list[Any]:
        buttons = list(super().header_more_buttons)
        if self.can_receive:
            buttons.append(
                Button(gettext("Mark received…"), url=receive_url(self.object), icon_name="check")
            )
        buttons.extend(erase_button(self.request, self.object))
        return buttons

    @cached_property
    def can_receive(self) -> bool:
        return is_receivable(self.object) and self.user_has_permission("change")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["can_receive"] = self.can_receive
        context["receive_url"] = receive_url(self.object)
        gift = self.object.gift
        context["gift_url"] = (
            reverse(f"{RECURRING}:inspect", args=[gift.pk])
            if gift is not None and can_view(self.request.user, RecurringGift)
            else ""
        )
        return context


class ReceiveForm(forms.Form):
    received_on = forms.DateField(label=_("The money arrived on"), widget=AdminDateInput)
    amount = forms.DecimalField(
        label=_("Amount that arrived"),
        required=False,
        max_digits=18,  # the currency's own digits are checked in clean_amount
        help_text=_("Change it if a different amount arrived, e.g. after bank fees."),
    )

    def __init__(self, *args: Any, donation: Donation, today: datetime.date, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.donation = donation
        self.today = today
        self.fields["received_on"].initial = today
        self.fields["amount"].initial = money.to_major(donation.amount, donation.currency)
        self.fields["amount"].label = gettext("Amount that arrived (%(currency)s)") % {
            "currency": donation.currency
        }

    def clean_received_on(self) -> datetime.date:
        day: datetime.date = self.cleaned_data["received_on"]
        if day > self.today:
            raise forms.ValidationError(gettext("This date is in the future."))
        announced = self.donation.created_at.astimezone(newsroom_zone()).date()
        if day < announced - datetime.timedelta(days=1):
            raise forms.ValidationError(
                gettext("This is before the reader announced the transfer.")
            )
        return day

    def clean_amount(self) -> int | None:
        value: Decimal | None = self.cleaned_data["amount"]
        if value is None:
            return None
        currency = self.donation.currency
        found = appeal.load().currencies.get(currency)
        too_large = value > found.maximum if found else money.to_minor(value, currency) >= 10**15
        if value <= 0 or too_large or not money.fits(value, currency):
            raise forms.ValidationError(
                gettext("Enter the amount in %(currency)s, like %(example)s.")
                % {"currency": currency, "example": money.example(currency, admin_language())}
            )
        return money.to_minor(value, currency)


class DonationReceiveView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Staff saw a gift's money arrive (a bank transfer): paid, and the donor gets a receipt.

    Asks first (GET), acts on POST. Anything but a pending gift through a provider whose
    payments staff confirm is refused."""

    model = Donation
    permission_required = "change"
    template_name = "donations/admin/receive.html"
    page_title = _("Mark a gift received")
    header_icon = "check"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.donation = get_object_or_404(Donation, pk=kwargs["pk"])

    def get_page_subtitle(self) -> str:
        return self.donation.reference

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *_home_crumb(),
            {"url": reverse(f"{GIFTS}:index"), "label": gettext("Gifts")},
            {
                "url": reverse(f"{GIFTS}:inspect", args=[self.donation.pk]),
                "label": self.donation.reference,
            },
            {"url": "", "label": self.get_page_title()},
        ]

    def refusal(self) -> tuple[int, str] | None:
        donation = self.donation
        if donation.provider not in confirmed_by_staff():
            return 400, gettext(
                "This gift came through %(provider)s, which tells us itself when it is paid: "
                "it is not marked received by hand."
            ) % {"provider": provider_label(donation.provider)}
        if donation.status != Donation.Status.PENDING:
            return 409, gettext("This transfer is %(status)s already; nothing to do.") % {
                "status": donation.get_status_display()
            }
        return None

    def make_form(self, data: Any = None) -> ReceiveForm:
        return ReceiveForm(data, donation=self.donation, today=newsroom_today())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        donation = self.donation
        context["donation"] = donation
        context["amount"] = money.format(donation.amount, donation.currency, admin_language())
        context["donor"] = donor_name(donation)
        context["inspect_url"] = reverse(f"{GIFTS}:inspect", args=[donation.pk])
        return context

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = self.refusal()
        if refused:
            return self.render_to_response(
                self.get_context_data(refusal=refused[1]), status=refused[0]
            )
        return self.render_to_response(self.get_context_data(form=self.make_form()))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = self.refusal()
        if refused:
            return self.render_to_response(
                self.get_context_data(refusal=refused[1]), status=refused[0]
            )
        form = self.make_form(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        day: datetime.date = form.cleaned_data["received_on"]
        # Today: now. An earlier day: its noon in the newsroom, so it counts on that day.
        received_at = (
            timezone.now()
            if day == newsroom_today()
            else datetime.datetime.combine(day, datetime.time(12), tzinfo=newsroom_zone())
        )
        donation = actions.mark_received(
            donation_id=self.donation.pk,
            received_at=received_at,
            amount=form.cleaned_data["amount"],
            user=request.user,
        )
        messages.success(
            request,
            gettext("%(reference)s is marked received: %(amount)s.")
            % {
                "reference": donation.reference,
                "amount": money.format(donation.amount, donation.currency, admin_language()),
            },
        )
        return HttpResponseRedirect(reverse(f"{GIFTS}:inspect", args=[donation.pk]))


# Recurring gifts -----------------------------------------------------------------------


RECURRING_EXPORT = [
    "reference", "started", "status", "provider", "frequency", "amount", "currency", "name",
    "email", "language", "next_payment", "cancelled",
]  # fmt: skip


class RecurringGiftIndexView(EncryptedSearchMixin, ExportMixin, generic.IndexView):
    page_title = _("Recurring gifts")

    def export_row(self, item: RecurringGift) -> dict[str, Any]:
        return {
            "reference": item.reference,
            "started": item.started_at,
            "status": item.status,
            "provider": item.provider,
            "frequency": item.frequency,
            "amount": money.plain(item.amount, item.currency),
            "currency": item.currency,
            "name": item.name,
            "email": item.email,
            "language": item.language,
            "next_payment": item.next_payment_at,
            "cancelled": item.cancelled_at,
        }


class RecurringGiftInspectView(generic.InspectView):
    """One recurring gift and its latest payments."""

    template_name = "donations/admin/gift_inspect.html"
    payments_shown = 50

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return _inspect_crumbs(RECURRING, gettext("Recurring gifts"), self)

    def get_field_label(self, field_name: str, field: Any) -> str:
        if field_name == "amount":
            return gettext("Amount")
        return str(super().get_field_label(field_name, field))

    def get_field_display_value(self, field_name: str, field: Any) -> Any:
        gift: RecurringGift = self.object
        if field_name == "amount":
            return money.format(gift.amount, gift.currency, admin_language())
        if field_name == "provider":
            return provider_label(gift.provider)
        if field_name == "name":
            return donor_name(gift)
        if field_name == "language":
            return language_name(gift.language)
        value = super().get_field_display_value(field_name, field)
        if isinstance(value, datetime.datetime):
            return local_time(value)
        return "—" if value is None or value == "" else value

    @cached_property
    def header_more_buttons(self) -> list[Any]:
        return [*super().header_more_buttons, *erase_button(self.request, self.object)]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        payments = list(self.object.payments.order_by("-created_at")[: self.payments_shown])
        can_see_payments = can_view(self.request.user, Donation)
        context["payments"] = [
            {
                "reference": p.reference,
                "url": reverse(f"{GIFTS}:inspect", args=[p.pk]) if can_see_payments else "",
                "amount": amount_text(p.amount, p.currency, p.amount_refunded),
                "status": p.get_status_display(),
                "created": local_time(p.created_at),
                "paid": local_time(p.paid_at),
            }
            for p in payments
        ]
        return context


# Erasing a donor ------------------------------------------------------------------------


class DonorEraseView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Erase the donor of a gift or a recurring gift, on their request: what will change
    (GET), then the erasure (POST). Refused, with what to do, while a recurring gift of
    theirs still runs at its provider."""

    model = Donation
    permission_required = "delete"
    template_name = "donations/admin/erase_donor.html"
    page_title = _("Erase a donor")
    header_icon = "bin"
    source: type[Donation] | type[RecurringGift] = Donation

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        row = self.source._default_manager.filter(pk=kwargs["pk"]).first()
        if not isinstance(row, Donation | RecurringGift):
            raise Http404("No such gift")
        self.row = row

    @property
    def namespace(self) -> str:
        return GIFTS if self.source is Donation else RECURRING

    @property
    def inspect_url(self) -> str:
        return reverse(f"{self.namespace}:inspect", args=[self.row.pk])

    def get_page_subtitle(self) -> str:
        return self.row.reference or str(self.row)

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        label = gettext("Gifts") if self.source is Donation else gettext("Recurring gifts")
        return [
            *_home_crumb(),
            {"url": reverse(f"{self.namespace}:index"), "label": label},
            {"url": self.inspect_url, "label": self.get_page_subtitle()},
            {"url": "", "label": self.get_page_title()},
        ]

    def records(self) -> actions.DonorRecords:
        """Everything erasing this record's donor would change."""
        donation_ids = [self.row.pk] if self.source is Donation else []
        gift_ids = [] if self.source is Donation else [self.row.pk]
        first = actions.donor_records(donation_ids=donation_ids, gift_ids=gift_ids)
        return actions.donor_records(
            emails=first.emails(), donation_ids=donation_ids, gift_ids=gift_ids
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        records = self.records()
        context.update(
            row=self.row,
            donor=donor_name(self.row),
            counts=records.counts(),
            refusal=kwargs.get("refusal", records.refusal()),
            inspect_url=self.inspect_url,
            anything=records.names_anyone(),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.records().names_anyone():
            messages.warning(
                request, gettext("This record names no one: there is nothing to erase.")
            )
            return HttpResponseRedirect(self.inspect_url)
        try:
            if self.source is Donation:
                erased = actions.erase_donor(donation_id=self.row.pk, user=request.user)
            else:
                erased = actions.erase_donor(gift_id=self.row.pk, user=request.user)
        except ErasureRefused as refusal:
            return self.render_to_response(self.get_context_data(refusal=str(refusal)), status=409)
        messages.success(
            request,
            gettext(
                "The donor was erased (gifts: %(donations)s, recurring gifts: %(gifts)s); the "
                "amounts stay."
            )
            % {"donations": erased["donations"], "gifts": erased["recurring_gifts"]},
        )
        return HttpResponseRedirect(self.inspect_url)


class RecurringDonorEraseView(DonorEraseView):
    source = RecurringGift
