"""The donate pages under /donate/, in the "donations" namespace.

Then the pages the providers contribute: a bank transfer's instructions, the demo's checkout.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import URLPattern, path, re_path

from samizdat.donations import views
from samizdat.donations.providers import registry

app_name = "donations"
urlpatterns: list[URLPattern] = [
    path("", views.donate, name="donate"),
    path("later/", views.remind_later, name="remind_later"),
    path("thanks/", views.thanks, name="thanks"),
    path("manage/", views.manage, name="manage"),
    path("manage/gifts/", views.manage_gifts, name="manage_gifts"),
    # Links mailed before tokens moved to the query string (valid a day after they were sent).
    path("manage/<str:token>/", views.manage_gifts_old_link, name="manage_gifts_old"),
    *(pattern for provider in registry.registered().values() for pattern in provider.urlpatterns()),
    # The donate page in one language, for links that should carry no query (letters).
    re_path(
        r"^(?P<language>{})/$".format("|".join(code for code, _name in settings.LANGUAGES)),
        views.donate,
        name="donate_in",
    ),
]
