from __future__ import annotations

from django.urls import path

from samizdat.newsletter import views

app_name = "newsletter"

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("challenge/", views.challenge, name="challenge"),
    path("ping/", views.ping, name="ping"),
]
