from __future__ import annotations

from django.urls import path

from samizdat.newsletter import views

app_name = "newsletter"

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    # Links carry their token in the query string (access logs record paths only).
    path("confirm/", views.confirm, name="confirm"),
    path("unsubscribe/", views.unsubscribe, name="unsubscribe"),
    # The path forms of letters sent before: confirmation links until they expire,
    # unsubscribe links for good (a letter's link must work for as long as it is kept).
    path("confirm/<str:token>/", views.confirm_old_link, name="confirm_old"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe_old"),
    path("challenge/", views.challenge, name="challenge"),
    path("ping/", views.ping, name="ping"),
]
