"""Mirrors in the Wagtail admin: Settings → Mirrors, a listing with the last check of each copy
and the form of the model's panels (``Mirror.clean`` checks the address).

Only superusers and staff whose group has the mirror permissions see the menu item or reach
the pages (Wagtail's model permission policy)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.admin.viewsets.model import ModelViewSet

from samizdat.mirrors.models import Mirror

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _label(name: str) -> StrOrPromise:
    """The model field's own (translated) name, as the admin writes column headings."""
    field = Mirror._meta.get_field(name)
    assert isinstance(field, models.Field)
    return capfirst(field.verbose_name)


class MirrorViewSet(ModelViewSet):
    model = Mirror
    name = "mirrors"
    icon = "site"
    menu_label = _("Mirrors")
    add_to_settings_menu = True
    list_display = [
        "url",
        "label",
        BooleanColumn("public", label=_label("public")),
        Column(
            "status",
            accessor="get_last_status_display",
            label=_label("last_status"),
            sort_key="last_status",
        ),
        DateColumn(
            "last_checked_at",
            label=_label("last_checked_at"),
            sort_key="last_checked_at",
        ),
    ]
    list_filter = ["public", "last_status"]
    search_fields = ["url", "label"]
    search_backend_name = None  # the database: `icontains` on search_fields
    # Staff read what the last check found (the report never reaches readers).
    inspect_view_enabled = True
    inspect_view_fields = [
        "url",
        "label",
        "public",
        "sort_order",
        "last_status",
        "last_checked_at",
        "last_report",
    ]
    copy_view_enabled = False  # the address is unique: a copy could never be saved as is
    add_to_reference_index = False


@hooks.register("register_admin_viewset")
def register_mirror_viewset() -> MirrorViewSet:
    return MirrorViewSet()
