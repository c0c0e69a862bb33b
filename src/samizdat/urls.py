"""The project's URLs: Wagtail's admin, what each app registers (``hooks.URLS`` and, under the
language prefix, ``hooks.LANGUAGE_URLS``), then every page of the site."""

from __future__ import annotations

from django.conf.urls.i18n import i18n_patterns
from django.urls import URLPattern, URLResolver, include, path, re_path
from wagtail import views as wagtail_views
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from samizdat.core import hooks
from samizdat.publishing import views


def _registered(name: str) -> list[URLPattern | URLResolver]:
    return [pattern for patterns in hooks.registered(name) for pattern in patterns()]


urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    # Audio, video and their subtitles (with byte ranges); other documents: publishing.documents.
    re_path(
        r"^media/(?P<name>media/[^/]+|documents/[^/]+\.vtt)$", views.media_file, name="media_file"
    ),
    # Renditions, on every node from the uploads' storage (originals are never served as files).
    re_path(r"^media/(?P<name>images/[^/]+)$", views.rendition_file, name="rendition_file"),
    *_registered(hooks.URLS),
    path(
        "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/",
        wagtail_views.authenticate_with_password,
        name="wagtailcore_authenticate_with_password",
    ),
]

urlpatterns += i18n_patterns(
    *_registered(hooks.LANGUAGE_URLS),
    re_path(r"^((?:[\w\-]+/)*)$", views.serve, name="wagtail_serve"),
    prefix_default_language=True,
)

handler404 = "samizdat.publishing.views.page_not_found"
handler500 = "samizdat.publishing.views.server_error"
