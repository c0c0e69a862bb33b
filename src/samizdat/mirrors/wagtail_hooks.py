"""Mirrors in the Wagtail admin: Settings → Mirrors, a listing with the last check of each copy
and the form of the model's panels (``Mirror.clean`` checks the address).

Only superusers and staff whose group has the mirror permissions see the menu item or reach
the pages (Wagtail's model permission policy). Settings → Mirror targets, where the bundle is
copied after each build, is for superusers alone: a target writes files or runs a program on
the server."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import models
from django.template import Context
from django.urls import URLPattern, path, re_path
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import register_permission_policy

from samizdat.core.hooks import FORM_ORIGINS, LANGUAGE_URLS, PERIODIC_JOBS, PUBLIC_PATHS, URLS
from samizdat.core.paths import language_roots
from samizdat.core.regions import register_letter_block
from samizdat.mirrors import actions, failover
from samizdat.mirrors.models import Mirror, MirrorTarget, public_origins
from samizdat.mirrors.render import public_only
from samizdat.mirrors.views import (
    copy_file_address,
    mirror_list,
    mirror_list_signature,
    offline,
    public_addresses,
    service_worker,
    signed_mirror_list,
)

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django_stubs_ext import StrOrPromise


def _label(name: str, model: type[models.Model] = Mirror) -> StrOrPromise:
    """The model field's own (translated) name, as the admin writes column headings."""
    field = model._meta.get_field(name)
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


# Mirror targets ---------------------------------------------------------------------------


class SuperuserOnlyPolicy(BasePermissionPolicy):
    """Every action for active superusers, none for anyone else, whatever their groups."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        return bool(user.is_active and user.is_superuser)

    def user_has_any_permission(self, user: Any, actions: Iterable[str]) -> bool:
        return bool(user.is_active and user.is_superuser)

    def users_with_any_permission(self, actions: Iterable[str]) -> QuerySet[Any]:
        return get_user_model().objects.filter(is_active=True, is_superuser=True)


register_permission_policy(MirrorTarget, SuperuserOnlyPolicy(MirrorTarget))

# Changing where the files go (or switching a target back on) means the place may lack files.
NEW_PLACE = {"kind", "path", "bucket", "prefix", "endpoint_url", "command"}


class MirrorTargetForm(WagtailAdminModelForm):
    """Keeps the stored secret key when the field is left empty (it is never shown back)."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("access_key_id"):
            data["secret_access_key"] = ""
        elif not data.get("secret_access_key") and self.instance.pk:
            data["secret_access_key"] = self.instance.secret_access_key
        return data

    def save(self, commit: bool = True) -> Any:
        target = self.instance
        switched_on = "enabled" in self.changed_data and target.enabled
        if target.pk and (switched_on or NEW_PLACE & set(self.changed_data)):
            target.needs_full_sync = True
        return super().save(commit=commit)


class MirrorTargetViewSet(ModelViewSet):
    model = MirrorTarget
    name = "mirror_targets"
    url_prefix = "mirror-targets"
    icon = "upload"
    menu_label = _("Mirror targets")
    add_to_settings_menu = True
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("kind"),
            FieldPanel("enabled"),
            MultiFieldPanel([FieldPanel("path")], heading=_("Directory on this server")),
            MultiFieldPanel(
                [
                    FieldPanel("bucket"),
                    FieldPanel("prefix"),
                    FieldPanel("endpoint_url"),
                    FieldPanel("region"),
                    FieldPanel("access_key_id"),
                    FieldPanel(
                        "secret_access_key",
                        widget=forms.PasswordInput(render_value=False),
                        help_text=_("Leave empty to keep the stored key."),
                    ),
                ],
                heading=_("S3 bucket"),
            ),
            MultiFieldPanel([FieldPanel("command"), FieldPanel("timeout")], heading=_("Command")),
            FieldPanel("needs_full_sync"),
        ],
        base_form_class=MirrorTargetForm,
    )
    list_display = [
        "name",
        Column("kind", accessor="get_kind_display", label=_label("kind", MirrorTarget)),
        BooleanColumn("enabled", label=_label("enabled", MirrorTarget)),
        Column(
            "status",
            accessor="get_last_status_display",
            label=_label("last_status", MirrorTarget),
            sort_key="last_status",
        ),
        DateColumn(
            "last_synced_at",
            label=_label("last_synced_at", MirrorTarget),
            sort_key="last_synced_at",
        ),
    ]
    list_filter = ["kind", "enabled", "last_status"]
    search_fields = ["name"]
    search_backend_name = None
    inspect_view_enabled = True
    inspect_view_fields = [
        "name",
        "kind",
        "enabled",
        "path",
        "bucket",
        "prefix",
        "endpoint_url",
        "region",
        "access_key_id",
        "command",
        "timeout",
        "last_status",
        "last_synced_at",
        "needs_full_sync",
        "last_report",
    ]  # never the secret key
    copy_view_enabled = False  # the name is unique, and a copy would carry the secret key
    add_to_reference_index = False

    def get_permissions_to_register(self) -> QuerySet[Permission]:
        return Permission.objects.none()  # no group can be given these: superusers only


@hooks.register("register_admin_viewset")
def register_mirror_target_viewset() -> MirrorTargetViewSet:
    return MirrorTargetViewSet()


# --- what the mirrors app contributes to the rest --------------------------------------------


@hooks.register(PERIODIC_JOBS)
def check_mirrors(now: datetime) -> None:
    """Every MIRROR_CHECK_HOURS, compare the mirrors with the bundle."""
    actions.start_mirror_check(now=now)


@hooks.register(PERIODIC_JOBS)
def build_bundle(now: datetime) -> None:
    """At start and every BUNDLE_FULL_BUILD_HOURS, queue a full build of the bundle."""
    actions.build_bundle_when_due()


@hooks.register(FORM_ORIGINS)
def mirror_origins() -> list[str]:
    return public_origins()


@hooks.register(PUBLIC_PATHS)
def mirror_list_paths() -> list[str]:
    return [f"{prefix}mirrors/" for _root, prefix in language_roots()]


@hooks.register(PUBLIC_PATHS)
def failover_paths() -> list[str]:
    """The worker at the copy's root, the signed mirror list, the offline page of each
    language (the worker's own pages, so a copy holds them too)."""
    signed = [f"/{failover.MIRROR_LIST_SIGNATURE}"] if failover.signing_keys() else []
    return [
        f"/{failover.WORKER}",
        f"/{failover.MIRROR_LIST}",
        *signed,
        *(f"{prefix}offline/" for _root, prefix in language_roots()),
    ]


def _letter_context(context: Context) -> dict[str, Any]:
    # Other origins, so written as plain text: readers copy them, and no link in a letter
    # leads anywhere but the site itself.
    return {"mirrors": public_addresses(str(context.get("LANG") or settings.LANGUAGE_CODE))}


register_letter_block("mirrors/letter_mirrors", _letter_context, order=20)


@hooks.register(LANGUAGE_URLS)
def urls() -> list[URLPattern]:
    return [
        path("mirrors/", mirror_list, name="mirror_list"),
        path("offline/", offline, name="offline"),
    ]


@hooks.register(URLS)
def copy_file_urls() -> list[URLPattern]:
    return [
        re_path(r"^(?P<folder>(?:[\w\-]+/)*)index\.(?:html|xml)$", copy_file_address),
        path(failover.WORKER, service_worker, name="service_worker"),
        path(failover.MIRROR_LIST, signed_mirror_list, name="signed_mirror_list"),
        path(failover.MIRROR_LIST_SIGNATURE, mirror_list_signature),
    ]


# Before Wagtail's own check, which answers with a password form or a login redirect.
hooks.register("before_serve_page", public_only, order=-1)
