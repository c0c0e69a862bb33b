"""Settings → Erase a person: staff enter an address, see what every app keeps about it,
and erase it all at once. The address travels only in POST bodies, never in a URL."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from email_validator import EmailNotValidError, validate_email
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from samizdat.core import actions
from samizdat.core.hooks import ErasureRefused, erasers

URL_NAME = "samizdat_erase_person"
MAX_EMAIL_LENGTH = 254


class ErasePersonForm(forms.Form):
    email = forms.CharField(
        label=_("Their email address"),
        max_length=MAX_EMAIL_LENGTH,
        help_text=_("The address they subscribed or gave with a gift. It is not stored or logged."),
    )

    def clean_email(self) -> str:
        raw = str(self.cleaned_data["email"]).strip()
        try:
            validate_email(raw, check_deliverability=False)
        except EmailNotValidError as error:
            raise forms.ValidationError(
                gettext("This is not an email address: %(reason)s") % {"reason": error}
            ) from error
        return raw


def summary(counts: dict[str, int]) -> str:
    """“subscription: 1, consent records: 2” in the staff member's language, in the order
    the apps list what they keep (a JSON column may have stored the counts in another)."""
    labels: dict[str, Any] = {}
    for eraser in erasers():
        labels.update(eraser.kinds)
    ordered = [kind for kind in labels if kind in counts]
    ordered += sorted(kind for kind in counts if kind not in labels)
    return ", ".join(
        f"{labels.get(kind, kind)}: {counts[kind]}" for kind in ordered if counts[kind]
    )


class ErasePersonView(WagtailAdminTemplateMixin, TemplateView):
    """GET: the address form. POST: what would be erased (counts, or why not now), then, on
    the second POST (``step=erase``), the erasure."""

    template_name = "samizdat_core/admin/erase_person.html"
    page_title = _("Erase a person")
    header_icon = "bin"
    http_method_names = ["get", "post"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not actions.may_erase_people(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [*super().get_breadcrumbs_items(), {"url": "", "label": self.get_page_title()}]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=ErasePersonForm()))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = ErasePersonForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        email = form.cleaned_data["email"]
        if request.POST.get("step") == "erase":
            try:
                erased = actions.erase_person(email=email, user=request.user)
            except ErasureRefused:
                return self.review(form, email, status=409)
            messages.success(
                request,
                gettext("Erased: %(what)s.") % {"what": summary(erased)}
                if any(erased.values())
                else gettext("Nothing was kept about this address; nothing was erased."),
            )
            return HttpResponseRedirect(reverse(URL_NAME))
        return self.review(form, email)

    def review(self, form: ErasePersonForm, email: str, status: int = 200) -> HttpResponse:
        found = actions.count_person(email=email)
        apps = [
            {
                "label": eraser.label,
                "rows": [(label, counts.get(kind, 0)) for kind, label in eraser.kinds.items()],
                "refusal": refusal,
            }
            for eraser, counts, refusal in found
        ]
        context = self.get_context_data(
            form=form,
            email=email,
            apps=apps,
            anything=any(number for _eraser, counts, _r in found for number in counts.values()),
            refusals=[refusal for _eraser, _counts, refusal in found if refusal],
        )
        return self.render_to_response(context, status=status)
