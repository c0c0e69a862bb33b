from __future__ import annotations

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.urls import include, path, re_path
from wagtail import views as wagtail_views
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from samizdat.donations import urls as donations_urls
from samizdat.donations import views as donations_views
from samizdat.mirrors import views as mirrors_views
from samizdat.newsletter import urls as newsletter_urls
from samizdat.newsletter import views as newsletter_views
from samizdat.publishing import sitemaps, views

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("newsletter/", include(newsletter_urls)),
    path("donate/", include(donations_urls)),
    path("webhooks/mail/<slug:esp>/", newsletter_views.mail_webhook, name="mail_webhook"),
    path("webhooks/<slug:provider>/", donations_views.webhook, name="payment_webhook"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemaps.sitemap_index, name="sitemap"),
    path("sitemap-<slug:section>-<int:number>.xml", sitemaps.sitemap_section, name="sitemap-page"),
    path("sitemap-<slug:section>.xml", sitemaps.sitemap_section, name="sitemap-section"),
    path("news-sitemap.xml", sitemaps.news_sitemap, name="news_sitemap"),
    path(
        "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/",
        wagtail_views.authenticate_with_password,
        name="wagtailcore_authenticate_with_password",
    ),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += i18n_patterns(
    path("mirrors/", mirrors_views.mirror_list, name="mirror_list"),
    re_path(r"^((?:[\w\-]+/)*)$", views.serve, name="wagtail_serve"),
    prefix_default_language=True,
)

handler404 = "samizdat.publishing.views.page_not_found"
handler500 = "samizdat.publishing.views.server_error"
