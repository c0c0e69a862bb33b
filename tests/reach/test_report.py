"""Reports → Where readers come from: the counts, to staff allowed to see them."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.utils import timezone

from samizdat.reach.models import FailoverCount, LogCursor, ReadCount
from tests.logins import log_in

pytestmark = pytest.mark.django_db

URL = "/admin/reports/reach/"
LOG = "node-1:/var/log/nginx/samizdat-reach.log"


def today() -> datetime.date:
    return timezone.now().date()


def days_ago(n: int) -> datetime.date:
    return today() - datetime.timedelta(days=n)


@pytest.fixture
def counts(site_tree: Any) -> None:
    """A usual week, then yesterday: origin reads fell and failovers jumped."""
    for back in range(1, 10):
        reads = 10 if back == 1 else 100
        ReadCount.objects.create(day=days_ago(back), path="/en/", channel="origin", count=reads)
        failovers = 40 if back == 1 else 2
        FailoverCount.objects.create(
            day=days_ago(back), mirror="https://m.example", count=failovers
        )
    ReadCount.objects.create(day=days_ago(1), path="/en/", channel="mirror:m.example", count=7)
    ReadCount.objects.create(day=days_ago(2), path="/en/feed/rss/", channel="feed", count=4)
    LogCursor.objects.create(key=LOG, head="0" * 64, offset=100, lines=5, skipped=1)


def staff(django_user_model: Any, *, permitted: bool) -> Client:
    user = django_user_model.objects.create_user(username=f"staff{permitted}", is_staff=True)
    group = Group.objects.create(name=f"Reporters {permitted}")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    if permitted:
        group.permissions.add(Permission.objects.get(codename="view_reach"))
    user.groups.add(group)
    client = Client()
    log_in(client, user)
    return client


def test_a_permitted_member_of_staff_sees_the_counts_and_the_signs(
    counts: None, django_user_model: Any
) -> None:
    client = staff(django_user_model, permitted=True)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-day="{days_ago(1).isoformat()}"' in html
    assert "mirror m.example" in html and "feeds" in html
    assert 'data-path="/en/"' in html
    assert "turned to a mirror 40 times" in html
    assert "the site itself was read 10 times" in html
    assert LOG in html  # how far each log was read
    menu = client.get("/admin/").content.decode()
    assert URL in menu


def test_a_chosen_range_of_days(counts: None, admin_client: Client) -> None:
    first = days_ago(3).isoformat()
    response = admin_client.get(URL, {"from": first, "to": days_ago(2).isoformat()})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-day="{first}"' in html and f'data-day="{days_ago(4).isoformat()}"' not in html
    bad = admin_client.get(URL, {"from": "yesterday"})
    assert bad.status_code == 400 and "2026-12-03" in bad.content.decode()
    backwards = admin_client.get(URL, {"from": first, "to": days_ago(5).isoformat()})
    assert backwards.status_code == 400


def test_staff_without_the_permission_are_refused(counts: None, django_user_model: Any) -> None:
    client = staff(django_user_model, permitted=False)
    refused = client.get(URL, follow=True)
    assert refused.redirect_chain == [("/admin/", 302)]  # the admin's way of refusing
    assert "permission" in refused.content.decode()
    assert 'data-path="/en/"' not in refused.content.decode()
    assert URL not in client.get("/admin/").content.decode()
    assert Client().get(URL).status_code == 302  # to the login page


def test_the_permission_is_offered_in_the_group_editor(admin_client: Client) -> None:
    html = admin_client.get("/admin/groups/new/").content.decode()
    assert "Can see where readers come from" in html


def test_with_counting_off_the_report_is_not_in_the_menu(
    admin_client: Client, settings: Any
) -> None:
    settings.REACH_COUNTS = False
    assert URL not in admin_client.get("/admin/").content.decode()
