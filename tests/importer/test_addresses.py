"""The old site's addresses answer 301 to the pages they became (through the test client)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from wagtail.contrib.redirects.models import Redirect

from samizdat.importer import addresses
from samizdat.importer.models import ImportedItem
from samizdat.publishing.models import InfoPage
from tests import factories

WP = "wordpress:lantern.example"
GHOST = "ghost:lantern.example"

pytestmark = pytest.mark.django_db


def moved(client: Client, path: str) -> str:
    """Where ``path`` leads, asserting it answers a permanent redirect."""
    response = client.get(path)
    assert response.status_code == 301, (path, response.status_code)
    return str(response["Location"])


@pytest.fixture
def about(newsroom: dict[str, Any]) -> InfoPage:
    page = InfoPage(title="About us", slug="about", locale_id=newsroom["home"].locale_id)
    newsroom["home"].add_child(instance=page)
    page.save_revision().publish()
    return page


def test_a_posts_old_addresses_and_its_comments_feed_lead_to_the_article(
    client: Client, newsroom: dict[str, Any]
) -> None:
    article = newsroom["lead"]
    count = addresses.remember(
        source=WP,
        old_paths=["/2019/05/court-opens-trial/", "/?p=123"],
        page=article,
        kind="post",
    )
    assert count == 3  # the permalink, its comments feed, the query address
    assert moved(client, "/2019/05/court-opens-trial/") == "/en/news/court-opens-trial/"
    assert moved(client, "/2019/05/court-opens-trial") == "/en/news/court-opens-trial/"
    assert moved(client, "/2019/05/court-opens-trial/feed/") == "/en/news/court-opens-trial/"
    assert moved(client, "/?p=123") == "/en/news/court-opens-trial/"
    assert moved(client, "/index.php?p=123") == "/en/news/court-opens-trial/"
    # Tracking parameters beside the key do not stop it.
    assert moved(client, "/?p=123&utm_source=mastodon") == "/en/news/court-opens-trial/"
    # Editors see them under Settings → Redirects as permanent redirects to the page.
    redirect = Redirect.objects.get(old_path="/2019/05/court-opens-trial")
    assert redirect.is_permanent and redirect.redirect_page_id == article.pk


def test_a_page_a_section_a_tag_and_an_author_with_their_feeds(
    client: Client, newsroom: dict[str, Any], about: InfoPage
) -> None:
    addresses.remember(source=WP, old_paths=["/about/", "/?page_id=45"], page=about, kind="page")
    addresses.remember(
        source=WP,
        old_paths=["/category/world/news/"],
        page=newsroom["news"],
        kind="section",
        source_id="3",
    )
    addresses.remember(
        source=WP, old_paths=["/tag/courts/"], target_url="/en/tags/courts/", kind="tag"
    )
    addresses.remember(
        source=WP,
        old_paths=["/author/anna/"],
        page=newsroom["anna"],
        kind="author",
        source_id="2",
    )
    assert moved(client, "/about/") == "/en/about/"
    assert moved(client, "/?page_id=45") == "/en/about/"
    assert moved(client, "/category/world/news/") == "/en/news/"
    assert moved(client, "/?cat=3") == "/en/news/"
    assert moved(client, "/category/world/news/feed/") == "/en/news/feed/rss/"
    assert moved(client, "/category/world/news/feed/atom/") == "/en/news/feed/atom/"
    assert moved(client, "/tag/courts/") == "/en/tags/courts/"
    assert moved(client, "/?tag=courts") == "/en/tags/courts/"
    assert moved(client, "/tag/courts/feed/") == "/en/tags/courts/feed/rss/"
    assert moved(client, "/author/anna/") == "/en/authors/anna-berg/"
    assert moved(client, "/?author=2") == "/en/authors/anna-berg/"
    assert moved(client, "/author/anna/feed/") == "/en/authors/anna-berg/feed/rss/"
    # Where they lead answers: the feeds and the tag page exist here.
    for path in ("/en/news/feed/rss/", "/en/tags/courts/feed/rss/", "/en/authors/anna-berg/"):
        assert client.get(path).status_code == 200, path
    # The tag's redirect is to the front page's route, which an editor can change like any.
    tag = Redirect.objects.get(old_path="/tag/courts")
    assert tag.redirect_page_id == newsroom["home"].pk
    assert tag.redirect_page_route_path == "/tags/courts/"


def test_the_old_sites_feeds_lead_to_the_languages_feeds(
    client: Client, newsroom: dict[str, Any]
) -> None:
    assert addresses.remember_site_feeds(source=WP, language="en") >= 10
    for old in ("/feed/", "/feed/rss2/", "/rss/", "/comments/feed/", "/?feed=rss2"):
        assert moved(client, old) == "/en/feed/rss/", old
    assert moved(client, "/feed/atom/") == "/en/feed/atom/"
    addresses.remember_site_feeds(source=GHOST, language="en")
    with pytest.raises(ValueError, match="no front page"):
        addresses.remember_site_feeds(source=WP, language="xx")


def test_ghost_addresses(client: Client, newsroom: dict[str, Any]) -> None:
    addresses.remember(source=GHOST, old_paths=["/court/"], page=newsroom["lead"])
    addresses.remember(
        source=GHOST, old_paths=["/tag/courts/"], target_url="/en/tags/courts/", kind="tag"
    )
    addresses.remember(
        source=GHOST, old_paths=["/author/anna/"], page=newsroom["anna"], kind="author"
    )
    assert moved(client, "/court/") == "/en/news/court-opens-trial/"
    assert moved(client, "/court/amp/") == "/en/news/court-opens-trial/"
    assert moved(client, "/tag/courts/rss/") == "/en/tags/courts/feed/rss/"
    assert moved(client, "/author/anna/rss/") == "/en/authors/anna-berg/feed/rss/"


def test_a_non_ascii_address(client: Client, newsroom: dict[str, Any]) -> None:
    addresses.remember(source=WP, old_paths=["/2020/01/%d1%81%d1%83%d0%b4/"], page=newsroom["lead"])
    assert moved(client, "/2020/01/%D1%81%D1%83%D0%B4/") == "/en/news/court-opens-trial/"


def test_a_second_run_is_idempotent_and_follows_a_new_target(
    client: Client, newsroom: dict[str, Any]
) -> None:
    old = ["/2019/05/court-opens-trial/", "/?p=123"]
    first = addresses.remember(source=WP, old_paths=old, page=newsroom["lead"])
    redirects = Redirect.objects.count()
    items = ImportedItem.objects.filter(kind="redirect").count()
    assert addresses.remember(source=WP, old_paths=old, page=newsroom["lead"]) == first
    assert Redirect.objects.count() == redirects
    assert ImportedItem.objects.filter(kind="redirect").count() == items
    # The post became another article on a re-import: its addresses follow.
    other = factories.ArticlePageFactory(parent=newsroom["news"], slug="other-story")
    assert addresses.remember(source=WP, old_paths=old, page=other) == first
    assert Redirect.objects.count() == redirects
    assert moved(client, "/?p=123") == "/en/news/other-story/"


def test_a_redirect_an_editor_changed_is_left_as_they_set_it(
    client: Client, newsroom: dict[str, Any]
) -> None:
    addresses.remember(source=WP, old_paths=["/old-story/"], page=newsroom["lead"])
    Redirect.objects.filter(old_path="/old-story").update(
        redirect_page=newsroom["culture"], redirect_page_route_path=""
    )
    Redirect.objects.create(old_path="/kept", redirect_page=newsroom["culture"])
    other = factories.ArticlePageFactory(parent=newsroom["news"], slug="other-story")
    counted = addresses.remember(source=WP, old_paths=["/old-story/", "/kept/"], page=other)
    assert counted == 2  # the comments feeds; the editor's two are theirs
    assert moved(client, "/old-story/") == "/en/culture/"
    assert moved(client, "/kept/") == "/en/culture/"
    assert moved(client, "/old-story/feed/") == "/en/news/other-story/"


def test_a_moved_page_keeps_its_old_addresses(client: Client, newsroom: dict[str, Any]) -> None:
    article = newsroom["lead"]
    addresses.remember(source=WP, old_paths=["/2019/05/court-opens-trial/"], page=article)
    article.move(newsroom["culture"], pos="last-child")
    assert moved(client, "/2019/05/court-opens-trial/") == "/en/culture/court-opens-trial/"


def test_unknown_old_addresses_stay_404_and_the_front_page_is_untouched(
    client: Client, newsroom: dict[str, Any]
) -> None:
    addresses.remember(source=WP, old_paths=["/?p=123", "/"], page=newsroom["lead"])
    # (to the language's address first, as any unknown path, and there a 404)
    assert client.get("/2019/05/never-existed/", follow=True).status_code == 404
    assert client.get("/?p=999").status_code == 302  # to the language's front page, as ever
    assert client.get("/?s=court").status_code == 302
    assert client.get("/en/").status_code == 200
    assert not Redirect.objects.filter(old_path="/").exists()


def test_remember_refuses_what_it_cannot_save(newsroom: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="page or a target_url"):
        addresses.remember(source=WP, old_paths=["/x/"])
    with pytest.raises(ValueError, match="not one of"):
        addresses.remember(source=WP, old_paths=["/x/"], page=newsroom["lead"], kind="menu")
    too_long = "/" + "a" * 300 + "/"
    assert addresses.remember(source=WP, old_paths=[too_long], page=newsroom["lead"]) == 0


def test_an_old_address_that_is_the_new_one_is_no_redirect(
    client: Client, newsroom: dict[str, Any]
) -> None:
    # A multilingual WordPress with language folders had the very address the story has now.
    count = addresses.remember(
        source=WP,
        old_paths=["/en/news/court-opens-trial/"],
        page=newsroom["lead"],
        kind="post",
    )
    assert count == 1  # only its comments feed below it
    assert not Redirect.objects.filter(old_path="/en/news/court-opens-trial").exists()
    assert client.get("/en/news/court-opens-trial/").status_code == 200


def test_a_long_tag_slug_keeps_its_redirects(client: Client, newsroom: dict[str, Any]) -> None:
    slug = "elections-in-the-harbour-district-and-the-long-count-after"
    count = addresses.remember(
        source=WP, old_paths=[f"/tag/{slug}/"], target_url=f"/en/tags/{slug}/", kind="tag"
    )
    assert count > 2
    assert moved(client, f"/tag/{slug}/feed/").startswith(f"/en/tags/{slug}/feed/")
