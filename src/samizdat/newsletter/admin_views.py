"""The newsletter's admin pages beyond Wagtail's generic ones.

Subscribers: a listing that exports, a CSV import, a read-only consent history and erasure
(never a plain delete). Editions: the send page (test send, fill, schedule, send now).
Suppressed addresses: a list of reasons, never addresses. The outbox: mail the local
``OutboxBackend`` wrote, for installations without a mail server.
"""

from __future__ import annotations

import csv
import datetime
import re
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView, View
from wagtail.admin import messages
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets.button import Button, HeaderButton
from wagtail.permissions import policy_registry
from wagtail.snippets.views import snippets as snippet_views

from samizdat.core.exports import SpreadsheetSafeExport
from samizdat.core.fields import EncryptedSearchMixin
from samizdat.newsletter import actions, outbox
from samizdat.newsletter.forms import AffirmativeCheckbox
from samizdat.newsletter.models import Delivery, Edition, Subscriber, Suppression
from samizdat.publishing.models import privacy_policy

# URL namespaces of the viewsets (see wagtail_hooks).
SUBSCRIBERS = "newsletter_subscribers"
SUPPRESSIONS = "newsletter_suppressions"
OUTBOX = "newsletter_outbox"
EDITIONS = "wagtailsnippets_newsletter_edition"

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_ERRORS_SHOWN = 200
ANY_PERMISSION = ["add", "change", "delete", "view"]


def can_manage_subscribers(user: Any) -> bool:
    """Whether ``user`` may see subscribers and their addresses (also in the outbox)."""
    policy = policy_registry.get_by_type(Subscriber)
    return bool(policy.user_has_any_permission(user, ANY_PERMISSION))


def can_read_outbox(user: Any) -> bool:
    """Whether ``user`` may read the local outbox: Editors (who send the tests and editions
    that land there) and whoever may see subscribers."""
    return bool(user.has_perm("newsletter.view_outbox")) or can_manage_subscribers(user)


def outbox_in_use() -> bool:
    return str(settings.EMAIL_BACKEND) == "samizdat.newsletter.outbox.OutboxBackend"


def _home_crumb() -> list[dict[str, Any]]:
    return list(WagtailAdminTemplateMixin.breadcrumbs_items)


# Subscribers ---------------------------------------------------------------------------


class SubscriberIndexView(EncryptedSearchMixin, SpreadsheetSafeExport, generic.IndexView):
    """Subscribers, searchable by address, filtered by status and language, exportable (each
    export is in the audit log: who, when, how many rows)."""

    def as_spreadsheet(self, queryset: Any, spreadsheet_format: str) -> HttpResponse:
        actions.record_subscriber_export(
            rows=queryset.count(), export_format=spreadsheet_format, user=self.request.user
        )
        response: HttpResponse = super().as_spreadsheet(queryset, spreadsheet_format)
        return response

    @cached_property
    def header_buttons(self) -> list[Any]:
        buttons = []
        if self.user_has_permission("add"):
            buttons.append(
                HeaderButton(
                    gettext("Import CSV"),
                    url=reverse(f"{SUBSCRIBERS}:import"),
                    icon_name="upload",
                )
            )
        return buttons

    def _get_title_column(self, field_name: str, *args: Any, **kwargs: Any) -> Any:
        # The address leads to the subscriber's record and consent history.
        column = super()._get_title_column(field_name, *args, **kwargs)
        column._get_url_func = self.get_inspect_url
        return column

    def get_list_more_buttons(self, instance: Subscriber) -> list[Any]:
        buttons = []
        if url := self.get_inspect_url(instance):
            buttons.append(
                MenuItem(gettext("Consent history"), url=url, icon_name="info-circle", priority=10)
            )
        if url := self.get_edit_url(instance):
            buttons.append(MenuItem(gettext("Edit"), url=url, icon_name="edit", priority=20))
        if url := self.get_delete_url(instance):
            buttons.append(
                MenuItem(gettext("Erase permanently"), url=url, icon_name="bin", priority=30)
            )
        return buttons


class SubscriberInspectView(generic.InspectView):
    """A subscriber's record and consent history, read-only."""

    template_name = "newsletter/admin/subscriber_inspect.html"
    page_title = _("Subscriber")

    def get_page_subtitle(self) -> str:
        return str(self.object)

    def get_field_display_value(self, field_name: str, field: Any) -> Any:
        value = super().get_field_display_value(field_name, field)
        return "—" if value is None or value == "" else value

    @cached_property
    def header_more_buttons(self) -> list[Any]:
        buttons = []
        if url := self.get_edit_url():
            buttons.append(Button(gettext("Edit"), url=url, icon_name="edit", priority=10))
        if url := self.get_delete_url():
            buttons.append(
                Button(gettext("Erase permanently"), url=url, icon_name="bin", priority=20)
            )
        return buttons

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["consents"] = list(self.object.consents.order_by("-created_at"))
        context["can_unsubscribe"] = self.user_has_permission("change") and (
            self.object.status in {Subscriber.Status.ACTIVE, Subscriber.Status.PENDING}
        )
        context["unsubscribe_url"] = reverse(f"{SUBSCRIBERS}:unsubscribe", args=[self.object.pk])
        context["delivery_count"] = self.object.deliveries.count()
        return context


class SubscriberEditView(generic.EditView):
    delete_item_label = _("Erase permanently")


class SubscriberEraseView(generic.DeleteView):
    """Deleting a subscriber erases them: the record, consents, deliveries and the admin's
    own log lines that name the address. Consents survive only as anonymous counts."""

    template_name = "newsletter/admin/subscriber_erase.html"
    page_title = _("Erase subscriber")

    @property
    def confirmation_message(self) -> str:
        return gettext(
            "Erase %(email)s permanently? The subscriber, their consent records and the "
            "record of every letter sent to them are deleted and cannot be restored. "
            "Their consents are kept only as anonymous counts."
        ) % {"email": self.object.email}

    def get_success_message(self) -> str:
        return gettext("The subscriber was erased.")

    def delete_action(self) -> None:
        actions.erase_subscriber(subscriber_id=self.object.pk, user=self.request.user)


class SubscriberUnsubscribeView(PermissionCheckedMixin, View):
    """Take a subscriber off the list (on their request by mail or phone), keeping the record."""

    model = Subscriber
    permission_required = "change"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        subscriber = get_object_or_404(Subscriber, pk=pk)
        actions.unsubscribe(subscriber_id=subscriber.pk)
        messages.success(request, gettext("The subscriber was unsubscribed."))
        return HttpResponseRedirect(reverse(f"{SUBSCRIBERS}:inspect", args=[subscriber.pk]))


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8 text with a header row: an “email” column and, optionally, a “language” "
            "column. At most 5 MB."
        ),
    )
    source = forms.CharField(
        label=_("Where these addresses come from"),
        max_length=100,
        help_text=_(
            "Recorded with each consent, e.g. “old list on Mailchimp, exported 2024-03-01”."
        ),
    )
    previously_consented = forms.BooleanField(
        label=_("These people consented before (skip confirmation)"),
        required=False,
        widget=AffirmativeCheckbox,
        help_text=_(
            "Tick only if every address on the list asked for the newsletter earlier. "
            "Otherwise each new address gets a confirmation mail and stays pending until "
            "it is confirmed."
        ),
    )
    default_language = forms.ChoiceField(
        label=_("Language for rows without one"),
        choices=settings.LANGUAGES,
        initial=settings.LANGUAGE_CODE,
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(gettext("The file is larger than 5 MB."))
        raw = upload.read(MAX_IMPORT_BYTES + 1)
        if len(raw) > MAX_IMPORT_BYTES:
            raise forms.ValidationError(gettext("The file is larger than 5 MB."))
        try:
            text = str(raw.decode("utf-8-sig"))
        except UnicodeDecodeError as error:
            raise forms.ValidationError(
                gettext("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again.")
            ) from error
        if "\x00" in text:
            raise forms.ValidationError(gettext("This does not look like a CSV file."))
        return text


class SubscriberImportView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    model = Subscriber
    permission_required = "add"
    form_class = ImportForm
    template_name = "newsletter/admin/subscriber_import.html"
    page_title = _("Import subscribers")
    header_icon = "upload"

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *_home_crumb(),
            {"url": reverse(f"{SUBSCRIBERS}:index"), "label": capfirst(gettext("subscribers"))},
            {"url": "", "label": self.get_page_title()},
        ]

    def form_valid(self, form: ImportForm) -> HttpResponse:
        data = form.cleaned_data
        policy = privacy_policy(data["default_language"]) or {"version": 0}
        try:
            result = actions.import_subscribers(
                csv_text=data["file"],
                source=data["source"],
                previously_consented=data["previously_consented"],
                default_language=data["default_language"],
                policy_version=policy["version"],
            )
        except csv.Error as error:
            form.add_error("file", gettext("The file could not be read as CSV: %s") % error)
            return self.form_invalid(form)
        context = self.get_context_data(form=self.form_class(), result=result)
        context["errors_shown"] = result.errors[:MAX_ERRORS_SHOWN]
        context["errors_hidden"] = max(len(result.errors) - MAX_ERRORS_SHOWN, 0)
        return self.render_to_response(context)


# Editions ------------------------------------------------------------------------------


def send_url(edition_id: int) -> str:
    return reverse(f"{EDITIONS}:send", args=[edition_id])


class EditionIndexView(snippet_views.IndexView):
    def get_list_more_buttons(self, instance: Edition) -> list[Any]:
        buttons = list(super().get_list_more_buttons(instance))
        if self.user_has_permission("change"):
            buttons.append(
                MenuItem(
                    gettext("Send…") if instance.editable else gettext("Delivery"),
                    url=send_url(instance.pk),
                    icon_name="mail",
                    priority=5,
                )
            )
        return buttons


class EditionEditView(snippet_views.EditView):
    """Editing an edition that is going or has gone out is refused: subscribers got it."""

    def run_before_hook(self) -> HttpResponse | None:
        if not self.object.editable:
            messages.warning(
                self.request,
                gettext(
                    "“%(subject)s” is being sent or has been sent and can no longer be "
                    "changed. Copy its stories into a new edition instead."
                )
                % {"subject": self.object.subject},
            )
            return HttpResponseRedirect(send_url(self.object.pk))
        return super().run_before_hook()

    @cached_property
    def header_more_buttons(self) -> list[Any]:
        buttons = list(super().header_more_buttons)
        buttons.append(
            Button(gettext("Send…"), url=send_url(self.object.pk), icon_name="mail", priority=5)
        )
        return buttons


class TestSendForm(forms.Form):
    to = forms.CharField(
        label=_("Send a test to"),
        max_length=2000,
        help_text=_("One address, or a few separated by commas."),
    )

    def clean_to(self) -> list[str]:
        addresses = [part for part in re.split(r"[,;\s]+", self.cleaned_data["to"]) if part]
        if not addresses:
            raise forms.ValidationError(gettext("Enter at least one address."))
        return addresses


class EditionSendView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """One edition's delivery: status and counts, test send, fill, schedule, send now."""

    model = Edition
    permission_required = "change"
    template_name = "newsletter/admin/edition_send.html"
    page_title = _("Send edition")
    header_icon = "mail"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.edition = get_object_or_404(Edition, pk=kwargs["pk"])

    def get_page_subtitle(self) -> str:
        return self.edition.subject

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *_home_crumb(),
            {"url": reverse(f"{EDITIONS}:list"), "label": capfirst(gettext("editions"))},
            {"url": "", "label": self.get_page_title(), "sublabel": self.edition.subject},
        ]

    def audience(self) -> int:
        suppressed = Suppression.objects.filter(email_hash=OuterRef("email_hash"))
        return (
            Subscriber.objects.filter(
                language=self.edition.language, status=Subscriber.Status.ACTIVE
            )
            .exclude(Exists(suppressed))
            .count()
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from samizdat.newsletter.mail import UNSUBSCRIBE_PLACEHOLDER, preview_html

        context = super().get_context_data(**kwargs)
        edition = self.edition
        counts = actions.delivery_counts(edition.pk)
        labels = dict(Delivery.Status.choices)
        started = edition.status in {Edition.Status.SENDING, Edition.Status.SENT}
        if started:
            mail_html = edition.frozen_html.replace(UNSUBSCRIBE_PLACEHOLDER, "#unsubscribe")
        else:
            mail_html = preview_html(edition)
        context.update(
            edition=edition,
            started=started,
            counts=[(labels[status], counts[status]) for status in Delivery.Status.values],
            total=counts["total"],
            audience=None if started else self.audience(),
            story_count=edition.items.count(),
            test_form=kwargs.get("test_form") or TestSendForm(),
            confirm=self.request.GET.get("confirm") == "send" and edition.editable,
            edit_url=reverse(f"{EDITIONS}:edit", args=[edition.pk]) if edition.editable else None,
            send_at_past=bool(edition.send_at and edition.send_at <= timezone.now()),
            mail_html=mail_html,
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        handlers = {
            "test": self.do_test,
            "fill": self.do_fill,
            "schedule": self.do_schedule,
            "unschedule": self.do_unschedule,
            "send": self.do_send,
        }
        handler = handlers.get(request.POST.get("action", ""))
        if handler is None:
            messages.error(request, gettext("Unknown action."))
            return self.back()
        return handler(request)

    def back(self) -> HttpResponse:
        return HttpResponseRedirect(send_url(self.edition.pk))

    def do_test(self, request: HttpRequest) -> HttpResponse:
        form = TestSendForm(request.POST)
        if form.is_valid():
            try:
                actions.send_test(
                    edition_id=self.edition.pk, to=form.cleaned_data["to"], user=request.user
                )
            except actions.InvalidAddress as error:
                form.add_error(
                    "to",
                    gettext("This is not an address we can write to: %(reason)s")
                    % {"reason": error},
                )
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(test_form=form))
        messages.success(
            request,
            gettext("A test was sent to %(addresses)s.")
            % {"addresses": ", ".join(form.cleaned_data["to"])},
        )
        return self.back()

    def do_fill(self, request: HttpRequest) -> HttpResponse:
        since = timezone.now() - datetime.timedelta(days=7)
        added = actions.fill_with_recent_articles(
            edition_id=self.edition.pk, since=since, user=request.user
        )
        if added:
            messages.success(
                request,
                ngettext(
                    "%(count)d story of this week added.",
                    "%(count)d stories of this week added.",
                    added,
                )
                % {"count": added},
            )
        else:
            messages.warning(request, gettext("No new stories from this week to add."))
        return self.back()

    def do_schedule(self, request: HttpRequest) -> HttpResponse:
        send_at = self.edition.send_at
        if send_at is None:
            messages.error(request, gettext("Set a send time in the edition first."))
        elif send_at <= timezone.now():
            messages.error(
                request,
                gettext("The send time is in the past: set a new one, or send now."),
            )
        else:
            try:
                actions.schedule_edition(
                    edition_id=self.edition.pk, send_at=send_at, user=request.user
                )
            except ValueError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, gettext("The edition is scheduled."))
        return self.back()

    def do_unschedule(self, request: HttpRequest) -> HttpResponse:
        actions.unschedule_edition(edition_id=self.edition.pk, user=request.user)
        messages.success(request, gettext("The edition is a draft again; it will not be sent."))
        return self.back()

    def do_send(self, request: HttpRequest) -> HttpResponse:
        if not self.edition.editable:
            messages.error(request, gettext("This edition is already going out."))
            return self.back()
        try:
            frozen = actions.send_edition(edition_id=self.edition.pk, user=request.user)
        except ValueError as error:
            messages.error(request, str(error))
            return self.back()
        messages.success(
            request,
            ngettext(
                "Sending started: %(count)d letter is on its way.",
                "Sending started: %(count)d letters are on their way.",
                frozen,
            )
            % {"count": frozen},
        )
        return self.back()


# Suppressed addresses ------------------------------------------------------------------


class SuppressionIndexView(generic.IndexView):
    @cached_property
    def add_item_label(self) -> str:
        return gettext("Add address")


class SuppressForm(forms.Form):
    email = forms.CharField(
        label=_("Email address"),
        max_length=254,
        help_text=_("Only a one-way digest of the address is stored; the address itself is not."),
    )
    detail = forms.CharField(
        label=_("Note"),
        max_length=300,
        required=False,
        help_text=_("Why, for the record. Do not write the address here."),
    )

    def clean_email(self) -> str:
        try:
            return actions.normalise_email(self.cleaned_data["email"])
        except actions.InvalidAddress as error:
            raise forms.ValidationError(
                gettext("This is not an email address: %(reason)s") % {"reason": error}
            ) from error


class SuppressionCreateView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """Staff add an address that must never get mail again (asked by phone, legal hold…)."""

    model = Suppression
    permission_required = "add"
    form_class = SuppressForm
    template_name = "newsletter/admin/suppression_add.html"
    page_title = _("Add a suppressed address")
    header_icon = "cross"

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *_home_crumb(),
            {
                "url": reverse(f"{SUPPRESSIONS}:index"),
                "label": capfirst(gettext("suppressed addresses")),
            },
            {"url": "", "label": self.get_page_title()},
        ]

    def form_valid(self, form: SuppressForm) -> HttpResponse:
        actions.suppress(
            email=form.cleaned_data["email"],
            reason=Suppression.Reason.MANUAL,
            detail=form.cleaned_data["detail"],
        )
        messages.success(
            self.request, gettext("The address is on the suppression list; it gets no more mail.")
        )
        return HttpResponseRedirect(reverse(f"{SUPPRESSIONS}:index"))


# Outbox --------------------------------------------------------------------------------


class OutboxPermissionMixin:
    """The outbox holds readers' and donors' addresses, confirmation, unsubscribe and
    manage-your-gift links: staff with subscriber permissions read all of it; Editors (the
    outbox permission) only the tests of editions, which they send themselves."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_read_outbox(request.user):
            raise PermissionDenied
        self.tests_only = not can_manage_subscribers(request.user)
        response: HttpResponse = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        return response


class OutboxIndexView(OutboxPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "newsletter/admin/outbox_index.html"
    page_title = _("Outbox")
    header_icon = "mail"

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [*_home_crumb(), {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["messages_list"] = outbox.messages(tests_only=self.tests_only)
        context["tests_only"] = self.tests_only
        context["outbox_in_use"] = outbox_in_use()
        context["outbox_dir"] = str(outbox.outbox_dir())
        return context


class OutboxMessageView(OutboxPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "newsletter/admin/outbox_message.html"
    page_title = _("Outbox")
    header_icon = "mail"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        message = outbox.read(kwargs["name"])
        if message is None:
            raise Http404("No such message")
        self.message = message

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Only the tests of editions for those who may read the outbox but not readers' mail.
        user = request.user
        if (
            can_read_outbox(user)
            and not can_manage_subscribers(user)
            and not outbox.is_test(self.message)
        ):
            raise Http404("No such message")
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self) -> str:
        return str(self.message["Subject"] or "")

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *_home_crumb(),
            {"url": reverse(f"{OUTBOX}:index"), "label": gettext("Outbox")},
            {"url": "", "label": self.get_page_subtitle() or gettext("(no subject)")},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        message = self.message
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        context["headers"] = [(name, str(value)) for name, value in message.items()]
        context["text"] = text.get_content() if text is not None else ""
        context["html"] = html.get_content() if html is not None else ""
        return context
