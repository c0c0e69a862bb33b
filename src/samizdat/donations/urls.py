from __future__ import annotations

from django.conf import settings
from django.urls import path, re_path

from samizdat.donations import views

app_name = "donations"
urlpatterns = [
    path("", views.donate, name="donate"),
    path("later/", views.remind_later, name="remind_later"),
    path("thanks/", views.thanks, name="thanks"),
    path("transfer/<str:token>/", views.transfer, name="transfer"),
    path("manage/", views.manage, name="manage"),
    path("manage/<str:token>/", views.manage_gifts, name="manage_gifts"),
    path("demo/manage/<str:token>/", views.demo_manage, name="demo_manage"),
    path("demo/<str:token>/", views.demo_checkout, name="demo_checkout"),
    # The donate page in one language, for links that should carry no query (letters).
    re_path(
        r"^(?P<language>{})/$".format("|".join(code for code, _name in settings.LANGUAGES)),
        views.donate,
        name="donate_in",
    ),
]
