from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from wagtail.models import get_page_models
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from samizdat.publishing.models import ArticlePage, InfoPage
from tests.logins import log_in

pytestmark = pytest.mark.django_db


def article_form(newsroom: dict[str, Any], **extra: str) -> dict[str, Any]:
    return nested_form_data(
        {
            "title": "Harbour workers vote to strike",
            "slug": "harbour-workers-vote-to-strike",
            "standfirst": "Dockers in Tessel walk out on Monday.",
            "lead_image": str(newsroom["image"].pk),
            "lead_caption": "The harbour at dawn.",
            "lead_credit": "Photo: Lantern staff",
            "body": streamfield(
                [
                    ("paragraph", rich_text("<p>The union counted 812 votes.</p>")),
                    ("subheading", "What they want"),
                    (
                        "quote",
                        {
                            "text": "We load the ships.",
                            "speaker": "Ida Marr",
                            "source": "crane driver",
                        },
                    ),
                    (
                        "link",
                        {
                            "url": "https://example.org/ballot",
                            "title": "The ballot",
                            "description": "",
                        },
                    ),
                ]
            ),
            "article_authors": inline_formset([{"author": str(newsroom["anna"].pk)}], min=1),
            "tags": "labour, strikes",
            **extra,
        }
    )


def staff(username: str, group: str) -> User:
    user = User.objects.create_user(username, f"{username}@example.org", "pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def test_editor_writes_and_publishes_an_article_in_the_admin(
    client: Client, newsroom: dict[str, Any]
) -> None:
    log_in(client, staff("editor", "Editors"))
    url = f"/admin/pages/add/publishing/articlepage/{newsroom['news'].pk}/"
    assert client.get(url).status_code == 200

    response = client.post(url, article_form(newsroom, **{"action-publish": "publish"}))
    assert response.status_code == 302, response.content.decode()[:2000]

    article = ArticlePage.objects.get(slug="harbour-workers-vote-to-strike")
    assert article.live
    html = client.get("/en/news/harbour-workers-vote-to-strike/").content.decode()
    assert "<h1>Harbour workers vote to strike</h1>" in html
    assert "We load the ships." in html and "Anna Berg" in html
    assert (
        '<a href="https://example.org/ballot" rel="noopener noreferrer nofollow">The ballot</a>'
        in html
    )


def test_reporter_saves_a_draft_that_readers_cannot_see(
    client: Client, newsroom: dict[str, Any]
) -> None:
    log_in(client, staff("reporter", "Reporters"))
    url = f"/admin/pages/add/publishing/articlepage/{newsroom['news'].pk}/"
    response = client.post(url, article_form(newsroom, **{"action-publish": "publish"}))
    assert response.status_code == 302  # saved as a draft: the publish button is not theirs
    article = ArticlePage.objects.get(slug="harbour-workers-vote-to-strike")
    assert not article.live
    client.logout()
    assert client.get("/en/news/harbour-workers-vote-to-strike/").status_code == 404


def test_an_article_needs_an_author(client: Client, newsroom: dict[str, Any]) -> None:
    log_in(client, staff("editor", "Editors"))
    url = f"/admin/pages/add/publishing/articlepage/{newsroom['news'].pk}/"
    form = article_form(newsroom, **{"action-publish": "publish"})
    form.update(nested_form_data({"article_authors": inline_formset([], min=1)}))
    response = client.post(url, form)
    assert response.status_code == 200  # the form again, with its errors
    assert not ArticlePage.objects.filter(slug="harbour-workers-vote-to-strike").exists()


def test_every_page_type_fills_its_slug_from_its_title(
    admin_client: Client, newsroom: dict[str, Any]
) -> None:
    from samizdat.newsletter.actions import ensure_newsletter_pages

    ensure_newsletter_pages()
    home = newsroom["home"]
    home.add_child(instance=InfoPage(title="About us", slug="about", locale_id=home.locale_id))
    models = [model for model in get_page_models() if model._meta.app_label != "wagtailcore"]
    assert len(models) >= 7
    for model in models:
        page = model.objects.filter(locale__language_code="en").first()
        assert page is not None, model
        html = admin_client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
        title = re.search(r'<input[^>]* id="id_title"[^>]*>', html)
        assert title is not None, model
        # Wagtail's title panel: typing the title fills the slug (on the Promote tab).
        assert 'data-controller="w-sync"' in title.group(0), (model, title.group(0))
        assert 'data-w-sync-target-value="#id_slug"' in title.group(0), model


def test_editors_filter_the_stories_by_label(client: Client, newsroom: dict[str, Any]) -> None:
    from tests import factories

    factories.ArticlePageFactory(
        parent=newsroom["news"], title="Why the court matters", slug="why", label="explainer"
    )
    factories.ArticlePageFactory(
        parent=newsroom["news"], title="Our view on the trial", slug="view", label="opinion"
    )
    log_in(client, staff("editor", "Editors"))
    every = client.get("/admin/stories/").content.decode()
    assert "Why the court matters" in every and "Our view on the trial" in every
    assert "Court opens trial of reporter" in every

    explainers = client.get("/admin/stories/?label=explainer").content.decode()
    assert "Why the court matters" in explainers
    assert "Our view on the trial" not in explainers
    assert "Court opens trial of reporter" not in explainers

    plain = client.get("/admin/stories/?label=news").content.decode()
    assert "Court opens trial of reporter" in plain and "Why the court matters" not in plain
